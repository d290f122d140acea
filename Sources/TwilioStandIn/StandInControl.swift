import Foundation
import TwilioAuth

/// The control API under `/__standin/`, for shell scripts and tests that run the stand-in
/// as a separate process. Documented in docs/STANDIN.md. Control requests are not logged.
enum StandInControl {
    static let prefix = "/__standin/"

    static func handle(_ request: StandInRequest, state: StandInState) -> StandInReply.Action {
        let name = String(request.path.dropFirst(prefix.count))
        let query = request.queryItems
        let body = JSONValue.parse(request.body)
        switch (request.method, name) {
        case ("GET", "log"):
            let entries = filtered(state.requests(), query).map(logEntry)
            return StandInState.json(200, .array(entries))
        case ("DELETE", "log"):
            state.clearLog()
            return noContent
        case ("GET", "count"):
            let count = filtered(state.requests(), query).count
            return .respond(
                status: 200, headers: [HeaderField("Content-Type", "text/plain")], body: Array("\(count)\n".utf8))
        case ("POST", "fault"):
            guard let body, let fault = fault(from: body) else {
                return problem("the body must be a JSON fault, e.g. {\"kind\":\"status\",\"status\":500,\"count\":1}")
            }
            state.inject(fault)
            return noContent
        case ("DELETE", "fault"), ("DELETE", "faults"):
            state.clearFaults()
            return noContent
        case ("POST", "reset"):
            state.clearLog()
            state.clearFaults()
            return noContent
        case ("POST", "clients"):
            guard let id = body?["id"]?.stringValue else { return problem("a client needs an id") }
            let redirects = body?["redirect_uris"]?.arrayValue?.compactMap(\.stringValue) ?? []
            state.register(StandInClient(id: id, secret: body?["secret"]?.stringValue, redirectURIs: redirects))
            return noContent
        case ("POST", "accounts"):
            guard let sid = body?["sid"]?.stringValue, let token = body?["auth_token"]?.stringValue else {
                return problem("an account needs sid and auth_token")
            }
            let keys = (body?["api_keys"]?.arrayValue ?? []).compactMap { key -> StandInAPIKey? in
                guard let sid = key["sid"]?.stringValue, let secret = key["secret"]?.stringValue else { return nil }
                return StandInAPIKey(sid: sid, secret: secret, friendlyName: key["friendly_name"]?.stringValue ?? "")
            }
            state.register(
                StandInAccount(
                    sid: sid, authToken: token, apiKeys: keys,
                    friendlyName: body?["friendly_name"]?.stringValue ?? "Stand-in account"))
            return noContent
        case ("GET", "accounts"):
            guard let sid = query["sid"], let account = state.account(sid) else { return notFound }
            return StandInState.json(
                200,
                .object([
                    "sid": .string(account.sid), "auth_token": .string(account.authToken),
                    "secondary_auth_token": account.secondaryAuthToken.map(JSONValue.string) ?? .null,
                    "api_keys": .array(
                        account.apiKeys.map {
                            .object([
                                "sid": .string($0.sid), "secret": .string($0.secret),
                                "friendly_name": .string($0.friendlyName),
                            ])
                        }),
                ]))
        case ("GET", "keys"):
            guard let sid = query["account"], let account = state.account(sid) else { return notFound }
            return StandInState.json(
                200,
                .array(
                    account.apiKeys.map {
                        .object(["sid": .string($0.sid), "friendly_name": .string($0.friendlyName)])
                    }))
        case ("POST", "refresh-token"):
            guard let clientID = body?["client_id"]?.stringValue else { return problem("client_id is required") }
            let token = state.issueRefreshToken(clientID: clientID, scope: body?["scope"]?.stringValue)
            return StandInState.json(200, .object(["refresh_token": .string(token)]))
        case ("POST", "config"):
            guard let body = body?.objectValue else { return problem("the body must be a JSON object") }
            var format: StandInConfiguration.TokenFormat?
            if let text = body["token_format"]?.stringValue {
                guard let parsed = StandInConfiguration.TokenFormat(rawValue: text) else {
                    return problem("token_format is jwt or opaque")
                }
                format = parsed
            }
            state.update { configuration in
                if let lifetime = body["token_lifetime"]?.numberValue { configuration.tokenLifetime = Int(lifetime) }
                if let format { configuration.tokenFormat = format }
                if case .bool(let flag)? = body["send_expires_in"] { configuration.sendsExpiresIn = flag }
                if let size = body["list_page_size"]?.numberValue { configuration.listPageSize = max(1, Int(size)) }
            }
            return noContent
        default:
            return notFound
        }
    }

    /// A fault from its JSON form: {"kind": …, "count": N | "persistent": true, "path": …, "step": …, …}.
    static func fault(from json: JSONValue) -> Fault? {
        guard let kindName = json["kind"]?.stringValue else { return nil }
        let kind: Fault.Kind
        switch kindName {
        case "delay":
            guard let seconds = json["seconds"]?.numberValue, seconds >= 0 else { return nil }
            kind = .delay(.milliseconds(Int64(seconds * 1000)))
        case "status":
            guard let status = json["status"]?.numberValue, (100...599).contains(status) else { return nil }
            kind = .status(Int(status))
        case "429", "too-many-requests":
            let retryAfter =
                json["retry_after"]?.stringValue ?? json["retry_after"]?.numberValue.map { String(Int($0)) }
            kind = .tooManyRequests(retryAfter: retryAfter)
        case "malformed-json": kind = .malformedJSON
        case "oversized-body": kind = .oversizedBody
        case "drop": kind = .dropConnection
        case "never-answer", "hang": kind = .neverAnswer
        case "respond":
            guard let status = json["status"]?.numberValue else { return nil }
            let headers = (json["headers"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { name, value in
                value.stringValue.map { HeaderField(name, $0) }
            }
            kind = .respond(status: Int(status), headers: headers, body: json["body"]?.stringValue ?? "")
        default:
            return nil
        }
        var target = Fault.Target.any
        if let path = json["path"]?.stringValue {
            target = .path(path)
        } else if let stepName = json["step"]?.stringValue {
            guard let step = StandInStep(rawValue: stepName) else { return nil }
            target = .step(step)
        }
        var count: Int? = 1
        if case .bool(true)? = json["persistent"] {
            count = nil
        } else if let value = json["count"]?.numberValue {
            guard value >= 1 else { return nil }
            count = Int(value)
        }
        return Fault(kind, target: target, count: count)
    }

    private static func filtered(_ requests: [RecordedRequest], _ query: [String: String]) -> [RecordedRequest] {
        requests.filter { request in
            (query["path"].map { $0 == request.path } ?? true) && (query["method"].map { $0 == request.method } ?? true)
        }
    }

    private static func logEntry(_ request: RecordedRequest) -> JSONValue {
        .object([
            "method": .string(request.method), "path": .string(request.path), "query": .string(request.query),
            "headers": .array(request.headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": .string(request.bodyText),
        ])
    }

    private static let noContent = StandInReply.Action.respond(status: 204, headers: [], body: [])

    private static let notFound = StandInState.json(404, .object(["error": .string("not found")]))

    private static func problem(_ message: String) -> StandInReply.Action {
        StandInState.json(400, .object(["error": .string(message)]))
    }
}
