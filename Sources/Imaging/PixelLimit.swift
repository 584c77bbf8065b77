/// The one place every decoder checks a header's declared size before
/// allocating pixels (decompression bombs), so the policy can change in one spot.
struct PixelLimit: Sendable {
    let maximumPixels: Int

    func check(width: Int, height: Int) throws {
        guard width > 0, height > 0 else {
            throw ImageError.corrupt(message: "the header declares a size of \(width)×\(height)")
        }
        // Multiply without overflow: 32-bit sizes can exceed Int.max together.
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maximumPixels else {
            throw ImageError.tooLarge(width: width, height: height, limit: maximumPixels)
        }
    }
}
