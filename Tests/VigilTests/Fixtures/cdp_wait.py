#!/usr/bin/env python3
"""Waits until a JavaScript expression is true in a page of a running headless Chromium,
through the DevTools protocol (websocket-client from PyPI), and prints the Unix time it became
true. Used by LiveDashboardTests: the page must change by itself, from the event stream.

    cdp_wait.py DEVTOOLS_PORT URL_PART EXPRESSION TIMEOUT_SECONDS
Exit 0 and the time on standard output; 1 with the last value seen on timeout.
"""
import json
import sys
import time
import urllib.request

import websocket

port, url_part, expression, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
deadline = time.time() + timeout
page = None
while page is None:
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2))
        page = next((t for t in targets if t.get("type") == "page" and url_part in t.get("url", "")), None)
    except OSError:
        pass
    if page is None:
        if time.time() > deadline:
            sys.exit(f"no page whose address holds {url_part!r}")
        time.sleep(0.1)
ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=5)
n = 0
last = None
while True:
    n += 1
    ws.send(json.dumps({"id": n, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": True}}))
    while True:
        reply = json.loads(ws.recv())
        if reply.get("id") == n:
            break
    last = reply.get("result", {}).get("result", {}).get("value")
    if last is True:
        print(f"{time.time():.3f}")
        sys.exit(0)
    if time.time() > deadline:
        print(f"timed out; last value {last!r}", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.05)
