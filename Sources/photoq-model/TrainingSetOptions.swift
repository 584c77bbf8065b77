import ArgumentParser
import Foundation
import ModelFormat

/// The captioned photos a model trains on and the held-out ones that select
/// it, shared by `train embed` and `train scorer`.
struct TrainingSetOptions: ParsableArguments {
    @Option(help: "Training captions: COCO-format JSON or Flickr8k token file.")
    var captions: String
    @Option(help: "Folder with the training photos.")
    var images: String
    @Option(help: "Only the training photos listed in this file.")
    var splitList: String?
    @Option(help: "Dev captions for model selection (default: the training captions file).")
    var devCaptions: String?
    @Option(help: "Folder with the dev photos (default: --images).")
    var devImages: String?
    @Option(help: "Dev photos list; without dev data nothing is selected on dev.")
    var devSplitList: String?

    var hasDev: Bool { devCaptions != nil || devSplitList != nil }

    /// A data path as recorded in a model's metadata: relative to the data
    /// directory when under it, so shipped models name no machine's paths.
    static func recorded(_ path: String?) -> String {
        guard let path else { return "" }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let data = URL(fileURLWithPath: ModelPaths.dataDirectory).standardizedFileURL.path + "/"
        return absolute.hasPrefix(data) ? "$PHOTOQ_DATA_DIR/" + absolute.dropFirst(data.count) : path
    }
}
