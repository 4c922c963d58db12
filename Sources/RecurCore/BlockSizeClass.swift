/// The sizes that recycled memory blocks come in: multiples of an eighth of the next power of two, at least
/// 64 bytes. Batches of slightly different lengths then share blocks, and no block is more than a quarter
/// larger than asked.
public enum BlockSizeClass {
    /// Bytes of the block that serves a request for `byteCount` bytes.
    public static func bytes(for byteCount: Int) -> Int {
        let bytes = max(byteCount, 64)
        let power = 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
        let step = max(64, power / 8)
        return (bytes + step - 1) / step * step
    }
}
