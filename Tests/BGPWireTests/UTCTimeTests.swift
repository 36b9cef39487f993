import XCTest
import BGPWire

/// Times as users write them: offsets count, fractions are accepted, garbage says what is wrong.
final class UTCTimeTests: XCTestCase {
    func utc(_ s: String) -> String? { UTCTime.parse(s).map(UTCTime.format) }

    func testOffsetsAreHonoured() {
        XCTAssertEqual(utc("2016-08-11T16:02:00+02:00"), "2016-08-11T14:02:00Z")
        XCTAssertEqual(utc("2016-08-11T16:02:00-05:30"), "2016-08-11T21:32:00Z")
        XCTAssertEqual(utc("2016-08-11T16:02+0200"), "2016-08-11T14:02:00Z")
        XCTAssertEqual(utc("2016-08-11T16:02:00+14"), "2016-08-11T02:02:00Z")
        XCTAssertEqual(utc("2016-08-11T00:30:00+01:00"), "2016-08-10T23:30:00Z", "across midnight")
        XCTAssertEqual(utc("2016-12-31T23:30:00-01:00"), "2017-01-01T00:30:00Z", "across a year")
        XCTAssertEqual(utc("2016-08-11T16:02:00Z"), "2016-08-11T16:02:00Z")
        XCTAssertEqual(utc("2016-08-11t16:02:00z"), "2016-08-11T16:02:00Z")
        XCTAssertEqual(utc("2016-08-11T16:02:00+00:00"), "2016-08-11T16:02:00Z")
    }

    func testTheFormsWithoutAZoneAreUTC() {
        XCTAssertEqual(utc("2014-12-22"), "2014-12-22T00:00:00Z")
        XCTAssertEqual(utc("2014-12-22T16:15"), "2014-12-22T16:15:00Z")
        XCTAssertEqual(utc("2014-12-22 16:15:07"), "2014-12-22T16:15:07Z")
        XCTAssertEqual(utc("2014-12-22T16:15:07.999"), "2014-12-22T16:15:07Z", "fractions are truncated")
        XCTAssertEqual(utc("2014-12-22T16:15:07.5+01:00"), "2014-12-22T15:15:07Z")
        XCTAssertEqual(utc("1419265507"), "2014-12-22T16:25:07Z")
        XCTAssertEqual(utc("2016-02-29"), "2016-02-29T00:00:00Z")
    }

    func testGarbageIsRejectedSayingWhy() {
        func why(_ s: String) -> String {
            do { _ = try UTCTime.parsing(s); return "accepted" } catch { return error.description }
        }
        for (text, reason) in [("2016-08-11T16:02:00+02:00x", "unexpected text after the time"),
                               ("2016-08-11T16:02:00 CEST", "expected Z or an offset"),
                               ("2016-08-11T16:02:00+2", "expected 2 digits for the offset hours"),
                               ("2016-08-11T16:02:00+25:00", "offset out of range"),
                               ("2016-08-11T25:00", "hour 25 out of range"),
                               ("2016-08-11T16:60", "minute 60 out of range"),
                               ("2015-02-29", "day 29 does not exist in month 2"),
                               ("2016-13-01", "month 13 out of range"),
                               ("2016-08-11T16", "expected ':' after the hour"),
                               ("2016-08-11T16:02:00.", "expected digits after the decimal point"),
                               ("16/08/2011", "expected 4 digits for the year"),
                               ("yesterday", "expected 4 digits for the year"),
                               ("", "expected 4 digits for the year")] {
            XCTAssertTrue(why(text).hasPrefix("'\(text)' is not a time: \(reason)"), "\(text): \(why(text))")
            XCTAssertNil(UTCTime.parse(text), text)
        }
    }
}
