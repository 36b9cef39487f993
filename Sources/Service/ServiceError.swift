/// What stops an observatory from starting (a source's setup, a file it cannot write): said as is.
public struct ServiceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
