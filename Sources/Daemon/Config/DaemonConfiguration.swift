import Foundation
import PhotoqProtocol

/// Everything photoqd needs to know to run: from flags, the config file and
/// the environment, flags winning.
public struct DaemonConfiguration: Sendable {
    /// Absolute, standardised folders to index.
    public var roots: [String]
    /// Folder names or absolute folder paths never descended into (besides hidden ones).
    public var excludes: [String]
    /// Where the LMDB index and its lock live.
    public var stateDirectory: String
    /// The Unix socket to listen on (unless socket-activated).
    public var socketPath: String
    /// Threads for decoding photos.
    public var threads: Int
    /// Photos embedded per batch (one write transaction per batch).
    public var batchSize: Int
    /// Paths queued at most; scans wait when the queue is full.
    public var queueCapacity: Int
    /// Seconds between full rescans when inotify watches ran out.
    public var pollInterval: Double
    /// Seconds a client may take to send a complete request.
    public var clientTimeout: Double
    /// Where the models live.
    public var modelDirectory: String?
    public var logLevel: LogLevel
    /// Working memory all photo decodes together may use (the decode budget,
    /// `decode_memory_mb`); nil: `DecodeBudget.standard`'s 192 MiB.
    public var decodeMemoryBytes: Int?
    /// Treat the inotify watch limit as reached after this many watches, as
    /// if fs.inotify.max_user_watches were that low (tests of the fallback).
    public var simulatedWatchLimit: Int?
    /// Seconds between checks that each root is there (a missing one is
    /// picked up when it appears; a vanished one is hidden).
    public var rootCheckInterval: Double = 2
    /// Photos whose shorter side is under this many pixels are skipped as
    /// too small (`min_side`): icons and tracking pixels, not photos.
    public var minimumSide = DaemonConfiguration.defaultMinimumSide
    public static let defaultMinimumSide = 64

    public init(roots: [String], excludes: [String] = [], stateDirectory: String, socketPath: String,
                threads: Int = 2, batchSize: Int = 16, queueCapacity: Int = 4096, pollInterval: Double = 300,
                clientTimeout: Double = 5, modelDirectory: String? = nil, logLevel: LogLevel = .info) {
        self.roots = roots
        self.excludes = excludes
        self.stateDirectory = stateDirectory
        self.socketPath = socketPath
        self.threads = threads
        self.batchSize = batchSize
        self.queueCapacity = queueCapacity
        self.pollInterval = pollInterval
        self.clientTimeout = clientTimeout
        self.modelDirectory = modelDirectory
        self.logLevel = logLevel
    }

    /// `$XDG_CONFIG_HOME/photoq/config.toml`.
    public static func defaultConfigPath(environment: [String: String]) -> String {
        xdg("XDG_CONFIG_HOME", fallback: ".config", environment) + "/photoq/config.toml"
    }

    /// `$XDG_STATE_HOME/photoq`.
    public static func defaultStateDirectory(environment: [String: String]) -> String {
        xdg("XDG_STATE_HOME", fallback: ".local/state", environment) + "/photoq"
    }

    private static func xdg(_ name: String, fallback: String, _ environment: [String: String]) -> String {
        if let v = environment[name], v.hasPrefix("/") { return v }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/" + fallback
    }

    /// Values from flags; nil/empty means "not given".
    public struct Overrides: Sendable {
        public var roots: [String] = []
        public var excludes: [String] = []
        public var stateDirectory: String?
        public var socketPath: String?
        public var threads: Int?
        public var batchSize: Int?
        public var pollInterval: Double?
        public var modelDirectory: String?
        public var logLevel: LogLevel?
        public var decodeMemoryMiB: Int?
        public var minimumSide: Int?
        public init() {}
    }

    /// Merges the config file at `configPath` (missing is fine unless `configRequired`) with `overrides`.
    public static func load(configPath: String?, overrides: Overrides,
                            environment: [String: String]) throws(DaemonError) -> DaemonConfiguration {
        let path = configPath ?? defaultConfigPath(environment: environment)
        var file: [String: ConfigValue] = [:]
        if FileManager.default.fileExists(atPath: path) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw DaemonError(.configuration, "cannot read \(path): \(error.localizedDescription)")
            }
            file = try ConfigFile.parse(text, source: path)
        } else if configPath != nil {
            throw DaemonError(.configuration, "config file \(path) does not exist")
        }
        let known: Set = ["roots", "excludes", "state_dir", "socket", "threads", "batch_size", "poll_interval",
                          "model_dir", "log_level", "decode_memory_mb", "min_side"]
        if let unknown = file.keys.sorted().first(where: { !known.contains($0) }) {
            throw DaemonError(.configuration, "\(path): unknown key `\(unknown)` (known: \(known.sorted().joined(separator: ", ")))")
        }
        func strings(_ key: String) throws(DaemonError) -> [String] {
            switch file[key] {
            case nil: return []
            case .strings(let s): return s
            case .string(let s): return [s]
            default: throw DaemonError(.configuration, "\(path): `\(key)` must be an array of strings")
            }
        }
        func string(_ key: String) throws(DaemonError) -> String? {
            switch file[key] {
            case nil: return nil
            case .string(let s): return s
            default: throw DaemonError(.configuration, "\(path): `\(key)` must be a string")
            }
        }
        func integer(_ key: String) throws(DaemonError) -> Int? {
            switch file[key] {
            case nil: return nil
            case .integer(let n): return n
            default: throw DaemonError(.configuration, "\(path): `\(key)` must be an integer")
            }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ p: String) -> String {
            let tilde = p == "~" ? home : p.hasPrefix("~/") ? home + p.dropFirst() : p
            return URL(fileURLWithPath: tilde).standardizedFileURL.path
        }

        // Paths among the excludes are expanded like roots; bare names match a
        // folder of that name at any depth.
        let excludes = try (strings("excludes") + overrides.excludes)
            .map { $0.hasPrefix("~") || $0.hasPrefix("/") ? expand($0) : $0 }
        let excludedPaths = excludes.filter { $0.hasPrefix("/") }
        let named = (overrides.roots.isEmpty ? try strings("roots") : overrides.roots).map(expand)
        guard !named.isEmpty else {
            throw DaemonError(.configuration, "no photo folders: pass --root DIR or set roots = [\"~/Pictures\"] in \(path)")
        }
        let roots = named.filter { root in !excludedPaths.contains { root == $0 || root.hasPrefix($0 + "/") } }
        guard !roots.isEmpty else {
            throw DaemonError(.configuration, "every root is excluded: \(named.joined(separator: ", "))")
        }
        // A missing root is fine (a disk not plugged in yet: the daemon
        // waits for it); something else at its path is a mistake.
        for root in roots {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root, isDirectory: &isDir), !isDir.boolValue {
                throw DaemonError(.configuration, "root \(root) is not a directory")
            }
        }
        let fileThreads = try integer("threads")
        let threads = overrides.threads ?? fileThreads ?? max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        guard (1...256).contains(threads) else { throw DaemonError(.configuration, "threads must be between 1 and 256") }
        let fileBatch = try integer("batch_size")
        let batch = overrides.batchSize ?? fileBatch ?? 16
        guard (1...1024).contains(batch) else { throw DaemonError(.configuration, "batch_size must be between 1 and 1024") }
        var level = overrides.logLevel ?? .info
        if overrides.logLevel == nil, let name = try string("log_level") {
            guard let l = LogLevel(name: name) else { throw DaemonError(.configuration, "\(path): unknown log_level `\(name)`") }
            level = l
        }
        let filePoll = try integer("poll_interval")
        let poll = overrides.pollInterval ?? filePoll.map(Double.init) ?? 300
        guard poll > 0 else { throw DaemonError(.configuration, "poll_interval must be positive") }
        let fileDecodeMiB = try integer("decode_memory_mb")
        let decodeMiB = overrides.decodeMemoryMiB ?? fileDecodeMiB
        if let decodeMiB, !(16...65536).contains(decodeMiB) {
            throw DaemonError(.configuration, "decode_memory_mb must be between 16 and 65536")
        }
        let fileMinimumSide = try integer("min_side")
        let minimumSide = overrides.minimumSide ?? fileMinimumSide ?? defaultMinimumSide
        guard (0...65536).contains(minimumSide) else {
            throw DaemonError(.configuration, "min_side must be between 0 (keep every size) and 65536")
        }
        let fileState = try string("state_dir")
        let fileSocket = try string("socket")
        let fileModels = try string("model_dir")
        var configuration = DaemonConfiguration(
            roots: roots,
            excludes: excludes,
            stateDirectory: expand(overrides.stateDirectory ?? fileState ?? defaultStateDirectory(environment: environment)),
            socketPath: expand(overrides.socketPath ?? fileSocket ?? UnixSocket.defaultPath(environment: environment)),
            threads: threads,
            batchSize: batch,
            pollInterval: poll,
            modelDirectory: (overrides.modelDirectory ?? fileModels).map(expand),
            logLevel: level)
        configuration.decodeMemoryBytes = decodeMiB.map { $0 << 20 }
        configuration.minimumSide = minimumSide
        return configuration
    }
}
