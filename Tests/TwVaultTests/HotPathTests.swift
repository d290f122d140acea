import Foundation
import Testing
import VaultOperations

@testable import TwVault

/// `HotPath` parses `export` and `token` without ArgumentParser: what it accepts must mean
/// exactly what ArgumentParser makes of it, and everything else must go to ArgumentParser.
@Suite("HotPath")
struct HotPathTests {
    static let exportArguments: [[String]] = [
        ["export", "acme"],
        ["export"],
        ["export", "acme", "--vault", "/tmp/v.db"],
        ["export", "--vault", "/tmp/v.db", "acme"],
        ["export", "acme", "--format", "fish", "--no-token"],
        ["export", "acme", "--format", "json", "-q"],
        ["export", "-v", "acme", "--passphrase-file", "/tmp/p", "--format", "dotenv"],
        ["export", "acme", "--passphrase-fd", "3", "--quiet", "--format", "powershell"],
        ["export", "acme", "--verbose", "--format", "sh"],
    ]
    static let tokenArguments: [[String]] = [
        ["token", "acme"],
        ["token"],
        ["token", "acme", "--refresh"],
        ["token", "--json", "acme", "--vault", "/tmp/v.db", "-q"],
        ["token", "acme", "--refresh", "--json", "--passphrase-fd", "0", "-v"],
    ]
    static let declined: [[String]] = [
        [], ["list"], ["exec", "acme"], ["export", "--help"], ["export", "-h"], ["export", "help"],
        ["export", "acme", "--vault=/tmp/v.db"], ["export", "acme", "-qv"], ["export", "acme", "--"],
        ["export", "acme", "other"], ["export", "acme", "--vault"], ["export", "acme", "--vault", ""],
        ["export", "acme", "--vault", "-q"], ["export", "acme", "--format", "yaml"], ["export", ""],
        ["export", "acme", "-q", "--quiet"], ["export", "acme", "--no-token", "--no-token"],
        ["export", "acme", "--refresh"], ["export", "acme", "--passphrase-fd", "three"],
        ["token", "acme", "--no-token"], ["token", "acme", "--format", "sh"], ["token", "acme", "--version"],
        ["export", "acme", "--generate-completion-script", "bash"], ["--version"], ["export", "acme", "--bogus"],
    ]

    static func same(_ a: AccessOptions, _ b: AccessOptions) -> Bool {
        a.vault == b.vault && a.passphraseFile == b.passphraseFile && a.passphraseFd == b.passphraseFd
            && a.quiet == b.quiet && a.verbose == b.verbose
    }

    @Test("export: the same values as ArgumentParser", arguments: exportArguments)
    func export(_ arguments: [String]) throws {
        guard case let .export(options, profile, format, noToken) = HotPath.parse(arguments[...]) else {
            Issue.record("not taken: \(arguments)")
            return
        }
        let parsed = try #require(try Twvault.parseAsRoot(arguments) as? Export)
        #expect(Self.same(options, parsed.global.values))
        #expect(profile == parsed.profile)
        #expect(format == parsed.format)
        #expect(noToken == parsed.noToken)
    }

    @Test("token: the same values as ArgumentParser", arguments: tokenArguments)
    func token(_ arguments: [String]) throws {
        guard case let .token(options, profile, refresh, json) = HotPath.parse(arguments[...]) else {
            Issue.record("not taken: \(arguments)")
            return
        }
        let parsed = try #require(try Twvault.parseAsRoot(arguments) as? Token)
        #expect(Self.same(options, parsed.global.values))
        #expect(profile == parsed.profile)
        #expect(refresh == parsed.refresh)
        #expect(json == parsed.json)
    }

    @Test("anything else is left to ArgumentParser", arguments: declined)
    func declines(_ arguments: [String]) {
        #expect(HotPath.parse(arguments[...]) == nil)
    }

    @Test("the environment read from environ matches ProcessInfo")
    func environment() {
        #expect(Context.processEnvironment() == ProcessInfo.processInfo.environment)
    }
}
