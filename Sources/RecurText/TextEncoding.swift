/// The byte encodings Recur reads. Datasets in the wild are not all UTF-8 (rt-polarity is cp1252), and a
/// wrong guess must show up as an error, not as silently replaced characters.
public enum TextEncoding: String, Codable, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// UTF-8; a leading byte-order mark is stripped; invalid bytes are an error.
    case utf8 = "utf-8"
    /// ISO-8859-1: every byte is the code point of the same value (lossless for any input).
    case latin1 = "latin-1"
    /// Windows-1252: latin-1 with printable characters in 0x80–0x9F (€, curly quotes, dashes). The five
    /// bytes cp1252 leaves undefined map to the C1 control of the same value, as browsers do.
    case cp1252

    /// Accepts the usual spellings of an `--encoding` value: utf8, UTF-8, latin1, iso-8859-1, windows-1252, ...
    public init?(name: String) {
        let key = name.lowercased().filter { $0 != "-" && $0 != "_" }
        switch key {
        case "utf8": self = .utf8
        case "latin1", "iso88591", "l1": self = .latin1
        case "cp1252", "windows1252": self = .cp1252
        default: return nil
        }
    }

    public var description: String { rawValue }

    /// Decodes one line (or one file). Returns nil for invalid UTF-8; latin-1 and cp1252 never fail.
    public func decode<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        switch self {
        case .utf8:
            let text = String(decoding: bytes, as: UTF8.self)
            // Decoding replaces invalid bytes with U+FFFD, so a valid input round-trips byte for byte.
            return text.utf8.elementsEqual(bytes) ? text : nil
        case .latin1, .cp1252:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            for byte in bytes {
                if self == .cp1252, byte >= 0x80, byte < 0xA0 {
                    scalars.append(Unicode.Scalar(cp1252High[Int(byte) - 0x80])!)
                } else {
                    scalars.append(Unicode.Scalar(byte))
                }
            }
            return String(scalars)
        }
    }

    /// The byte offset of the first invalid UTF-8 sequence, for error messages.
    static func firstInvalidUTF8Offset<Bytes: Collection>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// cp1252 bytes 0x80...0x9F.
private let cp1252High: [UInt32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
]
