import Imaging

/// The class a failed photo is counted under (`photoq --status`), stored as
/// the first word of its failure reason: "damaged: …", "truncated: …".
/// Users act on the class (re-copy damaged photos, wait for truncated ones,
/// ignore what is not a photo); the rest of the reason says exactly why.
public enum FailureReason {
    public static let damaged = "damaged"
    public static let truncated = "truncated"
    public static let corrupt = "corrupt"
    public static let overBudget = "over-budget"
    public static let tooLarge = "too-large"
    public static let notAPhoto = "not-a-photo"
    public static let unsupported = "unsupported"
    public static let unreadable = "unreadable"
    public static let video = "video"
    public static let other = "other"
    /// Under `min_side`: counted with the skipped files, not the failed ones.
    public static let tooSmall = "too small"

    static let known: Set<String> = [damaged, truncated, corrupt, overBudget, tooLarge, notAPhoto, unsupported, unreadable, video, tooSmall]

    /// "class: description" for a decode or embedding error.
    public static func text(for error: any Error) -> String {
        "\(className(of: error)): \(error)"
    }

    public static func className(of error: any Error) -> String {
        if error is PhotoTooSmall { return tooSmall }
        guard let image = error as? ImageError else { return other }
        switch image {
        case .damaged: return damaged
        case .truncated: return truncated
        case .corrupt: return corrupt
        case .overBudget: return overBudget
        case .tooLarge: return tooLarge
        case .emptyFile, .notJPEG, .unrecognisedFormat: return notAPhoto
        case .unsupportedVideo: return video
        case .unsupported: return unsupported
        case .unreadable: return unreadable
        default: return other
        }
    }

    /// The class stored at the start of `reason` (reasons recorded before
    /// classes existed count as "other").
    public static func className(ofReason reason: String) -> String {
        guard let colon = reason.firstIndex(of: ":") else { return other }
        let word = String(reason[..<colon])
        return known.contains(word) ? word : other
    }
}
