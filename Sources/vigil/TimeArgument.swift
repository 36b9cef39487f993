import ArgumentParser
import BGPWire

/// A point in time on the command line (see `UTCTime`), given as `@Option(transform: TimeArgument.parse)`
/// so that a time that does not parse says why.
struct TimeArgument {
    var seconds: Int64

    static func parse(_ argument: String) throws -> TimeArgument {
        do { return TimeArgument(seconds: try UTCTime.parsing(argument)) } catch { throw ValidationError(error.description) }
    }

    static func format(_ s: Int64) -> String { UTCTime.format(s) }
}
