import ArgumentParser
import Vault
import VaultOperations

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "Share the vault with teammates by their public keys.",
        discussion: """
            A member slot holds the data key sealed to a teammate's public key (from their \
            `twvault identity new`). They unlock with their own passphrase, which opens their identity. \
            Removing a member rekeys the vault: they cannot open anything written afterwards, but keep \
            whatever they already copied.

            Examples:
              twvault member add bob twvault-pub1-…
              twvault member list
              twvault member remove bob
            """,
        subcommands: [MemberAdd.self, MemberList.self, MemberRemove.self])
}

struct MemberAdd: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a member: wrap the data key to their public key.",
        discussion: """
            Needs the vault unlocked (a session is enough). A public key with a wrong checksum is refused \
            (exit 64).

            Example:
              twvault member add bob "$(cat bob.pub)"
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The member's name (a slot label).") var name: String
    @Argument(help: "The member's public key line, twvault-pub1-….") var publicKey: String

    func validate() throws {
        guard Names.isValidProfile(name) else {
            throw ValidationError(
                "invalid member name '\(Names.printable(name))': use 1-64 letters, digits, '.', '_' or '-'")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let key = try PublicKeyText.decode(publicKey)
        let file = try access.open()
        if try file.slots().contains(where: { $0.label == name }) { throw VaultError.slotExists(name) }
        let vault = try access.unlock(file)
        try vault.addMember(name: name, publicKey: key, now: access.context.now())
        access.context.output.info("added member '\(name)'")
    }
}

struct MemberList: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the slots: members with their public keys, and passphrase slots.",
        discussion: """
            Needs no passphrase.

            Examples:
              twvault member list
              twvault member list --json
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        let name: String
        let kind: String
        let publicKey: String?
        let createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case name, kind
            case publicKey = "public_key"
            case createdAt = "created_at"
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let rows = try access.open().slots().map { slot in
            Row(
                name: Names.display(slot.label), kind: slot.kind.rawValue,
                publicKey: slot.publicKey.map(PublicKeyText.encode), createdAt: slot.createdAt)
        }
        if json {
            access.context.output.stdout(try JSONOutput.encode(rows))
            return
        }
        for row in rows {
            access.context.output.stdout(
                "\(row.name)\t\(row.kind)" + (row.publicKey.map { "\t\($0)" } ?? "") + "\n")
        }
    }
}

struct MemberRemove: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a member and rekey the vault.",
        discussion: """
            Always asks for your passphrase (an unlock session is not enough). The rekey seals every \
            record under a new data key and wraps it again for the other members and for your own slot; \
            other passphrase slots cannot follow and are removed, which needs --yes. Every unlock ends. \
            The removed member keeps whatever they copied before.

            Examples:
              twvault member remove carol
              twvault member remove carol --yes
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The member to remove.") var name: String
    @Flag(help: "Also remove the other passphrase slots the rekey cannot keep.") var yes = false

    func validate() throws {
        guard Names.isValidProfile(name) else {
            throw ValidationError("invalid member name '\(Names.printable(name))'")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        guard try file.slots().contains(where: { $0.label == name && $0.isMember }) else {
            throw VaultError.memberNotFound(name)
        }
        let vault = try access.unlock(file, allowSession: false)
        try Rekeying.run(vault, removing: [name], yes: yes, access: access)
        access.context.output.info("removed member '\(name)'")
    }
}
