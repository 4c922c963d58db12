/// The seam between the model code and the hardware.
///
/// A backend owns memory and runs ops on it. Everything in `Recur` is written against this protocol and
/// never learns which backend it runs on. Data crosses the host/device line only through `upload`,
/// `write` and `download`, and every crossing is counted in `transfers`.
///
/// Conventions shared by every op:
/// - Tensors are row-major views (`Tensor.offset` counts elements). An op reads and writes exactly the
///   elements of the views it is given; inputs and outputs of one op do not overlap unless the op says so.
/// - Ops may run asynchronously (OpenCL enqueues them in order on one queue); `download` and
///   `synchronize` wait for everything enqueued before them.
/// - "Accumulate" means the op adds into its output (`out += ...`) instead of overwriting it.
/// - Sequences are time-major: `[T, B, F]`. `lengths` is an int32 `[B]`; step `t` of row `b` is valid when
///   `t < lengths[b]` (PyTorch packed-sequence semantics). A `nil` lengths tensor means every step is valid.
/// - Every op throws `BackendError` instead of trapping on a device failure.
public protocol Backend: AnyObject {
    /// A short name for logs and benchmarks ("cpu", "opencl:0 (pthread-skylake-avx512 ...)").
    var name: String { get }
    /// Bytes moved between host and device so far.
    var transfers: TransferCounter { get }

    // MARK: Memory

    /// A new zero-filled tensor.
    func zeros(_ shape: [Int], dtype: DType) throws -> Tensor
    /// A new tensor whose contents are unspecified, for outputs an op overwrites completely (a GEMM with
    /// beta 0, a gather): it saves the fill. Debug builds of the CPU backend fill it with NaN, so a read
    /// before a write shows up in every test.
    func uninitialized(_ shape: [Int], dtype: DType) throws -> Tensor
    /// Copies host floats into a new tensor (counted as host-to-device).
    func upload(_ values: [Float], shape: [Int]) throws -> Tensor
    /// Copies host ints into a new int32 tensor (counted as host-to-device).
    func upload(_ values: [Int32], shape: [Int]) throws -> Tensor
    /// Overwrites an existing tensor with host values; `values.count == tensor.count`.
    func write(_ values: [Float], to tensor: Tensor) throws
    func write(_ values: [Int32], to tensor: Tensor) throws
    /// Copies a float32 tensor to the host, waiting for pending work (counted as device-to-host).
    func download(_ tensor: Tensor) throws -> [Float]
    /// Copies an int32 tensor to the host.
    func downloadInts(_ tensor: Tensor) throws -> [Int32]
    /// Waits until all enqueued work has finished.
    func synchronize() throws

    // MARK: Basic ops

    /// `tensor[i] = value` for every element.
    func fill(_ tensor: Tensor, with value: Float) throws
    /// `destination[i] = source[i]`; equal counts, either dtype (bits are copied).
    func copy(_ source: Tensor, to destination: Tensor) throws
    /// `y[i] += alpha * x[i]`.
    func axpy(alpha: Float, x: Tensor, y: Tensor) throws
    /// `x[i] *= alpha`.
    func scale(_ x: Tensor, by alpha: Float) throws
    /// `out[i] = a[i] * b[i]`; `out` may be `a` or `b`.
    func multiply(_ a: Tensor, _ b: Tensor, into out: Tensor) throws

    /// C = alpha * op(A) * op(B) + beta * C, row-major, where op(A) is m x k, op(B) is k x n and C is m x n.
    /// With `beta == 0` C is overwritten (its old contents, even NaN, are ignored).
    func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: MatrixView, b: MatrixView, beta: Float, c: MatrixView
    ) throws

    /// Prepares op(B) (k x n) for many GEMMs while it does not change: a recurrent weight across the time
    /// steps of one batch. The CPU backend packs it into its micro-kernel's panels once instead of per call.
    /// The operand reads B as it is now; it must not be used after B changes.
    func prepareGEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand
    /// `gemm` with a prepared op(B).
    func gemm(_ transA: Transpose, m: Int, alpha: Float, a: MatrixView, b: PreparedGEMMOperand, beta: Float, c: MatrixView) throws

    /// op(B) quantized to int8 for dynamically quantized inference (PyTorch's `quantize_dynamic`): `gemm` with
    /// it quantizes A per row on the fly and multiplies in integers. Only `transA == .none`. Backends without
    /// an int8 GEMM throw `BackendError.unsupported`.
    func prepareInt8GEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand

    /// `matrix[r, c] += vector[c]` for a `[rows, cols]` matrix and a `[cols]` vector (bias add).
    func addRowVector(_ vector: Tensor, to matrix: Tensor) throws
    /// `vector[c] (+)= sum over r of matrix[r, c]` (bias gradient).
    func sumRows(_ matrix: Tensor, into vector: Tensor, accumulate: Bool) throws
    /// `result[0] (+)= sum of x[i]`; `result` is a one-element tensor.
    func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws
    /// `result[0] (+)= sum of x[i]^2`: the pieces of a global L2 norm.
    func sumOfSquares(_ x: Tensor, into result: Tensor, accumulate: Bool) throws
    /// Gradient clipping: `x[i] *= min(1, maxNorm / (sqrt(normSquared[0]) + 1e-6))`, as `clip_grad_norm_`.
    /// The coefficient is computed on the device, so clipping needs no round trip to the host.
    func clipScale(_ x: Tensor, normSquared: Tensor, maxNorm: Float) throws

    // MARK: Recurrent cells (one time step of a batch)

    /// LSTM step, gate order i, f, g, o as PyTorch.
    /// - `gates` `[B, 4H]`: in, the pre-activations (x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); out, the activations
    ///   (σ(i), σ(f), tanh(g), σ(o)), kept for the backward pass.
    /// - `cPrev`, `hPrev` `[B, H]`: the state entering the step. `cNext`, `hNext` `[B, H]`: the state leaving it.
    /// - `output` `[B, H]`: this step's output, `hNext` where valid, 0 where not.
    /// - Where step `t` is not valid for row b the state is carried (`hNext = hPrev`, `cNext = cPrev`)
    ///   and that row's gates are left as activations of whatever they held.
    func lstmCellForward(
        gates: Tensor, cPrev: Tensor, hPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws

    /// Backward of `lstmCellForward` for one step.
    /// - `gates` `[B, 4H]`: the activations saved by the forward step. `cPrev`, `cNext`: the cell states around it.
    /// - `dOutput` `[B, H]`: the loss gradient reaching this step's output (ignored where not valid).
    /// - `dh` `[B, H]`: in, the gradient flowing back into `hNext` from later steps; out, the part of the
    ///   gradient w.r.t. `hPrev` that does not go through W_hh: 0 where valid, the incoming `dh` where not.
    ///   (The caller then adds `dGates · W_hh` with a GEMM.)
    /// - `dc` `[B, H]`: in, the gradient w.r.t. `cNext`; out, the gradient w.r.t. `cPrev` (carried where not valid).
    /// - `dGates` `[B, 4H]`: out, the gradient w.r.t. the pre-activations (0 where not valid).
    func lstmCellBackward(
        gates: Tensor, cPrev: Tensor, cNext: Tensor, dOutput: Tensor, dh: Tensor, dc: Tensor, dGates: Tensor,
        lengths: Tensor?, t: Int
    ) throws

    /// GRU step, gate order r, z, n as PyTorch (reset applied after the recurrent product):
    /// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r ⊙ gh_n), h' = (1 − z) ⊙ n + z ⊙ h.
    /// - `inputGates` `[B, 3H]`: in, x·W_ihᵀ + b_ih; out, the activations (r, z, n), kept for backward.
    /// - `hiddenGates` `[B, 3H]`: h·W_hhᵀ + b_hh, read only (its n block is needed by backward).
    /// - `hPrev`, `hNext`, `output` as for the LSTM; not-valid rows carry `hPrev`.
    func gruCellForward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws

    /// Backward of `gruCellForward` for one step.
    /// - `inputGates`: the activations (r, z, n) saved by forward; `hiddenGates`: as in forward; `hPrev`.
    /// - `dOutput`, `dh`: as for the LSTM, except that the direct part left in `dh` where valid is `dh ⊙ z`.
    /// - `dInputGates` `[B, 3H]`: out, gradient w.r.t. x·W_ihᵀ + b_ih.
    /// - `dHiddenGates` `[B, 3H]`: out, gradient w.r.t. h·W_hhᵀ + b_hh (its n block is scaled by r).
    ///   Both are 0 where not valid.
    func gruCellBackward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, dOutput: Tensor, dh: Tensor,
        dInputGates: Tensor, dHiddenGates: Tensor, lengths: Tensor?, t: Int
    ) throws

    /// Elman RNN step with tanh: `preactivation` `[B, H]` (x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) becomes
    /// tanh of itself; `hNext`/`output` as for the LSTM; not-valid rows carry `hPrev`.
    func rnnCellForward(preactivation: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int) throws

    /// Backward of `rnnCellForward`: `activation` is the saved tanh output; `dh` as for the LSTM;
    /// `dPreactivation` out (0 where not valid).
    func rnnCellBackward(activation: Tensor, dOutput: Tensor, dh: Tensor, dPreactivation: Tensor, lengths: Tensor?, t: Int) throws

    // MARK: Loss

    /// Row-wise softmax cross-entropy over `logits` `[N, C]` with int32 `targets` `[N]`.
    /// Writes `probabilities` `[N, C]` and `rowLosses` `[N]` = w[y] · (logsumexp(row) − row[y]), where w is
    /// `classWeights` `[C]` (or 1). A target equal to `ignoreIndex` gives loss 0 and no gradient.
    /// Rows with 20k-50k classes (language models) are expected.
    func softmaxCrossEntropy(
        logits: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        probabilities: Tensor, rowLosses: Tensor
    ) throws

    /// `dLogits[n, c] = scale · w[y_n] · (p[n, c] − [c == y_n])`, 0 for ignored rows.
    /// For PyTorch's weighted mean the caller passes `scale = 1 / Σ_n w[y_n]`.
    func softmaxCrossEntropyBackward(
        probabilities: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        scale: Float, dLogits: Tensor
    ) throws

    /// Row-wise softmax of `logits` `[N, C]` into `probabilities` (for prediction).
    func softmax(_ logits: Tensor, into probabilities: Tensor) throws

    // MARK: Embedding

    /// `output[n, :] = weight[tokens[n], :]` for weight `[V, E]`, int32 tokens `[N]`, output `[N, E]`.
    /// Token ids outside `0..<V` are a caller error (the text pipeline maps unknown words to `<unk>`).
    func embeddingForward(weight: Tensor, tokens: Tensor, output: Tensor) throws

    /// `dWeight[tokens[n], :] += dOutput[n, :]` for every n whose token is not `paddingIndex`.
    /// Deterministic: the same inputs give the same bits on every run.
    func embeddingBackward(dOutput: Tensor, tokens: Tensor, dWeight: Tensor, paddingIndex: Int32?) throws

    // MARK: Batch normalisation (per column of a `[B, F]` matrix, over its rows) and ReLU

    /// `mean[c]` and `variance[c]` (biased, as BatchNorm1d normalises with) of column c of `x` `[B, F]`.
    func batchNormStatistics(_ x: Tensor, mean: Tensor, variance: Tensor) throws
    /// `y = gamma * (x - mean) / sqrt(variance + epsilon) + beta` per column; `y` may be `x`.
    func batchNormApply(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                        into y: Tensor) throws
    /// The gradient of a training-mode batch norm (statistics from this batch): writes `dx`, accumulates
    /// `dGamma` and `dBeta`.
    func batchNormBackward(dy: Tensor, x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                           dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws
    /// `y = max(x, 0)`; `y` may be `x`.
    func relu(_ x: Tensor, into y: Tensor) throws
    /// `dx = y > 0 ? dy : 0` from the ReLU's output `y`; `dx` may be `dy`.
    func reluBackward(dy: Tensor, y: Tensor, into dx: Tensor) throws

    // MARK: Transformer ops

    /// torch.nn.LayerNorm over the last dimension of `x` `[N, F]`: `y = gamma * (x - mean) * rstd + beta` with
    /// `rstd = 1 / sqrt(biased variance + epsilon)`. Writes each row's `mean` and `rstd` `[N]` for backward.
    func layerNormForward(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                          into y: Tensor, mean: Tensor, rstd: Tensor) throws
    /// Backward of `layerNormForward`: writes `dx` (may be `dy`), accumulates `dGamma` and `dBeta`.
    func layerNormBackward(dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, gamma: Tensor,
                           dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws

    /// `y = f(x)` elementwise; `y` may be `x` except for GELU (its backward reads `x`).
    func activationForward(_ function: Activation, _ x: Tensor, into y: Tensor) throws
    /// `dx = dy * f'(x)`, from the input `x` (GELU) or the output `y` (tanh); `dx` may be `dy`.
    func activationBackward(_ function: Activation, dy: Tensor, x: Tensor, y: Tensor, into dx: Tensor) throws

    /// Many small GEMMs in one call: for each batch index, C_i = alpha * op(A_i) * op(B_i) + beta * C_i, each
    /// operand addressed by `StridedMatrices` (so the heads of a time-major attention layer are read in place).
    func batchedGemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, batch: BatchShape,
        alpha: Float, a: StridedMatrices, b: StridedMatrices, beta: Float, c: StridedMatrices
    ) throws

    /// Attention probabilities in place: each row of `scores` `[R, S]` becomes the softmax of its first
    /// `keyLengths[r / rowsPerSequence]` entries, the rest 0 (padding keys get no attention). Nil: all valid.
    func maskedSoftmax(_ scores: Tensor, keyLengths: Tensor?, rowsPerSequence: Int) throws
    /// Backward of a row softmax: `dScores = p * (dP - sum_j(dP * p))` per row; `dScores` may be `dProbabilities`.
    func softmaxBackward(probabilities: Tensor, dProbabilities: Tensor, into dScores: Tensor) throws

    // MARK: Dropout

    /// Fills `mask` with 0 (dropped, probability `p`) or `1 / (1 − p)` (kept). Element i's decision is
    /// `DropoutRNG.uniform(seed:index: UInt32(i))` >= p, so both backends draw the same mask.
    func dropoutMask(_ mask: Tensor, p: Float, seed: UInt64) throws

    // MARK: Pooling over time

    /// Masked pooling of a sequence `input` `[T, B, H]` over its valid steps into `output` `[B, H]`.
    /// `.max` writes the arg-max step per element into the int32 `argmax` `[B, H]` (required for `.max`).
    /// A row with length 0 pools to 0.
    func poolForward(_ mode: PoolMode, input: Tensor, lengths: Tensor?, output: Tensor, argmax: Tensor?) throws

    /// Accumulates the gradient of `poolForward` into `dInput` `[T, B, H]`.
    func poolBackward(_ mode: PoolMode, dOutput: Tensor, lengths: Tensor?, argmax: Tensor?, dInput: Tensor) throws

    // MARK: Optimizers (fused, in place on parameter and state; `step` counts from 1)

    func sgdUpdate(parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, step: Int, hyper: SGDHyper) throws
    func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: Int, hyper: AdamHyper) throws
    func rmspropUpdate(parameter: Tensor, gradient: Tensor, squareAverage: Tensor, momentumBuffer: Tensor?, step: Int, hyper: RMSpropHyper) throws
    func adagradUpdate(parameter: Tensor, gradient: Tensor, sum: Tensor, step: Int, hyper: AdagradHyper) throws
}

/// op(B) of a GEMM, prepared once for many calls (see `Backend.prepareGEMMOperand`). Backends that gain
/// nothing from preparing keep only the view.
open class PreparedGEMMOperand {
    public let view: MatrixView
    public let transposed: Transpose
    public let k: Int
    public let n: Int
    public init(view: MatrixView, transposed: Transpose, k: Int, n: Int) {
        self.view = view
        self.transposed = transposed
        self.k = k
        self.n = n
    }
}

extension Backend {
    public func prepareGEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand {
        PreparedGEMMOperand(view: b, transposed: transB, k: k, n: n)
    }

    public func gemm(_ transA: Transpose, m: Int, alpha: Float, a: MatrixView, b: PreparedGEMMOperand, beta: Float, c: MatrixView) throws {
        try gemm(transA, b.transposed, m: m, n: b.n, k: b.k, alpha: alpha, a: a, b: b.view, beta: beta, c: c)
    }

    public func prepareInt8GEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand {
        throw BackendError.unsupported("int8 inference runs on the CPU backend (--device cpu); \(name) has no int8 GEMM")
    }
}

public enum PoolMode: String, Sendable, CaseIterable {
    case sum, mean, max
}

/// Bytes moved across the host/device line, by direction.
public final class TransferCounter: @unchecked Sendable {
    public private(set) var hostToDevice = 0
    public private(set) var deviceToHost = 0
    public init() {}
    public func recordUpload(bytes: Int) { hostToDevice += bytes }
    public func recordDownload(bytes: Int) { deviceToHost += bytes }
}

/// A failure inside a backend, named so that a user can act on it.
public enum BackendError: Error, CustomStringConvertible {
    /// An OpenCL API call failed: the API's name and the error's name (`CL_OUT_OF_RESOURCES`, ...).
    case openCL(call: String, code: Int32, name: String)
    /// A kernel program did not compile: which kernels file and the compiler's log.
    case buildFailed(program: String, device: String, log: String)
    case noDevice(String)
    case invalidArgument(String)
    /// The backend does not offer what was asked of it (int8 GEMMs on OpenCL).
    case unsupported(String)

    /// The device (or the host behind it) ran out of memory: CL_MEM_OBJECT_ALLOCATION_FAILURE,
    /// CL_OUT_OF_RESOURCES or CL_OUT_OF_HOST_MEMORY.
    public var isOutOfMemory: Bool {
        if case let .openCL(_, code, _) = self { return (-6 ... -4).contains(code) }
        return false
    }

    public var description: String {
        switch self {
        case let .openCL(call, code, name): return "OpenCL call \(call) failed with \(name) (\(code))"
        case let .buildFailed(program, device, log): return "OpenCL program '\(program)' failed to build for \(device):\n\(log)"
        case let .noDevice(message): return message
        case let .invalidArgument(message): return message
        case let .unsupported(message): return message
        }
    }
}
