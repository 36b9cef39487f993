#!/usr/bin/env python3
"""A local alert receiver for tests: every POST/PUT is appended to a file as one JSON line
(receipt time, path, idempotency key, body) and answered 200. Loopback only.
Usage: alert_receiver.py PORT FILE"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def _take(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8")
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        line = {"t": time.time(), "path": self.path, "method": self.command, "key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"), "body": parsed, "raw": body if parsed is None else None}
        with open(out, "a") as f:
            f.write(json.dumps(line) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = _take
    do_PUT = _take

    def do_GET(self):  # readiness
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"receiver")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
