import Foundation
import Testing
import Recur

@Suite struct WeightInitializerTests {
    /// The normals computed on several threads are the ones a single thread computes from the same stream,
    /// so a seed gives the same weights however many cores run it.
    @Test(arguments: [1, 7, 40_001, 100_000])
    func normalsMatchSequentialBoxMuller(count: Int) {
        var parallel = WeightInitializer(seed: 42)
        let values = parallel.normal(count: count, std: 0.5)

        var sequential = WeightInitializer(seed: 42)
        var expected: [Float] = []
        while expected.count < count {
            let radius = (-2 * log(Double.random(in: Double.ulpOfOne..<1, using: &sequential))).squareRoot()
            let angle = 2 * Double.pi * Double.random(in: 0..<1, using: &sequential)
            expected.append(Float(radius * cos(angle)) * 0.5)
            expected.append(Float(radius * sin(angle)) * 0.5)
        }
        expected = Array(expected.prefix(count))
        #expect(values == expected)
        // The stream continues where the sequential one does.
        #expect(parallel.next() == sequential.next())
    }

    @Test func normalsHaveTheAskedSpread() {
        var generator = WeightInitializer(seed: 3)
        let values = generator.normal(count: 200_000, std: 2)
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance.squareRoot() - 2) < 0.02)
    }
}
