/// The body of a prediction answer, written by hand: Foundation's JSONSerialization spent more time on it than
/// the model did on a short text. Probabilities are the exact Float values, printed as the shortest decimal
/// that reads back as the same Double (as `recur predict --json` prints them).
enum PredictionResponse {
    static func body(model: ServedModel, predictions: [TextPrediction]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + predictions.count * (64 + 32 * model.labels.count))
        let labels = model.labels.map(quoted)
        out += #"{"generation":\#(model.generation),"model":\#(quoted(model.name)),"predictions":["#.utf8
        for (index, prediction) in predictions.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"label":\#(quoted(prediction.label)),"probabilities":{"#.utf8
            for (column, probability) in prediction.probabilities.enumerated() {
                if column > 0 { out.append(UInt8(ascii: ",")) }
                let value = Double(probability)
                out += "\(labels[column]):\(value.isFinite ? "\(value)" : "null")".utf8
            }
            out += #"},"tokens":\#(prediction.tokens),"tokens_read":\#(prediction.tokensRead)}"#.utf8
        }
        out += "]}".utf8
        return out
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
