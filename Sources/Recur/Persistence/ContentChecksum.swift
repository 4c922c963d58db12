/// The checksum Recur's safetensors files carry in their metadata (`recur.checksum`), over the tensor data:
/// FNV-1a over 64-bit little-endian words (a last partial word zero-filled), then the length, at memory
/// speed. It tells a file cut short or changed on disk from a good one; it is no defence against tampering.
/// Fed in pieces (one tensor at a time) it gives the hash of their concatenation.
struct ContentChecksum {
    static let metadataKey = "recur.checksum"
    static let scheme = "fnv1a64w"
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    private var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    private var pending: UInt64 = 0
    private var pendingBytes = 0
    private var count = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while pendingBytes > 0 && index < bytes.count { take(bytes[index]); index += 1 }
        let words = (bytes.count - index) / 8
        for word in 0..<words {
            hash = (hash ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index + word * 8, as: UInt64.self))) &* Self.prime
        }
        index += words * 8
        while index < bytes.count { take(bytes[index]); index += 1 }
        count += bytes.count
    }

    /// `scheme:hex` of everything fed so far.
    var tag: String {
        var final = hash
        if pendingBytes > 0 { final = (final ^ pending) &* Self.prime }
        final = (final ^ UInt64(count)) &* Self.prime
        let hex = String(final, radix: 16)
        return "\(Self.scheme):" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func tag(of bytes: UnsafeRawBufferPointer) -> String {
        var checksum = ContentChecksum()
        checksum.update(bytes)
        return checksum.tag
    }

    /// One byte into the partial word; a full word is mixed in.
    private mutating func take(_ byte: UInt8) {
        pending |= UInt64(byte) << (8 * UInt64(pendingBytes))
        pendingBytes += 1
        if pendingBytes == 8 {
            hash = (hash ^ pending) &* Self.prime
            (pending, pendingBytes) = (0, 0)
        }
    }
}
