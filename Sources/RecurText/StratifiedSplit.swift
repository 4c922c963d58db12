/// Splits example indices into parts (e.g. train/dev/test = 0.8/0.1/0.1) so that every class keeps the
/// same proportions in each part. Deterministic: the same labels, fractions and seed give the same parts on
/// every run and toolchain.
///
/// Per class (in sorted label order) the indices are shuffled with one `Xoshiro256StarStar(seed:)`, and the
/// class's n examples are shared out by largest remainder: part k gets floor(f_k * n), and the leftover
/// examples go to the parts with the largest fractional parts (ties: earlier part). Each returned part is
/// sorted ascending (file order); shuffle for training happens in batching.
public func stratifiedSplit<Label: Hashable & Comparable>(
    labels: [Label], fractions: [Double], seed: UInt64
) throws -> [[Int]] {
    guard !fractions.isEmpty, fractions.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
        throw TextDataError(file: nil, line: nil, "split fractions must be non-negative numbers, got \(fractions)")
    }
    let total = fractions.reduce(0, +)
    guard abs(total - 1) < 1e-6 else {
        throw TextDataError(file: nil, line: nil, "split fractions must add up to 1, got \(fractions) (sum \(total))")
    }
    var byClass: [Label: [Int]] = [:]
    for (index, label) in labels.enumerated() { byClass[label, default: []].append(index) }
    var generator = Xoshiro256StarStar(seed: seed)
    var parts = [[Int]](repeating: [], count: fractions.count)
    for label in byClass.keys.sorted() {
        var members = byClass[label]!
        generator.shuffle(&members)
        let sizes = largestRemainderSizes(total: members.count, fractions: fractions)
        var start = 0
        for (part, size) in sizes.enumerated() {
            parts[part] += members[start..<(start + size)]
            start += size
        }
    }
    return parts.map { $0.sorted() }
}

/// Splits the examples themselves by their labels; see `stratifiedSplit(labels:fractions:seed:)`.
public func stratifiedSplit(_ examples: [LabeledExample], fractions: [Double], seed: UInt64) throws -> [[LabeledExample]] {
    try stratifiedSplit(labels: examples.map(\.label), fractions: fractions, seed: seed).map { part in part.map { examples[$0] } }
}

/// Parses "0.8,0.1,0.1" (or "80,10,10", normalised when the sum is 100).
public func parseSplitFractions(_ text: String) throws -> [Double] {
    let values = text.split(separator: ",").map { Double(String($0).trimmingWhitespace) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
        throw TextDataError(file: nil, line: nil, "expected comma-separated fractions like 0.8,0.1,0.1, got \"\(text)\"")
    }
    let numbers = values.map { $0! }
    let sum = numbers.reduce(0, +)
    return abs(sum - 100) < 1e-6 ? numbers.map { $0 / 100 } : numbers
}

func largestRemainderSizes(total: Int, fractions: [Double]) -> [Int] {
    let exact = fractions.map { $0 * Double(total) }
    var sizes = exact.map { Int(($0 + 1e-9).rounded(.down)) }
    var leftover = total - sizes.reduce(0, +)
    let order = exact.indices.sorted { a, b in
        let ra = exact[a] - Double(sizes[a])
        let rb = exact[b] - Double(sizes[b])
        return ra != rb ? ra > rb : a < b
    }
    var k = 0
    while leftover > 0 {
        let part = order[k % order.count]
        if fractions[part] > 0 {
            sizes[part] += 1
            leftover -= 1
        }
        k += 1
    }
    while leftover < 0 {  // Only from rounding up by the epsilon; take back from the largest part.
        let part = sizes.indices.max { sizes[$0] < sizes[$1] }!
        sizes[part] -= 1
        leftover += 1
    }
    return sizes
}

/// A seeded sample of `count` examples with the classes as equal as they can be (the remainder goes to
/// the classes first in sorted label order): how few-label experiments pick their training set. Returned in
/// file order. Throws when a class has too few examples for its share.
public func balancedSample(_ examples: [LabeledExample], count: Int, seed: UInt64) throws -> [LabeledExample] {
    var byClass: [String: [Int]] = [:]
    for (index, example) in examples.enumerated() { byClass[example.label, default: []].append(index) }
    let labels = byClass.keys.sorted()
    guard count > 0, !labels.isEmpty else {
        throw TextDataError(file: nil, line: nil, "cannot sample \(count) examples from \(examples.count)")
    }
    var generator = Xoshiro256StarStar(seed: seed ^ 0xBA1A_4CED)
    var chosen: [Int] = []
    for (position, label) in labels.enumerated() {
        let share = count / labels.count + (position < count % labels.count ? 1 : 0)
        var members = byClass[label]!
        guard members.count >= share else {
            throw TextDataError(file: nil, line: nil, "class '\(label)' has \(members.count) examples; a balanced sample of \(count) needs \(share)")
        }
        generator.shuffle(&members)
        chosen += members.prefix(share)
    }
    return chosen.sorted().map { examples[$0] }
}
