/// A decoding failure with where and what: the absolute byte offset, the field
/// being read, and the reason. Public errors are a struct over a small enum so
/// that new reasons do not break callers.
public struct WireError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        case truncated(needed: Int, available: Int)
        case trailingBytes(Int)
        case invalid(String)
    }

    public var reason: Reason
    public var field: String
    public var offset: Int

    @inlinable
    public init(_ reason: Reason, _ field: StaticString, at offset: Int) {
        self.reason = reason
        self.field = field.description
        self.offset = offset
    }

    public init(invalid message: String, field: String, at offset: Int) {
        self.reason = .invalid(message)
        self.field = field
        self.offset = offset
    }

    public var description: String {
        switch reason {
        case let .truncated(needed, available):
            return "\(field) truncated at byte \(offset): needs \(needed) bytes, \(available) left"
        case let .trailingBytes(n):
            return "\(field): \(n) unexpected trailing bytes at byte \(offset)"
        case let .invalid(message):
            return "\(field) invalid at byte \(offset): \(message)"
        }
    }
}
