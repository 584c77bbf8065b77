/// Turns stored pixels upright according to an EXIF orientation (1–8):
/// 2 mirror, 3 rotate 180°, 4 flip vertically, 5 transpose, 6 rotate 90°
/// clockwise, 7 transverse, 8 rotate 90° counter-clockwise. Values 5–8 swap
/// width and height. Any other value returns the image unchanged.
public func orient(_ image: RGBImage, orientation: Int) -> RGBImage {
    guard (2...8).contains(orientation) else { return image }
    let width = image.width, height = image.height
    let swapsAxes = orientation >= 5
    let outWidth = swapsAxes ? height : width, outHeight = swapsAxes ? width : height
    // For each output pixel (ox, oy), the stored pixel is
    //   (x0 + ox*dxx + oy*dxy,  y0 + ox*dyx + oy*dyy).
    let (x0, dxx, dxy, y0, dyx, dyy): (Int, Int, Int, Int, Int, Int)
    switch orientation {
    case 2: (x0, dxx, dxy, y0, dyx, dyy) = (width - 1, -1, 0, 0, 0, 1)
    case 3: (x0, dxx, dxy, y0, dyx, dyy) = (width - 1, -1, 0, height - 1, 0, -1)
    case 4: (x0, dxx, dxy, y0, dyx, dyy) = (0, 1, 0, height - 1, 0, -1)
    case 5: (x0, dxx, dxy, y0, dyx, dyy) = (0, 0, 1, 0, 1, 0)
    case 6: (x0, dxx, dxy, y0, dyx, dyy) = (0, 0, 1, height - 1, -1, 0)
    case 7: (x0, dxx, dxy, y0, dyx, dyy) = (width - 1, 0, -1, height - 1, -1, 0)
    default: (x0, dxx, dxy, y0, dyx, dyy) = (width - 1, 0, -1, 0, 1, 0)   // 8
    }
    var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
    image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            let source = src.baseAddress!, destination = dst.baseAddress!
            for oy in 0..<outHeight {
                var sx = x0 + oy * dxy, sy = y0 + oy * dyy
                var d = oy * outWidth * 3
                for _ in 0..<outWidth {
                    let s = (sy * width + sx) * 3
                    destination[d] = source[s]
                    destination[d + 1] = source[s + 1]
                    destination[d + 2] = source[s + 2]
                    d += 3
                    sx += dxx
                    sy += dyx
                }
            }
        }
    }
    return RGBImage(uncheckedWidth: outWidth, height: outHeight, pixels: out)
}
