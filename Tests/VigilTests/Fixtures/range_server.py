#!/usr/bin/env python3
"""A static file server for tests, on 127.0.0.1 only, that honours single
`Range: bytes=N-` requests (python's http.server does not), so resumed
downloads can be tested. Prints the port it listens on, then serves until killed.
Usage: range_server.py DIR [--truncate-once NAME]"""
import http.server, os, sys

root = os.path.abspath(sys.argv[1])
truncate = set(sys.argv[3:4]) if len(sys.argv) > 3 and sys.argv[2] == "--truncate-once" else set()

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = os.path.normpath(os.path.join(root, self.path.lstrip("/")))
        if not path.startswith(root) or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        name = os.path.basename(path)
        if name in truncate:
            # Announce the whole length, send half, drop the connection: a broken download.
            truncate.discard(name)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(body)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
