#!/usr/bin/env python3
"""A local stand-in for RIPE's RIS Live, for Vigil's tests (websockets >= 13).

It speaks the protocol's server side: `ris_subscribe` (acknowledged with `ris_subscribe_ok` when
asked), `ping` -> `pong`, `ris_error` for an unknown command, and streams the lines of SCRIPT (RIS
Live messages, one JSON object a line) to each subscribed client, going on across connections
where the last one stopped. Lines starting with '#' are faults, for the tests to inject:

  #drop            close the connection (the client should reconnect and subscribe again)
  #stall SECONDS   send nothing more on this connection, and answer no ping for that long
  #error MESSAGE   send ris_error with MESSAGE, then close the connection
  #garbage         send a text message that is not JSON
  #wait SECONDS    pause (pings still answered)
  #refuse SECONDS  answer every new connection 503 for that long (the source is down meanwhile)
  #restamp         from here on, each message's timestamp is the time it is sent (as on the live service)
  #rate N          from here on, N messages a second at most (0: as fast as the client reads)
  #mark            write the time into the log (what follows is sent from then on)
  #beacon PREFIX PERIOD AFTER SECONDS
                   a routing beacon beside the stream, for SECONDS: PREFIX announced at every multiple of
                   PERIOD seconds (wall clock) and withdrawn AFTER seconds later, as RIPE's beacons are

Every message received is appended to LOG as {"conn": N, "message": ...} (one JSON a line).
Usage: ris_live_server.py SCRIPT LOG   (prints the port it listens on, on 127.0.0.1)
"""
import asyncio
import json
import math
import sys
import time
from http import HTTPStatus

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

script_path, log_path = sys.argv[1], sys.argv[2]
with open(script_path) as f:
    lines = [line.rstrip("\n") for line in f if line.strip()]
position = 0
connections = 0
refuse_until = 0.0
restamp = False
rate = 0.0
stalled = asyncio.Event()
stalled.set()


def log(conn, message):
    with open(log_path, "a") as f:
        f.write(json.dumps({"conn": conn, "message": message}) + "\n")


async def beacon(ws, prefix, period, after, seconds):
    end = time.time() + seconds
    # A change due just before the beacon started is sent at once: the client may have connected before it.
    last = time.time() - 0.5
    while True:
        cycle = math.floor(last / period) * period
        at = min(t for t in (cycle, cycle + after, cycle + period, cycle + period + after) if t > last)
        if at > end:
            return
        await asyncio.sleep(max(0, at - time.time()))
        last = at
        announce = (at - cycle) % period == 0
        data = {"timestamp": round(time.time(), 2), "peer": "192.0.2.1", "peer_asn": "64500", "id": "beacon",
                "host": "rrc21.ripe.net", "type": "UPDATE"}
        if announce:
            data.update(path=[64500, 12654], origin="IGP", announcements=[{"next_hop": "192.0.2.1", "prefixes": [prefix]}])
        else:
            data.update(withdrawals=[prefix])
        await ws.send(json.dumps({"type": "ris_message", "data": data}))
        log(0, {"beacon": "announced" if announce else "withdrawn", "scheduled": at, "sent": time.time()})


def refuse(connection, request):
    # While refusing, the opening handshake is answered 503: no WebSocket, as a service that is down.
    if time.time() < refuse_until:
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "try again later\n")
    return None


async def handler(ws):
    global position, connections
    connections += 1
    conn = connections
    log(conn, {"path": ws.request.path})
    streamer = None

    async def stream():
        global position, refuse_until, restamp, rate
        paced_from, paced = time.time(), 0
        while position < len(lines):
            line = lines[position]
            position += 1
            if line.startswith("#drop"):
                await ws.close()
                return
            if line.startswith("#stall"):
                # This connection goes quiet for good (no data, no pongs for a while): the next one goes on.
                stalled.clear()
                try:
                    await asyncio.sleep(float(line.split()[1]))
                finally:
                    stalled.set()
                return
            if line.startswith("#wait"):
                await asyncio.sleep(float(line.split()[1]))
                continue
            if line.startswith("#error"):
                # As RIS Live does with a slow consumer: the error, then the connection closed.
                await ws.send(json.dumps({"type": "ris_error", "data": {"message": line[len("#error "):]}}))
                await ws.close()
                return
            if line.startswith("#refuse"):
                refuse_until = time.time() + float(line.split()[1])
                continue
            if line.startswith("#beacon"):
                _, prefix, period, after, seconds = line.split()
                asyncio.create_task(beacon(ws, prefix, float(period), float(after), float(seconds)))
                continue
            if line.startswith("#rate"):
                rate = float(line.split()[1])
                paced_from, paced = time.time(), 0
                continue
            if line.startswith("#restamp"):
                restamp = True
                continue
            if line.startswith("#mark"):
                log(conn, {"mark": time.time()})
                continue
            if rate > 0 and not line.startswith("#"):
                paced += 1
                ahead = paced_from + paced / rate - time.time()
                if ahead > 0.001:
                    await asyncio.sleep(ahead)
            if restamp and not line.startswith("#"):
                # The number after "timestamp": replaced in the text (parsing each message would be the bottleneck).
                at = line.find('"timestamp":')
                if at >= 0:
                    start = at + len('"timestamp":')
                    end = min(i for i in (line.find(",", start), line.find("}", start)) if i >= 0)
                    line = line[:start] + "%.3f" % time.time() + line[end:]
            if line.startswith("#garbage"):
                await ws.send("{this is not json")
                continue
            await ws.send(line)

    try:
        async for text in ws:
            try:
                msg = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"type": "ris_error", "data": {"message": "Invalid JSON"}}))
                continue
            log(conn, msg)
            kind, data = msg.get("type"), msg.get("data") or {}
            if kind == "ping":
                await stalled.wait()
                await ws.send(json.dumps({"type": "pong", "data": None}))
            elif kind == "ris_subscribe":
                if (data.get("socketOptions") or {}).get("acknowledge"):
                    await ws.send(json.dumps({"type": "ris_subscribe_ok", "data": {"subscription": data, "socketOptions": data.get("socketOptions")}}))
                if streamer is None:
                    streamer = asyncio.create_task(stream())
            elif kind != "ris_unsubscribe":
                await ws.send(json.dumps({"type": "ris_error", "data": {"message": "Unknown command type", "command_type": kind}}))
    except ConnectionClosed:
        pass
    finally:
        if streamer:
            streamer.cancel()


async def main():
    async with serve(handler, "127.0.0.1", 0, max_size=2**20, ping_interval=None, process_request=refuse) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()


asyncio.run(main())
