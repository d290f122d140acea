import TwilioStandIn

/// Runs `body` with a stand-in started with `configuration`, and shuts the stand-in down
/// afterwards, also when `body` throws: no server outlives its test.
func withStandIn<T>(_ configuration: StandInConfiguration, _ body: (TwilioStandIn) async throws -> T) async throws -> T
{
    let standIn = try await TwilioStandIn.start(configuration)
    do {
        let value = try await body(standIn)
        await standIn.shutdown()
        return value
    } catch {
        await standIn.shutdown()
        throw error
    }
}
