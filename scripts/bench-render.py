#!/usr/bin/env python3
"""First render of a dashboard page in headless Chromium (scripts/bench-web.sh): opens URL in a
new tab of the Chromium listening on DEVTOOLS_PORT, waits for the page's own mark
(document.body.dataset.rendered: ms from navigation start to plots and events drawn), prints
it; RUNS times, a fresh tab each (the first with a cold browser cache).

    bench-render.py DEVTOOLS_PORT URL [RUNS=5]
"""
import json
import sys
import time
import urllib.request

import websocket

port, url = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
for run in range(runs):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?{url}", method="PUT")
    tab = json.load(urllib.request.urlopen(req, timeout=10))
    ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=10)
    deadline = time.time() + 30
    value = None
    n = 0
    while value is None and time.time() < deadline:
        n += 1
        ws.send(json.dumps({"id": n, "method": "Runtime.evaluate",
                            "params": {"expression": "document.body && document.body.dataset.rendered", "returnByValue": True}}))
        while True:
            reply = json.loads(ws.recv())
            if reply.get("id") == n:
                break
        value = reply.get("result", {}).get("result", {}).get("value")
        if value is None:
            time.sleep(0.02)
    ws.close()
    urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{tab['id']}", timeout=10)
    print(f"render {run + 1}: {value} ms" if value else f"render {run + 1}: not rendered in 30 s")
