import Foundation
import Recur
import Testing

/// Expects two safetensors files to hold the same tensors, element by element within `tolerance`.
func expectSameTensors(_ a: URL, _ b: URL, tolerance: Float, _ what: String) throws {
    let (left, _) = try SafeTensors.read(a)
    let (right, _) = try SafeTensors.read(b)
    #expect(Set(left.keys) == Set(right.keys), "\(a.lastPathComponent): different tensors in \(a.path) and \(b.path)")
    for (name, entry) in left {
        guard let other = right[name] else { continue }
        #expect(entry.shape == other.shape, "\(name)")
        let difference = zip(entry.values, other.values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= tolerance, "\(a.lastPathComponent) \(name): \(what) by \(difference)")
    }
}
