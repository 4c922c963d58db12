/// Named HTML entities that turn up in scraped reviews. `&nbsp;` becomes a plain space so whitespace
/// handling and tokenizers treat it as one.
let htmlEntities: [String: String] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
    "ndash": "\u{2013}", "mdash": "\u{2014}", "hellip": "\u{2026}", "lsquo": "\u{2018}", "rsquo": "\u{2019}",
    "ldquo": "\u{201C}", "rdquo": "\u{201D}", "sbquo": "\u{201A}", "bdquo": "\u{201E}", "laquo": "\u{00AB}",
    "raquo": "\u{00BB}", "bull": "\u{2022}", "middot": "\u{00B7}", "copy": "\u{00A9}", "reg": "\u{00AE}",
    "trade": "\u{2122}", "deg": "\u{00B0}", "times": "\u{00D7}", "divide": "\u{00F7}", "plusmn": "\u{00B1}",
    "euro": "\u{20AC}", "pound": "\u{00A3}", "yen": "\u{00A5}", "cent": "\u{00A2}", "sect": "\u{00A7}",
    "para": "\u{00B6}", "iexcl": "\u{00A1}", "iquest": "\u{00BF}", "frac12": "\u{00BD}", "frac14": "\u{00BC}",
    "frac34": "\u{00BE}", "szlig": "\u{00DF}", "aacute": "\u{00E1}", "agrave": "\u{00E0}", "acirc": "\u{00E2}",
    "auml": "\u{00E4}", "atilde": "\u{00E3}", "aring": "\u{00E5}", "aelig": "\u{00E6}", "ccedil": "\u{00E7}",
    "eacute": "\u{00E9}", "egrave": "\u{00E8}", "ecirc": "\u{00EA}", "euml": "\u{00EB}", "iacute": "\u{00ED}",
    "igrave": "\u{00EC}", "icirc": "\u{00EE}", "iuml": "\u{00EF}", "ntilde": "\u{00F1}", "oacute": "\u{00F3}",
    "ograve": "\u{00F2}", "ocirc": "\u{00F4}", "ouml": "\u{00F6}", "otilde": "\u{00F5}", "oslash": "\u{00F8}",
    "uacute": "\u{00FA}", "ugrave": "\u{00F9}", "ucirc": "\u{00FB}", "uuml": "\u{00FC}", "yacute": "\u{00FD}",
    "yuml": "\u{00FF}", "Aacute": "\u{00C1}", "Agrave": "\u{00C0}", "Auml": "\u{00C4}", "Ccedil": "\u{00C7}",
    "Eacute": "\u{00C9}", "Egrave": "\u{00C8}", "Ntilde": "\u{00D1}", "Ouml": "\u{00D6}", "Uuml": "\u{00DC}",
    "shy": "", "zwj": "\u{200D}", "zwnj": "\u{200C}", "ensp": " ", "emsp": " ", "thinsp": " ",
]
