/// The secret in the URL `photoq --web` prints: 128 random bits, as 32 hex
/// digits. Anyone who can reach the port but does not know it gets a 401.
public struct AccessToken: Sendable, Equatable {
    public let value: String

    /// From the system's cryptographic generator (getrandom on Linux).
    public static func random() -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()] as [UInt64]
        let hex = words.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return AccessToken(value: hex.joined())
    }

    public init(value: String) { self.value = value }

    /// Constant time in the candidate's content, so response timing does not
    /// reveal how many leading characters were right.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let expected = Array(value.utf8), given = Array(candidate.utf8)
        var difference = UInt8(truncatingIfNeeded: expected.count ^ given.count)
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }
}
