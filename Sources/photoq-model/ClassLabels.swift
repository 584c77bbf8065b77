import Foundation
import ModelFormat

/// The ImageNet-1k class names written by the converter, one per line.
struct ClassLabels {
    let names: [String]

    init(modelDirectory: String?) throws {
        let path = ModelPaths.model(ModelPaths.imagenetClasses, in: modelDirectory)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ToolError("cannot read class names \(path) (run scripts/convert-models)")
        }
        names = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(1000).map(String.init)
        guard names.count == 1000 else {
            throw ToolError("\(path) has \(names.count) class names, expected 1000 (re-run scripts/convert-models)")
        }
    }

    subscript(index: Int) -> String { names[index] }
}

/// A message for the user; ArgumentParser prints it as "Error: …" and exits 1.
struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
