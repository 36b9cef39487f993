import BGPWire
import Hummingbird
import Signals

/// A request's query, read with the checks every endpoint shares: a parameter that is there but
/// wrong is a 400 naming it and saying what is wrong, never a silent default.
struct Params {
    let query: [String: String]

    init(_ request: Request) throws {
        var q: [String: String] = [:]
        for (k, v) in request.uri.queryParameters {
            let key = String(k)
            guard q[key] == nil else { throw APIError.badRequest("parameter '\(key)' given twice") }
            q[key] = String(v)
        }
        query = q
    }

    /// Free text (a search, a vantage point's name): empty is the same as absent.
    func string(_ name: String) -> String? {
        guard let v = query[name], !v.isEmpty else { return nil }
        return v
    }

    /// A typed value: absent is nil, but given empty is an error like any other wrong value.
    func value(_ name: String) throws -> String? {
        guard let v = query[name] else { return nil }
        guard !v.isEmpty else { throw APIError.badRequest("\(name): empty") }
        return v
    }

    func time(_ name: String) throws -> Int64? {
        guard let v = try value(name) else { return nil }
        do { return try UTCTime.parsing(v) } catch { throw APIError.badRequest("\(name): \(error.description)") }
    }

    func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = try value(name) else { return fallback }
        guard let n = Int(v) else { throw APIError.badRequest("\(name): '\(v)' is not a whole number") }
        guard range.contains(n) else { throw APIError.badRequest("\(name): \(n) is outside \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = try value(name) else { return nil }
        switch v.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("\(name): '\(v)' is not true or false")
        }
    }

    /// One of `allowed`, by its name.
    func choice<T: RawRepresentable>(_ name: String, _ type: T.Type, allowed: [T]) throws -> T? where T.RawValue == String {
        guard let v = try value(name) else { return nil }
        guard let t = T(rawValue: v), allowed.contains(where: { $0.rawValue == t.rawValue }) else {
            throw APIError.badRequest("\(name): '\(v)' is not one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return t
    }

    /// A range [from, until): `until` defaults to now, `from` to `span` before it; at most `limit` long.
    func range(span: Int64, limit: Int64, now: Int64) throws -> (from: Int64, until: Int64) {
        let until = try time("until") ?? now
        let from = try time("from") ?? until - span
        guard from < until else { throw APIError.badRequest("from (\(UTCTime.format(from))) is not before until (\(UTCTime.format(until)))") }
        guard until - from <= limit else {
            throw APIError.badRequest("the range is \((until - from) / 86400) days: at most \(limit / 86400) days in one request")
        }
        return (from, until)
    }
}

/// Errors as the API answers them: JSON `{"error":{"message":…}}` with the status.
enum APIError {
    static func badRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message: message) }
    static func notFound(_ message: String) -> HTTPError { HTTPError(.notFound, message: message) }
}
