import Foundation
import Testing

/// `make install` into a temporary prefix, of the debug build `swift test` has made: the recipe
/// is the one a user runs, whose default build (static, release) only changes the flags.
@Suite struct InstallTests {
    static var packageRoot: String {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Makefile").path) {
                return directory.path
            }
        }
        return "."
    }

    static let installed = [
        "bin/twvault", "share/man/man1/twvault.1", "share/bash-completion/completions/twvault",
        "share/zsh/site-functions/_twvault", "share/fish/vendor_completions.d/twvault.fish",
    ]

    @Test func makeInstallThenUninstall() throws {
        let fixture = try ShellFixture()
        let prefix = fixture.harness.root.path + "/prefix"
        // The toolchain and SwiftPM's caches come from the test's own environment. `swift test`
        // holds the lock on .build, so the nested builds must not wait for it.
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TWVAULT_VAULT")
        let make = try Harness.execute(
            "/usr/bin/make",
            [
                "-C", Self.packageRoot, "install", "PREFIX=\(prefix)", "SWIFT_FLAGS=--ignore-lock",
                "INSTALL_BUILD=-c debug", "INSTALL_ENV=",
            ],
            environment: env)
        #expect(make.status == 0, "\(make.stdout.suffix(2000))\n\(make.stderr.suffix(2000))")
        for file in Self.installed {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file)")
        }

        let binary = prefix + "/bin/twvault"
        let version = try Harness.execute(binary, ["--version"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
        let sections = try Harness.execute(
            "/usr/bin/readelf", ["-S", "-W", binary], environment: ["PATH": "/usr/bin:/bin"])
        #expect(sections.status == 0)
        #expect(!sections.stdout.contains(".symtab"), "the binary is stripped")

        let page = try Harness.execute(
            "/usr/bin/man", ["-l", prefix + "/share/man/man1/twvault.1"],
            environment: ["PATH": "/usr/bin:/bin", "MANPAGER": "cat", "MANWIDTH": "100", "LANG": "C.UTF-8"])
        #expect(page.status == 0, "\(page.stderr)")
        for text in ["NAME", "SYNOPSIS", "twvault", "shell-init", "completion", "export"] {
            #expect(page.stdout.contains(text), "\(text)")
        }

        // Each completion file, loaded from where the shell looks, completes with the installed binary.
        var shellEnv = fixture.environment
        shellEnv["PATH"] = prefix + "/bin:/usr/bin:/bin"
        let bash = try Harness.execute(
            "/bin/bash",
            [
                "-c",
                """
                source "$1/share/bash-completion/completions/twvault"
                COMP_WORDS=(twvault export acme); COMP_CWORD=2; COMP_LINE='twvault export acme'; COMP_POINT=19
                _twvault twvault acme export
                printf '%s\\n' "${COMPREPLY[@]}"
                """, "bash", prefix,
            ], environment: shellEnv)
        #expect(bash.stdout == "acme-prod\nacme-staging\n", "\(bash.stderr)")
        let zsh = try Harness.execute(
            "/usr/bin/zsh",
            [
                "-f", "-c",
                """
                fpath=("$1/share/zsh/site-functions" $fpath)
                autoload -Uz compinit && compinit -u -D
                print -r -- "$_comps[twvault]"
                autoload +X _twvault && whence -w _twvault
                """, "zsh", prefix,
            ], environment: shellEnv)
        #expect(zsh.stdout == "_twvault\n_twvault: function\n", "\(zsh.stderr)")
        let fish = try Harness.execute(
            "/usr/bin/fish",
            [
                "--no-config", "-i", "-c",
                """
                set -p fish_complete_path $argv[1]/share/fish/vendor_completions.d
                complete -C 'twvault export acme' | string replace -r '\\t.*' ''
                """, prefix,
            ], environment: shellEnv)
        #expect(fish.stdout == "acme-prod\nacme-staging\n", "\(fish.stderr)")

        let uninstall = try Harness.execute(
            "/usr/bin/make", ["-C", Self.packageRoot, "uninstall", "PREFIX=\(prefix)"], environment: env)
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        let left = FileManager.default.enumerator(atPath: prefix)?.compactMap { $0 as? String }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: prefix + "/" + $0, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
        #expect(left == [])
    }
}
