/// Host memory for one CPU tensor: a 64-byte aligned block (one cache line, one AVX-512 vector).
///
/// Float32 and int32 tensors share 4-byte elements. The memory is bound to `Float`; int32 elements are
/// read and written through raw loads and stores (`Int32Elements`), which is well defined for any binding.
final class CPUStorage: TensorStorage {
    let floats: UnsafeMutablePointer<Float>
    private let blockSize: Int

    /// A block recycled through `CPUMemoryPool`: zero-filled, or (`zeroed: false`) with whatever it held,
    /// poisoned with NaN in debug builds.
    init(count: Int, dtype: DType, owner: AnyObject, zeroed: Bool) {
        let (raw, size) = CPUMemoryPool.shared.take(byteCount: max(count, 1) * 4)
        #if DEBUG
        raw.initializeMemory(as: Float.self, repeating: zeroed ? 0 : .nan, count: max(count, 1))
        #else
        if zeroed { raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1)) }
        #endif
        floats = raw.assumingMemoryBound(to: Float.self)
        blockSize = size
        super.init(count: count, dtype: dtype, owner: owner)
    }

    deinit { CPUMemoryPool.shared.give(UnsafeMutableRawPointer(floats), size: blockSize) }
}

/// Int32 elements of a CPU tensor, addressed like an array.
struct Int32Elements {
    let base: UnsafeMutableRawPointer

    init(_ floats: UnsafeMutablePointer<Float>) { base = UnsafeMutableRawPointer(floats) }

    subscript(index: Int) -> Int32 {
        @inline(__always) get { base.load(fromByteOffset: index &* 4, as: Int32.self) }
        @inline(__always) nonmutating set { base.storeBytes(of: newValue, toByteOffset: index &* 4, as: Int32.self) }
    }
}
