"""``MockServer``: the whole mock on a free loopback port, served by waitress from a background thread
(with the connection limit and idle timeout of its ``Config``, as ``mockserver`` has).

    with MockServer(seed=7) as server:
        requests.post(server.url + "/__mock__/wechat/login", json={...})

The app (and so the helpers) exists from construction; ``start()`` only adds the HTTP listener,
which the in-process ``intercept()`` never needs. ``MockServer(proxy=True)`` also starts the
forward proxy of ``--proxy-port`` (``proxy_url``, ``proxy_ca``, ``proxy_env()``) for clients in
other processes or languages whose hosts are hard-coded.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Dict, Optional

from flask import Flask

from ..app import create_app
from ..config import Config
from ..runtime import runtime_of
from ..serving import waitress_options
from .helpers import MockHelpers


class MockServer(MockHelpers):
    """One mock app, and a waitress server for it while started.

    ``config`` is a ``mockserver.Config``; keyword arguments override its fields
    (``seed=7``, ``fixtures="path.json"``, ...). Without a config the port is 0: a free one.
    ``app`` serves an app made elsewhere by ``create_app`` instead (on a free port). ``proxy``
    adds the forward proxy on a free port, its certificates in ``tls_dir`` (default: ``--tls-dir``'s).
    """

    app: Flask

    def __init__(self, config: Optional[Config] = None, *, app: Optional[Flask] = None, threads: int = 4,
                 proxy: bool = False, tls_dir: Optional[str] = None, **overrides: Any):
        if app is not None:
            config = dataclasses.replace(runtime_of(app).config, port=0)
        self.config = dataclasses.replace(config or Config(port=0), **overrides)
        self.threads = threads
        self.app = app or create_app(self.config)
        self.proxy, self.tls_dir = proxy, tls_dir
        self._server = None
        self._proxy: Any = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` while started."""
        server = self._server
        if server is None:
            raise RuntimeError("MockServer is not running: call start() or use it as a context manager")
        host = server.effective_host
        return f"http://{f'[{host}]' if ':' in host else host}:{server.effective_port}"

    def start(self) -> "MockServer":
        """Listen and serve from a daemon thread; a no-op when already started."""
        from waitress.server import create_server

        with self._lock:
            if self._server is None:
                server = create_server(self.app, host=self.config.host, port=self.config.port,
                                       **waitress_options(self.config, self.threads))
                thread = threading.Thread(target=server.run, name=f"mockserver:{server.effective_port}",
                                          daemon=True)
                thread.start()
                self._server, self._thread = server, thread
                if self.proxy:
                    self._proxy = self._start_proxy()
        return self

    def _start_proxy(self) -> Any:
        from pathlib import Path

        from ..proxy import ProxyServer
        from ..tls import DEFAULT_DIR, ensure_proxy_certificates

        hosts = [host for service in self.runtime.registered for host in service.hosts]
        certificates = ensure_proxy_certificates(hosts, Path(self.tls_dir) if self.tls_dir else DEFAULT_DIR)
        return ProxyServer((self.config.host, 0), self.app, hosts, certificates, self.config.max_body_bytes,
                           self.config.idle_timeout).start()

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the forward proxy, while started with ``proxy=True``."""
        return self._started_proxy().url

    @property
    def proxy_ca(self) -> str:
        """Path of the local CA's PEM certificate that clients of the proxy trust."""
        return str(self._started_proxy().certificates.ca)

    def proxy_env(self) -> Dict[str, str]:
        """Environment variables that send a child process's HTTPS through the proxy, trusting its
        CA: Python (requests, httpx, urllib, aiohttp with ``trust_env``), Node (24+, or with an agent
        that reads ``HTTPS_PROXY``) and curl. Loopback stays direct (``NO_PROXY``)."""
        url, ca = self.proxy_url, self.proxy_ca
        return {"HTTPS_PROXY": url, "HTTP_PROXY": url, "https_proxy": url, "http_proxy": url,
                "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1",
                "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca, "CURL_CA_BUNDLE": ca, "NODE_EXTRA_CA_CERTS": ca,
                "NODE_USE_ENV_PROXY": "1"}

    def _started_proxy(self) -> Any:
        if self._proxy is None:
            raise RuntimeError("no proxy: make the server with MockServer(proxy=True) "
                               "(in pytest: @pytest.mark.mockserver(proxy=True)) and start it")
        return self._proxy

    def stop(self) -> None:
        """Close the listener and every connection, and wait for the server's threads to end."""
        with self._lock:
            server, thread, proxy = self._server, self._thread, self._proxy
            self._server = self._thread = self._proxy = None
        if proxy is not None:
            proxy.stop()
        if server is None:
            return
        # Dispatchers belong to the server's loop thread: close them there. An empty map ends the loop.
        try:
            server.trigger.pull_trigger(lambda: [d.close() for d in list(server._map.values())])
        except OSError:
            # The loop, woken by a response being flushed, ran our closer (which closes the trigger
            # too) before the wake-up byte was written: the loop is ending already.
            pass
        thread.join()
        server.task_dispatcher.shutdown()

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "not started"
        return f"<MockServer {where} seed={self.config.seed} fixtures={self.runtime.fixture_source}>"
