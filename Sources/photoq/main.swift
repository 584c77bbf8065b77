import ArgumentParser
import BLASRuntime
import Client
import FoundationEssentials
import Glibc
import PhotoqProtocol

/// photoq: search the photo library indexed by photoqd.
struct Photoq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photoq",
        abstract: "Search your photos by describing them.",
        usage: """
            photoq [options] <text>...
            photoq --similar <photo> [<text>...]
            photoq --explain <id|photo> [<text>...] [--words | --word WORD] [--out FILE] [--json] [--preview[=PROTO]]
            photoq --preview[=kitty|iterm|sixel] <text>...
            photoq --tags <id|photo> [--json]
            photoq --status [--json]
            photoq --web [--port N]
            """,
        discussion: """
            Asks photoqd (the indexing daemon) for the photos that best match the text and prints their paths, \
            best first, one per line; byte-identical copies of a photo follow it as indented "also:" lines. \
            --after and --before go by when a photo was taken (its EXIF capture date; a camera time without \
            a zone counts as UTC), falling back to the file's modification time when the photo does not say. Start the daemon with `systemctl --user enable --now photoqd.socket` \
            or `photoqd --root ~/Pictures`.

            \(ExitStatus.helpTable)
            """,
        version: "photoq 0.1 (protocol \(Wire.version))")

    @Argument(help: "What to look for, e.g. \"dog on a beach\"; with --similar, optional text to add to the photo.")
    var text: [String] = []

    @Option(name: [.customShort("n"), .long], help: "Print at most this many photos.")
    var limit: Int = 10

    @Flag(help: "Print each photo's score (cosine similarity) before its path, tab-separated.")
    var scores = false

    @Flag(help: "Print one JSON document (with \"version\": 1) instead of lines.")
    var json = false

    @Flag(name: .customShort("0"), help: "End each path with NUL instead of a newline, for xargs -0.")
    var nulSeparated = false

    @Option(name: .customLong("in"), help: "Only photos inside this folder.", completion: .directory)
    var folder: String?

    @Option(help: "Only photos taken on or after this day (YYYY-MM-DD, UTC): the EXIF capture date, else the file's modification time.")
    var after: String?

    @Option(help: "Only photos taken before this day (YYYY-MM-DD, UTC): the EXIF capture date, else the file's modification time.")
    var before: String?

    @Flag(help: "List byte-identical copies of a photo as results of their own (by default they are folded into one result: \"also:\" lines, \"also\" in --json; -0 prints only the first).")
    var allCopies = false

    @Option(help: "Find photos like this one (a path or an index id); text arguments refine the query.",
            completion: .file(extensions: ["jpg", "jpeg"]))
    var similar: String?

    @Option(help: ArgumentHelp("Print the photo's tags, most important first (TAG<TAB>SCORE lines, or --json); a photo not in the index is tagged on the spot.", valueName: "id|photo"))
    var tags: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only photos with this tag (repeat for several: all must match), e.g. --tag dog \"on a beach\".", valueName: "tag"))
    var tagFilter: [String] = []

    @Flag(help: "Print the daemon's status: indexed, pending and failed counts, model, roots, watcher.")
    var status = false

    @Flag(help: "List the files not indexed, failed then skipped: CLASS<TAB>PATH<TAB>REASON lines (or --json, -0).")
    var failed = false

    @Flag(help: "Ask the daemon to re-embed photos that failed (they are otherwise retried only when changed).")
    var retryFailed = false

    @Option(help: ArgumentHelp("Explain why the photo with this index id (or this JPEG) matches the text: a heat map over the photo and a score per word. Without text: the last search's text, else the photo's top ImageNet class.", valueName: "id|photo"))
    var explain: String?

    @Option(help: ArgumentHelp("With --explain: write the heat map here (.png or .jpg/.jpeg; default a private file in $XDG_RUNTIME_DIR/photoq or the cache folder, whose path is printed).", valueName: "file"),
            completion: .file(extensions: ["png", "jpg", "jpeg"]))
    var out: String?

    // Unconditional, so that `--min-score -1` reads -1 as the value, not as a flag.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Drop text-search results scoring below this (-1 to 1). Default: the model's calibrated relevance cutoff; -1 keeps every result.", valueName: "score"))
    var minScore: Double?

    @Flag(help: "Serve the local web app (search, \"why?\", more like this) on 127.0.0.1; prints its address with an access token.")
    var web = false

    @Option(help: "With --web: the port to listen on (0: any free port).")
    var port: Int?

    @Flag(help: "With --explain: write a strip, the whole query's heat map then one per word, left to right.")
    var words = false

    @Option(help: ArgumentHelp("With --explain: write this word's heat map instead of the whole query's.", valueName: "word"))
    var word: String?

    @Flag(help: "Keep the joint space's order: skip photoqd's LSTM reranker.")
    var noRerank = false

    @Flag(help: ArgumentHelp("Show each result's thumbnail (and --explain's heat map) in the terminal: kitty, iTerm2 or sixel, detected from the terminal; --preview=kitty, --preview=iterm or --preview=sixel forces one. Plain lines when stdout is not a terminal.", valueName: "=PROTO"))
    var preview = false

    @Option(name: .customLong("preview-protocol"), help: .hidden)
    var previewProtocol: String?

    @Option(help: "photoqd's socket (default: $PHOTOQ_SOCKET, else $XDG_RUNTIME_DIR/photoq/photoq.sock).",
            completion: .file())
    var socket: String?

    func validate() throws {
        let modes = [status, failed, retryFailed, explain != nil, similar != nil, tags != nil, web].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("Use only one of --status, --failed, --retry-failed, --explain, --similar, --tags and --web.") }
        if port != nil && !web { throw ValidationError("--port is for --web.") }
        if web && !query.isEmpty { throw ValidationError("--web takes no search text; type it into the page.") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
        guard (1...Wire.maximumResults).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(Wire.maximumResults).")
        }
        if modes == 0 {
            guard !query.isEmpty else { throw ValidationError("Give the text to search for, e.g. photoq \"dog on a beach\".") }
        }
        if out != nil && explain == nil { throw ValidationError("--out is for --explain.") }
        if (words || word != nil) && explain == nil { throw ValidationError("--words and --word are for --explain.") }
        if words && word != nil { throw ValidationError("Use either --words or --word.") }
        if json && nulSeparated && failed { throw ValidationError("--json already includes the paths; drop -0.") }
        if json && (scores || nulSeparated) { throw ValidationError("--json already includes scores; drop --scores/-0.") }
        if let minScore, !(minScore.isFinite && (-1...1).contains(minScore)) {
            throw ValidationError("--min-score must be between -1 and 1.")
        }
        if let previewProtocol, PreviewArguments.parse(previewProtocol) == nil {
            throw ValidationError("--preview= takes kitty, iterm or sixel, not \(previewProtocol).")
        }
        if preview && (json || nulSeparated || status || failed || retryFailed) {
            throw ValidationError("--preview is for search results and --explain; drop --json, -0, --status, --failed and --retry-failed.")
        }
        _ = try day(after, "--after")
        _ = try day(before, "--before")
    }

    var query: String { String(text.joined(separator: " ").drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let socketPath = PhotoqClient.socketPath(flag: socket, environment: environment)
        let format = OutputFormat(scores: scores, json: json, nulSeparated: nulSeparated, allCopies: allCopies)
        let previewFormat = preview ? previewProtocolToUse(environment) : nil
        do {
            if web { try WebMode.exec(socketPath: socketPath, port: port ?? 0) }
            if let explain {
                var request = ExplainRequest(photo: explain, query: query.isEmpty ? nil : query, out: out, json: json,
                                             words: words, word: word, modelDirectory: modelDirectory(environment), socketPath: socketPath,
                                             environment: environment)
                request.preview = previewFormat
                try emit(Array((PhotoExplaining.run(request) + "\n").utf8))
                return
            }
            if let tags {
                let outcome = try PhotoTags.run(photo: UInt64(tags) != nil && !FileManager.default.fileExists(atPath: tags) ? tags : absolute(tags),
                                                socketPath: socketPath, modelDirectory: modelDirectory(environment))
                if let note = outcome.document.note { writeStandardError("photoq: \(note)") }
                try emit(json ? outcome.json : Array(outcome.lines.utf8))
                return
            }
            let client = try PhotoqClient(socketPath: socketPath)
            if status {
                try emit(format.render(status: client.status(), socket: socketPath))
                return
            }
            if failed {
                try emit(FailedFiles.render(FailedFiles.fetch(client), format: format))
                return
            }
            if retryFailed {
                let queued = try client.reindex(failedOnly: true).queued
                writeStandardError("queued \(queued) photos for another try")
                return
            }
            let filters = SearchFilters(folder: folder.map(absolute), modifiedAfter: try day(after, "--after"),
                                        modifiedBefore: try day(before, "--before"),
                                        tags: tagFilter.isEmpty ? nil : tagFilter)
            let hits: [SearchHit]
            if let similar {
                let reference: PhotoReference = FileManager.default.fileExists(atPath: similar) || UInt64(similar) == nil
                    ? PhotoReference(path: absolute(similar)) : PhotoReference(id: UInt64(similar)!)
                hits = try client.similar(SimilarRequest(photo: reference, text: query.isEmpty ? nil : query,
                                                         k: limit, filters: filters, minScore: minScore))
            } else {
                // photoqd reranks the head of the list when it has a reranker.
                hits = try client.search(SearchRequest(text: query, k: limit, filters: filters, minScore: minScore,
                                                       rerank: noRerank ? false : nil))
            }
            if similar == nil { LastQuery(environment: environment).save(query) }
            let pending = client.lastPending
            // For people on stderr; scripts read stdout (and --json's "pending").
            if let pending, pending > 0 { writeStandardError("warning: \(pending) photos still being indexed") }
            let cutoff = client.lastCutoff
            if let previewFormat {
                let renderer = PreviewRenderer(format: previewFormat, store: .fromEnvironment(environment))
                try emit(renderer.render(hits: allCopies ? hits.flatMap(\.everyCopy) : hits, warn: writeStandardError))
            } else {
                try emit(format.render(hits: hits, query: query.isEmpty ? nil : query, similarTo: similar, pending: pending,
                                       cutoff: cutoff))
            }
            if hits.isEmpty {
                if let cutoff, cutoff.below > 0 {
                    writeStandardError("no photo scored above the relevance cutoff \(cutoff.minScore) (\(cutoff.below) below it; --min-score -1 shows them)")
                }
                throw ExitCode(ExitStatus.noMatch.rawValue)
            }
        } catch let failure as ClientFailure {
            writeStandardError("photoq: \(failure.message)")
            throw ExitCode(failure.status.rawValue)
        }
    }

    /// The protocol to show previews with; nil (plain lines) when stdout is
    /// not a terminal, or with a hint when the terminal shows no images.
    private func previewProtocolToUse(_ environment: [String: String]) -> PreviewProtocol? {
        let outcome = PreviewDetection.decide(forced: previewProtocol.flatMap(PreviewArguments.parse),
                                              standardOutputIsTerminal: TerminalQuery.standardOutputIsTerminal,
                                              environment: environment,
                                              deviceAttributes: { TerminalQuery.deviceAttributes() })
        switch outcome {
        case let .show(format): return format
        case .notATerminal: return nil
        case .unsupported:
            writeStandardError(PreviewDetection.hint)
            return nil
        }
    }

    /// `$PHOTOQ_MODEL_DIR`, else `$XDG_DATA_HOME/photoq/models`, else ~/.local/share/photoq/models.
    private func modelDirectory(_ environment: [String: String]) -> String {
        if let dir = environment["PHOTOQ_MODEL_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/photoq/models" }
        return (environment["HOME"] ?? "/") + "/.local/share/photoq/models"
    }

    /// Seconds since 1970 at 00:00 UTC of a YYYY-MM-DD day.
    private func day(_ text: String?, _ flag: String) throws -> Double? {
        guard let text else { return nil }
        guard let day = CalendarDay(text) else {
            throw ValidationError("\(flag) expects a day as YYYY-MM-DD (years \(CalendarDay.years.lowerBound) to \(CalendarDay.years.upperBound)), not \(text).")
        }
        return day.secondsSince1970
    }

    private func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for c in joined.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    private func emit(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            // A closed pipe (photoq … | head -1) is not an error worth reporting.
            if n <= 0 { throw ExitCode(errno == EPIPE ? 0 : ExitStatus.software.rawValue) }
            offset += n
        }
    }
}

private func writeStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

signal(SIGPIPE, SIG_IGN)
/// The arguments as their exact bytes (lossless `PathBytes` strings): a path
/// that is not UTF-8 (`--similar`, `--in`, `--explain`) must reach the daemon
/// as the name it indexed, not with U+FFFD where its bytes were.
private func losslessArguments() -> [String] {
    (1..<Int(CommandLine.argc)).map { i in
        guard let argument = CommandLine.unsafeArgv[i] else { return "" }
        return PathBytes.string(UnsafeBufferPointer(start: argument, count: strlen(argument)).map { UInt8(bitPattern: $0) })
    }
}

let arguments = PreviewArguments.expand(losslessArguments())
// An explanation runs the backbone on OpenBLAS; a search multiplies nothing
// here and does not pay for a restart.
if arguments.contains(where: { $0 == "--explain" || $0.hasPrefix("--explain=") }) {
    OpenBLASCore.restartWithBetterCoreIfNeeded()
}
Photoq.main(arguments)
