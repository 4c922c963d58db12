import Foundation

/// Builds an ONNX graph node by node: every value gets a fresh name, weights become initializers, and small
/// constants (shapes, axes) are initializers too, so the graph needs no Constant nodes.
struct GraphBuilder {
    private(set) var graph = Onnx_GraphProto()
    private var used: [String: Int] = [:]

    init(name: String) { graph.name = name }

    /// `hint`, or `hint_2`, `hint_3`, ... when taken: names stay readable in Netron and onnxruntime errors.
    mutating func fresh(_ hint: String) -> String {
        let count = used[hint, default: 0] + 1
        used[hint] = count
        return count == 1 ? hint : "\(hint)_\(count)"
    }

    /// Adds a node and returns its outputs' names (`outputs` are name hints).
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = []) -> [String] {
        let names = outputs.map { fresh($0) }
        append(op, inputs, names, attributes)
        return names
    }

    private mutating func append(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto]) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = fresh(op)
        node.input = inputs
        node.output = outputs
        node.attribute = attributes
        graph.node.append(node)
    }

    /// A single-output node.
    mutating func node(_ op: String, _ inputs: [String], output: String, attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, outputs: [output], attributes: attributes)[0]
    }

    mutating func initializer(_ hint: String, floats: [Float], shape: [Int]) -> String {
        initializer(hint, .float, count: floats.count, shape: shape, rawData: Self.littleEndianBytes(floats.map(\.bitPattern)))
    }

    mutating func initializer(_ hint: String, int64s: [Int64], shape: [Int]) -> String {
        initializer(hint, .int64, count: int64s.count, shape: shape,
                    rawData: Self.littleEndianBytes(int64s.map { UInt64(bitPattern: $0) }))
    }

    private mutating func initializer(_ hint: String, _ type: Onnx_TensorProto.DataType, count: Int, shape: [Int],
                                      rawData: Data) -> String {
        precondition(count == shape.reduce(1, *), "\(hint): \(count) values for shape \(shape)")
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(hint)
        tensor.dataType = Int32(type.rawValue)
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = rawData
        graph.initializer.append(tensor)
        return tensor.name
    }

    /// A 1-D int64 constant (axes, shapes, perms given as inputs).
    mutating func constant(_ hint: String, _ values: [Int64]) -> String {
        initializer(hint, int64s: values, shape: [values.count])
    }

    /// ONNX stores raw tensor data little-endian whatever the host's byte order.
    private static func littleEndianBytes<Word: FixedWidthInteger>(_ words: [Word]) -> Data {
        words.map(\.littleEndian).withUnsafeBytes { Data($0) }
    }

    mutating func input(_ name: String, _ type: Onnx_TensorProto.DataType, _ shape: [Dimension], doc: String) {
        graph.input.append(Self.valueInfo(name, type, shape, doc: doc))
    }

    mutating func output(_ value: String, as name: String, _ type: Onnx_TensorProto.DataType, _ shape: [Dimension], doc: String) {
        // A graph output needs its public name: an Identity gives it one without renaming the producer.
        append("Identity", [value], [name], [])
        graph.output.append(Self.valueInfo(name, type, shape, doc: doc))
    }

    /// A tensor dimension in a graph signature: fixed, or named and dynamic.
    enum Dimension {
        case fixed(Int)
        case dynamic(String)
    }

    private static func valueInfo(_ name: String, _ type: Onnx_TensorProto.DataType, _ shape: [Dimension],
                                  doc: String) -> Onnx_ValueInfoProto {
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(type.rawValue)
        tensorType.shape.dim = shape.map {
            var dimension = Onnx_TensorShapeProto.Dimension()
            switch $0 {
            case .fixed(let size): dimension.dimValue = Int64(size)
            case .dynamic(let name): dimension.dimParam = name
            }
            return dimension
        }
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensorType
        info.docString = doc
        return info
    }
}

/// Node attributes by kind.
enum Attribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    /// Cast's target type.
    static func to(_ type: Onnx_TensorProto.DataType) -> Onnx_AttributeProto { int("to", type.rawValue) }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }
}
