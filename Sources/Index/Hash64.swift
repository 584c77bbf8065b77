/// A fast non-cryptographic 64-bit hash in the style of xxHash64: 8-byte
/// lanes mixed with multiply-rotate rounds, a byte-wise tail and an
/// avalanche finaliser. Used to checksum stored records and to fingerprint
/// photo contents; it only has to catch corruption and tell files apart,
/// not resist an attacker.
struct Hash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var state: UInt64
    private var length: UInt64 = 0

    init(seed: UInt64 = 0) { state = seed &+ Self.prime5 }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count {
            let lane = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            state ^= Self.round(lane)
            state = Self.rotate(state, 27) &* Self.prime1 &+ Self.prime3
            offset += 8
        }
        while offset < count {
            state ^= UInt64(bytes[offset]) &* Self.prime5
            state = Self.rotate(state, 11) &* Self.prime1
            offset += 1
        }
        length &+= UInt64(count)
    }

    mutating func update(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    func finalize() -> UInt64 {
        var h = state &+ length
        h ^= h >> 33
        h = h &* Self.prime2
        h ^= h >> 29
        h = h &* Self.prime3
        h ^= h >> 32
        return h
    }

    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hash64()
        hasher.update(bytes)
        return hasher.finalize()
    }

    private static func round(_ lane: UInt64) -> UInt64 {
        rotate(lane &* prime2, 31) &* prime1
    }

    private static func rotate(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
}
