import Foundation

/// How integrated gradients approximates the path integral from the baseline (α = 0) to the text (α = 1):
/// the points α it evaluates the gradient at and the weight of each. Captum's rules, with its names.
public enum IntegrationRule: String, Codable, Sendable, CaseIterable {
    /// Gauss–Legendre quadrature on [0, 1] (Captum's default): exact for polynomials of degree 2n − 1.
    case gaussLegendre = "gausslegendre"
    case riemannLeft = "riemann_left"
    case riemannRight = "riemann_right"
    case riemannMiddle = "riemann_middle"
    case riemannTrapezoid = "riemann_trapezoid"

    /// `steps` points α in [0, 1] and their weights (which sum to 1), as Captum's `approximation_parameters`.
    public func points(steps: Int) -> (alphas: [Double], weights: [Double]) {
        precondition(steps >= 1, "integration needs at least one step")
        let n = Double(steps)
        switch self {
        case .gaussLegendre:
            let (nodes, weights) = Self.legendreNodes(steps)
            return (nodes.map { 0.5 * ($0 + 1) }, weights.map { 0.5 * $0 })
        case .riemannLeft:
            return ((0..<steps).map { Double($0) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannRight:
            return ((1...steps).map { Double($0) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannMiddle:
            return ((0..<steps).map { (Double($0) + 0.5) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannTrapezoid:
            guard steps > 1 else { return ([0.5], [1]) }
            let h = 1 / (n - 1)
            let weights = (0..<steps).map { $0 == 0 || $0 == steps - 1 ? h / 2 : h }
            return ((0..<steps).map { Double($0) * h }, weights)
        }
    }

    /// Nodes (ascending, in [−1, 1]) and weights of n-point Gauss–Legendre quadrature, as numpy's `leggauss`:
    /// Newton's method on P_n from Chebyshev-like guesses.
    public static func legendreNodes(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        /// P_n(x) and P_n'(x) by the three-term recurrence.
        func legendre(_ x: Double) -> (value: Double, derivative: Double) {
            var (previous, current) = (1.0, x)  // P_0, P_1
            for k in stride(from: 2, through: n, by: 1) {
                (previous, current) = (current, ((2 * Double(k) - 1) * x * current - (Double(k) - 1) * previous) / Double(k))
            }
            return (current, Double(n) * (x * current - previous) / (x * x - 1))
        }
        var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<(n + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            for _ in 0..<100 {
                let (value, derivative) = legendre(x)
                let step = value / derivative
                x -= step
                if abs(step) < 1e-15 { break }
            }
            let derivative = legendre(x).derivative
            let weight = 2 / ((1 - x * x) * derivative * derivative)
            (nodes[i], nodes[n - 1 - i]) = (-x, x)
            (weights[i], weights[n - 1 - i]) = (weight, weight)
        }
        return (nodes, weights)
    }
}
