import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat

/// `photoq-model bench text`: how long the sentence encoder takes for one
/// query (the search path's latency) and how many sentences per second it
/// embeds in batches (the training path's throughput), for float32 and
/// integer dense layers side by side.
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Measure the sentence encoder (fp32 and int8): milliseconds per query and sentences per second in batches.")

    @Option(help: "Short queries to time one at a time.")
    var queries = 200

    @Option(help: "Sentences to embed in batch mode (0 skips it).")
    var sentences = 2000

    @Option(help: "Sentences per encode(batch:) call in batch mode.")
    var batchSize = 256

    @Option(help: "OpenBLAS threads (the < 20 ms per query target is for 1).")
    var threads = 1

    @Option(help: "Flickr8k captions file (name#i<TAB>caption) for batch mode; default: generated captions.")
    var captions: String?

    @Option(help: "With --captions: only captions of the photos this file lists (e.g. Flickr_8k.devImages.txt).")
    var splitList: String?

    @Option(name: .customLong("model-dir"), help: "Directory of the installed models (default: $PHOTOQ_MODEL_DIR).")
    var modelDirectory: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard queries > 0 else { throw ValidationError("--queries must be positive.") }
        guard sentences >= 0, batchSize > 0 else { throw ValidationError("--sentences must be >= 0 and --batch-size positive.") }
        guard threads > 0 else { throw ValidationError("--threads must be positive.") }
    }

    @Option(help: "Precisions to measure, comma-separated (fp32, int8); the first is the baseline of the ratio.")
    var precisions = "fp32,int8"

    /// One precision's figures.
    struct Figures {
        let precision: TextPrecision
        var queryMedian = 0.0, queryP95 = 0.0, queryCPUMedian = 0.0, queryCPUP95 = 0.0, queryTokens = 0.0
        var batchRate: Double?, batchCPURate: Double?, batchTokens: Double?
        /// The batch sentences' embeddings, for comparing precisions.
        var embeddings: [[Float]] = []
    }

    func run() throws {
        openblas_set_num_threads(Int32(threads))
        let chosen = try precisions.split(separator: ",").map { name -> TextPrecision in
            guard let precision = TextPrecision(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw ValidationError("--precisions: \(name) is not fp32 or int8.")
            }
            return precision
        }
        guard !chosen.isEmpty else { throw ValidationError("--precisions names none.") }
        let texts = try sentences > 0 ? (captions.map { try Self.flickrCaptions($0, limit: sentences, splitList: splitList) }
            ?? Self.generatedCaptions(sentences)) : []
        var encoders: [SentenceEncoder] = []
        for precision in chosen { encoders.append(try SentenceEncoder(modelDirectory: modelDirectory, precision: precision)) }
        let figures = encoders.map { measure($0, batchTexts: texts) }
        // How far the last precision's embeddings are from the first's, sentence by sentence.
        let cosines = figures.count > 1 && !texts.isEmpty
            ? zip(figures[0].embeddings, figures[figures.count - 1].embeddings).map(Self.cosine) : []
        let meanCosine = cosines.isEmpty ? nil : cosines.reduce(0, +) / Double(cosines.count)

        if json {
            var document: [String: Any] = ["version": 2, "threads": threads, "queries": queries]
            if !texts.isEmpty { document["batch_sentences"] = texts.count; document["batch_size"] = batchSize }
            for f in figures { document[f.precision.rawValue] = jsonFields(f) }
            if figures.count > 1, let ratio = cpuRatio(figures[0], figures[figures.count - 1]) {
                document["query_cpu_ratio"] = ratio
            }
            if let meanCosine, let minimum = cosines.min() {
                document["cosine_mean"] = meanCosine
                document["cosine_min"] = minimum
            }
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let encoder = encoders[0]
        print("sentence encoder: \(encoder.tokenizer.vocabulary.count) tokens, \(encoder.dimension)-d, OpenBLAS threads \(threads)")
        for f in figures {
            let cpu = threads == 1 ? String(format: " (CPU time: median %.2f ms, p95 %.2f ms)", f.queryCPUMedian, f.queryCPUP95) : ""
            print(String(format: "%@ query: %d queries (%.1f tokens on average): median %.2f ms, p95 %.2f ms",
                         f.precision.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0), queries, f.queryTokens,
                         f.queryMedian, f.queryP95) + cpu)
            if let rate = f.batchRate, let tokens = f.batchTokens {
                let perCPU = f.batchCPURate.map { String(format: " (%.0f per CPU second)", $0) } ?? ""
                print(String(format: "%@ batch: %d sentences (%.1f tokens on average, %d per call): %.0f sentences/s",
                             f.precision.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0), texts.count, tokens,
                             batchSize, rate) + perCPU)
            }
        }
        if figures.count > 1 {
            let (base, other) = (figures[0], figures[figures.count - 1])
            var line = "\(other.precision.rawValue) / \(base.precision.rawValue):"
            if let ratio = cpuRatio(base, other) { line += String(format: " query CPU time × %.2f", ratio) }
            if let a = base.batchCPURate, let b = other.batchCPURate {
                line += String(format: ", batch sentences per CPU second × %.2f", b / a)
            } else if let a = base.batchRate, let b = other.batchRate {
                line += String(format: ", batch sentences/s × %.2f", b / a)
            }
            print(line)
            if let meanCosine, let minimum = cosines.min() {
                print(String(format: "%@ vs %@ embeddings of the %d batch sentences: mean cosine %.5f, min %.5f",
                             other.precision.rawValue, base.precision.rawValue, cosines.count, meanCosine, minimum))
            }
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return dot / (aa * bb).squareRoot()
    }

    private func cpuRatio(_ base: Figures, _ other: Figures) -> Double? {
        guard threads == 1, base.queryCPUMedian > 0 else { return nil }
        return other.queryCPUMedian / base.queryCPUMedian
    }

    private func jsonFields(_ f: Figures) -> [String: Any] {
        var fields: [String: Any] = ["query_ms_median": f.queryMedian, "query_ms_p95": f.queryP95,
                                     "query_tokens_mean": f.queryTokens]
        if threads == 1 {
            fields["query_cpu_ms_median"] = f.queryCPUMedian
            fields["query_cpu_ms_p95"] = f.queryCPUP95
        }
        if let rate = f.batchRate, let tokens = f.batchTokens {
            fields["batch_sentences_per_second"] = rate
            fields["batch_tokens_mean"] = tokens
            if let cpu = f.batchCPURate { fields["batch_sentences_per_cpu_second"] = cpu }
        }
        return fields
    }

    /// Query latency one at a time, then batch throughput, for one encoder.
    private func measure(_ encoder: SentenceEncoder, batchTexts texts: [String]) -> Figures {
        var figures = Figures(precision: encoder.precision)
        let queryTexts = Self.generatedQueries(queries)
        for text in queryTexts.prefix(10) { _ = encoder.encode(text) } // warm the mapped pages
        // Wall time is what a user waits; with one BLAS thread all work runs
        // on this thread, so its CPU time is the cost on one core even when
        // other processes compete for the machine.
        var milliseconds: [Double] = []
        var cpuMilliseconds: [Double] = []
        var tokenCount = 0
        for text in queryTexts {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.threadCPUSeconds()
            let vector = encoder.encode(text)
            cpuMilliseconds.append((Self.threadCPUSeconds() - cpuStart) * 1e3)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            precondition(vector.count == encoder.dimension)
            tokenCount += encoder.tokenize(text).count
        }
        (figures.queryMedian, figures.queryP95) = Self.medianAndP95(milliseconds)
        (figures.queryCPUMedian, figures.queryCPUP95) = Self.medianAndP95(cpuMilliseconds)
        figures.queryTokens = Double(tokenCount) / Double(queryTexts.count)
        guard !texts.isEmpty else { return figures }
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = Self.threadCPUSeconds()
        var index = 0
        while index < texts.count {
            let end = min(index + batchSize, texts.count)
            figures.embeddings += encoder.encode(batch: Array(texts[index..<end]))
            index = end
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        figures.batchRate = Double(texts.count) / seconds
        // This thread's CPU time covers all the work only with one BLAS thread.
        if threads == 1 { figures.batchCPURate = Double(texts.count) / (Self.threadCPUSeconds() - cpuStart) }
        figures.batchTokens = Double(texts.reduce(0) { $0 + encoder.tokenize($1).count }) / Double(texts.count)
        return figures
    }

    static func medianAndP95(_ values: [Double]) -> (Double, Double) {
        let sorted = values.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))])
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Deterministic short search queries ("red car near a bridge").
    static func generatedQueries(_ count: Int) -> [String] {
        let subjects = ["dog", "red car", "child", "old man", "two women", "black cat", "bicycle", "sailing boat",
                        "group of friends", "brown horse", "snowboarder", "birthday cake", "street market"]
        let places = ["on a beach", "in the snow", "near a bridge", "at night", "in a park", "on a mountain",
                      "by the river", "in the kitchen", "at sunset", "under a tree", ""]
        return (0..<count).map { i in
            let subject = subjects[i % subjects.count]
            let place = places[(i / subjects.count + i) % places.count]
            return place.isEmpty ? subject : "\(subject) \(place)"
        }
    }

    /// Deterministic caption-length sentences for batch mode.
    static func generatedCaptions(_ count: Int) -> [String] {
        let queries = generatedQueries(count)
        let actions = ["is running", "plays with a ball", "sits quietly", "jumps over a fence", "looks at the camera"]
        return queries.enumerated().map { i, query in "a \(query) \(actions[i % actions.count])" }
    }

    /// Captions from a Flickr8k token file, at most `limit`, of the photos
    /// `splitList` names if given.
    static func flickrCaptions(_ path: String, limit: Int, splitList: String? = nil) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("Cannot read captions file \(path).")
        }
        var photos: Set<String>?
        if let splitList {
            guard let list = try? String(contentsOfFile: splitList, encoding: .utf8) else {
                throw ValidationError("Cannot read split list \(splitList).")
            }
            photos = Set(list.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let captions = text.split(separator: "\n").compactMap { line -> String? in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            if let photos, !photos.contains(String(line[..<tab].prefix { $0 != "#" })) { return nil }
            return String(line[line.index(after: tab)...])
        }
        guard !captions.isEmpty else { throw ValidationError("No name#i<TAB>caption lines in \(path).") }
        return Array(captions.prefix(limit))
    }
}
