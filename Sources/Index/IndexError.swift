import Glibc

/// The one error type of the Index module.
///
/// `code` says what kind of failure it was (tests and callers compare codes,
/// never messages); `message` names the object and, where there is one, the
/// fix; `cause` carries the underlying LMDB or errno text.
public struct IndexError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Extensible error codes: a struct over a private enum so new codes can
    /// be added without breaking callers that switch over known ones.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case lmdb, locked, corruptRecord, modelMismatch, dimensionMismatch
            case notFound, io, invalidArgument, closed
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// An LMDB call failed; `lmdbReturnCode` holds its return code.
        public static let lmdb = Code(.lmdb)
        /// Another process holds the state directory.
        public static let locked = Code(.locked)
        /// Stored bytes are truncated, garbled or of an unknown version.
        public static let corruptRecord = Code(.corruptRecord)
        /// The index was built by another model (id or dimension differ);
        /// its vectors must be re-embedded before it can be written or searched.
        public static let modelMismatch = Code(.modelMismatch)
        /// A vector's length differs from the index's dimension.
        public static let dimensionMismatch = Code(.dimensionMismatch)
        /// A path or id named by the caller is not in the index.
        public static let notFound = Code(.notFound)
        /// A file system call failed (lock file, state directory, hashing a photo).
        public static let io = Code(.io)
        /// The caller passed a value the index cannot store.
        public static let invalidArgument = Code(.invalidArgument)
        /// The environment was used after `close()`.
        public static let closed = Code(.closed)

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    public let message: String
    /// The underlying error text (`mdb_strerror`, `strerror`), if any.
    public let cause: String?
    /// The LMDB return code for `.lmdb` errors (e.g. MDB_MAP_FULL = -30792).
    public let lmdbReturnCode: Int32?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, cause: String? = nil, lmdbReturnCode: Int32? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.lmdbReturnCode = lmdbReturnCode
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "IndexError.\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }

    /// The file system holding the index is full (ENOSPC), the user's quota
    /// is used up (EDQUOT), or the map cannot grow any more: nothing is wrong
    /// with the change itself, and the same commit succeeds once space returns.
    public var isStorageFull: Bool {
        guard let rc = lmdbReturnCode else { return false }
        return rc == ENOSPC || rc == EDQUOT || rc == Self.mapFullReturnCode
    }

    /// MDB_MAP_FULL, kept here so callers need not import LMDB.
    static let mapFullReturnCode: Int32 = -30792

    /// Equality compares the code only, like swift-nio's FileSystemError.
    public static func == (lhs: IndexError, rhs: IndexError) -> Bool { lhs.code == rhs.code }
}
