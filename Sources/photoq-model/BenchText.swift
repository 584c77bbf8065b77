import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat

/// `photoq-model bench text`: how long the sentence encoder takes for one
/// query (the search path's latency) and how many sentences per second it
/// embeds in batches (the training path's throughput).
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Measure the sentence encoder: milliseconds per query and sentences per second in batches.")

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

    @Option(name: .customLong("model-dir"), help: "Directory of the installed models (default: $PHOTOQ_MODEL_DIR).")
    var modelDirectory: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard queries > 0 else { throw ValidationError("--queries must be positive.") }
        guard sentences >= 0, batchSize > 0 else { throw ValidationError("--sentences must be >= 0 and --batch-size positive.") }
        guard threads > 0 else { throw ValidationError("--threads must be positive.") }
    }

    func run() throws {
        openblas_set_num_threads(Int32(threads))
        let encoder = try SentenceEncoder(modelDirectory: modelDirectory)

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
        let (median, p95) = Self.medianAndP95(milliseconds)
        let (cpuMedian, cpuP95) = Self.medianAndP95(cpuMilliseconds)
        let meanTokens = Double(tokenCount) / Double(queryTexts.count)

        var batchRate: Double?
        var batchCPURate: Double?
        var batchTokens: Double?
        if sentences > 0 {
            let texts = try captions.map { try Self.flickrCaptions($0, limit: sentences) }
                ?? Self.generatedCaptions(sentences)
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.threadCPUSeconds()
            var index = 0
            while index < texts.count {
                let end = min(index + batchSize, texts.count)
                _ = encoder.encode(batch: Array(texts[index..<end]))
                index = end
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            batchRate = Double(texts.count) / seconds
            // This thread's CPU time covers all the work only with one BLAS thread.
            if threads == 1 { batchCPURate = Double(texts.count) / (Self.threadCPUSeconds() - cpuStart) }
            batchTokens = Double(texts.reduce(0) { $0 + encoder.tokenize($1).count }) / Double(max(texts.count, 1))
        }

        if json {
            var document: [String: Any] = [
                "version": 1, "threads": threads, "queries": queryTexts.count,
                "query_ms_median": median, "query_ms_p95": p95, "query_tokens_mean": meanTokens,
            ]
            if threads == 1 {
                document["query_cpu_ms_median"] = cpuMedian
                document["query_cpu_ms_p95"] = cpuP95
            }
            if let batchRate, let batchTokens {
                document["batch_sentences"] = sentences
                document["batch_size"] = batchSize
                document["batch_sentences_per_second"] = batchRate
                document["batch_tokens_mean"] = batchTokens
                if let batchCPURate { document["batch_sentences_per_cpu_second"] = batchCPURate }
            }
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("sentence encoder: \(encoder.tokenizer.vocabulary.count) tokens, \(encoder.dimension)-d, OpenBLAS threads \(threads)")
            let cpu = threads == 1 ? String(format: " (CPU time: median %.2f ms, p95 %.2f ms)", cpuMedian, cpuP95) : ""
            print(String(format: "query: %d queries (%.1f tokens on average): median %.2f ms, p95 %.2f ms",
                         queryTexts.count, meanTokens, median, p95) + cpu)
            if let batchRate, let batchTokens {
                let perCPU = batchCPURate.map { String(format: " (%.0f per CPU second)", $0) } ?? ""
                print(String(format: "batch: %d sentences (%.1f tokens on average, %d per call): %.0f sentences/s",
                             sentences, batchTokens, batchSize, batchRate) + perCPU)
            }
        }
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

    /// Captions from a Flickr8k token file, at most `limit`.
    static func flickrCaptions(_ path: String, limit: Int) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("Cannot read captions file \(path).")
        }
        let captions = text.split(separator: "\n").compactMap { line -> String? in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            return String(line[line.index(after: tab)...])
        }
        guard !captions.isEmpty else { throw ValidationError("No name#i<TAB>caption lines in \(path).") }
        return Array(captions.prefix(limit))
    }
}
