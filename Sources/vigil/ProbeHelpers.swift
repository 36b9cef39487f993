import ArgumentParser
import BGPWire
import Foundation
import MRT
import Probing
import Signals

/// A progress or log line on standard error, stamped with the time (`vigil collect`, `vigil probe`).
func logLine(_ s: String) {
    printError("\(UTCTime.format(Int64(Date().timeIntervalSince1970)))  \(s)")
}
