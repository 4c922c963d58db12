import RecurCore

/// A trainable tensor and its gradient, both resident on the backend, under its PyTorch name.
public final class Parameter {
    /// The PyTorch `state_dict` name (`rnn.weight_ih_l0`), used in model files and by optimizers' state.
    public let name: String
    public let value: Tensor
    /// Gradient accumulated by backward passes; zeroed by `zeroGradients`.
    public let gradient: Tensor
    /// A frozen parameter keeps its value: optimizers skip it (fine-tuning). A buffer never trains.
    public var isTrainable: Bool {
        get { trains && !isBuffer }
        set { trains = newValue }
    }
    private var trains = true
    /// State that is saved with the weights but not learned by gradient: BatchNorm's running statistics
    /// (PyTorch's buffers, which are in its `state_dict` too).
    public let isBuffer: Bool
    /// False for parameters that weight decay leaves alone: a Transformer's biases and LayerNorm weights, as
    /// Hugging Face's Trainer groups them.
    public var appliesWeightDecay = true

    public init(name: String, value: Tensor, gradient: Tensor, isBuffer: Bool = false) {
        self.name = name
        self.value = value
        self.gradient = gradient
        self.isBuffer = isBuffer
    }

    /// A parameter on `backend` holding `values` with a zero gradient.
    public convenience init(name: String, shape: [Int], values: [Float], isBuffer: Bool = false, on backend: Backend) throws {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.init(
            name: name,
            value: try backend.upload(values, shape: shape),
            gradient: try backend.zeros(shape, dtype: .float32),
            isBuffer: isBuffer
        )
    }

    public var shape: [Int] { value.shape }
}

/// Something that owns parameters.
public protocol ParameterContainer {
    var parameters: [Parameter] { get }
}

extension ParameterContainer {
    public func zeroGradients(on backend: Backend) throws {
        for parameter in parameters { try backend.fill(parameter.gradient, with: 0) }
    }

    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }
}
