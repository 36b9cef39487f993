/// Text a router or peer supplied (BMP sysName and sysDescr, shutdown messages), made safe
/// to print in a log line or a status table: control characters, escapes and invalid UTF-8
/// shown as `\xNN`, a backslash doubled, and at most `limit` characters kept, so that no
/// peer can forge log lines, move the cursor of an operator's terminal or flood the log.
public func peerText(_ bytes: [UInt8], limit: Int = 256) -> String {
    var out = ""
    var kept = 0
    func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }
    // Decoded scalar by scalar: an invalid sequence is shown byte by byte.
    var i = 0
    while i < bytes.count, kept < limit {
        let b = bytes[i]
        let n = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
        if n == 1 {
            if b < 0x20 || b == 0x7F { out += hex(b) } else if b == UInt8(ascii: "\\") { out += "\\\\" } else { out.unicodeScalars.append(Unicode.Scalar(b)) }
        } else if n > 1, i + n <= bytes.count, let s = String(validating: bytes[i..<(i + n)], as: UTF8.self),
                  let scalar = s.unicodeScalars.first, !(0x80...0x9F).contains(scalar.value), scalar.properties.generalCategory != .format {
            out += s
            i += n
            kept += 1
            continue
        } else {
            out += hex(b)
        }
        i += 1
        kept += 1
    }
    if i < bytes.count { out += "…" }
    return out
}

public func peerText(_ s: String, limit: Int = 256) -> String { peerText(Array(s.utf8), limit: limit) }
