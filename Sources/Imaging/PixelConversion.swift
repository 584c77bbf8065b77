/// Turning decoder output into photoq's upright 8-bit RGB near the size the
/// caller asked for.
enum PixelConversion {
    /// Transparent areas become this mid grey: the network sees it as neutral
    /// (close to its input mean), so cut-outs are not pulled towards "white"
    /// or "black" scenes.
    static let background: UInt8 = 128

    /// Interleaved RGBA composited onto `background`. Straight alpha unless
    /// `premultiplied` (colour already scaled by alpha, as libtiff returns it).
    static func compositeRGBA(_ rgba: UnsafeRawBufferPointer, width: Int, height: Int,
                              rowBytes: Int? = nil, premultiplied: Bool = false) -> RGBImage {
        let stride = rowBytes ?? width * 4
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { destination in
            let background = UInt32(Self.background)
            for y in 0..<height {
                var s = y * stride, d = y * width * 3
                for _ in 0..<width {
                    let alpha = UInt32(rgba[s + 3])
                    for c in 0..<3 {
                        let colour = premultiplied ? UInt32(rgba[s + c]) * 255 : UInt32(rgba[s + c]) * alpha
                        destination[d + c] = UInt8(min((colour + background * (255 - alpha) + 127) / 255, 255))
                    }
                    s += 4
                    d += 3
                }
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// Interleaved RGB rows with a row stride (as libheif returns them).
    static func copyRGB(_ rgb: UnsafeRawBufferPointer, width: Int, height: Int, rowBytes: Int) -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBytes { destination in
            for y in 0..<height {
                let row = UnsafeRawBufferPointer(rebasing: rgb[y * rowBytes..<y * rowBytes + width * 3])
                UnsafeMutableRawBufferPointer(rebasing: destination[y * width * 3..<(y + 1) * width * 3]).copyMemory(from: row)
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// Box-averages by the largest whole factor that still covers `target`
    /// (the role libjpeg's DCT scaling plays for JPEG): the result is at
    /// least `target` in both dimensions and under twice it in one of them.
    static func reduce(_ image: RGBImage, toCover target: ImageSize?) -> RGBImage {
        guard let target, target.width > 0, target.height > 0 else { return image }
        let factor = min(image.width / target.width, image.height / target.height)
        guard factor >= 2 else { return image }
        let width = image.width / factor, height = image.height / factor
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let area = UInt32(factor * factor)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { destination in
                var sums = [UInt32](repeating: 0, count: width * 3)
                for y in 0..<height {
                    for i in sums.indices { sums[i] = 0 }
                    for sy in y * factor..<(y + 1) * factor {
                        var s = sy * image.width * 3
                        for x in 0..<width {
                            for _ in 0..<factor {
                                sums[x * 3] += UInt32(source[s])
                                sums[x * 3 + 1] += UInt32(source[s + 1])
                                sums[x * 3 + 2] += UInt32(source[s + 2])
                                s += 3
                            }
                        }
                    }
                    let d = y * width * 3
                    for i in 0..<width * 3 { destination[d + i] = UInt8((sums[i] + area / 2) / area) }
                }
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// Stored pixels to the caller's image: reduced toward `target` (given
    /// upright, so swapped for orientations that swap axes), then turned upright.
    static func finish(_ stored: RGBImage, orientation: Int, target: ImageSize?) -> RGBImage {
        let storedTarget = target.map { orientation >= 5 ? ImageSize(width: $0.height, height: $0.width) : $0 }
        return orient(reduce(stored, toCover: storedTarget), orientation: orientation)
    }
}
