import RecurCore

/// `output` `[rows, out]` = Σᵢ `blocks[i]` · W[:, block i's columns]ᵀ, for blocks `[rows, wᵢ]` whose widths sum
/// to the columns of `weight` `[out, in]`: a layer reads the two directions of a bidirectional layer below as
/// they are, without concatenating them. With `int8` the products run on its int8 copy of the weight.
func projectBlocks(_ blocks: [Tensor], weight: Parameter, int8: Int8Weight?, into output: Tensor, on backend: Backend) throws {
    let rows = output.rows, inputSize = weight.shape[1]
    var column = 0
    for (index, block) in blocks.enumerated() {
        let beta: Float = index == 0 ? 0 : 1
        if let int8 {
            try backend.gemm(.none, m: rows, alpha: 1, a: block.matrix,
                             b: int8.operand(column: column, width: block.columns, on: backend), beta: beta, c: output.matrix)
        } else {
            try backend.gemm(.none, .transposed, m: rows, n: weight.shape[0], k: block.columns, alpha: 1, a: block.matrix,
                             b: MatrixView(weight.value, columnOffset: column, ld: inputSize), beta: beta, c: output.matrix)
        }
        column += block.columns
    }
    precondition(column == inputSize, "\(weight.name): input blocks are \(column) wide, the weight takes \(inputSize)")
}
