// Builds large throwaway vaults for scripts/bench. Not installed and not part of the CLI:
// 10,000 `twvault add` runs would each pay for a process, an unlock and a commit, while this
// writes all profiles in one transaction.
//
//   TWVAULT_NEW_PASSPHRASE=… twvault-benchdata --vault PATH --profiles N [--kdf interactive|moderate]
//
// Profiles are named p00000, p00001, …; each holds an account SID, an auth token and an
// API key with its secret, all random.
import Foundation
import Vault
import VaultCrypto

func fail(_ message: String, code: Int32 = 64) -> Never {
    FileHandle.standardError.write(Data("twvault-benchdata: \(message)\n".utf8))
    exit(code)
}

var path: String?
var count = 0
var limits = KDFLimits.interactive
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--vault": path = arguments.popFirst()
    case "--profiles": count = arguments.popFirst().flatMap { Int($0) } ?? -1
    case "--kdf":
        switch arguments.popFirst() {
        case "interactive": limits = .interactive
        case "moderate": limits = .moderate
        default: fail("--kdf is interactive or moderate")
        }
    default: fail("unknown argument \(argument)")
    }
}
guard let path, count >= 0 else {
    fail("usage: twvault-benchdata --vault PATH --profiles N [--kdf interactive|moderate]")
}
guard let passphrase = ProcessInfo.processInfo.environment["TWVAULT_NEW_PASSPHRASE"], !passphrase.isEmpty else {
    fail("set TWVAULT_NEW_PASSPHRASE")
}

func hex(_ count: Int) -> String {
    RandomBytes.make(count).map { String(format: "%02x", $0) }.joined()
}

do {
    let now = Clock.now()
    let vault = try VaultFile.create(path: path, passphrase: SecretBytes(utf8: passphrase), limits: limits, now: now)
    try vault.write { transaction in
        for index in 0..<count {
            var record = ProfileRecord(createdAt: now)
            record.accountSID = "AC" + hex(16)
            record.authToken = hex(16)
            record.apiKeySID = "SK" + hex(16)
            record.apiKeySecret = hex(16)
            record.credentialTimes = ["auth_token": now, "api_key": now]
            try transaction.put(record, profile: String(format: "p%05d", index), kind: .profile, now: now)
        }
    }
    vault.file.checkpoint()
} catch {
    fail(error.description, code: 1)
}
