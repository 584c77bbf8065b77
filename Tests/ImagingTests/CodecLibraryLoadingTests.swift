import CHEIF
import CRaw
import XCTest

/// libheif and LibRaw are opened with dlopen on first use: the installed
/// libraries load with every function photoq calls, and a library that
/// cannot be opened is named in the error.
final class CodecLibraryLoadingTests: XCTestCase {
    func testInstalledLibheifResolvesEveryFunction() {
        var library = cheif_library()
        var why = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(cheif_load(CHEIF_SONAME, &library, &why, why.count), 1, String(cString: why))
        XCTAssertNotNil(library.heif_decode_image)
        XCTAssertNotNil(library.heif_image_is_premultiplied_alpha)
    }

    func testMissingLibheifIsNamed() {
        var library = cheif_library()
        var why = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(cheif_load("libheif-photoq-missing.so.9", &library, &why, why.count), 0)
        let message = String(cString: why)
        XCTAssertTrue(message.contains("libheif-photoq-missing.so.9"), message)
        XCTAssertTrue(message.contains("HEIF"), message)
    }

    func testALibraryWithoutTheFunctionsIsRefused() {
        // libm opens, but has no heif_init.
        var library = cheif_library()
        var why = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(cheif_load("libm.so.6", &library, &why, why.count), 0)
        XCTAssertTrue(String(cString: why).contains("lacks heif_"), String(cString: why))
    }

    func testInstalledLibRawLoadsAndAMissingOneIsNamed() {
        var why = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(craw_try_load(nil, &why, why.count), 1, String(cString: why))
        XCTAssertEqual(craw_try_load("libraw-photoq-missing.so.1", &why, why.count), 0)
        XCTAssertTrue(String(cString: why).contains("camera raw needs LibRaw (libraw-photoq-missing.so.1)"),
                      String(cString: why))
        XCTAssertEqual(craw_try_load("libm.so.6", &why, why.count), 0)
        XCTAssertTrue(String(cString: why).contains("lacks libraw_"), String(cString: why))
    }
}
