/// What photoq reads from an EXIF block, whichever format carried it (JPEG
/// APP1, PNG eXIf, WebP EXIF chunk, HEIF Exif item, a TIFF file's own IFD0).
/// A damaged or missing tag never fails a decode: it reads as absent.
public struct ExifMetadata: Equatable, Sendable {
    /// TIFF/EXIF orientation 1–8 (1 when absent or out of range).
    public var orientation: Int = 1
    /// DateTimeOriginal with its offset and sub-seconds, when present and valid.
    public var taken: CaptureDate?

    public init(orientation: Int = 1, taken: CaptureDate? = nil) {
        self.orientation = orientation
        self.taken = taken
    }

    static let absent = ExifMetadata()

    /// An EXIF block as the formats store it: "Exif\0\0" then TIFF (JPEG,
    /// some WebP and PNG writers) or the TIFF structure alone.
    static func parse(block: UnsafeRawBufferPointer) -> ExifMetadata {
        let signature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]   // "Exif\0\0"
        if block.count >= 6, zip(block.prefix(6), signature).allSatisfy({ $0 == $1 }) {
            return parse(tiff: UnsafeRawBufferPointer(rebasing: block[6...]))
        }
        return parse(tiff: block)
    }

    static func parse(block: [UInt8]) -> ExifMetadata {
        block.withUnsafeBytes { parse(block: $0) }
    }

    /// A TIFF structure: IFD0 holds the orientation, the Exif sub-IFD the dates.
    static func parse(tiff bytes: UnsafeRawBufferPointer) -> ExifMetadata {
        guard let tiff = TIFFStructure(bytes), let first = tiff.firstIFDOffset else { return .absent }
        var result = ExifMetadata()
        let ifd0 = tiff.entries(at: first)
        if let entry = ifd0.first(where: { $0.tag == Tag.orientation }), entry.type == 3,
           let value = tiff.integer(entry), (1...8).contains(value) {
            result.orientation = value
        }
        if let pointer = ifd0.first(where: { $0.tag == Tag.exifIFD }).flatMap(tiff.integer) {
            let exif = tiff.entries(at: pointer)
            func text(_ tag: Int) -> String? { exif.first { $0.tag == tag }.flatMap(tiff.ascii) }
            if let original = text(Tag.dateTimeOriginal) {
                result.taken = CaptureDate(exifDateTime: original, offset: text(Tag.offsetTimeOriginal),
                                           subseconds: text(Tag.subSecTimeOriginal))
            }
        }
        return result
    }

    private enum Tag {
        static let orientation = 0x0112
        static let exifIFD = 0x8769
        static let dateTimeOriginal = 0x9003
        static let offsetTimeOriginal = 0x9011
        static let subSecTimeOriginal = 0x9291
    }
}
