import XCTest
@testable import BGPWire

final class MessageTests: XCTestCase {
    func testEveryMessageRoundTrips() throws {
        for (name, message, options) in Samples.messages {
            let bytes = message.encode(options: options)
            let back = try withReader(bytes) { (r) throws(WireError) in try BGPMessage.decode(&r, options: options) }
            XCTAssertEqual(back, message, name)
            XCTAssertEqual(back.encode(options: options), bytes, "\(name): re-encoding changed the bytes")
        }
    }

    func testKeepaliveBytes() {
        XCTAssertEqual(BGPMessage.keepalive.encode(options: .fourOctet), Array(repeating: 0xFF, count: 16) + [0, 19, 4])
    }

    /// An UPDATE built by hand from RFC 4271 §4.3, checked byte for byte.
    func testUpdateAgainstLiteralBytes() throws {
        let body: [UInt8] = [
            0x00, 0x03, 0x10, 0x0A, 0x01,                  // withdrawn: 10.1.0.0/16
            0x00, 0x14,                                    // 20 bytes of attributes
            0x40, 0x01, 0x01, 0x00,                        // ORIGIN IGP
            0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xFD, 0xE9, // AS_PATH sequence [65001], 4-octet
            0x40, 0x03, 0x04, 0xC0, 0x00, 0x02, 0x01,      // NEXT_HOP 192.0.2.1
            0x18, 0xC6, 0x33, 0x64,                        // NLRI 198.51.100.0/24
        ]
        let bytes = Array(repeating: UInt8(0xFF), count: 16) + [0, UInt8(19 + body.count), 2] + body
        let m = try withReader(bytes) { (r) throws(WireError) in try BGPMessage.decode(&r, options: .fourOctet) }
        let expected = Update(withdrawn: [NLRI(Prefix("10.1.0.0/16")!)],
                              attributes: [.origin(.igp), .asPath(ASPath(sequence: [65001])), .nextHop(0xC000_0201)],
                              nlri: [NLRI(Prefix("198.51.100.0/24")!)])
        XCTAssertEqual(m, .update(expected))
        XCTAssertEqual(m.encode(options: .fourOctet), bytes)
    }

    /// Fed one byte at a time, the framer asks for more until the message is whole, then yields it once.
    func testFramerDripFed() throws {
        var stream: [UInt8] = []
        let plain = Samples.messages.filter { $0.2 == .fourOctet }
        for (_, m, _) in plain { stream += m.encode(options: .fourOctet) }
        var decoded: [BGPMessage] = []
        var have = 0
        var consumed = 0
        while have < stream.count {
            have += 1
            let window = Array(stream[consumed..<have])
            let got = try withReader(window) { (r) throws(WireError) -> (Int, BGPMessage)? in
                guard let (type, body) = try BGPMessage.frame(&r, options: .fourOctet) else { return nil }
                return (r.offset, try BGPMessage.decodeBody(type: type, body, options: .fourOctet))
            }
            if let (used, m) = got {
                decoded.append(m)
                consumed += used
            }
        }
        XCTAssertEqual(consumed, stream.count)
        XCTAssertEqual(decoded.count, plain.count)
        for ((name, m, _), d) in zip(plain, decoded) {
            XCTAssertEqual(d, m, name)
        }
    }

    func testBadMarkerAndLengthAreErrors() {
        var bytes = BGPMessage.keepalive.encode(options: .fourOctet)
        bytes[3] = 0
        XCTAssertThrowsError(try withReader(bytes) { (r) throws(WireError) in try BGPMessage.decode(&r, options: .fourOctet) })
        var short = BGPMessage.keepalive.encode(options: .fourOctet)
        short[17] = 18
        XCTAssertThrowsError(try withReader(short) { (r) throws(WireError) in try BGPMessage.decode(&r, options: .fourOctet) })
        let big = Array(repeating: UInt8(0xFF), count: 16) + [0x20, 0x00, 2]
        XCTAssertThrowsError(try withReader(big) { (r) throws(WireError) in
            _ = try BGPMessage.frame(&r, options: SessionOptions(extendedMessages: false))
        })
    }

    /// Every cut of a valid UPDATE is reported as truncated, never a crash, unless it
    /// falls between two trailing NLRI (then it is a valid, shorter UPDATE).
    func testEveryTruncationThrowsOrIsAShorterUpdate() {
        let bytes = BGPMessage.update(Samples.update4).encode(options: .fourOctet)
        var valid = 0
        for cut in 0..<(bytes.count - 19) {
            let body = Array(bytes[19..<(19 + cut)])
            do {
                let u = try withReader(body) { (r) throws(WireError) in try Update.decode(&r, options: .fourOctet) }
                XCTAssertEqual(u.attributes, Samples.update4.attributes, "cut \(cut)")
                XCTAssertEqual(Array(Samples.update4.nlri.prefix(u.nlri.count)), u.nlri, "cut \(cut)")
                valid += 1
            } catch {
                XCTAssertFalse(error.description.isEmpty)
            }
        }
        XCTAssertEqual(valid, Samples.update4.nlri.count, "only the NLRI boundaries are valid cuts")
    }

    func testOpenCapabilitiesAndAS() throws {
        XCTAssertEqual(Samples.open.asn, 4_200_000_001)
        // A capability that does not parse is kept raw rather than failing the OPEN.
        var w = ByteWriter()
        w.u8(4); w.u16(65001); w.u16(90); w.u32(1)
        w.u8(5); w.u8(2); w.u8(3); w.u8(65); w.u8(1); w.u8(7)
        let o = try withReader(w.bytes) { (r) throws(WireError) in try Open.decode(&r) }
        XCTAssertEqual(o.capabilities, [.unknown(code: 65, value: [7])])
    }
}
