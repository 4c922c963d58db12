/// Element types a tensor can hold. Both are 4 bytes wide, so offsets and sizes are in elements everywhere.
public enum DType: String, Sendable {
    case float32
    case int32
}

/// Memory owned by one backend: host memory for the CPU backend, a `cl_mem` for OpenCL.
/// The backend that allocated it is the only one that may read or write it.
open class TensorStorage {
    /// Capacity in elements.
    public let count: Int
    public let dtype: DType
    /// The backend that owns this memory (compared by identity).
    public unowned let owner: AnyObject

    public init(count: Int, dtype: DType, owner: AnyObject) {
        self.count = count
        self.dtype = dtype
        self.owner = owner
    }
}

/// A contiguous, row-major view into backend storage: a shape and an element offset.
///
/// Tensors are values; copying one copies the view, not the data. Views made with `slice` and
/// `reshaped` share storage, which is how a recurrent layer addresses one time step of a sequence.
public struct Tensor {
    public let storage: TensorStorage
    /// First element of this view inside `storage`.
    public let offset: Int
    public let shape: [Int]

    public init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= storage.count, "tensor view out of storage bounds")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    public var count: Int { shape.reduce(1, *) }
    public var dtype: DType { storage.dtype }
    public var rank: Int { shape.count }

    /// Rows and columns when viewed as a matrix: the last dimension is the columns.
    public var rows: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
    public var columns: Int { shape.last ?? 1 }

    /// The `index`-th sub-tensor along the first dimension (for a `[T, B, H]` sequence, time step `index`).
    public func slice(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "slice \(index) out of range for shape \(shape)")
        let inner = Array(shape.dropFirst())
        let size = inner.reduce(1, *)
        return Tensor(storage: storage, offset: offset + index * size, shape: inner)
    }

    /// Sub-tensors `range` along the first dimension.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "slice \(range) out of range for shape \(shape)")
        let size = shape.dropFirst().reduce(1, *)
        return Tensor(storage: storage, offset: offset + range.lowerBound * size, shape: [range.count] + shape.dropFirst())
    }

    /// The same elements seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// This tensor as a matrix view with its natural leading dimension.
    public var matrix: MatrixView { MatrixView(self, ld: columns) }
}

/// A matrix inside a tensor's storage, addressed BLAS-style: element (r, c) is at
/// `tensor.offset + columnOffset + r * ld + c`. Lets GEMM read a column block of a weight matrix
/// (one direction's half of `weight_ih_l1`) without copying it.
public struct MatrixView {
    public let tensor: Tensor
    /// Extra element offset added to `tensor.offset` (a column block's first column).
    public let columnOffset: Int
    /// Leading dimension: elements between the starts of consecutive rows.
    public let ld: Int

    public init(_ tensor: Tensor, columnOffset: Int = 0, ld: Int) {
        self.tensor = tensor
        self.columnOffset = columnOffset
        self.ld = ld
    }

    /// Absolute element offset of (0, 0) inside the storage.
    public var offset: Int { tensor.offset + columnOffset }
    public var storage: TensorStorage { tensor.storage }

    /// The columns of this matrix from `first` on, same leading dimension.
    public func columnBlock(startingAt first: Int) -> MatrixView {
        MatrixView(tensor, columnOffset: columnOffset + first, ld: ld)
    }
}

public enum Transpose: Sendable {
    case none
    case transposed
}
