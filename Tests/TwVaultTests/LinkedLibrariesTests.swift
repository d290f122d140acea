import Testing

/// The binary links FoundationEssentials only: full Foundation brings ICU's data (about 34 MB)
/// and its start-up cost into every command.
@Suite struct LinkedLibrariesTests {
    @Test func theBinaryNeedsNoFullFoundation() throws {
        let result = try Harness.execute(
            "/usr/bin/readelf", ["-d", "-W", Harness.binary], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.stderr)")
        let needed = result.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty)
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!needed.contains { $0.contains("[\(library)]") }, "\(library) is linked")
        }
    }
}
