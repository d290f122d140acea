import SystemCalls
import TwilioAuth
import Vault
import VaultStore

#if canImport(Glibc)
    import Glibc
#endif

/// twilio-cli's `config.json`, as `import twilio-cli` reads it:
///
///     {"profiles": {"ID": {"accountSid": "AC…", "apiKey": "SK…", "apiSecret": "…",
///                          "region": "…", "edge": "…"}, …},
///      "activeProfile": "ID", "edge": "…",
///      "projects": [{"id": "…", "accountSid": "AC…", "region": "…"}]}
///
/// `projects` is the layout of older versions, which kept the secrets in the system keychain:
/// those entries hold none. Everything else in the file is kept as it is when `--scrub`
/// rewrites it.
public struct TwilioCLIConfig: Sendable {
    /// One entry of `profiles`; `problem` says why it cannot be read (never quoting a value).
    public struct Profile: Sendable, Equatable {
        public var id: String
        public var accountSID: String?
        public var apiKey: String?
        public var apiSecret: String?
        public var region: String?
        public var edge: String?
        public var problem: String?
    }

    /// By id, in byte order.
    public var profiles: [Profile]
    /// The ids of legacy `projects` entries.
    public var legacyProjects: [String]
    public var activeProfile: String?
    /// The top-level `edge`, which twilio-cli uses for profiles without their own.
    public var edge: String?
    /// The whole document, for `--scrub`.
    let document: [String: JSONValue]

    /// The largest config.json read (twilio-cli's are a few kilobytes).
    public static let sizeLimit = 1 << 20

    /// Parses `bytes`; anything but a JSON object with the shapes above is malformed (65).
    public static func parse(_ bytes: [UInt8], path: String) throws -> TwilioCLIConfig {
        guard let value = JSONValue.parse(bytes), let document = value.objectValue else {
            throw OperationError.malformedInput("\(path) is not a JSON object, so not a twilio-cli config.json")
        }
        var profiles: [Profile] = []
        switch document["profiles"] {
        case nil, .null?: break
        case .object(let entries)?:
            for (id, entry) in entries {
                profiles.append(Self.profile(id: id, entry))
            }
        default:
            throw OperationError.malformedInput("\(path): \"profiles\" is not an object of profiles")
        }
        profiles.sort { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }
        var projects: [String] = []
        switch document["projects"] {
        case nil, .null?: break
        case .array(let entries)?:
            projects = entries.map { $0["id"]?.stringValue ?? "(no id)" }
        default:
            throw OperationError.malformedInput("\(path): \"projects\" is not a list")
        }
        return TwilioCLIConfig(
            profiles: profiles, legacyProjects: projects, activeProfile: document["activeProfile"]?.stringValue,
            edge: document["edge"]?.stringValue, document: document)
    }

    private static func profile(id: String, _ entry: JSONValue) -> Profile {
        var profile = Profile(id: id)
        guard let fields = entry.objectValue else {
            profile.problem = "its entry is not an object"
            return profile
        }
        func string(_ key: String) -> String?? {
            switch fields[key] {
            case nil, .null?: .some(nil)
            case .string(let value)?: .some(value)
            default: nil
            }
        }
        for (key, path) in [
            ("accountSid", \Profile.accountSID), ("apiKey", \.apiKey), ("apiSecret", \.apiSecret),
            ("region", \.region), ("edge", \.edge),
        ] as [(String, WritableKeyPath<Profile, String?>)] {
            guard let value = string(key) else {
                profile.problem = "its \"\(key)\" is not a string"
                return profile
            }
            // twilio-cli trims what it stores; an empty value is no value.
            profile[keyPath: path] = value.flatMap { $0.isEmpty ? nil : $0 }
        }
        return profile
    }

    /// The document without `apiKey` and `apiSecret` in the profiles `ids`, serialised as
    /// twilio-cli writes it (compact JSON); every other member stays.
    func scrubbed(_ ids: Set<String>) -> [UInt8] {
        var document = document
        if case .object(var entries)? = document["profiles"] {
            for id in ids {
                guard case .object(var fields)? = entries[id] else { continue }
                fields["apiKey"] = nil
                fields["apiSecret"] = nil
                entries[id] = .object(fields)
            }
            document["profiles"] = .object(entries)
        }
        return JSONValue.object(document).serialized()
    }
}

extension TwilioCLIConfig.Profile {
    init(id: String) { self.id = id }
}

/// Reading and rewriting the file itself.
public enum TwilioCLIConfigFile {
    /// `--config`, else `$TWILIO_CONFIG_DIR/config.json`, else `~/.twilio-cli/config.json`.
    public static func path(given: String?, context: Context) throws -> String {
        if let given, !given.isEmpty { return given }
        if let directory = context.env("TWILIO_CONFIG_DIR") { return directory + "/config.json" }
        guard let home = context.env("HOME") else {
            throw OperationError.usage("HOME is not set: give the twilio-cli config file with --config PATH")
        }
        return home + "/.twilio-cli/config.json"
    }

    /// The file's bytes (following a symbolic link, as twilio-cli does) and whether group or
    /// others may read it.
    public static func read(_ path: String) throws -> (bytes: [UInt8], exposed: Bool, mode: mode_t) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw OperationError.notFound("no twilio-cli config at \(path): give its path with --config")
            }
            throw OperationError.accessDenied("cannot read \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw OperationError.malformedInput("\(path) is not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                SystemCall.retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count < 0 {
                throw OperationError.accessDenied("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= TwilioCLIConfig.sizeLimit else {
                throw OperationError.malformedInput("\(path) is larger than 1 MiB, so not a twilio-cli config.json")
            }
        }
        let mode = info.st_mode & 0o777
        return (bytes, mode & 0o044 != 0, mode)
    }

    /// Replaces the file at `path` (the file a symbolic link points to, so the link stays)
    /// with `bytes`, atomically: a temporary file in the same directory, mode 0600, synced,
    /// renamed over it; the directory synced. No copy of the old contents is kept. Refused
    /// (75) when the file no longer holds `expected`: twilio-cli wrote it meanwhile.
    public static func replace(_ path: String, expected: [UInt8], with bytes: [UInt8]) throws {
        guard let resolved = realpath(path, nil) else {
            throw OperationError.accessDenied("cannot resolve \(path): \(String(cString: strerror(errno)))")
        }
        let target = String(cString: resolved)
        free(resolved)
        guard try read(target).bytes == expected else {
            throw OperationError.temporary(
                "\(path) changed while twvault read it: it was left as it is; run the import with --scrub again")
        }
        let written = Result { () throws(StoreError) in
            try SecureFiles.writeNew(target, bytes: bytes)
            try SecureFiles.sync(SecureFiles.directory(of: target), directory: true)
        }
        if case .failure(let error) = written {
            throw OperationError.accessDenied("cannot rewrite \(path): \(error.description)")
        }
    }
}
