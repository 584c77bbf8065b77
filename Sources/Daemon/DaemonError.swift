/// A daemon failure with a code tests can match and a message saying how to fix it.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Bad flags or config file.
        public static let configuration = Code("configuration")
        /// The socket could not be set up.
        public static let socket = Code("socket")
        /// Another photoqd already uses this state directory or socket.
        public static let alreadyRunning = Code("already_running")
        /// The index could not be opened or written.
        public static let index = Code("index")
        /// The models could not be loaded.
        public static let model = Code("model")
        /// inotify could not be set up.
        public static let watcher = Code("watcher")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
