import Signals

/// JSON written as text: the API's answers are arrays of numbers and the event form Vigil
/// already writes, and a 30-day series is tens of thousands of numbers per request.
struct JSONText {
    private(set) var text = ""

    init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    static func quoted(_ s: String) -> String { "\"" + EventFormat.esc(s) + "\"" }

    static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return NumberText.decimal(v)
    }

    /// `{"k":v,…}` from pairs whose values are JSON already.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func strings(_ items: [String]) -> String { array(items.map(quoted)) }

    static func numbers(_ items: [Double?]) -> String {
        var o = "["
        o.reserveCapacity(items.count * 6 + 2)
        for (i, v) in items.enumerated() {
            if i > 0 { o += "," }
            o += number(v)
        }
        return o + "]"
    }
}
