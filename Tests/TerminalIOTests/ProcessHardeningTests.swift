import Testing

@testable import TerminalIO

/// `apply()` itself is checked end to end on the built binary: applying it here would make
/// the whole test process non-dumpable and change its umask.
@Suite("ProcessHardening")
struct ProcessHardeningTests {
    @Test("the prctl binding works: an ordinary process is dumpable")
    func prctlBinding() {
        #expect(ProcessHardening.isDumpable)
    }
}
