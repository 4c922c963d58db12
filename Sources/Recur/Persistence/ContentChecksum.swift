/// The checksum Recur's safetensors files carry in their metadata (`recur.checksum`), over the tensor data:
/// FNV-1a over 64-bit words (then the tail bytes and the length), at memory speed. It tells a file cut short
/// or changed on disk from a good one; it is no defence against tampering.
enum ContentChecksum {
    static let metadataKey = "recur.checksum"
    static let scheme = "fnv1a64w"

    /// `scheme:hex` of `bytes`.
    static func tag(of bytes: UnsafeRawBufferPointer) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01B3
        let words = bytes.count / 8
        for index in 0..<words {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* prime
        }
        for index in (words * 8)..<bytes.count { hash = (hash ^ UInt64(bytes[index])) &* prime }
        hash = (hash ^ UInt64(bytes.count)) &* prime
        let hex = String(hash, radix: 16)
        return "\(scheme):" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
