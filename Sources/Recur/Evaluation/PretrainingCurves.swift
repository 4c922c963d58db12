import Foundation

/// Draws language-model pretraining as a standalone SVG (`curves.svg`): the training loss per token over
/// optimizer steps (the sampled-softmax estimate, averaged over each stretch of steps) and the exact
/// validation loss at each epoch's end, labelled with its perplexity.
public enum PretrainingCurves {
    /// `train` and `valid`: (optimizer step, mean loss per token).
    public static func svg(train: [(step: Int, loss: Double)], valid: [(step: Int, loss: Double)],
                           title: String = "Pretraining") -> String {
        let width = 760.0, height = 390.0, left = 64.0, top = 56.0, plotWidth = width - left - 32, plotHeight = height - top - 64
        let values = train.map(\.loss) + valid.map(\.loss)
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.08
        low -= pad; high += pad
        let lastStep = Double(max(1, (train.map(\.step) + valid.map(\.step)).max() ?? 1))
        func x(_ step: Int) -> Double { left + Double(step) / lastStep * plotWidth }
        func y(_ value: Double) -> Double { top + plotHeight - (value - low) / (high - low) * plotHeight }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="22" font-size="15" font-weight="bold">\(TrainingCurves.escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="none" stroke="#999"/>

        """
        for tick in 0...4 {
            let value = low + (high - low) * Double(tick) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y(value))\" y2=\"\(y(value))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(left - 4)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", value))</text>\n"
            let step = Int(lastStep * Double(tick) / 4)
            svg += "<text x=\"\(x(step))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(step)</text>\n"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(top + plotHeight + 36)\" text-anchor=\"middle\">optimizer step</text>\n"
        svg += "<text x=\"16\" y=\"\(top + plotHeight / 2)\" transform=\"rotate(-90 16 \(top + plotHeight / 2))\" text-anchor=\"middle\">loss per token</text>\n"
        svg += TrainingCurves.polyline(train.map { (x($0.step), y($0.loss)) }, color: "#1f77b4")
        for point in valid {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>\n", x(point.step), y(point.loss))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#d62728\">perplexity %.1f</text>\n",
                          x(point.step) - 6, y(point.loss) - 8, exp(point.loss))
        }
        svg += "<text x=\"\(width - 330)\" y=\"40\" fill=\"#1f77b4\">— train (sampled softmax)</text>\n"
        svg += "<text x=\"\(width - 160)\" y=\"40\" fill=\"#d62728\">● validation (exact)</text>\n"
        return svg + "</svg>\n"
    }
}
