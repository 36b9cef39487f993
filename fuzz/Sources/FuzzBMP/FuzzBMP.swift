import BGPWire

/// Frames and decodes arbitrary bytes as one BMP message, the embedded BGP PDUs
/// read under options picked by the first byte; whatever decodes must encode
/// and decode back unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBMP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let flags = data[0]
    let options = SessionOptions(fourOctetAS: flags & 1 != 0, addPath: flags & 2 != 0 ? [.ipv4Unicast, .ipv6Unicast] : [],
                                 extendedMessages: true)
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard (try? withReader(bytes, { (r) throws(WireError) in try BMPMessage.frame(r) })) != nil else { return 0 }
    guard let m = try? withReader(bytes, { (r) throws(WireError) in try BMPMessage.decode(&r, options: { _ in options }) }) else { return 0 }
    let again = m.encode(options: options)
    guard let back = try? withReader(again, { (r) throws(WireError) in try BMPMessage.decode(&r, options: { _ in options }) }) else {
        fatalError("re-encoded message does not decode: \(m)")
    }
    if back != m { fatalError("round trip changed the message:\n\(m)\n\(back)") }
    return 0
}
