"""A timing relay between browsers and a Streamlit server, for ``bench_sessions.py``.

Run: ``python benchmarks/wsrelay.py --listen 8600 --upstream 8599 --events events.jsonl``

Forwards every byte both ways unchanged, except that it declines websocket compression
(it removes ``Sec-WebSocket-Extensions`` from the upgrade request, so that frames can
be read). On each websocket it writes one JSON line per event, stamped with the system's
monotonic clock (``time.monotonic()``, the same clock in every process):

- ``rerun``: a rerun request from the browser has reached the relay; ``value`` is the
  double value it carries for the widget whose key is ``--widget``, ``triggers`` the
  buttons it presses (a form's submit button);
- ``finished``: the server's "script finished" for a run has passed through the relay,
  with its ``status`` (0 whole page, 3 fragment, 2 stopped early for a newer rerun).

The time between a rerun and the next successful ``finished`` on the same websocket is
the server's answer to that edit as the network sees it: the server's queueing, its run
and sending the new elements, and none of the browser's work to draw them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

_conn_ids = itertools.count(1)


def unmask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    mask = np.frombuffer((key * (n // 4 + 1))[:n], dtype=np.uint8)
    return (np.frombuffer(payload, dtype=np.uint8) ^ mask).tobytes()


class Frames:
    """Incremental websocket frame reader: bytes in, complete data messages out."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.partial = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            b = self.buf
            fin, opcode = b[0] & 0x80, b[0] & 0x0F
            masked, n, i = b[1] & 0x80, b[1] & 0x7F, 2
            if n == 126:
                if len(b) < 4:
                    break
                n, i = int.from_bytes(b[2:4], "big"), 4
            elif n == 127:
                if len(b) < 10:
                    break
                n, i = int.from_bytes(b[2:10], "big"), 10
            key = b""
            if masked:
                if len(b) < i + 4:
                    break
                key, i = bytes(b[i:i + 4]), i + 4
            if len(b) < i + n:
                break
            payload = bytes(b[i:i + n])
            del self.buf[:i + n]
            if masked:
                payload = unmask(payload, key)
            if opcode in (0, 1, 2):  # continuation, text, binary; control frames are skipped
                self.partial += payload
                if fin:
                    out.append(bytes(self.partial))
                    self.partial.clear()
        return out


class Relay:
    def __init__(self, upstream: tuple[str, int], widget: str, events_path: str) -> None:
        self.upstream = upstream
        self.widget = widget
        self.events = open(events_path, "a", buffering=1, encoding="utf-8")

    def log(self, **event) -> None:
        self.events.write(json.dumps(event) + "\n")

    async def handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            s_reader, s_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            c_writer.close()
            return
        try:
            head = await c_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            c_writer.close()
            s_writer.close()
            return
        is_ws = b"upgrade: websocket" in head.lower()
        if is_ws:
            head = b"\r\n".join(line for line in head.split(b"\r\n")
                                if not line.lower().startswith(b"sec-websocket-extensions:"))
        s_writer.write(head)
        conn = next(_conn_ids)
        if is_ws:
            await asyncio.gather(self.pump(c_reader, s_writer, conn, self.from_browser),
                                 self.pump(s_reader, c_writer, conn, self.from_server, skip_head=True))
        else:
            await asyncio.gather(self.pump(c_reader, s_writer, conn), self.pump(s_reader, c_writer, conn))

    async def pump(self, reader, writer, conn, on_message=None, skip_head: bool = False) -> None:
        frames = Frames() if on_message else None
        pending_head = skip_head
        try:
            while data := await reader.read(1 << 16):
                writer.write(data)
                if frames is not None:
                    if pending_head:  # the server's "101 Switching Protocols" answer comes first
                        end = data.find(b"\r\n\r\n")
                        data, pending_head = (data[end + 4:], False) if end >= 0 else (b"", True)
                    for message in frames.feed(data):
                        on_message(conn, message)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass

    def from_browser(self, conn: int, message: bytes) -> None:
        t = time.monotonic()
        msg = BackMsg()
        try:
            msg.ParseFromString(message)
        except Exception:  # not a Streamlit message: nothing to time
            return
        if msg.WhichOneof("type") != "rerun_script":
            return
        rerun = msg.rerun_script
        value, triggers = None, []
        for w in rerun.widget_states.widgets:
            kind = w.WhichOneof("value")
            if w.id.endswith(self.widget) and kind == "double_value":
                value = w.double_value
            elif kind == "trigger_value" and w.trigger_value:  # a button, e.g. a form's submit
                triggers.append(w.id)
        self.log(t=t, conn=conn, kind="rerun", value=value, triggers=triggers, fragment=rerun.fragment_id)

    def from_server(self, conn: int, message: bytes) -> None:
        if len(message) > 512:  # "script finished" is a few bytes; element deltas are not it
            return
        t = time.monotonic()
        msg = ForwardMsg()
        try:
            msg.ParseFromString(message)
        except Exception:
            return
        if msg.WhichOneof("type") == "script_finished":
            self.log(t=t, conn=conn, kind="finished", status=int(msg.script_finished))


async def serve(listen: int, relay: Relay) -> None:
    server = await asyncio.start_server(relay.handle, "127.0.0.1", listen, limit=1 << 20)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--widget", default="lever_ypri", help="key of the widget whose value each rerun is labelled with")
    ap.add_argument("--events", required=True, help="JSON-lines file the events are appended to")
    args = ap.parse_args()
    asyncio.run(serve(args.listen, Relay(("127.0.0.1", args.upstream), args.widget, args.events)))


if __name__ == "__main__":
    main()
