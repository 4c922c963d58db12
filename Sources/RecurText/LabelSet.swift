/// The classes of a task: label strings and their indices (the classifier's output rows). Saved with a run
/// so that prediction maps indices back to the same strings, whatever order a later file lists them in.
/// Encodes as a JSON array of names.
public struct LabelSet: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Label names; a label's index is its position.
    public let names: [String]
    private let indexByName: [String: Int]

    /// Labels in the given order. Duplicate or empty names are an error.
    public init(names: [String]) throws {
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() {
            if name.isEmpty { throw TextDataError(file: nil, line: nil, "label set: empty label name") }
            if index.updateValue(position, forKey: name) != nil {
                throw TextDataError(file: nil, line: nil, "label set: duplicate label \"\(name)\"")
            }
        }
        self.names = names
        indexByName = index
    }

    /// The distinct labels in natural order ("0" < "1" < "10", "neg" < "pos"), so the same data always
    /// gives the same indices.
    public init<Labels: Sequence>(inferringFrom labels: Labels) where Labels.Element == String {
        try! self.init(names: Set(labels).filter { !$0.isEmpty }.sorted(by: naturalOrder))
    }

    /// The labels of `examples` in natural order.
    public init(inferringFrom examples: [LabeledExample]) {
        self.init(inferringFrom: examples.lazy.map(\.label))
    }

    public init(from decoder: Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        do {
            try self.init(names: names)
        } catch let error as TextDataError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }

    public static func == (lhs: LabelSet, rhs: LabelSet) -> Bool { lhs.names == rhs.names }
    public func hash(into hasher: inout Hasher) { hasher.combine(names) }

    public var count: Int { names.count }
    public var description: String { names.joined(separator: ", ") }

    public func index(of label: String) -> Int? { indexByName[label] }

    public subscript(index: Int) -> String { names[index] }

    /// Label indices for `examples`; an unknown label is an error naming its file, line and the label.
    public func indices(of examples: [LabeledExample]) throws -> [Int32] {
        try examples.map { example in
            guard let index = indexByName[example.label] else {
                throw TextDataError(example.source, "unknown label \"\(example.label)\" (known labels: \(description))")
            }
            return Int32(index)
        }
    }

    /// Checks that `examples` can train a classifier over this label set: there must be examples, and at
    /// least two classes among them (a one-class file, e.g. only `rt-polarity.pos`, is a usage mistake that
    /// would otherwise train a constant predictor). Returns the count per label, in label order.
    @discardableResult
    public func validateForTraining(_ examples: [LabeledExample]) throws -> [Int] {
        var counts = [Int](repeating: 0, count: count)
        for index in try indices(of: examples) { counts[Int(index)] += 1 }
        let present = zip(names, counts).filter { $0.1 > 0 }
        if examples.isEmpty { throw TextDataError(file: nil, line: nil, "no training examples") }
        if present.count < 2 {
            let files = Set(examples.map(\.source.file)).sorted().joined(separator: ", ")
            throw TextDataError(
                file: nil, line: nil,
                "training needs at least two classes, but every example (\(examples.count), from \(files)) has label \"\(present[0].0)\"")
        }
        return counts
    }
}

/// A total order on strings that compares runs of ASCII digits by value ("2" < "10") and everything else by
/// Unicode scalar value; strings equal under that rule fall back to plain comparison.
public func naturalOrder(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.unicodeScalars)
    let b = Array(rhs.unicodeScalars)
    var i = 0
    var j = 0
    func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 48 && scalar.value <= 57 }
    while i < a.count, j < b.count {
        if isDigit(a[i]), isDigit(b[j]) {
            var endA = i
            while endA < a.count, isDigit(a[endA]) { endA += 1 }
            var endB = j
            while endB < b.count, isDigit(b[endB]) { endB += 1 }
            let digitsA = a[i..<endA].drop { $0 == "0" }
            let digitsB = b[j..<endB].drop { $0 == "0" }
            if digitsA.count != digitsB.count { return digitsA.count < digitsB.count }
            for (x, y) in zip(digitsA, digitsB) where x != y { return x.value < y.value }
            i = endA
            j = endB
        } else {
            if a[i] != b[j] { return a[i].value < b[j].value }
            i += 1
            j += 1
        }
    }
    if (a.count - i) != (b.count - j) { return (a.count - i) < (b.count - j) }
    return lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars) { $0.value < $1.value }
}
