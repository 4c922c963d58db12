#if canImport(Glibc)
import Glibc
#endif

/// Recycles the host blocks of freed CPU tensors.
///
/// Training allocates the same activation shapes every batch (tens of megabytes per step). Fresh blocks of
/// that size come from `mmap` and cost a page fault per 4 KiB on first touch, which measured as a large part
/// of a step; blocks handed back here are reused instead. Sizes are rounded up to classes (eighths of a
/// power of two, `BlockSizeClass`), and a request may take a kept block up to twice its size, so that batches
/// of different lengths share blocks.
final class CPUMemoryPool: Sendable {
    static let shared = CPUMemoryPool(capacityBytes: 1 << 30)

    private let blocks: BlockRecycler<UnsafeMutableRawPointer>

    init(capacityBytes: Int) { blocks = BlockRecycler(capacityBytes: capacityBytes) }

    /// A 64-byte aligned block of at least `byteCount` bytes (contents undefined); `size` is its class.
    func take(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, size: Int) {
        let size = BlockSizeClass.bytes(for: byteCount)
        if let reused = blocks.reuse(size: size) { return (reused.block, reused.size) }
        guard size >= Self.hugePageBytes, Self.adviseHugePages else { return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), size) }
        // Large blocks (weights, Adam's moments, activations) on 2 MiB pages: one fault per 2 MiB instead of
        // 512, and fewer TLB misses in the GEMMs that stream them. Linux gives huge pages to `malloc`'s large
        // blocks only when asked (transparent_hugepage is `madvise` by default); it ignores the advice when it
        // has none to give.
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.hugePageBytes)
        #if os(Linux)
        _ = madvise(block, size, MADV_HUGEPAGE)
        #endif
        return (block, size)
    }

    static let hugePageBytes = 2 << 20
    /// `RECUR_HUGE_PAGES=0` leaves the kernel's default (4 KiB pages unless it is set to `always`).
    static let adviseHugePages = getenv("RECUR_HUGE_PAGES").map { String(cString: $0) != "0" } ?? true

    /// Takes a block back for reuse, or frees it when the pool is full.
    func give(_ pointer: UnsafeMutableRawPointer, size: Int) {
        if !blocks.keep(pointer, size: size) { pointer.deallocate() }
    }
}
