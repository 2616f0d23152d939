"""``intercept()`` for aiohttp: every connector's ``connect`` answers the mocked hosts from the mock
app in-process and refuses the others (``InterceptError``) unless ``passthrough`` allows.

A mocked request gets a connection whose transport is the mock app itself: aiohttp writes the
request's bytes to it as to a socket, h11 reads them, the app answers (in an executor thread, so
a latency fault never blocks the event loop) and the answer's bytes go back through aiohttp's
own parser. Working at the byte level keeps ``ClientResponse`` and every other aiohttp object
aiohttp's own: mocking libraries that build responses by hand break with each aiohttp release
(aioresponses on 3.14). aiohttp is optional: ``install`` does nothing without it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional, Tuple

_original: Optional[Callable[..., Any]] = None
_current: Optional[Callable[[], Any]] = None


def install(current: Callable[[], Any]) -> bool:
    """Patch ``aiohttp.BaseConnector.connect``; ``current()`` gives the active interception."""
    global _original, _current
    try:
        import aiohttp
    except ImportError:
        return False
    _current, _original = current, aiohttp.BaseConnector.connect
    setattr(aiohttp.BaseConnector, "connect", _connect)
    return True


def uninstall() -> None:
    global _original
    import aiohttp

    setattr(aiohttp.BaseConnector, "connect", _original)
    _original = None


async def _connect(connector: Any, req: Any, traces: Any, timeout: Any) -> Any:
    from aiohttp.client_proto import ResponseHandler
    from aiohttp.connector import Connection

    interception = _current() if _current else None
    if interception is None or _original is None or not interception.route(req.method, str(req.url)):
        assert _original is not None
        return await _original(connector, req, traces, timeout)
    loop = asyncio.get_running_loop()
    protocol = ResponseHandler(loop=loop)
    protocol.connection_made(_AppTransport(interception, f"{req.url.scheme}://{req.url.raw_authority}",
                                           protocol, loop))
    return Connection(connector, req.connection_key, protocol, loop)


class _AppTransport(asyncio.Transport):
    """One request's socket, with the mock app at the other end; closed after the answer."""

    def __init__(self, interception: Any, origin: str, protocol: asyncio.Protocol,
                 loop: asyncio.AbstractEventLoop):
        import h11

        super().__init__()
        self.interception, self.origin, self.protocol, self.loop = interception, origin, protocol, loop
        self.parser = h11.Connection(h11.SERVER)
        self.request: Any = None
        self.body: List[bytes] = []
        self.closed = False

    # --- what aiohttp's writer and protocol call ------------------------------------------------
    def write(self, data: Any) -> None:
        import h11

        self.parser.receive_data(bytes(data))
        while True:
            event = self.parser.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self.request = event
            elif isinstance(event, h11.Data):
                self.body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self.loop.create_task(self._answer())
                return

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return not self.closed

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    # --- the mock's side ------------------------------------------------------------------------
    async def _answer(self) -> None:
        method = self.request.method.decode("ascii")
        url = self.origin + self.request.target.decode("latin-1")
        headers = _joined(self.request.headers)
        status, reason, answer_headers, body = await self.loop.run_in_executor(
            None, self.interception.answer, method, url, headers, b"".join(self.body))
        if not self.closed:
            self.protocol.data_received(self._serialised(method, status, reason, answer_headers, body))

    def _serialised(self, method: str, status: int, reason: str, headers: List[Tuple[str, str]],
                    body: bytes) -> bytes:
        import h11

        # One exchange per connection: aiohttp closes it after reading the answer.
        kept = [(name, value) for name, value in headers if name.lower() != "connection"]
        parts = [self.parser.send(h11.Response(status_code=status, reason=reason,
                                               headers=kept + [("Connection", "close")]))]
        if method != "HEAD" and body:
            parts.append(self.parser.send(h11.Data(data=body)))
        parts.append(self.parser.send(h11.EndOfMessage()))
        return b"".join(part for part in parts if part)


def _joined(headers: Any) -> Dict[str, str]:
    """h11's (name, value) pairs as one mapping; a repeated header's values joined with commas as
    HTTP allows (aiohttp sends its cookies as one header)."""
    joined: Dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        joined[name] = joined[name] + ", " + value if name in joined else value
    return joined
