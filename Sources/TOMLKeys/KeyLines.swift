public import TOMLKit

/// Where each key of a TOML text is: TOMLKit reports syntax errors with a line
/// but not where a well-formed value sits, and a validation error without a
/// line sends the user hunting. Shared by every TOML file Vigil reads (the
/// collector configuration, simulation scenarios), in a module of its own so
/// the simulator need not depend on the collector.
public struct KeyLines: Sendable {
    var lines: [String: Int] = [:]

    public init(_ text: String) {
        var section = ""
        var arrayCounts: [String: Int] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmed
                let n = arrayCounts[name, default: 0] + 1
                arrayCounts[name] = n
                section = "\(name).\(n)"
                lines[section] = i + 1
            } else if line.hasPrefix("[") {
                section = line.dropFirst().prefix { $0 != "]" }.trimmed
                lines[section] = i + 1
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmed.replacingQuotes
                let full = section.isEmpty ? key : "\(section).\(key)"
                if lines[full] == nil { lines[full] = i + 1 }
            }
        }
    }

    /// The line of `key` ("peer.2.address": the second [[peer]]'s address), else of the nearest enclosing table.
    public func line(of key: String) -> Int? {
        var k = key
        while true {
            if let l = lines[k] { return l }
            guard let dot = k.lastIndex(of: ".") else { return nil }
            k = String(k[..<dot])
        }
    }

    /// The text as a TOML table; a syntax error becomes `problem("file:line:column: what")`.
    public static func table<E: Error>(_ text: String, file: String, problem: (String) -> E) throws(E) -> TOMLTable {
        do { return try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw problem("\(file):\(e.source.begin.line):\(e.source.begin.column): \(e.description)")
        } catch {
            throw problem("\(file): \(error)")
        }
    }

    /// `file:line: key: what` (without the line when the key is nowhere in the text).
    public func problem(_ file: String, _ key: String, _ what: String) -> String {
        "\(file)\(line(of: key).map { ":\($0)" } ?? ""): \(key): \(what)"
    }
}

extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s.removeLast() }
        return String(s)
    }
    var replacingQuotes: String { String(filter { $0 != "\"" && $0 != "'" }) }
}
