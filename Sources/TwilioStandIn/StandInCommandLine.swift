import Foundation
import TwilioAuth

/// The flags of the `twilio-standin` executable.
public struct StandInCommandLine: Sendable {
    public var host = "127.0.0.1"
    public var port = 0
    public var configuration = StandInConfiguration()
    public var exitOnStandardInputEOF = false
    public var showHelp = false

    public static let usage = """
        usage: twilio-standin [options]
          --port N                    listen on 127.0.0.1:N (default 0: a free port)
          --client ID[:SECRET]        register an OAuth client (no secret: a public client)
          --redirect-uri URI          allow URI for the client named just before
          --account SID:AUTH_TOKEN    register an account
          --api-key AC_SID:SK_SID:SECRET  register an API key of an account
          --token-lifetime SECONDS    access token lifetime (default 3600)
          --token-format jwt|opaque   access token format (default jwt)
          --no-expires-in             leave expires_in out of token responses
          --page-size N               default page size of list answers (default 50)
          --seed FILE                 JSON with "clients", "accounts" and settings (docs/STANDIN.md)
          --exit-on-stdin-eof         stop when standard input closes
        Prints http://127.0.0.1:PORT on one line when ready; stops on SIGTERM or SIGINT.
        """

    public init() {}

    public static func parse(_ arguments: [String]) throws(StandInError) -> StandInCommandLine {
        var result = StandInCommandLine()
        var rest = arguments[...]
        func value(_ flag: String) throws(StandInError) -> String {
            guard let value = rest.popFirst() else { throw .usage("\(flag) needs a value") }
            return value
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws(StandInError) -> Int {
            let text = try value(flag)
            guard let number = Int(text), range.contains(number) else {
                throw .usage("\(flag) takes a number in \(range)")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--help", "-h":
                result.showHelp = true
            case "--port":
                result.port = try integer(flag, 0...65535)
            case "--client":
                let text = try value(flag)
                let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let secret = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
                result.configuration.clients.append(StandInClient(id: String(parts[0]), secret: secret))
            case "--redirect-uri":
                let uri = try value(flag)
                guard !result.configuration.clients.isEmpty else {
                    throw .usage("--redirect-uri must follow a --client")
                }
                result.configuration.clients[result.configuration.clients.count - 1].redirectURIs.append(uri)
            case "--account":
                let parts = try value(flag).split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw .usage("--account takes SID:AUTH_TOKEN") }
                result.configuration.accounts.append(StandInAccount(sid: parts[0], authToken: parts[1]))
            case "--api-key":
                let parts = try value(flag).split(separator: ":", maxSplits: 2).map(String.init)
                guard parts.count == 3,
                    let index = result.configuration.accounts.firstIndex(where: { $0.sid == parts[0] })
                else { throw .usage("--api-key takes AC_SID:SK_SID:SECRET of an account given before") }
                result.configuration.accounts[index].apiKeys.append(StandInAPIKey(sid: parts[1], secret: parts[2]))
            case "--token-lifetime":
                result.configuration.tokenLifetime = try integer(flag, 0...Int(Int32.max))
            case "--token-format":
                guard let format = StandInConfiguration.TokenFormat(rawValue: try value(flag)) else {
                    throw .usage("--token-format is jwt or opaque")
                }
                result.configuration.tokenFormat = format
            case "--no-expires-in":
                result.configuration.sendsExpiresIn = false
            case "--page-size":
                result.configuration.listPageSize = try integer(flag, 1...1000)
            case "--seed":
                try result.applySeed(path: try value(flag))
            case "--exit-on-stdin-eof":
                result.exitOnStandardInputEOF = true
            default:
                throw .usage("unknown option \(flag)\n\(usage)")
            }
        }
        return result
    }

    /// {"clients": [{"id", "secret", "redirect_uris"}], "accounts": [{"sid", "auth_token",
    ///  "friendly_name", "api_keys": [{"sid", "secret", "friendly_name"}]}],
    ///  "token_lifetime": N, "token_format": "jwt"|"opaque", "send_expires_in": bool, "list_page_size": N}
    mutating func applySeed(path: String) throws(StandInError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .usage("cannot read \(path)") }
        guard let seed = JSONValue.parse(Array(data)), seed.objectValue != nil else {
            throw .usage("\(path) is not a JSON object")
        }
        for client in seed["clients"]?.arrayValue ?? [] {
            guard let id = client["id"]?.stringValue else { throw .usage("\(path): a client needs an id") }
            configuration.clients.append(
                StandInClient(
                    id: id, secret: client["secret"]?.stringValue,
                    redirectURIs: client["redirect_uris"]?.arrayValue?.compactMap(\.stringValue) ?? []))
        }
        for account in seed["accounts"]?.arrayValue ?? [] {
            guard let sid = account["sid"]?.stringValue, let token = account["auth_token"]?.stringValue else {
                throw .usage("\(path): an account needs sid and auth_token")
            }
            let keys = (account["api_keys"]?.arrayValue ?? []).compactMap { key -> StandInAPIKey? in
                guard let sid = key["sid"]?.stringValue, let secret = key["secret"]?.stringValue else { return nil }
                return StandInAPIKey(sid: sid, secret: secret, friendlyName: key["friendly_name"]?.stringValue ?? "")
            }
            configuration.accounts.append(
                StandInAccount(
                    sid: sid, authToken: token, apiKeys: keys,
                    friendlyName: account["friendly_name"]?.stringValue ?? "Stand-in account"))
        }
        if let lifetime = seed["token_lifetime"]?.numberValue { configuration.tokenLifetime = Int(lifetime) }
        if let format = seed["token_format"]?.stringValue {
            guard let parsed = StandInConfiguration.TokenFormat(rawValue: format) else {
                throw .usage("\(path): token_format is jwt or opaque")
            }
            configuration.tokenFormat = parsed
        }
        if case .bool(let flag)? = seed["send_expires_in"] { configuration.sendsExpiresIn = flag }
        if let size = seed["list_page_size"]?.numberValue { configuration.listPageSize = max(1, Int(size)) }
    }
}
