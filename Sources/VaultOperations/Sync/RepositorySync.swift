import FoundationEssentials
import Vault
import VaultCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The repository form of a vault (docs/FORMAT.md, "Repository") and `clone`/`sync`.
public enum RepositorySync {
    /// Pushes refused because someone pushed first are retried this many times in all.
    public static let pushAttempts = 5

    static let headerPath = "header"
    static let manifestPath = "manifest"

    /// A remote URL is passed to git as a value, never as an option.
    public static func checkURL(_ url: String) throws {
        guard !url.isEmpty, !url.hasPrefix("-") else {
            throw OperationError.usage(
                "the remote URL must not be empty or start with '-': give a path, ssh or https URL")
        }
        guard !url.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw OperationError.usage("the remote URL contains a control character")
        }
    }

    public static func mirrorPath(of vaultPath: String) -> String { vaultPath + ".sync" }

    /// A URL or a line of git's output as it may be shown: printable, and with the user
    /// information of every `scheme://user:password@host` replaced by `…` (a token often
    /// stands there).
    public static func shown(_ text: String) -> String {
        let characters = Array(text)
        var result = ""
        var index = 0
        while index < characters.count {
            result.append(characters[index])
            let isScheme =
                index + 2 < characters.count && characters[index] == ":" && characters[index + 1] == "/"
                && characters[index + 2] == "/"
            index += 1
            guard isScheme else { continue }
            result += "//"
            index += 2
            var end = index
            while end < characters.count, !"/ '\"".contains(characters[end]) { end += 1 }
            if let at = characters[index..<end].lastIndex(of: "@") {
                result += "…@"
                index = at + 1
            }
        }
        return Names.printable(result)
    }

    // MARK: Paths

    static func recordPath(profile: String, kind: String) -> String {
        "records/\(ByteEncoding.hex(Array(profile.utf8)))/\(kind)"
    }

    static func slotPath(label: String) -> String { "slots/\(ByteEncoding.hex(Array(label.utf8)))" }

    enum Place: Equatable {
        case record(profile: String, kind: String)
        case slot(label: String)
    }

    static func place(of path: String) -> Place? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0] == "records", let bytes = try? ByteEncoding.fromHex(String(parts[1])) {
            let profile = String(decoding: bytes, as: UTF8.self)
            let kind = String(parts[2])
            guard (try? Names.validateProfile(profile)) != nil, Array(profile.utf8) == bytes, isKind(kind),
                recordPath(profile: profile, kind: kind) == path
            else { return nil }
            return .record(profile: profile, kind: kind)
        }
        if parts.count == 2, parts[0] == "slots", let bytes = try? ByteEncoding.fromHex(String(parts[1])) {
            let label = String(decoding: bytes, as: UTF8.self)
            guard (try? Names.validateSlotLabel(label)) != nil, slotPath(label: label) == path else { return nil }
            return .slot(label: label)
        }
        return nil
    }

    static func isKind(_ kind: String) -> Bool {
        let bytes = Array(kind.utf8)
        guard (1...32).contains(bytes.count), let first = bytes.first, (0x61...0x7a).contains(first) else {
            return false
        }
        return bytes.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f }
    }

    // MARK: Header

    struct Header: Equatable {
        var vaultID: [UInt8]
        var keyID: [UInt8]
        var createdAt: Int64

        var bytes: [UInt8] {
            Array(
                """
                twvault-repository 1
                vault-id \(ByteEncoding.hex(vaultID))
                key-id \(ByteEncoding.hex(keyID))
                created-at \(createdAt)

                """.utf8)
        }

        init(vaultID: [UInt8], keyID: [UInt8], createdAt: Int64) {
            self.vaultID = vaultID
            self.keyID = keyID
            self.createdAt = createdAt
        }

        init(parsing bytes: [UInt8]) throws {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.count == 5, lines[0] == "twvault-repository 1", lines[4].isEmpty,
                lines[1].hasPrefix("vault-id "), lines[2].hasPrefix("key-id "), lines[3].hasPrefix("created-at "),
                let vault = try? ByteEncoding.fromHex(String(lines[1].dropFirst(9))), vault.count == 16,
                let key = try? ByteEncoding.fromHex(String(lines[2].dropFirst(7))), key.count == 16,
                let created = Int64(lines[3].dropFirst(11))
            else {
                if let first = lines.first, first.hasPrefix("twvault-repository "), first != "twvault-repository 1" {
                    throw VaultError.newerFormat(
                        "the repository was written by a newer twvault (\(Names.printable(String(first)))): upgrade twvault"
                    )
                }
                throw VaultError.tampered(what: "the repository header is malformed")
            }
            self.init(vaultID: vault, keyID: key, createdAt: created)
        }
    }

    // MARK: A checked commit

    /// A commit of the repository, checked: its files are the manifest's, with the digests
    /// the manifest gives, every record authenticates at its place and every slot parses.
    struct Snapshot {
        var commit: String
        var header: Header
        var manifest: RepositoryManifest
        var sealedManifest: [UInt8]
        /// path -> blob id
        var tree: [String: String]
        /// The bytes read while checking (every file that differs from the base).
        var contents: [String: [UInt8]]
    }

    /// Reads and checks `commit` against `base` (the last merged, already checked commit):
    /// files unchanged since the base are not read again.
    static func check(
        _ commit: String, git: Git, keys: RepositoryKeys?, vaultID: [UInt8]?, base: Snapshot?
    ) throws -> (Snapshot, RepositoryKeys?) {
        let tree = try git.tree(commit)
        guard let headerID = tree[headerPath], let manifestID = tree[manifestPath] else {
            throw VaultError.tampered(what: "the repository has no header or no manifest")
        }
        var wanted = [headerID, manifestID]
        for (path, id) in tree where path != headerPath && path != manifestPath && base?.tree[path] != id {
            wanted.append(id)
        }
        let blobs = try git.blobs(wanted)
        let header = try Header(parsing: blobs[headerID] ?? [])
        if let vaultID, header.vaultID != vaultID {
            throw VaultError.tampered(what: "the repository holds another vault (its vault id differs from this one's)")
        }
        var contents: [String: [UInt8]] = [:]
        for (path, id) in tree where path != headerPath && path != manifestPath && base?.tree[path] != id {
            contents[path] = blobs[id] ?? []
        }
        var keys = keys
        if keys == nil {
            // clone: the caller opens the slots after this first pass; nothing more to check yet.
            return (
                Snapshot(
                    commit: commit, header: header, manifest: RepositoryManifest(writeCounter: 0, entries: [:]),
                    sealedManifest: blobs[manifestID] ?? [], tree: tree, contents: contents), nil
            )
        }
        guard let current = keys, header.keyID == current.keyID else {
            throw VaultError.tampered(
                what:
                    "the repository is sealed under another data key (a rekey this vault cannot follow, or a forged header)"
            )
        }
        keys = current
        let manifest = try current.open(blobs[manifestID] ?? [])
        var snapshot = Snapshot(
            commit: commit, header: header, manifest: manifest, sealedManifest: blobs[manifestID] ?? [], tree: tree,
            contents: contents)
        try verify(&snapshot, keys: current, base: base)
        return (snapshot, current)
    }

    /// The checks of a snapshot whose manifest is open.
    static func verify(_ snapshot: inout Snapshot, keys: RepositoryKeys, base: Snapshot?) throws {
        let manifest = snapshot.manifest
        var files = Set(snapshot.tree.keys)
        files.remove(headerPath)
        files.remove(manifestPath)
        guard files == Set(manifest.entries.keys) else {
            throw VaultError.tampered(
                what: "the repository's files are not the ones its manifest lists (one was added or removed)")
        }
        if let base {
            guard manifest.writeCounter >= base.manifest.writeCounter else {
                throw VaultError.tampered(
                    what: "the repository went back to an older state (its write counter is lower)")
            }
        }
        var slots = 0
        for (path, entry) in manifest.entries {
            guard let place = place(of: path) else {
                throw VaultError.tampered(what: "the repository holds a file with a malformed name")
            }
            if let old = base?.manifest.entries[path], entry.version < old.version {
                throw VaultError.tampered(what: "a record in the repository went back to an older version")
            }
            if let bytes = snapshot.contents[path] {
                guard ConstantTime.equal(SHA256.hash(bytes), entry.digest) else {
                    throw VaultError.tampered(
                        what: "a file in the repository does not match its manifest (swapped, rolled back or forged)")
                }
                switch place {
                case let .record(profile, kind):
                    do { try keys.checkRecord(bytes, profile: profile, kind: kind) } catch {
                        throw VaultError.tampered(what: "a record in the repository does not authenticate at its place")
                    }
                case let .slot(label):
                    guard let slot = PassphraseSlot(repositoryBytes: bytes), slot.label == label else {
                        throw VaultError.tampered(what: "a slot in the repository is malformed")
                    }
                }
            } else {
                // Unchanged since the base, which was checked: the manifest must say so too.
                guard let old = base?.manifest.entries[path], old.digest == entry.digest, old.version == entry.version
                else {
                    throw VaultError.tampered(what: "a file in the repository does not match its manifest")
                }
            }
            if case .slot = place { slots += 1 }
        }
        guard slots > 0 else { throw VaultError.tampered(what: "the repository has no slots") }
    }

    /// The slots of a snapshot (read only for clone, where every file is in `contents`).
    static func slots(of snapshot: Snapshot) throws -> [PassphraseSlot] {
        var slots: [PassphraseSlot] = []
        for (path, bytes) in snapshot.contents {
            guard case let .slot(label) = place(of: path) else { continue }
            guard let slot = PassphraseSlot(repositoryBytes: bytes), slot.label == label else {
                throw VaultError.tampered(what: "a slot in the repository is malformed")
            }
            slots.append(slot)
        }
        return slots.sorted { Array($0.label.utf8).lexicographicallyPrecedes(Array($1.label.utf8)) }
    }
}
