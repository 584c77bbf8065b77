import Foundation
internal import CJPEG

/// What one decode may cost, for every image format. A hostile file can
/// declare a huge image in a few hundred bytes, ask for whole-image buffers
/// (progressive JPEG, interlaced PNG) or thousands of passes; a decoder
/// checks its header against these limits before it allocates or loops,
/// and refuses with `ImageError.overBudget` naming the limit.
public struct DecodeBudget: Sendable, Equatable {
    /// Pixels in the stored image (width × height by the header).
    public var maximumPixels: Int
    /// Memory the decoder itself may use: the compressed bytes, whole-image
    /// buffers and the output. An estimate from the header, checked before
    /// decoding; libraries that take a limit get it too.
    public var maximumWorkingBytes: Int
    /// Size of the file on disk; bigger files are refused before reading (a
    /// sparse file can claim gigabytes without using any disk).
    public var maximumFileBytes: Int
    /// CPU time one decode may take (checked between rows and passes).
    public var maximumCPUSeconds: Double

    /// The defaults: 100 MP, 192 MiB of working memory (a 50 MP progressive
    /// photo needs about 160), 128 MiB files, 8 s of CPU (a 100 MP baseline
    /// photo takes under 1 s at the 1/8 scale the daemon decodes at).
    public init(maximumPixels: Int = 100_000_000, maximumWorkingBytes: Int = 192 << 20,
                maximumFileBytes: Int = 128 << 20, maximumCPUSeconds: Double = 8) {
        self.maximumPixels = maximumPixels
        self.maximumWorkingBytes = maximumWorkingBytes
        self.maximumFileBytes = maximumFileBytes
        self.maximumCPUSeconds = maximumCPUSeconds
    }

    public static let standard = DecodeBudget()

    /// Throws `.overBudget` when `bytes` of working memory exceed the budget.
    public func checkWorkingMemory(_ bytes: Int, for what: String) throws {
        guard bytes <= maximumWorkingBytes else {
            throw ImageError.overBudget(message: "\(what) needs about \(Self.mebibytes(bytes)) of memory, over the \(Self.mebibytes(maximumWorkingBytes)) limit")
        }
    }

    static func mebibytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Shared by decoders running at the same time (the daemon's decode
/// threads): their working memory together stays within one budget, so two
/// bombs in a batch cost what one does, and a stop cancels every decode in
/// flight. A decode whose estimate fits the budget but not what is left
/// waits for the others to finish; it never waits while holding a share.
public final class DecodeLimiter: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    private var inUse = 0
    /// Read by the C decoders between rows (cjpeg_flag_is_raised).
    let cancelFlag: UnsafeMutablePointer<Int32>

    public init(capacity: Int) {
        self.capacity = capacity
        cancelFlag = .allocate(capacity: 1)
        cancelFlag.initialize(to: 0)
    }

    deinit { cancelFlag.deallocate() }

    /// Runs `body` holding `bytes` of the shared budget. Throws `.cancelled`
    /// once cancelled (also while waiting).
    public func withReservation<T>(_ bytes: Int, _ body: () throws -> T) throws -> T {
        let share = try reserve(bytes)
        defer { release(share) }
        return try body()
    }

    /// Waits until `bytes` (capped at the capacity) fit beside the decodes in
    /// flight and holds them; returns the share to hand to `release`.
    @discardableResult
    public func reserve(_ bytes: Int) throws -> Int {
        let share = min(max(0, bytes), capacity)
        condition.lock()
        defer { condition.unlock() }
        while inUse + share > capacity && !isCancelled { condition.wait() }
        if isCancelled { throw ImageError.cancelled }
        inUse += share
        return share
    }

    public func release(_ share: Int) {
        condition.lock()
        inUse -= min(max(0, share), capacity)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops every decode using this limiter at its next check (within
    /// milliseconds) and every later one: they throw `.cancelled`.
    public func cancel() {
        condition.lock()
        cjpeg_flag_raise(cancelFlag)
        condition.broadcast()
        condition.unlock()
    }

    public var isCancelled: Bool { cjpeg_flag_is_raised(cancelFlag) != 0 }

    /// Bytes reserved right now (tests).
    public var reservedBytes: Int { condition.withLock { inUse } }
}
