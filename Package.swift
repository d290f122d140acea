// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "twvault",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "twvault", targets: ["twvault"]),
        .executable(name: "twilio-standin", targets: ["twilio-standin"]),
        // For the fuzz harnesses, a package of their own that depends on this one (Fuzz/Package.swift).
        .library(name: "ShellSyntax", targets: ["ShellSyntax"]),
        .library(name: "SystemCalls", targets: ["SystemCalls"]),
        .library(name: "TwilioAuth", targets: ["TwilioAuth"]),
        .library(name: "Vault", targets: ["Vault"]),
        .library(name: "VaultCrypto", targets: ["VaultCrypto"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    // Each target lists exactly the modules its sources import, no more and no fewer.
    // `make test` builds with `--explicit-target-dependency-import-check error`, which fails on
    // an import of a package target that is not a dependency, direct or indirect; SwiftPM skips
    // the targets that depend on plugin output (Vault and everything above it).
    targets: [
        // C libraries, found with pkg-config.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Build tool that turns migrations/*.sql into Swift string literals.
        .executableTarget(name: "EmbedMigrations"),
        .plugin(
            name: "EmbedMigrationsPlugin",
            capability: .buildTool(),
            dependencies: ["EmbedMigrations"]
        ),
        .target(
            name: "VaultMigrations",
            path: "migrations",
            exclude: ["README.md"],
            sources: ["Migrations.swift"],
            plugins: ["EmbedMigrationsPlugin"]
        ),

        // System calls retried across EINTR, and the write loop on them.
        .target(name: "SystemCalls"),
        // libsodium wrapper: secret bytes, Argon2id, secretbox, key derivation. No SQL.
        .target(name: "VaultCrypto", dependencies: ["CSodium"]),
        // SQLite wrapper: connection, statements, transactions, migrator. No crypto.
        .target(name: "VaultStore", dependencies: ["CSQLite", "SystemCalls"]),
        // The vault: key slots, sealed records, profiles, unlock sessions, integrity.
        .target(name: "Vault", dependencies: ["VaultCrypto", "VaultStore", "VaultMigrations", "SystemCalls"]),
        // Twilio OAuth token endpoint and REST clients over the `HTTPTransport` protocol: the
        // requests, the decoders and the errors. No storage and no networking of its own.
        .target(name: "TwilioAuth", dependencies: ["VaultCrypto"]),
        // The networking under TwilioAuth, on SwiftNIO: the HTTP/1.1 transport (TLS from NIOSSL)
        // and the loopback listener for the OAuth redirect.
        .target(
            name: "TwilioHTTP",
            dependencies: [
                "TwilioAuth", "VaultCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // A stand-in for Twilio's token and REST endpoints on 127.0.0.1, for tests and the demo.
        .target(
            name: "TwilioStandIn",
            dependencies: [
                "VaultCrypto", "TwilioAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "twilio-standin", dependencies: ["TwilioStandIn"]),
        // Shell syntax: quoting for each shell, the export renderer, the `add --stdin` parser. No I/O.
        .target(name: "ShellSyntax"),
        // The terminal: secret prompts without echo, restoring it on signals, process hardening.
        .target(name: "TerminalIO", dependencies: ["SystemCalls"]),
        // The operations behind the commands: unlocking, access tokens, rotation, ephemeral keys.
        // No argument parsing and no process globals: the outside world comes in a Context.
        .target(
            name: "VaultOperations",
            dependencies: [
                "Vault", "VaultCrypto", "VaultStore", "TwilioAuth", "TwilioHTTP", "SystemCalls",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The command line.
        .target(
            name: "TwVault",
            dependencies: [
                "VaultOperations", "Vault", "VaultCrypto", "TwilioAuth", "TwilioHTTP", "ShellSyntax", "TerminalIO",
                "SystemCalls", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "twvault", dependencies: ["TwVault"]),
        // Builds large throwaway vaults for scripts/bench (not installed; not part of the CLI).
        .executableTarget(name: "twvault-benchdata", dependencies: ["Vault", "VaultCrypto"]),

        .testTarget(name: "VaultCryptoTests", dependencies: ["VaultCrypto"], exclude: ["Vectors"]),
        .testTarget(name: "VaultStoreTests", dependencies: ["VaultStore"]),
        .testTarget(name: "VaultTests", dependencies: ["Vault", "VaultStore", "VaultCrypto"]),
        .testTarget(
            name: "TwilioAuthTests",
            dependencies: [
                "TwilioAuth", "TwilioHTTP", "TwilioStandIn",
                // A TLS server for the transport's tests.
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "ShellSyntaxTests", dependencies: ["ShellSyntax"], exclude: ["Fixtures"]),
        .testTarget(name: "TerminalIOTests", dependencies: ["TerminalIO"]),
        // Temporary homes, a fixture vault and a test context for the command tests.
        .target(
            name: "TwVaultTestSupport",
            dependencies: [
                "TwVault", "VaultOperations", "Vault", "VaultCrypto", "TwilioAuth",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/TwVaultTestSupport"
        ),
        .testTarget(
            name: "TwVaultTests",
            dependencies: [
                "TwVault", "VaultOperations", "TwVaultTestSupport", "TwilioAuth", "TwilioHTTP", "TwilioStandIn",
                "Vault",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
