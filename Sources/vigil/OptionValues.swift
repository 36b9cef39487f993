import ArgumentParser
import BGPWire
import Entities

/// An AS number on the command line, written as entities are (`AS28573`),
/// in lower case, or bare (`28573`).
struct ASNumber: ExpressibleByArgument {
    var value: UInt32

    init?(argument: String) {
        let digits = argument.uppercased().hasPrefix("AS") ? argument.dropFirst(2) : Substring(argument)
        guard let n = UInt32(digits) else { return nil }
        value = n
    }
}

/// A prefix on the command line. Host bits set are refused, not masked: for
/// 192.140.253.0/22 the user meant another prefix or another length, and
/// silently answering for 192.140.252.0/22 would answer another question.
func prefixOption(_ text: String, option: String) throws -> Prefix {
    let label = option.isEmpty ? text : "\(option) \(text)"
    guard let p = Prefix(text) else { throw ValidationError("\(label): not a prefix like 192.0.2.0/24") }
    if let a = IPAddress(text.split(separator: "/")[0]), a != p.address {
        throw ValidationError("\(label): host bits set after /\(p.length) (did you mean \(p)?)")
    }
    return p
}

/// An entity on the command line: a country, an AS or a prefix (without host bits).
func entityOption(_ text: String, option: String = "") throws -> Entity {
    guard let e = Entity(text) else {
        throw ValidationError("\(option.isEmpty ? text : "\(option) \(text)"): use a country code (KP), an AS (AS131279) or a prefix (175.45.176.0/22)")
    }
    if case .prefix = e { _ = try prefixOption(text.split(separator: " ").first.map(String.init) ?? text, option: option) }
    return e
}
