import ArgumentParser
import BLASRuntime
import Daemon
import Foundation
import ModelFormat
import Thumbnails

/// photoqd: indexes photo folders and answers photoq's queries on a Unix socket.
struct PhotoqDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photoqd",
        abstract: "Index photo folders and serve semantic searches to photoq.",
        discussion: """
            Settings come from $XDG_CONFIG_HOME/photoq/config.toml (keys: roots, excludes, state_dir, socket, \
            threads, batch_size, poll_interval, model_dir, log_level, decode_memory_mb, min_side); flags override it. Runs without a config \
            file when --root is given. Stops gracefully on SIGTERM or SIGINT.

            EXIT STATUS: 0 stopped by a signal, 64 usage, 69 models missing, 71 socket error, 74 index error, \
            75 another photoqd uses the state directory or socket, 78 bad configuration.
            """)

    @Option(name: .customLong("root"), help: "A folder to index (repeatable; replaces the config file's roots).",
            completion: .directory)
    var roots: [String] = []

    @Option(name: .customLong("exclude"), help: "A folder name or absolute folder path to skip (repeatable).")
    var excludes: [String] = []

    @Option(help: "The state directory holding the index (default: $XDG_STATE_HOME/photoq).", completion: .directory)
    var db: String?

    @Option(help: "The Unix socket to listen on (default: $XDG_RUNTIME_DIR/photoq/photoq.sock).", completion: .file())
    var socket: String?

    @Option(help: "The config file (default: $XDG_CONFIG_HOME/photoq/config.toml).", completion: .file())
    var config: String?

    @Option(help: "Threads decoding photos.")
    var threads: Int?

    @Option(help: "Photos embedded per batch.")
    var batchSize: Int?

    @Option(help: "Seconds between rescans when inotify watches are exhausted.")
    var pollInterval: Double?

    @Option(help: "The model directory (default: $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).", completion: .directory)
    var models: String?

    @Option(help: "error, warning, notice, info or debug.")
    var logLevel: String?

    @Option(name: .customLong("decode-memory-mb"),
            help: "MiB of working memory all photo decodes together may use; bigger photos are refused (default 192).")
    var decodeMemoryMiB: Int?

    @Option(name: .customLong("min-side"),
            help: "Skip photos whose shorter side is under this many pixels (icons, tracking pixels; default 64, 0 keeps all).")
    var minimumSide: Int?

    @Flag(help: "Write freedesktop thumbnails ($XDG_CACHE_HOME/thumbnails/normal) from the decodes done for indexing, for photoq --preview, the web app and file managers.")
    var thumbnails = false

    @Option(help: ArgumentHelp("Add random vectors until this many exist under /synthetic, then serve (benchmarks).",
                               visibility: .hidden))
    var benchSyntheticVectors: Int?

    func validate() throws {
        if let logLevel, LogLevel(name: logLevel) == nil {
            throw ValidationError("--log-level must be one of error, warning, notice, info, debug.")
        }
    }

    func run() throws {
        // Before any thread starts, so SIGTERM reaches only the sigwait below.
        SignalWaiter.blockTerminationSignals()
        let environment = ProcessInfo.processInfo.environment
        var overrides = DaemonConfiguration.Overrides()
        overrides.roots = roots
        overrides.excludes = excludes
        // Under systemd, StateDirectory= names the place for the index.
        overrides.stateDirectory = db ?? environment["STATE_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        overrides.socketPath = socket
        overrides.threads = threads
        overrides.batchSize = batchSize
        overrides.pollInterval = pollInterval
        overrides.modelDirectory = models
        overrides.logLevel = logLevel.flatMap(LogLevel.init(name:))
        overrides.decodeMemoryMiB = decodeMemoryMiB
        overrides.minimumSide = minimumSide
        do {
            try serve(overrides: overrides, environment: environment)
        } catch {
            Log(threshold: .error, environment: environment).error(error.message)
            throw ExitCode(Self.status(for: error.code))
        }
    }

    /// Runs until SIGTERM/SIGINT, then stops gracefully.
    private func serve(overrides: DaemonConfiguration.Overrides, environment: [String: String]) throws(DaemonError) {
        let configuration = try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: environment)
        let log = Log(threshold: configuration.logLevel, environment: environment)
        let embedder = try ModelEmbedder(modelDirectory: configuration.modelDirectory ?? ModelPaths.modelDirectory,
                                         threads: configuration.threads, decodeMemoryBytes: configuration.decodeMemoryBytes,
                                         minimumSide: configuration.minimumSide,
                                         thumbnails: thumbnails ? IngestThumbnails(store: .fromEnvironment(environment)) : nil)
        if let count = benchSyntheticVectors {
            do {
                let added = try SyntheticVectors.fill(stateDirectory: configuration.stateDirectory, embedder: embedder, count: count)
                log.notice("added \(added) synthetic vectors")
            } catch {
                throw DaemonError(.index, "cannot add synthetic vectors: \(error)")
            }
        }
        // What answers queries in the old space while a new model re-embeds the library.
        let archive = ModelSnapshots(stateDirectory: configuration.stateDirectory) { directory in
            try ModelEmbedder(modelDirectory: directory, threads: configuration.threads,
                              decodeMemoryBytes: configuration.decodeMemoryBytes, minimumSide: configuration.minimumSide)
        }
        let daemon = try PhotoDaemon(configuration: configuration, embedder: embedder, log: log, environment: environment,
                                     archive: archive)
        daemon.start()
        let signal = SignalWaiter.wait()
        log.info("received signal \(signal)")
        daemon.stop()
    }

    static func status(for code: DaemonError.Code) -> Int32 {
        switch code {
        case .configuration: 78
        case .model: 69
        case .socket: 71
        case .index: 74
        case .alreadyRunning: 75
        default: 70
        }
    }
}

// The backbone runs on OpenBLAS: with the kernels this CPU can run.
OpenBLASCore.restartWithBetterCoreIfNeeded()
PhotoqDaemonCommand.main()
