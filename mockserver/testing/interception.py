"""``intercept()``: every ``requests``, ``httpx``, ``aiohttp`` or ``urllib.request`` call for WeChat's
and Authing's hosts goes into the mock's app, in this process, with no sockets — so unmodified
clients (wechatpy, the ``authing`` SDK, an httpx or aiohttp backend) just work.

    with intercept() as mock:                       # or @intercept() / @intercept on a test
        client = wechatpy.WeChatClient(mock.appid, mock.secret)
        client.wxa.code_to_session(mock.login("yuna"))

While any interception is active it patches the one method each library's calls go through,
whichever session or client made them, one hook module per library (``HOOKS``), each installed
only when its library is importable: ``requests.adapters.HTTPAdapter.send`` (``requests_hook.py``),
httpx's ``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request``
(``httpx_hook.py``; clients built on another transport, such as Starlette's and FastAPI's
``TestClient``, are left alone), aiohttp's ``BaseConnector.connect`` (``aiohttp_hook.py``) and
urllib's ``AbstractHTTPHandler.do_open`` (``urllib_hook.py``). The innermost active
interception answers. A request for any other host fails with ``InterceptError`` itself unless
``passthrough`` lets it through to the network.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import threading
import weakref
from fnmatch import fnmatchcase
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from flask import Flask

from .. import inprocess, registry
from ..config import Config
from ..runtime import runtime_of
from .helpers import MockHelpers

#: Hosts routed into the mock: each emulated service's real hosts (WeChat's API; every Authing
#: host: core, api, an app's own domain), as the services declare them.
MOCKED_HOSTS = tuple(host for service in registry.load() for host in service.hosts)


class InterceptError(Exception):
    """A request for a host that ``intercept()`` neither mocks nor lets through. Raised as itself
    from every client library (never wrapped in the library's own error); ``request`` is the
    library's request object where it has one (requests' ``PreparedRequest``)."""

    def __init__(self, message: str, request: Any = None):
        super().__init__(message)
        self.request = request


#: One module per client library, each with ``install(current) -> bool`` (False when the library
#: is not importable) and ``uninstall()``.
HOOKS = ("requests_hook", "httpx_hook", "aiohttp_hook", "urllib_hook")


class _Patch:
    """Installs the client libraries' hooks while at least one interception is active."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active: List["Interception"] = []
        self.installed: List[Any] = []  # the hook modules whose library is importable

    def push(self, interception: "Interception") -> None:
        with self.lock:
            if interception in self.active:
                raise RuntimeError("this intercept() is already active; nest a new intercept() instead")
            if not self.active:
                for name in HOOKS:
                    hook = importlib.import_module(f".{name}", __package__)
                    if hook.install(self.current):
                        self.installed.append(hook)
            self.active.append(interception)

    def pop(self, interception: "Interception") -> None:
        with self.lock:
            self.active.remove(interception)
            if not self.active:
                while self.installed:
                    self.installed.pop().uninstall()

    def current(self) -> Optional["Interception"]:
        with self.lock:
            return self.active[-1] if self.active else None


_patch = _Patch()


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

    def answer(self, method: str, url: str, headers: Any, body: bytes) -> Tuple[int, str, inprocess.Headers, bytes]:
        """The mock app's answer to one request, in-process: (status, reason, headers, body)."""
        return inprocess.call(self.app, method, url, headers, body)

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


def intercept(target: Any = None, *, passthrough: Union[bool, Iterable[str]] = False,
              hosts: Iterable[str] = (), **config: Any):
    """Route HTTP calls for WeChat and Authing hosts into a mock app, in-process (every library in ``HOOKS``).

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
