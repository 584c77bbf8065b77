import XCTest
@testable import Index

final class IndexSmokeTests: XCTestCase {
    func testModuleLoads() {}
}
