"""A small HTTP server on loopback standing in for an app's backend: it answers WeChat's URL
check with the ``echostr`` it is sent, records every push, and answers them as told."""
from __future__ import annotations

import http.server
import threading
import time
from typing import Callable, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

#: (status, body) a receiver answers a push with, given the push's number (1, 2, ...).
Answer = Callable[[int], Tuple[int, bytes]]


class Received(NamedTuple):
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


def success(number: int) -> Tuple[int, bytes]:
    return 200, b"success"


class PushReceiver:
    """``with PushReceiver() as backend:`` — ``backend.url`` to configure, ``backend.received``
    what came. ``answer`` chooses each push's answer; ``echo`` how the URL check is answered
    (None: with its echostr); ``hold`` is an event a push waits for before it is answered."""

    def __init__(self, answer: Answer = success, echo: Optional[Callable[[str], bytes]] = None,
                 hold: Optional[threading.Event] = None, path: str = "/wechat/push"):
        self.answer = answer
        self.echo = echo
        self.hold = hold
        self.path = path
        self.received: List[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = dict(parse_qsl(urlsplit(self.path).query))
                receiver._record(self, b"")
                text = receiver.echo(query.get("echostr", "")) if receiver.echo else query.get("echostr", "").encode()
                self._reply(200, text)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                number = receiver._record(self, body)
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                self._reply(*receiver.answer(number))

            def _reply(self, status, text):
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def _record(self, handler, body: bytes) -> int:
        parts = urlsplit(handler.path)
        with self._lock:
            self.received.append(Received(handler.command, parts.path, dict(parse_qsl(parts.query)),
                                          dict(handler.headers.items()), body))
            return sum(1 for r in self.received if r.method == "POST")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def posts(self) -> List[Received]:
        with self._lock:
            return [r for r in self.received if r.method == "POST"]

    def wait_for(self, count: int, seconds: float = 20) -> List[Received]:
        """The first ``count`` pushes, once they came (AssertionError if they did not in time)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            posts = self.posts()
            if len(posts) >= count:
                return posts[:count]
            time.sleep(0.01)
        raise AssertionError(f"{count} pushes expected, {len(self.posts())} came")

    def __enter__(self) -> "PushReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


def settled(client, count: int, seconds: float = 20) -> list:
    """The first ``count`` deliveries the control plane lists, once none of them is pending or
    being sent."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listed = client.get("/__mock__/wechat/deliveries").get_json()["deliveries"]
        if len(listed) >= count and all(d["status"] not in ("pending", "sending") for d in listed[:count]):
            return listed[:count]
        time.sleep(0.01)
    raise AssertionError(f"deliveries not settled: {client.get('/__mock__/wechat/deliveries').get_json()}")
