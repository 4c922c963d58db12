/// What to do with URLs in text.
public enum URLHandling: String, Codable, CaseIterable, Hashable, Sendable {
    case keep
    case remove
    /// Replace each URL with `CleaningOptions.urlToken` (default `<url>`, which the tokenizers keep whole).
    case token
}

/// Which cleaning steps run. Saved in a run's config so that prediction cleans text exactly as training
/// did; keys missing from an older config take their defaults.
public struct CleaningOptions: Codable, Hashable, Sendable {
    /// Replace HTML tags (`<br />`, `<p class=x>`, comments) with a space.
    public var stripHTMLTags: Bool
    /// Decode HTML entities: `&amp;`, `&lt;`, `&#39;`, `&#x4E2D;`, `&nbsp;` (-> space), and other common names.
    public var decodeHTMLEntities: Bool
    public var urls: URLHandling
    public var urlToken: String
    /// U+FF01–FF5E -> ASCII, U+3000 -> space (Chinese text mixes ＡＢＣ１２３！ with ABC123!).
    public var fullWidthToHalfWidth: Bool
    public var lowercase: Bool
    /// Runs of whitespace (any Unicode space, tabs, newlines) -> one space; trim both ends.
    public var collapseWhitespace: Bool

    public init(
        stripHTMLTags: Bool = true, decodeHTMLEntities: Bool = true, urls: URLHandling = .remove,
        urlToken: String = "<url>", fullWidthToHalfWidth: Bool = true, lowercase: Bool = true,
        collapseWhitespace: Bool = true
    ) {
        self.stripHTMLTags = stripHTMLTags
        self.decodeHTMLEntities = decodeHTMLEntities
        self.urls = urls
        self.urlToken = urlToken
        self.fullWidthToHalfWidth = fullWidthToHalfWidth
        self.lowercase = lowercase
        self.collapseWhitespace = collapseWhitespace
    }

    /// Every step off: the text passes through unchanged.
    public static let none = CleaningOptions(
        stripHTMLTags: false, decodeHTMLEntities: false, urls: .keep, fullWidthToHalfWidth: false, lowercase: false,
        collapseWhitespace: false)

    private enum CodingKeys: String, CodingKey {
        case stripHTMLTags, decodeHTMLEntities, urls, urlToken, fullWidthToHalfWidth, lowercase, collapseWhitespace
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CleaningOptions()
        stripHTMLTags = try c.decodeIfPresent(Bool.self, forKey: .stripHTMLTags) ?? d.stripHTMLTags
        decodeHTMLEntities = try c.decodeIfPresent(Bool.self, forKey: .decodeHTMLEntities) ?? d.decodeHTMLEntities
        urls = try c.decodeIfPresent(URLHandling.self, forKey: .urls) ?? d.urls
        urlToken = try c.decodeIfPresent(String.self, forKey: .urlToken) ?? d.urlToken
        fullWidthToHalfWidth = try c.decodeIfPresent(Bool.self, forKey: .fullWidthToHalfWidth) ?? d.fullWidthToHalfWidth
        lowercase = try c.decodeIfPresent(Bool.self, forKey: .lowercase) ?? d.lowercase
        collapseWhitespace = try c.decodeIfPresent(Bool.self, forKey: .collapseWhitespace) ?? d.collapseWhitespace
    }
}

/// Normalises raw text before tokenizing. Steps run in a fixed order: HTML tags, HTML entities (so a decoded
/// `&lt;b&gt;` stays text), URLs, full-width to half-width, lowercase, whitespace.
public struct TextCleaner: Sendable {
    public var options: CleaningOptions

    public init(_ options: CleaningOptions = CleaningOptions()) {
        self.options = options
    }

    public func clean(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        if options.stripHTMLTags { scalars = Self.stripTags(scalars) }
        if options.decodeHTMLEntities { scalars = Self.decodeEntities(scalars) }
        if options.urls != .keep {
            scalars = Self.replaceURLs(scalars, with: options.urls == .token ? Array(options.urlToken.unicodeScalars) : [" "])
        }
        if options.fullWidthToHalfWidth { scalars = scalars.map(Self.halfWidth) }
        var result = String(String.UnicodeScalarView(scalars))
        if options.lowercase {
            result = result.lowercased()
            if options.urls == .token, options.urlToken != options.urlToken.lowercased() {
                result = result.replacing(options.urlToken.lowercased(), with: options.urlToken)
            }
        }
        if options.collapseWhitespace { result = Self.collapse(result) }
        return result
    }

    static func halfWidth(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0xFF01...0xFF5E: return Unicode.Scalar(scalar.value - 0xFEE0)!
        case 0x3000: return " "
        default: return scalar
        }
    }

    static func collapse(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "\u{FEFF}" || scalar == "\u{200B}" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool {
        (s.value >= 65 && s.value <= 90) || (s.value >= 97 && s.value <= 122)
    }

    /// A tag is `<` followed by a letter, `/letter`, or `!` and runs to the next `>` with no `<` in between
    /// (within 2000 characters); `<!-- ... -->` runs to `-->`. Anything else (`a < b`) is text.
    static func stripTags(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains("<") else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == "<", i + 1 < s.count {
                let next = s[i + 1]
                if next == "!", i + 3 < s.count, s[i + 2] == "-", s[i + 3] == "-" {
                    var j = i + 4
                    while j + 2 < s.count, !(s[j] == "-" && s[j + 1] == "-" && s[j + 2] == ">") { j += 1 }
                    if j + 2 < s.count {
                        out.append(" ")
                        i = j + 3
                        continue
                    }
                } else if isASCIILetter(next) || next == "!" || (next == "/" && i + 2 < s.count && isASCIILetter(s[i + 2])) {
                    var j = i + 1
                    let limit = min(s.count, i + 2000)
                    while j < limit, s[j] != ">", s[j] != "<" { j += 1 }
                    if j < limit, s[j] == ">" {
                        out.append(" ")
                        i = j + 1
                        continue
                    }
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    /// `&name;`, `&#NNN;`, `&#xHH;` with the semicolon; unknown names and invalid code points stay as written.
    static func decodeEntities(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.contains("&") else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == "&" {
                var j = i + 1
                while j < s.count, j - i <= 32, s[j].isASCII, s[j].properties.isAlphabetic || s[j].properties.numericType != nil || s[j] == "#" {
                    j += 1
                }
                if j < s.count, s[j] == ";", j > i + 1 {
                    let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
                    if let replacement = entity(name) {
                        out += replacement.unicodeScalars
                        i = j + 1
                        continue
                    }
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    static func entity(_ name: String) -> String? {
        if name.hasPrefix("#") {
            let body = name.dropFirst()
            let value: UInt32?
            if body.first == "x" || body.first == "X" {
                value = UInt32(body.dropFirst(), radix: 16)
            } else {
                value = UInt32(body, radix: 10)
            }
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return nil }
            // Numeric references in the C1 range mean cp1252 in practice (HTML5 does the same).
            if value >= 0x80, value < 0xA0, let decoded = TextEncoding.cp1252.decode([UInt8(value)]) { return decoded }
            return scalar == "\u{A0}" ? " " : String(scalar)
        }
        return htmlEntities[name]
    }

    /// URLs start with http://, https://, ftp:// or www. at a word boundary and run over ASCII non-space
    /// characters (so Chinese text right after a URL survives); trailing punctuation is left as text.
    static func replaceURLs(_ s: [Unicode.Scalar], with replacement: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let prefixes: [[Unicode.Scalar]] = ["http://", "https://", "ftp://", "www."].map { Array($0.unicodeScalars) }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        func lowered(_ x: Unicode.Scalar) -> Unicode.Scalar {
            x.value >= 65 && x.value <= 90 ? Unicode.Scalar(x.value + 32)! : x
        }
        while i < s.count {
            let atBoundary = i == 0 || !(s[i - 1].properties.isAlphabetic || s[i - 1].properties.numericType != nil)
            if atBoundary, s[i] == "h" || s[i] == "H" || s[i] == "f" || s[i] == "F" || s[i] == "w" || s[i] == "W",
                let prefix = prefixes.first(where: { p in
                    i + p.count < s.count && zip(p, s[i..<(i + p.count)]).allSatisfy { $0 == lowered($1) }
                })
            {
                var j = i + prefix.count
                while j < s.count, s[j].isASCII, s[j].value > 0x20, s[j].value < 0x7F, s[j] != "<", s[j] != "\"" { j += 1 }
                while j > i + prefix.count, ".,;:!?)]}'".unicodeScalars.contains(s[j - 1]) { j -= 1 }
                if j > i + prefix.count {
                    out += replacement == [" "] ? [" "] : [" "] + replacement + [" "]
                    i = j
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }
}
