// Global average pooling, the step between the conv trunk and the classifier.

/// out[n·ldOut + c] ← mean of x's (c, n) plane, for x (C,N,HW): channels-major,
/// the trunk's layout. `out` is (N, ldOut), one feature row per image.
public func globalAveragePool(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    channels: Int, batch: Int, spatial: Int, ldOut: Int
) {
    let scale = 1 / Float(spatial)
    for c in 0..<channels {
        for n in 0..<batch {
            let plane = x + (c * batch + n) * spatial
            var sum: Float = 0
            for i in 0..<spatial { sum += plane[i] }
            out[n * ldOut + c] = sum * scale
        }
    }
}

/// out[n·ldOut + c] ← mean of relu6(x + bias[c]) over x's (c, n) plane, for
/// x (C,N,HW): the head conv's epilogue fused into the pooling.
public func globalAveragePoolBiasReLU6(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    channels: Int, batch: Int, spatial: Int, ldOut: Int
) {
    let scale = 1 / Float(spatial)
    for c in 0..<channels {
        let b = bias[c]
        for n in 0..<batch {
            let plane = x + (c * batch + n) * spatial
            var sum: Float = 0
            for i in 0..<spatial { sum += min(max(plane[i] + b, 0), 6) }
            out[n * ldOut + c] = sum * scale
        }
    }
}
