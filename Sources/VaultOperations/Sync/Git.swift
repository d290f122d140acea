import FoundationEssentials
import Vault

/// The system `git`, run through the context's launcher on the bare mirror beside the vault
/// (`<vault>.sync`). Never with a work tree, never with a prompt.
struct Git {
    let context: Context
    let directory: String

    /// The branch the repository form lives on.
    static let branch = "refs/heads/main"
    /// The last commit merged into the local vault.
    static let baseRef = "refs/twvault/base"
    /// What `fetch` brought (the remote's branches).
    static let remotePrefix = "refs/twvault/remotes/"
    static let remoteRef = remotePrefix + "main"
    static let outgoingRef = "refs/twvault/outgoing"

    var environment: [String: String] {
        var environment = context.environment
        for name in environment.keys where name.hasPrefix("GIT_") { environment[name] = nil }
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["LC_ALL"] = "C"
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return environment
    }

    /// Runs `git --git-dir=DIR ARGS`; a missing git is a temporary failure with a remedy.
    func run(_ arguments: [String], input: [UInt8] = [], withDirectory: Bool = true) throws -> CapturedOutput {
        let argv = ["git"] + (withDirectory ? ["--git-dir=\(directory)"] : []) + arguments
        do {
            return try context.processes.capture(argv, environment: environment, input: input)
        } catch let error as OperationError {
            if case .cannotExecute(_, notFound: true) = error {
                throw OperationError.temporary("git is not installed: install it (scripts/install-deps) and try again")
            }
            throw OperationError.temporary("cannot run git: \(error.description)")
        }
    }

    /// Runs git and returns its output; a failure is one line naming what failed (75).
    @discardableResult
    func checked(_ arguments: [String], input: [UInt8] = [], what: String) throws -> [UInt8] {
        let result = try run(arguments, input: input)
        guard result.status == 0 else {
            throw OperationError.temporary("git could not \(what): \(RepositorySync.shown(result.errorLine))")
        }
        return result.output
    }

    func initialize(url: String) throws {
        let result = try run(["init", "--bare", "--quiet", directory], withDirectory: false)
        guard result.status == 0 else {
            throw OperationError.temporary(
                "git could not create \(directory): \(RepositorySync.shown(result.errorLine))")
        }
        try setURL(url)
    }

    func setURL(_ url: String) throws {
        try checked(["config", "remote.origin.url", url], what: "remember the remote")
    }

    func url() throws -> String? {
        let result = try run(["config", "--get", "remote.origin.url"])
        guard result.status == 0 else { return nil }
        let text = String(decoding: result.output, as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// Fetches every branch of the remote into `refs/twvault/remotes/`. A remote that is not
    /// there is 66; any other failure (network, permissions, lock) is 75.
    func fetch(url: String) throws {
        let result = try run([
            "fetch", "--quiet", "--prune", "--no-tags", "origin", "+refs/heads/*:\(Git.remotePrefix)*",
        ])
        guard result.status == 0 else {
            let line = result.errorLine
            let lower = String(decoding: result.errorOutput, as: UTF8.self).lowercased()
            let missing = [
                "does not appear to be a git repository", "repository not found", "not found",
                "no such file or directory", "does not exist",
            ]
            if missing.contains(where: { lower.contains($0) }) {
                throw OperationError.notFound(
                    "no repository at \(RepositorySync.shown(url)): create an empty one (git init --bare) or give the right URL with --remote"
                )
            }
            throw OperationError.temporary(
                "git could not fetch from \(RepositorySync.shown(url)): \(RepositorySync.shown(line)); try again later")
        }
    }

    /// The commit a ref names, or nil.
    func resolve(_ ref: String) throws -> String? {
        let result = try run(["rev-parse", "--verify", "--quiet", ref + "^{commit}"])
        guard result.status == 0 else { return nil }
        let text = String(decoding: result.output, as: UTF8.self)
        let id = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return id.isEmpty ? nil : id
    }

    /// Whether `ancestor` is `commit` or one of its ancestors.
    func isAncestor(_ ancestor: String, of commit: String) throws -> Bool {
        let result = try run(["merge-base", "--is-ancestor", ancestor, commit])
        switch result.status {
        case 0: return true
        case 1: return false
        default:
            throw OperationError.temporary("git could not compare commits: \(RepositorySync.shown(result.errorLine))")
        }
    }

    func updateRef(_ ref: String, to commit: String) throws {
        try checked(["update-ref", ref, commit], what: "record the merged commit")
    }

    /// path -> blob id of every file in `commit`.
    func tree(_ commit: String) throws -> [String: String] {
        let output = try checked(["ls-tree", "-r", "-z", "--full-tree", commit], what: "list the repository")
        var files: [String: String] = [:]
        for entry in output.split(separator: 0) {
            // "<mode> SP <type> SP <id> TAB <path>"
            guard let tab = entry.firstIndex(of: 9) else { continue }
            let meta = String(decoding: entry[entry.startIndex..<tab], as: UTF8.self).split(separator: " ")
            let path = String(decoding: entry[(tab + 1)...], as: UTF8.self)
            guard meta.count == 3 else { continue }
            guard meta[1] == "blob" else {
                throw VaultError.tampered(
                    what: "the repository holds something other than a file at \(Names.printable(path))")
            }
            files[path] = String(meta[2])
        }
        return files
    }

    /// The contents of blobs, in one `git cat-file --batch`.
    func blobs(_ ids: [String]) throws -> [String: [UInt8]] {
        guard !ids.isEmpty else { return [:] }
        let unique = Array(Set(ids))
        let input = Array(unique.map { $0 + "\n" }.joined().utf8)
        let output = try checked(["cat-file", "--batch"], input: input, what: "read the repository")
        var result: [String: [UInt8]] = [:]
        var index = output.startIndex
        for id in unique {
            guard let newline = output[index...].firstIndex(of: 10) else {
                throw OperationError.temporary("git gave a short answer while reading the repository")
            }
            let header = String(decoding: output[index..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, header[0] == id, header[1] == "blob", let size = Int(header[2]),
                newline + 1 + size < output.endIndex
            else { throw VaultError.tampered(what: "the repository object \(id) is not a file") }
            result[id] = Array(output[(newline + 1)..<(newline + 1 + size)])
            index = newline + 1 + size + 1
        }
        return result
    }

    /// A commit made with `git fast-import` from `parent` (or none), changing only `files`
    /// (nil deletes). Returns its id.
    func commit(parent: String?, files: [(path: String, bytes: [UInt8]?)], message: String, time: Int64) throws
        -> String
    {
        var stream: [UInt8] = []
        func line(_ text: String) { stream.append(contentsOf: Array((text + "\n").utf8)) }
        func data(_ bytes: [UInt8]) {
            line("data \(bytes.count)")
            stream.append(contentsOf: bytes)
            line("")
        }
        if parent == nil {
            _ = try run(["update-ref", "-d", Git.outgoingRef])
        }
        line("commit \(Git.outgoingRef)")
        line("committer twvault <twvault@localhost> \(time) +0000")
        data(Array(message.utf8))
        if let parent { line("from \(parent)") }
        for file in files {
            if let bytes = file.bytes {
                line("M 100644 inline \(file.path)")
                data(bytes)
            } else {
                line("D \(file.path)")
            }
        }
        line("done")
        try checked(
            ["fast-import", "--quiet", "--force", "--done", "--date-format=raw"], input: stream, what: "commit")
        guard let id = try resolve(Git.outgoingRef) else {
            throw OperationError.temporary("git made no commit")
        }
        return id
    }

    enum PushOutcome { case pushed, rejected }

    /// Pushes `commit` to the remote branch; `rejected` when someone pushed first.
    func push(_ commit: String, url: String) throws -> PushOutcome {
        let result = try run(["push", "--porcelain", "--quiet", "origin", "\(commit):\(Git.branch)"])
        if result.status == 0 { return .pushed }
        let text = String(decoding: result.output + result.errorOutput, as: UTF8.self)
        if text.contains("[rejected]") || text.contains("non-fast-forward") || text.contains("fetch first")
            || text.contains("[remote rejected]") && text.contains("cannot lock ref")
        {
            return .rejected
        }
        throw OperationError.temporary(
            "git could not push to \(RepositorySync.shown(url)): \(RepositorySync.shown(result.errorLine)); the vault is merged, run `twvault sync` again later"
        )
    }
}
