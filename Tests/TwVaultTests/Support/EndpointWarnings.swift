/// The tests point Twilio's endpoints at the stand-in through `TWVAULT_*_URL`, and every command
/// that contacts a redirected endpoint says so in one warning line (DESIGN §4, "Endpoints").

/// Whether `line` is the warning about a redirected endpoint.
func isEndpointWarning(_ line: some StringProtocol) -> Bool {
    line.hasPrefix("twvault: warning: ")
        && (line.contains(" (TWVAULT_TOKEN_URL), not Twilio") || line.contains(" (TWVAULT_API_URL), not Twilio")
            || line.contains(" (TWVAULT_ACCOUNTS_URL), not Twilio")
            || line.contains(" (TWVAULT_AUTHORIZE_URL), not Twilio"))
}

/// The lines of `stderr` other than the warnings about redirected endpoints.
func linesBesideEndpointWarnings(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { !isEndpointWarning($0) }
}

/// The warnings about redirected endpoints in `stderr`.
func endpointWarnings(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { isEndpointWarning($0) }
}
