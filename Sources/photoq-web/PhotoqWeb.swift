import ArgumentParser
import BLASRuntime
import Client
import FoundationEssentials
import Glibc
import Logging
import Thumbnails
import WebApp

/// photoq-web: the local web app `photoq --web` hands over to.
@main
struct PhotoqWeb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photoq-web",
        abstract: "Serve photoq's search, \"why?\" and \"more like this\" to a browser on this machine.",
        discussion: """
            Listens on 127.0.0.1 (and ::1) only. The first line of output is the address to open; it carries \
            a random access token, without which every request is refused. Stop with Ctrl-C.
            """)

    @Option(help: "photoqd's socket (default: $PHOTOQ_SOCKET, else $XDG_RUNTIME_DIR/photoq/photoq.sock).")
    var socket: String?

    @Option(help: "The port to listen on (0: any free port).")
    var port: Int = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
    }

    func run() async throws {
        // Explanations run the backbone on OpenBLAS: with the kernels this CPU can run.
        OpenBLASCore.restartWithBetterCoreIfNeeded()
        let environment = ProcessInfo.processInfo.environment
        // Logs go to stderr: stdout's first line is the address, for people and scripts.
        var logger = Logger(label: "photoq-web") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = environment["PHOTOQ_WEB_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        let options = WebServerOptions(socketPath: PhotoqClient.socketPath(flag: socket, environment: environment),
                                       port: port, modelDirectory: WebServerOptions.modelDirectory(environment),
                                       thumbnails: .fromEnvironment(environment))
        try await WebServer.run(options, logger: logger) { address in
            print(address)
            fflush(nil)  // at once: whoever started us waits for this line
        }
    }
}
