import ArgumentParser
import BGPWire

/// A point in time on the command line (see `UTCTime`).
struct TimeArgument: ExpressibleByArgument {
    var seconds: Int64

    init?(argument: String) {
        guard let s = UTCTime.parse(argument) else { return nil }
        seconds = s
    }

    static func format(_ s: Int64) -> String { UTCTime.format(s) }
}
