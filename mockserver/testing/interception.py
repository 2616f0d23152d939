"""``intercept()``: every ``requests`` or ``httpx`` call for WeChat's and Authing's hosts goes into
the mock's app, in this process, with no sockets — so unmodified clients (wechatpy, the ``authing``
SDK, an httpx-based backend) just work.

    with intercept() as mock:                       # or @intercept() / @intercept on a test
        client = wechatpy.WeChatClient(mock.appid, mock.secret)
        client.wxa.code_to_session(mock.login("yuna"))

While any interception is active it patches the one method each library's calls go through,
whichever session or client made them: ``requests.adapters.HTTPAdapter.send``, httpx's
``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request`` (``httpx_hook.py``;
clients built on another transport, such as Starlette's and FastAPI's ``TestClient``, are left
alone), and urllib's ``AbstractHTTPHandler.do_open`` (``urllib_hook.py``). The innermost active
interception answers. A request for any other host fails with ``InterceptError`` itself unless
``passthrough`` lets it through to the network.
"""
from __future__ import annotations

import functools
import inspect
import threading
import weakref
from email.message import Message
from fnmatch import fnmatchcase
from io import BytesIO
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from flask import Flask

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import HTTPResponse
except ImportError as missing:  # an optional dependency: say which extra brings it
    raise ImportError(f"intercept() answers requests calls and needs the requests package ({missing}): "
                      "pip install 'wechat-authing-mockserver[requests]'") from missing

from .. import registry
from ..config import Config
from ..runtime import runtime_of
from . import wsgi
from .helpers import MockHelpers

#: Hosts routed into the mock: each emulated service's real hosts (WeChat's API; every Authing
#: host: core, api, an app's own domain), as the services declare them.
MOCKED_HOSTS = tuple(host for service in registry.load() for host in service.hosts)


class InterceptError(requests.exceptions.ConnectionError):
    """A request for a host that ``intercept()`` neither mocks nor lets through."""


class _Patch:
    """Installs the client libraries' patches while at least one interception is active."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active: List["Interception"] = []
        self.original: Optional[Callable] = None  # requests' HTTPAdapter.send
        self.httpx_installed = False

    def push(self, interception: "Interception") -> None:
        with self.lock:
            if interception in self.active:
                raise RuntimeError("this intercept() is already active; nest a new intercept() instead")
            if not self.active:
                self.original = HTTPAdapter.send
                setattr(HTTPAdapter, "send", _send)  # (mypy rejects assigning to a method)
                from . import httpx_hook, urllib_hook

                self.httpx_installed = httpx_hook.install(self.current)
                urllib_hook.install(self.current)
            self.active.append(interception)

    def pop(self, interception: "Interception") -> None:
        with self.lock:
            self.active.remove(interception)
            if not self.active:
                setattr(HTTPAdapter, "send", self.original)
                self.original = None
                from . import urllib_hook

                urllib_hook.uninstall()
                if self.httpx_installed:
                    from . import httpx_hook

                    httpx_hook.uninstall()
                    self.httpx_installed = False

    def current(self) -> Optional["Interception"]:
        with self.lock:
            return self.active[-1] if self.active else None


_patch = _Patch()


def _send(adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
    interception, original = _patch.current(), _patch.original
    if interception is None or original is None:  # deactivated while this request was on its way
        return HTTPAdapter.send(adapter, request, *args, **kwargs)
    return interception.send(adapter, request, original, *args, **kwargs)


class _HeaderSource:
    """Stands in for ``http.client.HTTPResponse``: requests reads Set-Cookie from its ``msg``;
    urllib3 asks whether it is closed and closes it."""

    def __init__(self, headers: Iterable):
        self.msg = Message()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


class _AppPool:
    """Idle apps by config, so ``intercept()`` costs a reset instead of a ``create_app`` (tens of ms)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: Dict[Tuple, List[Flask]] = {}

    def acquire(self, config: Dict[str, Any]) -> Flask:
        from ..app import create_app

        with self.lock:
            idle = self.idle.get(_key(config))
            app = idle.pop() if idle else None
        if app is None:
            return create_app(Config(**config))
        runtime_of(app).reset()
        return app

    def release(self, config: Dict[str, Any], app: Flask) -> None:
        with self.lock:
            self.idle.setdefault(_key(config), []).append(app)


def _key(config: Dict[str, Any]) -> Tuple:
    return tuple(sorted(config.items()))


_pool = _AppPool()


class Interception(MockHelpers):
    """One interception: a context manager and a decorator; also the helpers of its app."""

    def __init__(self, target: Any = None, *, passthrough: Union[bool, Iterable[str]] = False,
                 hosts: Iterable[str] = (), **config: Any):
        from .server import MockServer

        if config and target is not None:
            raise TypeError("give either a server/app or Config fields, not both")
        Config(**config)  # unknown fields fail here, not at first use
        self.server = target if isinstance(target, MockServer) else None
        self._app: Optional[Flask] = self.server.app if self.server is not None else target
        self.config = config
        self.hosts = MOCKED_HOSTS + tuple(hosts)
        self.passthrough = passthrough if isinstance(passthrough, bool) else tuple(passthrough)
        self.blocked: List[str] = []
        self._release: Optional[weakref.finalize] = None

    @property
    def app(self) -> Flask:
        """The app requests go to; without a target, a fresh-state one taken on first use and given
        back to a pool when this interception is garbage (or, for a decorated call, when it returns)."""
        if self._app is None:
            self._app = _pool.acquire(self.config)
            self._release = weakref.finalize(self, _pool.release, self.config, self._app)
        return self._app

    # --- routing ------------------------------------------------------------------------------
    def mocks(self, netloc: str, hostname: str) -> bool:
        if self.server is not None and self.server.running and f"http://{netloc}" == self.server.url:
            return True
        return any(fnmatchcase(hostname, pattern) for pattern in self.hosts)

    def passes(self, hostname: str) -> bool:
        if isinstance(self.passthrough, bool):
            return self.passthrough
        return any(fnmatchcase(hostname, pattern) for pattern in self.passthrough)

    def route(self, method: str, url: str, request: Any = None) -> bool:
        """True: the mock answers ``url``; False: the network does (``passthrough``); else
        ``InterceptError`` (given ``request``, the library's own request object, when it takes one)."""
        parts = urlsplit(url)
        hostname = (parts.hostname or "").lower()
        if self.mocks(parts.netloc.lower(), hostname):
            return True
        if self.passes(hostname):
            return False
        self.blocked.append(url)
        raise InterceptError(
            f"mockserver.intercept() blocked {method} {url}: {hostname!r} is not a mocked "
            f"host ({', '.join(self.hosts)}). Pass intercept(passthrough=True) to let every other host through "
            f"to the network, or passthrough=[{hostname!r}] for this one.", request=request)

    def answer(self, method: str, url: str, headers: Any, body: bytes) -> Tuple[int, str, wsgi.Headers, bytes]:
        """The mock app's answer to one request, in-process: (status, reason, headers, body)."""
        return wsgi.call(self.app, method, url, headers, body)

    def send(self, adapter: HTTPAdapter, request: requests.PreparedRequest, original: Callable,
             *args: Any, **kwargs: Any) -> requests.Response:
        assert request.method is not None and request.url is not None  # set by prepare()
        if self.route(request.method, request.url, request):
            return self.dispatch(adapter, request)
        return original(adapter, request, *args, **kwargs)

    def dispatch(self, adapter: HTTPAdapter, request: requests.PreparedRequest) -> requests.Response:
        assert request.method is not None and request.url is not None  # set by prepare()
        status, reason, headers, body = self.answer(request.method, request.url, request.headers,
                                                    _body_bytes(request.body))
        # urllib3 types headers= as a mapping but takes (name, value) pairs too, which keep repeated
        # headers (Set-Cookie); _HeaderSource stands in for http.client's response.
        raw = HTTPResponse(body=BytesIO(body), headers=headers,  # type: ignore[arg-type]
                           status=status, reason=reason, preload_content=False, decode_content=False,
                           original_response=_HeaderSource(headers),  # type: ignore[arg-type]
                           request_url=request.url)
        return adapter.build_response(request, raw)

    # --- context manager and decorator ------------------------------------------------------------
    def __enter__(self) -> "Interception":
        _patch.push(self)
        return self

    def __exit__(self, *exc_info) -> None:
        _patch.pop(self)

    def __call__(self, target):
        """Decorate a test function (each call runs intercepted, from a fresh state) or a class
        (each of its ``test*`` methods)."""
        if inspect.isclass(target):
            for name, method in list(vars(target).items()):
                if name.startswith("test") and callable(method):
                    setattr(target, name, self(method))
            return target

        @functools.wraps(target)
        def intercepted(*args, **kwargs):
            if self._app is not None:  # a given server or app: its state, reset for each call
                self.reset()
                with self:
                    return target(*args, **kwargs)
            call = Interception(passthrough=self.passthrough, hosts=self.hosts[len(MOCKED_HOSTS):], **self.config)
            try:
                with call:
                    return target(*args, **kwargs)
            finally:
                if call._release is not None:
                    call._release()
        return intercepted


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def intercept(target: Any = None, *, passthrough: Union[bool, Iterable[str]] = False,
              hosts: Iterable[str] = (), **config: Any):
    """Route ``requests`` calls for WeChat and Authing hosts into a mock app, in-process.

    - ``intercept()``: a fresh app from ``Config(**config)`` (``seed=``, ``fixtures=``, ...).
    - ``intercept(server)`` / ``intercept(app)``: a ``MockServer``'s app, or one from ``create_app``;
      state is shared with it (and requests to a started server's own URL are answered in-process too).
    - ``@intercept`` / ``@intercept(...)``: on a test function or class.
    - ``passthrough``: False (default) fails any other host with ``InterceptError``; True lets
      every other host through to the network; a list of host patterns (``"*.example.com"``)
      lets those through.
    - ``hosts``: more host patterns to route into the mock.
    """
    if inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target):
        return Interception(passthrough=passthrough, hosts=hosts, **config)(target)
    return Interception(target, passthrough=passthrough, hosts=hosts, **config)
