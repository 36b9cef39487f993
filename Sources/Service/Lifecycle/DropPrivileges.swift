import Config
import Foundation
import Store

extension Observatory {
    /// Becomes `[process] user`: the files Vigil writes are given to it first, and the places it
    /// writes later (new archive files, the database's journal, the status file) must be writable.
    func dropPrivileges(to a: Privileges.Account) throws {
        var own: [String] = [], writable: [String] = []
        func folder(_ path: String) -> String { (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent }
        if let dir = cfg.archiveDirectory {
            own += [dir, "\(dir)/\(cfg.name)"]
            writable.append("\(dir)/\(cfg.name)")
        }
        if let db = cfg.database {
            own += [db, db + "-wal", db + "-shm", db + "-journal"]
            writable.append(folder(db))
        }
        if let f = cfg.eventsFile { own.append(f) }
        if let f = cfg.statusFile { writable.append(folder(f)) }
        try Privileges.drop(to: a, own: own, writable: writable)
        logger.notice("running as \(a.name) (uid \(a.uid), gid \(a.gid)): sockets open, no privilege left")
    }
}
