import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Thumbnails

/// What `photoq --web` starts with.
public struct WebServerOptions: Sendable {
    public var socketPath: String
    /// 0: the system picks a free port.
    public var port: Int
    public var modelDirectory: String
    public var token: AccessToken
    /// Where thumbnails are shared (`$XDG_CACHE_HOME/thumbnails`, else ~/.cache/thumbnails).
    public var thumbnails: ThumbnailStore

    public init(socketPath: String, port: Int, modelDirectory: String, thumbnails: ThumbnailStore,
                token: AccessToken = .random()) {
        self.socketPath = socketPath
        self.port = port
        self.modelDirectory = modelDirectory
        self.thumbnails = thumbnails
        self.token = token
    }

    /// `$PHOTOQ_MODEL_DIR`, else `$XDG_DATA_HOME/photoq/models`, else ~/.local/share/photoq/models (as photoq).
    public static func modelDirectory(_ environment: [String: String]) -> String {
        if let dir = environment["PHOTOQ_MODEL_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/photoq/models" }
        return (environment["HOME"] ?? "/") + "/.local/share/photoq/models"
    }
}

/// The web app: on 127.0.0.1 and, when the system has it, on ::1 at the same
/// port, until SIGINT or SIGTERM. Never on any other address.
public enum WebServer {
    /// Serves until a signal; `announce` receives the address with the token once it is listening.
    public static func run(_ options: WebServerOptions, logger: Logger,
                           announce: @escaping @Sendable (String) -> Void) async throws {
        let port = Mutex(options.port)
        let policy: @Sendable () -> RequestPolicy = { RequestPolicy(token: options.token, port: port.withLock { $0 }) }
        let routes = WebRoutes(gateway: DaemonGateway(socketPath: options.socketPath),
                               explanation: PhotoExplanation(modelDirectory: options.modelDirectory),
                               thumbnails: options.thumbnails, policy: policy)
        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.add(middleware: GuardMiddleware(policy: policy))
            routes.add(to: router)
            return router
        }

        let (listening, listened) = AsyncStream.makeStream(of: Int.self)
        let ipv4 = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: options.port),
                                                                     serverName: nil),
                               onServerRunning: { channel in
                                   listened.yield(channel.localAddress?.port ?? 0)
                                   listened.finish()
                               }, logger: logger)
        // Each child says whether it was the IPv4 server.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                // A failure to bind must not leave the wait for the port hanging.
                defer { listened.finish() }
                try await ServiceGroup(services: [ipv4], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
                return true
            }
            var iterator = listening.makeAsyncIterator()
            guard let bound = await iterator.next() else {
                while try await group.next() != nil {}
                return
            }
            port.withLock { $0 = bound }
            announce("http://127.0.0.1:\(bound)/?token=\(options.token.value)")
            // The IPv6 loopback at the same port; a system without it serves IPv4 only.
            let ipv6 = Application(router: router(), configuration: .init(address: .hostname("::1", port: bound)),
                                   logger: logger)
            group.addTask {
                do {
                    try await ServiceGroup(services: [ipv6], gracefulShutdownSignals: [.sigterm, .sigint],
                                           logger: logger).run()
                } catch {
                    logger.notice("not serving on [::1]:\(bound): \(error)")
                }
                return false
            }
            // The IPv4 server ends on a signal (or fails); the IPv6 one goes with it.
            while let wasIPv4 = try await group.next(), !wasIPv4 {}
            group.cancelAll()
        }
    }
}
