import Synchronization

/// Freed memory blocks kept by `BlockSizeClass` for reuse, up to a byte capacity: the bookkeeping shared by
/// `CPUMemoryPool` (host blocks) and the OpenCL backend's buffer pool (`cl_mem`), which allocate and free.
public final class BlockRecycler<Block>: Sendable {
    private let capacityBytes: Int
    private let state = Mutex<(blocks: [Int: [Block]], cachedBytes: Int)>(([:], 0))

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// A kept block of class `size`, if there is one.
    public func reuse(size: Int) -> Block? {
        state.withLock { state in
            guard let block = state.blocks[size]?.popLast() else { return nil }
            state.cachedBytes -= size
            return block
        }
    }

    /// Keeps `block` (of class `size`) unless that would pass the capacity; false means the caller frees it.
    public func keep(_ block: Block, size: Int) -> Bool {
        state.withLock { state in
            guard state.cachedBytes + size <= capacityBytes else { return false }
            state.blocks[size, default: []].append(block)
            state.cachedBytes += size
            return true
        }
    }

    /// Every kept block, for the caller to free, and their bytes; the recycler is empty afterwards.
    public func removeAll() -> (blocks: [Block], bytes: Int) {
        state.withLock { state in
            defer { state = ([:], 0) }
            return (state.blocks.values.flatMap { $0 }, state.cachedBytes)
        }
    }
}
