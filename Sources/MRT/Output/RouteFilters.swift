public import BGPWire

/// An AS-path regular expression as BGPStream and router CLIs take it, matched against the path as
/// printed (`3356 1299 {64500,64501}`): `_` stands for a boundary between ASes (a space, a set's
/// brace or comma, either end), so `_131279$` is "originated by AS131279" and `_4837_` "through
/// AS4837" without also matching AS48370.
public final class ASPathPattern: @unchecked Sendable {
    public let text: String
    // Regex is not Sendable; it is only read after init.
    let regex: Regex<AnyRegexOutput>

    public init(_ text: String) throws(FilterError) {
        self.text = text
        var translated = ""
        for c in text { translated += c == "_" ? "(?:^|$|[ {},])" : String(c) }
        do { regex = try Regex(translated) } catch { throw FilterError("'\(text)' is not a regular expression: \(error)") }
    }

    public func matches(_ path: String) -> Bool { path.contains(regex) }
}

/// A community to keep: `ASN:VALUE` (standard, RFC 1997) or `GLOBAL:LOCAL1:LOCAL2` (large, RFC 8092),
/// each part a number or `*` (BGPStream's form: `65000:*` is every community of AS65000).
public struct CommunityPattern: Sendable, Equatable, CustomStringConvertible {
    public let parts: [UInt32?]

    public init(_ text: String) throws(FilterError) {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3 else {
            throw FilterError("'\(text)' is not a community: use ASN:VALUE (65000:100, 65000:*) or GLOBAL:LOCAL1:LOCAL2")
        }
        var parts: [UInt32?] = []
        for f in fields {
            if f == "*" { parts.append(nil); continue }
            guard let v = UInt32(f), fields.count == 3 || v <= 0xFFFF else {
                throw FilterError("'\(text)': '\(f)' is not \(fields.count == 2 ? "a number up to 65535" : "a 32-bit number") or *")
            }
            parts.append(v)
        }
        self.parts = parts
    }

    public func matches(_ standard: UInt32) -> Bool {
        parts.count == 2 && (parts[0].map { $0 == standard >> 16 } ?? true) && (parts[1].map { $0 == standard & 0xFFFF } ?? true)
    }

    public func matches(_ large: LargeCommunity) -> Bool {
        parts.count == 3 && (parts[0].map { $0 == large.global } ?? true) && (parts[1].map { $0 == large.local1 } ?? true)
            && (parts[2].map { $0 == large.local2 } ?? true)
    }

    public var description: String { parts.map { $0.map(String.init) ?? "*" }.joined(separator: ":") }
}

public struct FilterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
