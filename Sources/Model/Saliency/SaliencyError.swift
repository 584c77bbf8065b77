/// Why an explanation could not be computed. Bad shapes come from callers
/// wiring the wrong trace to the wrong weights, so the message names both.
public struct SaliencyError: Error, CustomStringConvertible, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Wrapped: Hashable, Sendable { case shapeMismatch, emptyInput, missingActivation, unsupportedMethod }
        fileprivate let wrapped: Wrapped
        /// Two tensors whose sizes must agree do not.
        public static let shapeMismatch = Code(wrapped: .shapeMismatch)
        /// A sequence or map with nothing in it.
        public static let emptyInput = Code(wrapped: .emptyInput)
        /// The forward pass did not keep an activation the backward pass needs.
        public static let missingActivation = Code(wrapped: .missingActivation)
        /// The method cannot explain this target.
        public static let unsupportedMethod = Code(wrapped: .unsupportedMethod)
        public var description: String { "\(wrapped)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// Throws `shapeMismatch` unless `actual == expected`.
    static func check(_ what: @autoclosure () -> String, _ actual: Int, _ expected: Int) throws {
        guard actual == expected else {
            throw SaliencyError(.shapeMismatch, "\(what()) has \(actual) values, expected \(expected)")
        }
    }
}
