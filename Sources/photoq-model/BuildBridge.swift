import ArgumentParser
import Foundation
import Model
import ModelFormat

/// `photoq-model build-bridge`: embeds every ImageNet class as text for the
/// zero-shot bridge (imagenet-class-text.safetensors in the model directory).
struct BuildBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-bridge",
        abstract: "Embed the ImageNet classes as text for the zero-shot bridge.",
        discussion: """
            Each class's vector is the normalised mean of MiniLM embeddings of its name in caption-like \
            templates, its WordNet synonyms and its WordNet gloss (from imagenet-wnids.txt and WordNet's \
            data.noun when present, else the names alone).
            """)

    @Option(name: [.customLong("model-dir"), .customLong("models")],
            help: "Model directory (default $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var modelDir: String?

    @Option(help: "WordNet noun data file.")
    var wordnet = WordNetNouns.defaultPath

    // 10 was the best of {1, 3, 5, 10} on Flickr8k dev (docs/quality.md).
    @Option(help: "Default number of top classes a photo's bridge vector mixes (a trained model stores its own).")
    var topT = 10

    @Option(help: "Output file (default imagenet-class-text.safetensors in the model directory).")
    var out: String?

    func validate() throws {
        guard topT >= 1 else { throw ValidationError("--top-t must be at least 1") }
    }

    func run() throws {
        let names = try readLines(ModelPaths.model(ModelPaths.imagenetClasses, in: modelDir))
        let wnidPath = ModelPaths.model("imagenet-wnids.txt", in: modelDir)
        let wnids = FileManager.default.fileExists(atPath: wnidPath) ? try readLines(wnidPath) : nil
        let nouns = wnids == nil ? nil : try? WordNetNouns(path: wordnet)
        if wnids == nil || nouns == nil { stderrLine("note: no WordNet ids or data; using class names only") }
        let encoder = try SentenceEncoder(modelDirectory: modelDir)
        let d = encoder.dimension
        var classText = [Float]()
        classText.reserveCapacity(names.count * d)
        var withGloss = 0
        for (c, name) in names.enumerated() {
            let synset = wnids.flatMap { c < $0.count ? nouns?.synset(imagenetID: $0[c]) : nil }
            if synset != nil { withGloss += 1 }
            let vectors = encoder.encode(batch: ClassPhrases.phrases(name: name, synset: synset))
            var mean = [Float](repeating: 0, count: d)
            for v in vectors { for j in 0..<d { mean[j] += v[j] } }
            classText += normalizedL2(mean)
            if (c + 1) % 100 == 0 { stderrLine("classes \(c + 1)/\(names.count)") }
        }
        var writer = WeightFileWriter(metadata: [
            "kind": "photoq zero-shot bridge", "top_t": String(topT), "classes": String(names.count),
            "synsets_found": String(withGloss), "encoder": encoder.bert.configuration.hiddenSize == d ? "minilm-l6" : "?",
        ])
        writer.add(ZeroShotBridge.tensorName, shape: [names.count, d], values: classText)
        let path = out ?? ModelPaths.model(JointModelFiles.bridge, in: modelDir)
        try writer.write(to: path)
        stderrLine("wrote \(path): \(names.count) classes, \(withGloss) with WordNet synonyms and gloss")
    }

    private func readLines(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read \(path); run scripts/convert-models")
        }
        return text.split(separator: "\n").map(String.init)
    }
}
