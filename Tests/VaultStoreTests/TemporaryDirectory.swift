import Foundation

/// A private (0700) directory for one test, removed with everything in it when the test ends.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("\(NSTemporaryDirectory())/twvault-store-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    let path = String(cString: created)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// The file's mode bits (permissions only), without following a symlink.
func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o777
}

/// The file's bytes, or nil when it does not exist.
func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}
