import FoundationEssentials
import Imaging
import PhotoqProtocol
import Thumbnails

/// Search results and heat maps as terminal output with inline images:
/// the result's line (rank, score, path; tab-separated like `--scores`),
/// then its thumbnail from the freedesktop cache (made when missing).
public struct PreviewRenderer: Sendable {
    public let format: PreviewProtocol
    public let store: ThumbnailStore

    public init(format: PreviewProtocol, store: ThumbnailStore) {
        self.format = format
        self.store = store
    }

    /// A photo without a thumbnail keeps its line; `warn` gets why.
    public func render(hits: [SearchHit], warn: (String) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        for (rank, hit) in hits.enumerated() {
            out += Array("\(rank + 1)\t\(Self.score(hit.score))\t\(hit.path)\n".utf8)
            do {
                let png = try store.thumbnail(forPath: hit.path, size: .normal)
                out += try image(png: png, name: hit.path)
                out.append(UInt8(ascii: "\n"))
            } catch {
                warn("photoq: no preview for \(hit.path): \(error)")
            }
            for copy in hit.also ?? [] { out += Array("  also: \(copy.path)\n".utf8) }
        }
        return out
    }

    /// A heat map (any size) brought down to the large thumbnail size.
    public func render(heatMap: RGBImage, name: String) throws -> [UInt8] {
        let side = ThumbnailSize.large.pixels, largest = max(heatMap.width, heatMap.height)
        let fitted = largest <= side ? heatMap
            : resize(heatMap, width: max(1, heatMap.width * side / largest), height: max(1, heatMap.height * side / largest))
        return try encode(fitted, png: PNGEncoder.encode(fitted, text: []), name: name) + [UInt8(ascii: "\n")]
    }

    /// The escape sequence showing a PNG.
    func image(png: [UInt8], name: String) throws -> [UInt8] {
        switch format {
        case .kitty: return KittyGraphics.encode(png: png)
        case .iterm, .sixel: return try encode(ImageDecoder().decode(data: png).image, png: png, name: name)
        }
    }

    private func encode(_ image: RGBImage, png: [UInt8], name: String) throws -> [UInt8] {
        switch format {
        case .kitty: return KittyGraphics.encode(png: png)
        case .iterm: return ITermImage.encode(png: png, name: name, width: image.width, height: image.height)
        case .sixel: return SixelImage.encode(image)
        }
    }

    /// Four decimals, as `--scores` prints them.
    static func score(_ x: Float) -> String {
        let scaled = Int((Double(x) * 10_000).rounded())
        let magnitude = abs(scaled), fraction = String(magnitude % 10_000)
        return (scaled < 0 ? "-" : "") + String(magnitude / 10_000) + "." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}
