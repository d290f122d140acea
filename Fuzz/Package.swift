// swift-tools-version: 6.1
import PackageDescription

// The libFuzzer harnesses (README.md), built against the main package's libraries by
// scripts/fuzz into a build directory of its own. Debug builds compile every module with
// testing enabled, so the harnesses reach internal decoders through `@testable import`
// without those being public.

/// Links libFuzzer (and AddressSanitizer's runtime) into a harness. The code under test is
/// instrumented by the flags scripts/fuzz passes to every Swift compilation.
let libFuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let package = Package(
    name: "twvault-fuzz",
    dependencies: [
        .package(name: "twvault", path: "..")
    ],
    targets: [
        // libFuzzer's entry points, declared for Swift (the library is linked by -sanitize=fuzzer).
        .systemLibrary(name: "CLibFuzzer", path: "CLibFuzzer"),
        // The driver every harness's main calls, and the real-shell oracle.
        .target(
            name: "FuzzSupport",
            dependencies: ["CLibFuzzer", .product(name: "SystemCalls", package: "twvault")],
            path: "Support"
        ),

        .executableTarget(
            name: "token-response",
            dependencies: ["FuzzSupport", .product(name: "TwilioAuth", package: "twvault")],
            path: "token-response",
            linkerSettings: libFuzzer
        ),
        .executableTarget(
            name: "env-file",
            dependencies: ["FuzzSupport", .product(name: "ShellSyntax", package: "twvault")],
            path: "env-file",
            linkerSettings: libFuzzer
        ),
        .executableTarget(
            name: "shell-quoting",
            dependencies: ["FuzzSupport", .product(name: "ShellSyntax", package: "twvault")],
            path: "shell-quoting",
            linkerSettings: libFuzzer
        ),
        .executableTarget(
            name: "sealed-record",
            dependencies: [
                "FuzzSupport",
                .product(name: "Vault", package: "twvault"),
                .product(name: "VaultCrypto", package: "twvault"),
            ],
            path: "sealed-record",
            linkerSettings: libFuzzer
        ),
    ],
    swiftLanguageModes: [.v6]
)
