import Foundation

/// The arithmetic of the sentence encoder's dense layers.
public enum TextPrecision: String, Sendable, CaseIterable {
    /// Float32 through OpenBLAS: the reference.
    case fp32
    /// Int8 weights (per output row) times int16 activations (per token),
    /// exact int32 sums: a third of float32's CPU time for one short query,
    /// four fifths in batches of 16 (no per-call weight packing).
    case int8

    /// What photoqd, the client and photoq-model run unless told otherwise.
    public static let shipped: TextPrecision = .int8

    /// The environment variable that overrides `shipped`, e.g. for comparison runs.
    public static let environmentVariable = "PHOTOQ_TEXT_PRECISION"

    /// `shipped`, or the precision `PHOTOQ_TEXT_PRECISION` names.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> TextPrecision {
        guard let value = environment[environmentVariable], !value.isEmpty else { return shipped }
        guard let precision = TextPrecision(rawValue: value.lowercased()) else {
            throw SentenceEncoderError.invalidPrecision(value)
        }
        return precision
    }
}
