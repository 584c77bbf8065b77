import XCTest
import TestSupport
@testable import Imaging

/// The decode budget holds for every format behind `ImageDecoder`, not only
/// JPEG: a header asking for more working memory than the budget is refused
/// before decoding, and decode threads sharing a limiter reserve their share.
final class DecodeBudgetFormatsTests: XCTestCase {
    /// A valid PNG of `width`×`height` whose IHDR is real but whose pixels are
    /// never reached: the header alone must decide.
    private func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(DamagedImages.crc32(body))
        }
        let ihdr = be32(width) + be32(height) + [8, 2, 0, 0, 0]   // 8-bit RGB
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    func testAPNGOverTheWorkingMemoryBudgetIsRefusedBeforeDecoding() throws {
        // 96 MP: under the 100 MP pixel limit, but a full-size decode needs ~384 MB.
        let bomb = pngDeclaring(width: 12_000, height: 8_000)
        XCTAssertThrowsError(try ImageDecoder(budget: DecodeBudget()).decode(data: bomb)) { error in
            guard case ImageError.overBudget(let message) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("12000×8000"), message)
        }
        // With a budget that covers it the same header gets past the check (and fails on its missing pixels).
        XCTAssertThrowsError(try ImageDecoder(budget: DecodeBudget(maximumWorkingBytes: 1 << 30)).decode(data: bomb)) { error in
            if case ImageError.overBudget = error { XCTFail("refused although within the budget: \(error)") }
        }
    }

    func testDecodesOfOtherFormatsReserveTheirShareAndGiveItBack() throws {
        let png = try PNGEncoder.encode(ImagingFixtures.quadrantImage(width: 64, height: 48))
        let limiter = DecodeLimiter(capacity: 64 << 20)
        let decoder = ImageDecoder(budget: DecodeBudget(), limiter: limiter)
        let photo = try decoder.decode(data: png)
        XCTAssertEqual(photo.format, .png)
        XCTAssertEqual(limiter.reservedBytes, 0, "the share must be released after the decode")

        // While another decode holds the whole budget, a PNG decode waits; cancelling releases it with `.cancelled`.
        let held = try limiter.reserve(64 << 20)
        let finished = expectation(description: "waiting decode ends")
        let outcome = Locked<Result<DecodedPhoto, any Error>?>(nil)
        Thread {
            outcome.set(Result { try decoder.decode(data: png) })
            finished.fulfill()
        }.start()
        usleep(200_000)
        XCTAssertNil(outcome.value, "the decode should wait for the budget")
        limiter.cancel()
        wait(for: [finished], timeout: 5)
        limiter.release(held)
        guard case .failure(ImageError.cancelled)? = outcome.value else { return XCTFail("got \(String(describing: outcome.value))") }
    }
}

private final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func set(_ value: T) { lock.withLock { stored = value } }
}
