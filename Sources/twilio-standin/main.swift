// A stand-in for Twilio on 127.0.0.1, for shell scripts, the demo and end-to-end tests.
import Foundation
import TwilioStandIn

let options: StandInCommandLine
do {
    options = try StandInCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("twilio-standin: \(error)\n".utf8))
    exit(64)
}
if options.showHelp {
    print(StandInCommandLine.usage)
    exit(0)
}

let standIn: TwilioStandIn
do {
    standIn = try await TwilioStandIn.start(options.configuration, host: options.host, port: options.port)
} catch {
    FileHandle.standardError.write(Data("twilio-standin: cannot listen on port \(options.port): \(error)\n".utf8))
    exit(69)
}

// Signals arrive through dispatch sources, so shutdown runs as ordinary code, not in a handler.
var signalSources: [any DispatchSourceSignal] = []
for signalNumber in [SIGTERM, SIGINT] {
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler { Task { await standIn.shutdown() } }
    source.resume()
    signalSources.append(source)
}
if options.exitOnStandardInputEOF {
    DispatchQueue.global().async {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(STDIN_FILENO, &buffer, buffer.count) > 0 {}
        Task { await standIn.shutdown() }
    }
}

// Written unbuffered: the line is the readiness signal for whoever started us.
FileHandle.standardOutput.write(Data((standIn.baseURL + "\n").utf8))
await standIn.waitUntilShutDown()
exit(0)
