import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon keeps what answers queries in the space of the vectors
/// it serves, so that after a model change the old vectors stay searchable
/// while the library is re-embedded in the background.
public protocol ServingModelArchive: Sendable {
    /// An embedder for `modelID` from the copy kept of it; nil when none was
    /// kept or it no longer loads (the daemon then clears the old vectors).
    func embedder(for modelID: String) -> (any PhotoEmbedder)?
    /// Keeps what `embedder` reads in place of any older copy; called once
    /// the index serves its model. Does nothing when that model is kept already.
    func keep(_ embedder: any PhotoEmbedder) throws
}

/// A copy of the model files a `ModelEmbedder` reads, in the state folder
/// (`serving-model/`, private to the user, with a `model-id` file written
/// last). Installing new weights replaces the files in the model folder, so
/// the copy is the only way back to the space of the stored vectors. A copy
/// whose files changed under it is refused: the embedder it loads must
/// still have the recorded model id.
public final class ModelSnapshots: ServingModelArchive, @unchecked Sendable {
    public let directory: String
    private let load: @Sendable (_ modelDirectory: String) throws -> any PhotoEmbedder
    private let lock = NSLock()
    static let idFile = "model-id"

    /// `load` builds the embedder from a model folder (the daemon's own options).
    public init(stateDirectory: String, load: @escaping @Sendable (_ modelDirectory: String) throws -> any PhotoEmbedder) {
        directory = stateDirectory + "/serving-model"
        self.load = load
    }

    /// The model id of the copy kept, if any.
    public var keptModelID: String? {
        (try? String(contentsOfFile: directory + "/" + Self.idFile, encoding: .utf8))
            .map { $0.trimmingCharacters(in: .newlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func embedder(for modelID: String) -> (any PhotoEmbedder)? {
        lock.withLock {
            guard keptModelID == modelID, let embedder = try? load(directory), embedder.modelID == modelID else { return nil }
            return embedder
        }
    }

    public func keep(_ embedder: any PhotoEmbedder) throws {
        guard let model = embedder as? ModelEmbedder else { return }
        try lock.withLock {
            guard keptModelID != model.modelID else { return }
            let fm = FileManager.default
            let staging = directory + ".new"
            try? fm.removeItem(atPath: staging)
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            do {
                for name in model.filesRead {
                    let source = model.modelDirectory + "/" + name
                    let target = staging + "/" + name
                    // A hard link costs nothing and survives the file being replaced
                    // (install-models renames new files in); another file system gets a copy.
                    if link(source, target) != 0 {
                        try fm.copyItem(atPath: source, toPath: target)
                        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
                    }
                }
                // Written last: a copy cut short has no id and is never loaded.
                let id = staging + "/" + Self.idFile
                try Data((model.modelID + "\n").utf8).write(to: URL(fileURLWithPath: id), options: .atomic)
                try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: id)
                let previous = directory + ".old"
                try? fm.removeItem(atPath: previous)
                if fm.fileExists(atPath: directory) { try fm.moveItem(atPath: directory, toPath: previous) }
                try fm.moveItem(atPath: staging, toPath: directory)
                try? fm.removeItem(atPath: previous)
            } catch {
                try? fm.removeItem(atPath: staging)
                throw error
            }
        }
    }
}
