#if canImport(Glibc)
import Glibc
#endif

/// Replies read with one `recvmmsg` call (up to `capacity`), each with its own
/// buffers for the packet, the source address and the kernel timestamp; all
/// allocated once. A fast sweep receives as many replies as it sends probes:
/// one syscall per reply was a tenth of its CPU.
final class ReceiveBatch {
    static let capacity = 256
    /// Our echo replies are 44 bytes with an IPv4 header (up to 84 with options); anything
    /// longer is not ours and arrives truncated, which the parser rejects.
    static let packetSize = 256
    static let nameSize = MemoryLayout<sockaddr_storage>.size
    static let controlSize = 64
    typealias RecvMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32
    /// Looked up at run time: a GNU extension the Glibc module does not import.
    static let recvmmsg: RecvMMsg? = dlsym(nil, "recvmmsg").map { unsafeBitCast($0, to: RecvMMsg.self) }

    let packets = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * packetSize, alignment: 8)
    let names = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * nameSize, alignment: 8)
    let controls = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * controlSize, alignment: 8)
    let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: capacity)
    let headers = UnsafeMutablePointer<SendBatch.MMsgHdr>.allocate(capacity: capacity)

    init() {
        for i in 0..<Self.capacity {
            iovecs[i] = iovec(iov_base: packets.baseAddress! + i * Self.packetSize, iov_len: Self.packetSize)
        }
        headers.initialize(repeating: SendBatch.MMsgHdr(), count: Self.capacity)
    }

    deinit {
        packets.deallocate()
        names.deallocate()
        controls.deallocate()
        iovecs.deallocate()
        headers.deallocate()
    }

    /// Reads what is queued on `fd` without waiting; the number of messages (≤ 0: none).
    func receive(_ fd: Int32) -> Int {
        for i in 0..<Self.capacity {
            headers[i].hdr.msg_name = names.baseAddress! + i * Self.nameSize
            headers[i].hdr.msg_namelen = socklen_t(Self.nameSize)
            headers[i].hdr.msg_iov = iovecs + i
            headers[i].hdr.msg_iovlen = 1
            headers[i].hdr.msg_control = controls.baseAddress! + i * Self.controlSize
            headers[i].hdr.msg_controllen = Self.controlSize
            headers[i].hdr.msg_flags = 0
            headers[i].len = 0
        }
        if let mmsg = Self.recvmmsg {
            return Int(mmsg(fd, UnsafeMutableRawPointer(headers), UInt32(Self.capacity), Int32(MSG_DONTWAIT), nil))
        }
        let n = recvmsg(fd, &headers[0].hdr, Int32(MSG_DONTWAIT))
        if n >= 0 { headers[0].len = UInt32(n) }
        return n >= 0 ? 1 : -1
    }

    func packet(_ k: Int) -> UnsafeRawBufferPointer {
        let truncated = headers[k].hdr.msg_flags & Int32(MSG_TRUNC) != 0
        let n = truncated ? 0 : min(Int(headers[k].len), Self.packetSize)
        return UnsafeRawBufferPointer(start: packets.baseAddress! + k * Self.packetSize, count: n)
    }

    func name(_ k: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: names.baseAddress! + k * Self.nameSize, count: min(Int(headers[k].hdr.msg_namelen), Self.nameSize))
    }

    func control(_ k: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: controls.baseAddress! + k * Self.controlSize,
                               count: min(Int(headers[k].hdr.msg_controllen), Self.controlSize))
    }
}
