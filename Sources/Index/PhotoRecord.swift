/// Everything the index stores about one photo.
public struct PhotoRecord: Sendable, Equatable {
    /// Stable id, allocated by `PhotoIndex` (0 means "allocate one").
    public var id: UInt64
    /// The file's path as the daemon read it: a lossless string in which
    /// bytes that are not UTF-8 are escapes (`PathBytes` in PhotoqProtocol),
    /// stored and keyed by its UTF-8. Compare paths by `utf8`, not `==`
    /// (which takes NFC and NFD spellings, two files, for one).
    public var path: String
    /// `st_dev` and `st_ino`: identify the file across renames.
    public var device: UInt64
    public var inode: UInt64
    public var size: UInt64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64
    /// `ContentHash.of(path:)`: finds moved or copied files by content.
    public var contentHash: UInt64
    /// The model that produced `vector` and `feature`.
    public var modelID: String
    /// vector (D): the photo in the joint visual–text space; empty while the
    /// photo waits to be (re-)embedded.
    public var vector: [Float]
    /// feature (1280): the backbone's pooled feature, input of the reranker;
    /// empty when not stored.
    public var feature: [Float]
    /// When the photo was taken (its EXIF capture date); nil when the file
    /// does not record one, and in records written before dates were kept.
    public var taken: CaptureTime?
    /// The decoder's name for the file's format ("jpeg", "png", "heic", …);
    /// empty in records written before formats were kept.
    public var format: String
    /// The tagger's tags, most important first; nil when the photo was
    /// embedded without a tagger (or before tags were kept), empty when the
    /// tagger found none.
    public var tags: [PhotoTag]?
    /// The photo's grid cells for the reranker (the cells table); nil when
    /// not stored or not read.
    public var cells: PhotoCells?

    public init(id: UInt64 = 0, path: String, device: UInt64 = 0, inode: UInt64 = 0, size: UInt64 = 0,
                mtimeNanoseconds: Int64 = 0, contentHash: UInt64 = 0, modelID: String,
                vector: [Float], feature: [Float] = [], taken: CaptureTime? = nil, format: String = "",
                tags: [PhotoTag]? = nil, cells: PhotoCells? = nil) {
        self.id = id
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.contentHash = contentHash
        self.modelID = modelID
        self.vector = vector
        self.feature = feature
        self.taken = taken
        self.format = format
        self.tags = tags
        self.cells = cells
    }

    /// The date date filters see: when the photo was taken, else when the
    /// file was last modified (ns since the epoch).
    public var searchDateNanoseconds: Int64 { taken?.instantNanoseconds ?? mtimeNanoseconds }

    /// True while the photo has no vector (new model, not embedded yet).
    public var needsEmbedding: Bool { vector.isEmpty }
}

/// Why a photo could not be indexed, and the file state it was seen in:
/// the daemon does not retry it until size or mtime change.
public struct FailureRecord: Sendable, Equatable {
    public var path: String
    public var reason: String
    public var size: UInt64
    public var mtimeNanoseconds: Int64
    /// When the failure was recorded, seconds since the epoch.
    public var recordedAt: Int64

    public init(path: String, reason: String, size: UInt64, mtimeNanoseconds: Int64, recordedAt: Int64) {
        self.path = path
        self.reason = reason
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.recordedAt = recordedAt
    }

    /// Whether the file is unchanged since it failed (so it should be skipped).
    public func matches(size: UInt64, mtimeNanoseconds: Int64) -> Bool {
        self.size == size && self.mtimeNanoseconds == mtimeNanoseconds
    }
}
