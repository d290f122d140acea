import FoundationEssentials
import Vault
import VaultCrypto
import VaultStore

#if canImport(Glibc)
    import Glibc
#endif

/// What one `sync` did.
public struct SyncSummary: Sendable {
    public var url: String
    /// Files taken from the repository into the vault.
    public var taken = 0
    /// Files of the vault sent to the repository.
    public var sent = 0
    /// (profile, the name its other version was kept under)
    public var conflicts: [(profile: String, copy: String)] = []
    /// Pushes refused because someone pushed first.
    public var retries = 0
    /// The repository had been rekeyed (a member was removed): this vault took the new data
    /// key through this user's member slot, and its unlock sessions ended.
    public var adoptedNewKey = false
}

extension RepositorySync {
    struct LocalFile {
        var bytes: [UInt8]
        var digest: [UInt8]
        var updatedAt: Int64
    }

    struct MergePlan {
        var local = RepositoryChanges()
        var files: [String: [UInt8]?] = [:]
        var entries: [String: ManifestEntry] = [:]
        var conflicts: [(profile: String, copy: String)] = []
        var taken = 0
        var sent = 0
    }

    /// Holds `<vault>.sync.lock` for the life of the value: one sync (or clone) at a time.
    final class SyncLock {
        private let fd: Int32

        init(path: String) throws {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                throw OperationError.temporary("cannot open \(path): \(String(cString: strerror(errno)))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw OperationError.temporary("another sync of this vault is running: try again when it has finished")
            }
        }

        deinit { close(fd) }
    }

    /// Opens a whole repository state under `keys` — its header must name them, its manifest
    /// open and every file check against it — and returns its records, for a new vault file
    /// (clone) or one that follows a rekey.
    static func openWhole(_ snapshot: inout Snapshot, keys: RepositoryKeys) throws -> [RecordRow] {
        guard snapshot.header.keyID == keys.keyID else {
            throw VaultError.tampered(what: "the repository header names another data key than its slots hold")
        }
        snapshot.manifest = try keys.open(snapshot.sealedManifest)
        try verify(&snapshot, keys: keys, base: nil)
        var rows: [RecordRow] = []
        for (path, entry) in snapshot.manifest.entries {
            guard case let .record(profile, kind) = place(of: path), let bytes = snapshot.contents[path] else {
                continue
            }
            rows.append(RecordRow(profile: profile, kind: kind, sealed: bytes, updatedAt: entry.updatedAt))
        }
        return rows
    }

    /// Reads the last merged commit: it was checked when it was merged or made, and lives
    /// in the vault's own directory, so only its listing and manifest are read.
    static func loadBase(git: Git, keys: RepositoryKeys, ref: String = Git.baseRef) throws -> Snapshot? {
        guard let commit = try git.resolve(ref) else { return nil }
        let tree = try git.tree(commit)
        guard let headerID = tree[headerPath], let manifestID = tree[manifestPath] else { return nil }
        let blobs = try git.blobs([headerID, manifestID])
        let header = try Header(parsing: blobs[headerID] ?? [])
        // After a rekey the old base cannot be opened: merge as if there were none.
        guard header.keyID == keys.keyID else { return nil }
        return Snapshot(
            commit: commit, header: header, manifest: try keys.open(blobs[manifestID] ?? []),
            sealedManifest: blobs[manifestID] ?? [], tree: tree, contents: [:])
    }

    // MARK: sync

    /// fetch → check → merge record by record against the base → write the vault in one
    /// transaction → commit → push; again from the fetch when someone pushed first.
    public static func sync(
        _ opened: UnlockedVault, vaultPath: String, url newURL: String?, context: Context
    ) throws -> SyncSummary {
        var vault = opened
        if let newURL { try checkURL(newURL) }
        let mirror = mirrorPath(of: vaultPath)
        let lock = try SyncLock(path: vaultPath + ".sync.lock")
        defer { withExtendedLifetime(lock) {} }
        let git = Git(context: context, directory: mirror)
        if access(mirror, F_OK) != 0 {
            guard let newURL else {
                throw OperationError.notFound(
                    "no remote is known for this vault: run `twvault sync --remote URL` once (a bare git repository, ssh or https)"
                )
            }
            try git.initialize(url: newURL)
        } else if let newURL {
            try git.setURL(newURL)
        }
        guard let url = try git.url() else {
            throw OperationError.notFound("no remote is known for this vault: run `twvault sync --remote URL` once")
        }
        var keys = try vault.repositoryKeys()
        let vaultID = vault.file.vaultID
        var header = Header(vaultID: vaultID, keyID: keys.keyID, createdAt: try vault.file.createdAt())
        var base = try loadBase(git: git, keys: keys)
        // The last merged commit's header, also when it is sealed under a key this vault no
        // longer has (a rekey made here since).
        let baseCommit = try git.resolve(Git.baseRef)
        let baseHeader = try baseCommit.flatMap { try RepositorySync.header(of: $0, git: git) }
        var summary = SyncSummary(url: url)
        for attempt in 1...pushAttempts {
            try git.fetch(url: url)
            var remote: Snapshot?
            let remoteCommit = try git.resolve(Git.remoteRef)
            // A commit this vault made and pushed, whose push was not recorded as merged (a crash
            // right after the push): everything in it is in the vault, so it is the base.
            if let remoteCommit, let outgoing = try git.resolve(Git.outgoingRef), outgoing != base?.commit,
                try git.isAncestor(outgoing, of: remoteCommit),
                try base.map({ try git.isAncestor($0.commit, of: outgoing) }) ?? true,
                let made = try loadBase(git: git, keys: keys, ref: Git.outgoingRef)
            {
                try git.updateRef(Git.baseRef, to: outgoing)
                base = made
            }
            var rekeyedHere = false
            if let commit = remoteCommit, let theirs = try RepositorySync.header(of: commit, git: git),
                theirs.vaultID == vaultID, theirs.keyID != keys.keyID, let baseHeader, baseHeader.keyID == theirs.keyID
            {
                // This vault was rekeyed since its last sync: the repository is still under the
                // old key, which is gone. Everything is sent again under the new key, which is
                // safe only if nobody pushed since this vault's last merge.
                guard commit == baseCommit else {
                    throw OperationError.temporary(
                        "this vault was rekeyed after its last sync and others pushed since, under the old key it no longer has: ask a member to sync first, or push the rekey from a vault that synced last"
                    )
                }
                rekeyedHere = true
                base = nil
            } else if let commit = remoteCommit, let theirs = try RepositorySync.header(of: commit, git: git),
                theirs.vaultID == vaultID, theirs.keyID != keys.keyID
            {
                let adopted = try adoptNewKey(commit, vault: vault, keys: keys, base: base, git: git)
                vault = adopted.vault
                keys = adopted.keys
                base = adopted.snapshot
                header = Header(vaultID: vaultID, keyID: keys.keyID, createdAt: header.createdAt)
                try git.updateRef(Git.baseRef, to: commit)
                summary.adoptedNewKey = true
            }
            if let commit = remoteCommit, !rekeyedHere {
                remote = try check(commit, git: git, keys: keys, vaultID: vaultID, base: base).0
            } else if base != nil && !rekeyedHere {
                throw VaultError.tampered(
                    what: "the repository's branch is gone although this vault was synced with it: check the remote")
            }
            let local = try vault.repositorySnapshot()
            let plan = try merge(
                base: base, remote: remote, records: local.records, slots: local.slots, keys: keys, git: git)
            try vault.apply(plan.local)
            if let remote {
                // The vault now holds everything of `remote`: it is the base of what follows.
                try git.updateRef(Git.baseRef, to: remote.commit)
                base = remote
            }
            CrashPoint.reached(.syncApplied, context)
            summary.taken += plan.taken
            summary.conflicts += plan.conflicts
            if plan.files.isEmpty, remote?.header == header {
                summary.sent = 0
                return summary
            }
            var files = plan.files.map { (path: $0.key, bytes: $0.value) }
            if rekeyedHere, let commit = remoteCommit {
                // Files of the old key that the new state does not have go.
                for path in try git.tree(commit).keys
                where path != headerPath && path != manifestPath && plan.entries[path] == nil {
                    files.append((path, nil))
                }
            }
            files.sort { $0.path < $1.path }
            let counter = max(remote?.manifest.writeCounter ?? 0, base?.manifest.writeCounter ?? 0) + 1
            let manifest = RepositoryManifest(writeCounter: counter, entries: plan.entries)
            files.append((headerPath, header.bytes))
            files.append((manifestPath, try keys.seal(manifest)))
            let commit = try git.commit(
                parent: remoteCommit, files: files,
                message: "twvault sync: \(plan.sent) change(s)", time: context.now())
            CrashPoint.reached(.syncCommitted, context)
            switch try git.push(commit, url: url) {
            case .pushed:
                CrashPoint.reached(.syncPushed, context)
                try git.updateRef(Git.baseRef, to: commit)
                summary.sent = plan.sent
                return summary
            case .rejected:
                summary.retries = attempt
                continue
            }
        }
        throw OperationError.temporary(
            "others pushed to \(RepositorySync.shown(url)) \(pushAttempts) times while this sync ran: run `twvault sync` again"
        )
    }

    /// The header of a commit, or nil when it has none.
    static func header(of commit: String, git: Git) throws -> Header? {
        let tree = try git.tree(commit)
        guard let id = tree[headerPath], let bytes = try git.blobs([id])[id] else { return nil }
        return try Header(parsing: bytes)
    }

    /// The repository is sealed under another data key: a member was removed and the vault
    /// rekeyed elsewhere. The new key comes from this user's member slot in the repository,
    /// opened with the identity the vault was opened with (no question asked); without one,
    /// or when no slot is this identity's (a removed member), 77 and nothing changes. The
    /// repository is checked in full under the new key, the vault takes its content in one
    /// transaction, and changes not yet synced are sealed under the new key and kept.
    static func adoptNewKey(
        _ commit: String, vault: UnlockedVault, keys: RepositoryKeys, base: Snapshot?, git: Git
    ) throws -> (vault: UnlockedVault, keys: RepositoryKeys, snapshot: Snapshot) {
        guard let identity = vault.memberIdentity else {
            throw OperationError.accessDenied(
                "the repository was rekeyed (a member was removed) and this vault was not opened through a member slot: clone it again with an identity that is a member"
            )
        }
        var (snapshot, _) = try check(commit, git: git, keys: nil, vaultID: vault.file.vaultID, base: nil)
        let newKeys: RepositoryKeys
        do {
            newKeys = try RepositoryKeys.unlock(
                slots: try slots(of: snapshot), vaultID: vault.file.vaultID, identity: identity)
        } catch VaultError.wrongPassphrase {
            throw OperationError.accessDenied(
                "the repository was rekeyed and no member slot in it is sealed to your identity: you are no longer a member"
            )
        }
        let rows = try openWhole(&snapshot, keys: newKeys)
        // What this vault changed since the last merge, sealed under the new key.
        var pending = RepositoryChanges()
        if let base {
            let local = try vault.repositorySnapshot()
            var present = Set<String>()
            for row in local.records {
                let path = recordPath(profile: row.profile, kind: row.kind)
                present.insert(path)
                guard base.manifest.entries[path]?.digest != SHA256.hash(row.sealed) else { continue }
                let sealed = try keys.transfer(row.sealed, profile: row.profile, kind: row.kind, to: newKeys)
                pending.putRecords.append(
                    RecordRow(profile: row.profile, kind: row.kind, sealed: sealed, updatedAt: row.updatedAt))
            }
            for path in base.manifest.entries.keys where !present.contains(path) {
                if case let .record(profile, kind) = place(of: path),
                    snapshot.manifest.entries[path] != nil
                {
                    pending.deleteRecords.append((profile, kind))
                }
            }
        }
        let adopted = try vault.adopt(newKeys, slots: try slots(of: snapshot), records: rows)
        try adopted.apply(pending)
        return (adopted, newKeys, snapshot)
    }

    // MARK: merge

    static func merge(
        base: Snapshot?, remote: Snapshot?, records: [RecordRow], slots: [PassphraseSlot], keys: RepositoryKeys,
        git: Git
    ) throws -> MergePlan {
        var localFiles: [String: LocalFile] = [:]
        for row in records {
            guard isKind(row.kind) else {
                throw VaultError.invalidName(
                    "the record kind '\(Names.printable(row.kind))' cannot be synced: only lowercase letters, digits, '-' and '_'"
                )
            }
            localFiles[recordPath(profile: row.profile, kind: row.kind)] = LocalFile(
                bytes: row.sealed, digest: SHA256.hash(row.sealed), updatedAt: row.updatedAt)
        }
        for slot in slots {
            let bytes = slot.repositoryBytes
            localFiles[slotPath(label: slot.label)] = LocalFile(
                bytes: bytes, digest: SHA256.hash(bytes), updatedAt: slot.createdAt)
        }
        let baseEntries = base?.manifest.entries ?? [:]
        let remoteEntries = remote?.manifest.entries ?? [:]
        var plan = MergePlan()
        plan.entries = remoteEntries

        func remoteBytes(_ path: String) throws -> [UInt8] {
            if let bytes = remote?.contents[path] { return bytes }
            guard let id = remote?.tree[path], let bytes = try git.blobs([id])[id] else {
                throw VaultError.tampered(what: "a file the manifest lists is missing")
            }
            return bytes
        }
        func takeRemote(_ path: String) throws {
            plan.taken += 1
            guard let place = place(of: path) else { return }
            if let entry = remoteEntries[path] {
                let bytes = try remoteBytes(path)
                switch place {
                case let .record(profile, kind):
                    plan.local.putRecords.append(
                        RecordRow(profile: profile, kind: kind, sealed: bytes, updatedAt: entry.updatedAt))
                case .slot:
                    guard let slot = PassphraseSlot(repositoryBytes: bytes) else {
                        throw VaultError.tampered(what: "a slot in the repository is malformed")
                    }
                    plan.local.putSlots.append(slot)
                }
            } else {
                switch place {
                case let .record(profile, kind): plan.local.deleteRecords.append((profile, kind))
                case let .slot(label): plan.local.deleteSlots.append(label)
                }
            }
        }
        func keepLocal(_ path: String) {
            plan.sent += 1
            if let file = localFiles[path] {
                let version = max(baseEntries[path]?.version ?? 0, remoteEntries[path]?.version ?? 0) + 1
                plan.entries[path] = ManifestEntry(version: version, updatedAt: file.updatedAt, digest: file.digest)
                plan.files[path] = .some(file.bytes)
            } else {
                plan.entries[path] = nil
                plan.files[path] = .some(nil)
            }
        }

        // profile -> the losing side's versions of what both sides changed
        var conflicted: [String: (loserIsLocal: Bool, kinds: [String: ([UInt8], Int64)])] = [:]
        let paths = Set(localFiles.keys).union(baseEntries.keys).union(remoteEntries.keys).sorted()
        for path in paths {
            let b = baseEntries[path]?.digest
            let l = localFiles[path]?.digest
            let r = remoteEntries[path]?.digest
            if l == r { continue }
            if l == b {
                try takeRemote(path)
                continue
            }
            if r == b {
                keepLocal(path)
                continue
            }
            // Changed on both sides. A deletion loses against a change: nothing is lost.
            guard let mine = localFiles[path] else {
                try takeRemote(path)
                continue
            }
            guard let theirs = remoteEntries[path] else {
                keepLocal(path)
                continue
            }
            let localWins =
                mine.updatedAt > theirs.updatedAt
                || (mine.updatedAt == theirs.updatedAt && !mine.digest.lexicographicallyPrecedes(theirs.digest))
            if case let .record(profile, kind) = place(of: path), kind != RecordKind.token.rawValue {
                let loser = localWins ? (try remoteBytes(path), theirs.updatedAt) : (mine.bytes, mine.updatedAt)
                var entry = conflicted[profile] ?? (loserIsLocal: !localWins, kinds: [:])
                entry.kinds[kind] = loser
                conflicted[profile] = entry
            }
            if localWins { keepLocal(path) } else { try takeRemote(path) }
        }

        for profile in conflicted.keys.sorted() {
            guard var conflict = conflicted[profile] else { continue }
            let profilePath = recordPath(profile: profile, kind: RecordKind.profile.rawValue)
            if conflict.kinds[RecordKind.profile.rawValue] == nil {
                if conflict.loserIsLocal, let file = localFiles[profilePath] {
                    conflict.kinds[RecordKind.profile.rawValue] = (file.bytes, file.updatedAt)
                } else if !conflict.loserIsLocal, let entry = remoteEntries[profilePath] {
                    conflict.kinds[RecordKind.profile.rawValue] = (try remoteBytes(profilePath), entry.updatedAt)
                }
            }
            guard
                let copy = conflictName(
                    for: profile,
                    taken: { name in
                        let prefix = "records/\(ByteEncoding.hex(Array(name.utf8)))/"
                        return localFiles.keys.contains { $0.hasPrefix(prefix) }
                            || plan.entries.keys.contains { $0.hasPrefix(prefix) }
                    })
            else { continue }
            for (kind, (bytes, updatedAt)) in conflict.kinds.sorted(by: { $0.key < $1.key }) {
                let sealed = try keys.reseal(bytes, profile: profile, kind: kind, as: copy)
                let path = recordPath(profile: copy, kind: kind)
                plan.local.putRecords.append(RecordRow(profile: copy, kind: kind, sealed: sealed, updatedAt: updatedAt))
                plan.entries[path] = ManifestEntry(version: 1, updatedAt: updatedAt, digest: SHA256.hash(sealed))
                plan.files[path] = .some(sealed)
                plan.sent += 1
            }
            plan.conflicts.append((profile, copy))
        }
        return plan
    }

    /// `NAME.conflict-N` with the lowest N not in use (a valid profile name), or nil.
    static func conflictName(for profile: String, taken: (String) -> Bool) -> String? {
        for number in 1...1000 {
            let name = "\(profile).conflict-\(number)"
            guard (try? Names.validateProfile(name)) != nil else {
                // Too long: shorten the base name so that the suffix fits.
                let suffix = ".conflict-\(number)"
                let shortened = String(decoding: Array(profile.utf8.prefix(64 - suffix.utf8.count)), as: UTF8.self)
                let candidate = shortened + suffix
                if (try? Names.validateProfile(candidate)) != nil, !taken(candidate) { return candidate }
                continue
            }
            if !taken(name) { return name }
        }
        return nil
    }

    // MARK: clone

    /// Makes a vault at `vaultPath` from the repository at `url`, checked as `sync` checks
    /// what it pulls, with the mirror beside it remembering the URL.
    public static func clone(
        url: String, vaultPath: String, identityPath: String, context: Context,
        passphrase: () throws -> SecretBytes
    ) throws -> (vault: UnlockedVault, profiles: Int) {
        try checkURL(url)
        if access(vaultPath, F_OK) == 0 { throw VaultError.vaultExists(path: vaultPath) }
        try SecureFiles.checkVaultDirectory(SecureFiles.directory(of: vaultPath), create: true)
        let lock = try SyncLock(path: vaultPath + ".sync.lock")
        defer { withExtendedLifetime(lock) {} }
        let mirror = mirrorPath(of: vaultPath)
        // A mirror without its vault is what an interrupted clone left.
        if access(mirror, F_OK) == 0 { try? FileManager.default.removeItem(atPath: mirror) }
        let git = Git(context: context, directory: mirror)
        do {
            try git.initialize(url: url)
            try git.fetch(url: url)
            guard let commit = try git.resolve(Git.remoteRef) else {
                throw OperationError.notFound(
                    "the repository at \(RepositorySync.shown(url)) is empty: push a vault to it first with `twvault sync --remote URL`"
                )
            }
            var (snapshot, _) = try check(commit, git: git, keys: nil, vaultID: nil, base: nil)
            let slots = try slots(of: snapshot)
            let secret = try passphrase()
            let keys = try RepositoryKeys.unlock(
                slots: slots, vaultID: snapshot.header.vaultID, passphrase: secret, identityPath: identityPath)
            let rows = try openWhole(&snapshot, keys: keys)
            let vault = try VaultFile.create(
                path: vaultPath, from: keys, createdAt: snapshot.header.createdAt, slots: slots, records: rows)
            try git.updateRef(Git.baseRef, to: commit)
            let profiles = Set(rows.filter { $0.kind == RecordKind.profile.rawValue }.map(\.profile)).count
            return (vault, profiles)
        } catch {
            if access(vaultPath, F_OK) != 0 { try? FileManager.default.removeItem(atPath: mirror) }
            throw error
        }
    }
}
