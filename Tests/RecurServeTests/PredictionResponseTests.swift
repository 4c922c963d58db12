import Foundation
@testable import RecurServe
import Testing

/// The hand-written prediction JSON is valid JSON that reads back to the same strings and exact floats.
@Suite struct PredictionResponseTests {
    @Test func quotedStringsReadBackUnchanged() throws {
        for text in ["pos", #"say "hi""#, "back\\slash", "tab\tnew\nline\r", "\u{01}\u{1F}", "好评 😀", ""] {
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(PredictionResponse.quoted(text))]".utf8)) as? [String]
            #expect(parsed == [text], "\(text.debugDescription)")
        }
    }
}
