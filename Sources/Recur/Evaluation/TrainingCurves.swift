import Foundation

/// Draws loss and accuracy per epoch, train against validation, as a standalone SVG (`curves.svg`).
public enum TrainingCurves {
    public static func svg(_ history: [EpochMetrics], title: String = "Training curves") -> String {
        let panelWidth = 420.0, panelHeight = 260.0, margin = 48.0
        let width = margin + 2 * (panelWidth + margin), height = panelHeight + 2 * margin + 24
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(margin)" y="22" font-size="15" font-weight="bold">\(escape(title))</text>

        """
        let epochs = history.map { Double($0.epoch) }
        let panels: [(String, [Double], [Double?])] = [
            ("loss", history.map(\.trainLoss), history.map(\.validLoss)),
            ("accuracy", history.map(\.trainAccuracy), history.map(\.validAccuracy)),
        ]
        for (index, panel) in panels.enumerated() {
            let x0 = margin + Double(index) * (panelWidth + margin), y0 = margin
            let values = panel.1 + panel.2.compactMap { $0 }
            var low = values.min() ?? 0, high = values.max() ?? 1
            if high - low < 1e-9 { low -= 0.5; high += 0.5 }
            let pad = (high - low) * 0.08
            low -= pad; high += pad
            let firstEpoch = epochs.first ?? 1, lastEpoch = max(epochs.last ?? 1, firstEpoch + 1)
            func x(_ epoch: Double) -> Double { x0 + (epoch - firstEpoch) / (lastEpoch - firstEpoch) * panelWidth }
            func y(_ value: Double) -> Double { y0 + panelHeight - (value - low) / (high - low) * panelHeight }
            svg += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(panelWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
            svg += "<text x=\"\(x0 + panelWidth / 2)\" y=\"\(y0 - 8)\" text-anchor=\"middle\" font-weight=\"bold\">\(panel.0)</text>\n"
            for tick in 0...4 {
                let value = low + (high - low) * Double(tick) / 4
                svg += "<line x1=\"\(x0)\" x2=\"\(x0 + panelWidth)\" y1=\"\(y(value))\" y2=\"\(y(value))\" stroke=\"#eee\"/>\n"
                svg += "<text x=\"\(x0 - 4)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\(String(format: "%.3f", value))</text>\n"
            }
            for epoch in epochs {
                svg += "<text x=\"\(x(epoch))\" y=\"\(y0 + panelHeight + 16)\" text-anchor=\"middle\">\(Int(epoch))</text>\n"
            }
            svg += "<text x=\"\(x0 + panelWidth / 2)\" y=\"\(y0 + panelHeight + 34)\" text-anchor=\"middle\">epoch</text>\n"
            svg += polyline(zip(epochs, panel.1).map { (x($0), y($1)) }, color: "#1f77b4")
            svg += polyline(zip(epochs, panel.2).compactMap { epoch, value in value.map { (x(epoch), y($0)) } }, color: "#d62728")
            // The epoch whose weights were kept: the best validation accuracy.
            if let best = history.filter({ $0.validAccuracy != nil }).max(by: { $0.validAccuracy! < $1.validAccuracy! }) {
                let bx = x(Double(best.epoch))
                svg += "<line x1=\"\(bx)\" x2=\"\(bx)\" y1=\"\(y0)\" y2=\"\(y0 + panelHeight)\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
            }
        }
        // One legend for both panels, in the title row, clear of the curves.
        let legendX = width - margin - 250
        svg += "<text x=\"\(legendX)\" y=\"22\" fill=\"#1f77b4\">● train</text>\n"
        svg += "<text x=\"\(legendX + 60)\" y=\"22\" fill=\"#d62728\">● validation</text>\n"
        svg += "<text x=\"\(legendX + 150)\" y=\"22\" fill=\"#888\">┆ best epoch</text>\n"
        return svg + "</svg>\n"
    }

    static func polyline(_ points: [(Double, Double)], color: String) -> String {
        guard !points.isEmpty else { return "" }
        // Dots only where there are few points; a long curve (pretraining steps) reads better as a line.
        let list = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        var out = "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
        for (px, py) in points where points.count <= 60 {
            out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" ", px, py) + "fill=\"\(color)\"/>\n"
        }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
