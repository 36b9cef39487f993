import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Least privilege (`[process] user`): Vigil starts as root only to open what needs it — raw
/// ICMP sockets, ports below 1024 — and then becomes an ordinary user, so that the parsers of
/// everything peers and routers send never run as root. After the drop no capability is left
/// (the sockets opened before keep working) and going back to root is checked to fail.
enum Privileges {
    struct Account: Sendable {
        var name: String
        var uid: uid_t
        var gid: gid_t
    }

    static func account(_ name: String) throws -> Account {
        guard let pw = getpwnam(name) else { throw ServiceError("process.user: no user \"\(name)\" on this machine") }
        return Account(name: name, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
    }

    /// Gives `own` (files and directories Vigil made: the archive, the database, the events
    /// file) to the account, drops to it, and checks that `writable` directories can be
    /// written as that user.
    static func drop(to a: Account, own: [String], writable: [String]) throws {
        guard geteuid() == 0 else {
            if geteuid() == a.uid { return }
            throw ServiceError("process.user = \"\(a.name)\": Vigil is not running as root, so it cannot become that user")
        }
        for p in own where access(p, F_OK) == 0 {
            guard chown(p, a.uid, a.gid) == 0 else { throw ServiceError("\(p): cannot give it to \(a.name): \(String(cString: strerror(errno)))") }
        }
        // Groups first (setgroups needs root), then the group, then the user: glibc applies each to every thread.
        var g = a.gid
        guard setgroups(1, &g) == 0, setgid(a.gid) == 0, setuid(a.uid) == 0 else {
            throw ServiceError("cannot become \(a.name) (uid \(a.uid)): \(String(cString: strerror(errno)))")
        }
        guard setuid(0) != 0, geteuid() == a.uid else { throw ServiceError("privileges were not dropped: root could be regained") }
        for d in writable where access(d, W_OK) != 0 {
            throw ServiceError("\(d): not writable by \(a.name) (it must be, to hold the database, the archive or the status file)")
        }
    }
}
