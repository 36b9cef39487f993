public import BGPWire
public import Foundation

/// Validated ROA payloads from a validator's export, in the formats people have at hand:
/// - JSON `{"roas": [{"asn", "prefix", "maxLength", "ta"}, …]}`: rpki-client `-j` (asn a number),
///   Routinator `json` and `jsonext` (asn "AS64500"; jsonext's `source` is ignored), the RIPE NCC
///   validator's export and gortr/stayrtr caches (the same shape);
/// - CSV `ASN,IP Prefix,Max Length,Trust Anchor`: Routinator `csv` and `csvcompat` (quoted, asn
///   without "AS"), the RIPE NCC validator's CSV.
/// An entry that does not make sense (a prefix that does not parse, a maxLength shorter than the
/// prefix or longer than the family) is a problem naming where it is; the others still load.
public enum VRPFile {
    public struct Loaded: Sendable {
        public var vrps: [VRP]
        /// "roas.json: roas[12]: prefix '10.0.0.0/33' is not a prefix": the first 20, then a count.
        public var problems: [String]
        public var skipped: Int
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(path: String) throws(LoadError) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "\(path): cannot be read") }
        return try parse(data, name: (path as NSString).lastPathComponent)
    }

    public static func parse(_ data: Data, name: String) throws(LoadError) -> Loaded {
        let first = data.first { !(" \t\r\n" as String).utf8.contains($0) }
        var out = Loaded(vrps: [], problems: [], skipped: 0)
        func problem(_ where: String, _ what: String) {
            out.skipped += 1
            if out.problems.count < 20 { out.problems.append("\(name): \(`where`): \(what)") }
        }
        if first == UInt8(ascii: "{") {
            let file: JSONFile
            do { file = try JSONDecoder().decode(JSONFile.self, from: data) } catch {
                throw LoadError(description: "\(name): not a VRP export (JSON with \"roas\"): \(Self.reason(error))")
            }
            out.vrps.reserveCapacity(file.roas.count)
            for (i, r) in file.roas.enumerated() {
                switch vrp(asn: r.asn?.text, prefix: r.prefix, maxLength: r.maxLength?.text, ta: r.ta) {
                case let .success(v): out.vrps.append(v)
                case let .failure(e): problem("roas[\(i)]", e.description)
                }
            }
        } else {
            let text = String(decoding: data, as: UTF8.self)
            for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
                if fields.allSatisfy(\.isEmpty) { continue }
                if i == 0 && fields.first?.uppercased() == "ASN" { continue }  // the header
                guard fields.count >= 3 else {
                    problem("line \(i + 1)", "expected ASN,IP Prefix,Max Length[,Trust Anchor]")
                    continue
                }
                switch vrp(asn: fields[0], prefix: fields[1], maxLength: fields[2], ta: fields.count > 3 ? fields[3] : nil) {
                case let .success(v): out.vrps.append(v)
                case let .failure(e): problem("line \(i + 1)", e.description)
                }
            }
            if out.vrps.isEmpty && out.skipped > 0 {
                throw LoadError(description: "\(name): neither JSON with \"roas\" nor CSV ASN,IP Prefix,Max Length,Trust Anchor")
            }
        }
        if out.skipped > out.problems.count { out.problems.append("\(name): \(out.skipped - out.problems.count) more entries skipped") }
        return out
    }

    static func vrp(asn: String?, prefix: String?, maxLength: String?, ta: String?) -> Result<VRP, LoadError> {
        guard let asn else { return .failure(LoadError(description: "no asn")) }
        let digits = asn.uppercased().hasPrefix("AS") ? asn.dropFirst(2) : Substring(asn)
        guard let a = UInt32(digits) else { return .failure(LoadError(description: "asn '\(asn)' is not an AS number")) }
        guard let prefix else { return .failure(LoadError(description: "no prefix")) }
        guard let p = Prefix(prefix) else { return .failure(LoadError(description: "prefix '\(prefix)' is not a prefix")) }
        if let given = prefix.split(separator: "/").first.flatMap({ IPAddress($0) }), given != p.address {
            return .failure(LoadError(description: "prefix '\(prefix)' has host bits set (\(p)?)"))
        }
        let width = p.isIPv6 ? 128 : 32
        if let maxLength, Int(maxLength) == nil { return .failure(LoadError(description: "maxLength '\(maxLength)' is not a number")) }
        let m = maxLength.flatMap { Int($0) } ?? Int(p.length)
        guard m >= Int(p.length), m <= width else {
            return .failure(LoadError(description: "maxLength \(m) is outside \(p.length)…\(width) for \(p)"))
        }
        return .success(VRP(prefix: p, maxLength: UInt8(m), asn: a, trustAnchor: ta))
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(k, c): "no \"\(k.stringValue)\"\(c.codingPath.isEmpty ? "" : " at " + c.codingPath.map(\.stringValue).joined(separator: "."))"
        case let DecodingError.typeMismatch(_, c): "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case let DecodingError.dataCorrupted(c): c.underlyingError.map { "\($0)" } ?? c.debugDescription
        default: "\(error)"
        }
    }

    struct JSONFile: Decodable {
        var roas: [Entry]
    }

    /// Every field optional: a bad entry is that entry's problem, not the file's.
    struct Entry: Decodable {
        var asn: NumberOrText?
        var prefix: String?
        var maxLength: NumberOrText?
        var ta: String?

        enum CodingKeys: String, CodingKey { case asn, prefix, maxLength, ta, maxlen = "max_length" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            asn = try? c.decodeIfPresent(NumberOrText.self, forKey: .asn)
            prefix = try? c.decodeIfPresent(String.self, forKey: .prefix)
            maxLength = (try? c.decodeIfPresent(NumberOrText.self, forKey: .maxLength)) ?? (try? c.decodeIfPresent(NumberOrText.self, forKey: .maxlen))
            ta = try? c.decodeIfPresent(String.self, forKey: .ta)
        }
    }

    /// A number as a number or as text: `asn` is 64500 (rpki-client), "AS64500" (Routinator, RIPE NCC) or "64500".
    struct NumberOrText: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(UInt32.self) { text = String(n) } else { text = try c.decode(String.self) }
        }
    }
}
