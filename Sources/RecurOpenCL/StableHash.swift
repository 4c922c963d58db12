/// FNV-1a, 64 bit: a small hash that is stable across runs, processes and platforms (Swift's `Hasher`
/// is seeded per process), good enough to name cache files. Not for security.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }

    /// A string followed by a separator byte, so ("ab", "c") and ("a", "bc") hash differently.
    mutating func combine(_ string: String) {
        combine(string.utf8)
        combine(CollectionOfOne(0xff))
    }

    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hasher = FNV1a64()
        hasher.combine(bytes)
        return hasher.value
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
