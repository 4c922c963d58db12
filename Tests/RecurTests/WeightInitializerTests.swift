import Foundation
import Testing
import Recur
import RecurCore

@Suite struct WeightInitializerTests {
    /// Normals are Box-Muller on the stream's words as `NormalSampling.boxMuller` lays them out (blocks of
    /// 16 pairs: 16 radius words, 16 angle words; 16 cosines, 16 sines), written out here in double
    /// precision; the float polynomials agree to ~1e-6.
    @Test(arguments: [1, 7, 31, 32, 40_001])
    func normalsAreBoxMullerOnTheStream(count: Int) {
        var generator = WeightInitializer(seed: 42)
        let values = generator.normal(count: count, std: 0.5)

        var stream = WeightInitializer(seed: 42)
        let pairs = (count + 1) / 2
        var words: [UInt32] = []
        for _ in 0..<pairs {
            let word = stream.next()
            words += [UInt32(truncatingIfNeeded: word), UInt32(truncatingIfNeeded: word >> 32)]
        }
        var expected: [Double] = []
        for start in stride(from: 0, to: pairs, by: 16) {
            let lanes = min(16, pairs - start)
            var cosines: [Double] = [], sines: [Double] = []
            for lane in 0..<lanes {
                let u1 = (Double(words[2 * start + lane]) + 0.5) / 4_294_967_296
                let u2 = Double(words[2 * start + lanes + lane] >> 9) / 8_388_608
                let radius = (-2 * log(u1)).squareRoot()
                cosines.append(radius * cos(2 * Double.pi * u2) * 0.5)
                sines.append(radius * sin(2 * Double.pi * u2) * 0.5)
            }
            expected += cosines + sines
        }
        #expect(values.count == count)
        let worst = zip(values, expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 2e-6)
        // The stream continues after the words the pairs took.
        #expect(generator.next() == stream.next())
    }

    /// The extremes of the mapping: u₁ at its smallest (the longest radius, ~6.9) and at 1 (radius 0), and
    /// angles on the quarter turns. One block of 5 pairs: words 0-4 the radii, 5-9 the angles.
    @Test func boxMullerAtTheEdges() {
        let radii: [UInt32] = [0, .max, 1, 1, 1], angles: [UInt32] = [0, 0, 1 << 30, 2 << 30, 3 << 30]
        let bits = radii + angles
        let words = (0..<5).map { UInt64(bits[2 * $0]) | UInt64(bits[2 * $0 + 1]) << 32 }
        var output = [Float](repeating: .nan, count: 10)
        words.withUnsafeBufferPointer { words in
            output.withUnsafeMutableBufferPointer { NormalSampling.boxMuller(words: words, std: 1, output: $0) }
        }
        let cosines = Array(output[0..<5]), sines = Array(output[5..<10])
        let longest = Float((-2 * log(0.5 / 4_294_967_296.0)).squareRoot())
        #expect(abs(cosines[0] - longest) < 1e-5 && sines[0] == 0)
        #expect(cosines[1] == 0 && sines[1] == 0)
        let radius = Float((-2 * log(1.5 / 4_294_967_296.0)).squareRoot())
        #expect(abs(cosines[2]) < 1e-5 && abs(sines[2] - radius) < 1e-5)  // a quarter turn
        #expect(abs(cosines[3] + radius) < 1e-5 && abs(sines[3]) < 1e-5)  // half
        #expect(abs(cosines[4]) < 1e-5 && abs(sines[4] + radius) < 1e-5)  // three quarters
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
