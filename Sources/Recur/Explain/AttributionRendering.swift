import Foundation

/// Explained texts drawn for people: words on a red (lowers the explained class) to green (raises it)
/// scale, in a terminal or as an HTML page.
public enum AttributionRendering {
    /// One line of words coloured with 256-colour ANSI backgrounds; `colour: false` writes `word(+0.123)`.
    public static func terminal(_ explained: ExplainedText, colour: Bool) -> String {
        var line = ""
        for (index, word) in explained.words.enumerated() {
            if index > 0 && !explained.joinsPrevious[index] { line += " " }
            let score = explained.scores[index]
            if colour {
                let level = min(4, Int((abs(score) / explained.scale * 5).rounded(.down)))
                // xterm-256 reds and greens, faint to strong; the faintest level keeps the terminal's own colours.
                let codes = score >= 0 ? [0, 22, 28, 34, 40] : [0, 52, 88, 124, 160]
                line += codes[level] == 0 ? word : "\u{1B}[48;5;\(codes[level])m\u{1B}[97m\(word)\u{1B}[0m"
            } else {
                line += word + String(format: "(%+.3f)", score)
            }
        }
        return line
    }

    /// A self-contained HTML page: one block per text with its summary (after its note, if any) and
    /// coloured words (the score of each word on hover), under `title`.
    public static func html(_ texts: [ExplainedText], notes: [String]? = nil, title: String) -> String {
        var page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font: 15px/1.6 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
        .text { border-top: 1px solid #ddd; padding: .6em 0; }
        .summary { color: #555; font-size: 13px; }
        .words span { border-radius: 3px; padding: 0 1px; }
        .legend span { padding: 0 .4em; border-radius: 3px; }
        </style></head><body>
        <h1>\(escape(title))</h1>
        <p class="legend">Each word's share of the probability of the class named: <span style="background:\(colourCSS(1))">raises it</span>
        <span style="background:\(colourCSS(-1))">lowers it</span> (hover a word for its score).</p>

        """
        for (index, explained) in texts.enumerated() {
            let note = notes.map { escape($0[index]) + " · " } ?? ""
            page += "<div class=\"text\"><div class=\"summary\">\(note)\(escape(explained.summary))</div><div class=\"words\">"
            page += spans(explained)
            page += "</div></div>\n"
        }
        return page + "</body></html>\n"
    }

    /// The coloured words of one text as HTML spans.
    public static func spans(_ explained: ExplainedText) -> String {
        var html = ""
        for (index, word) in explained.words.enumerated() {
            if index > 0 && !explained.joinsPrevious[index] { html += " " }
            let score = explained.scores[index]
            html += "<span style=\"background:\(colourCSS(score / explained.scale))\" title=\"\(String(format: "%+.4f", score))\">\(escape(word))</span>"
        }
        return html
    }

    /// Green for positive, red for negative, opacity by magnitude (`relative` in [−1, 1]).
    static func colourCSS(_ relative: Double) -> String {
        let alpha = String(format: "%.2f", min(1, abs(relative)) * 0.8)
        return relative >= 0 ? "rgba(0,160,60,\(alpha))" : "rgba(220,30,30,\(alpha))"
    }

    /// Text safe inside HTML elements and double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
