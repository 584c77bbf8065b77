/// The one place every non-JPEG decoder checks a header's declared size
/// before allocating pixels: the pixel count (decompression bombs), the
/// working memory a full-size decode needs against the `DecodeBudget`, and,
/// when decode threads share a `DecodeLimiter`, that memory reserved from the
/// shared budget until the decode ends (`release`). One guard per decode.
final class PixelLimit: @unchecked Sendable {
    let budget: DecodeBudget
    private let limiter: DecodeLimiter?
    private var reserved = 0

    var maximumPixels: Int { budget.maximumPixels }

    init(budget: DecodeBudget, limiter: DecodeLimiter? = nil) {
        self.budget = budget
        self.limiter = limiter
    }

    convenience init(maximumPixels: Int) {
        self.init(budget: DecodeBudget(maximumPixels: maximumPixels))
    }

    /// - Parameter bytesPerPixel: working memory per stored pixel of this
    ///   decoder's path (4: the library's full-size RGBA; less for decoders
    ///   that scale while decoding or keep the raw mosaic only).
    func check(width: Int, height: Int, bytesPerPixel: Int = 4) throws {
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(message: "the header declares a size of \(width)×\(height)")
        }
        // Multiply without overflow: 32-bit sizes can exceed Int.max together.
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maximumPixels else {
            throw ImageError.tooLarge(width: width, height: height, limit: maximumPixels)
        }
        let working = pixels * bytesPerPixel
        try budget.checkWorkingMemory(working, for: "decoding this \(width)×\(height) image")
        if let limiter, reserved == 0 {
            reserved = try limiter.reserve(working)
        }
    }

    /// Gives the reserved share back (called once the decode is over).
    func release() {
        if reserved > 0 { limiter?.release(reserved) }
        reserved = 0
    }

    deinit { release() }
}
