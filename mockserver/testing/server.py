"""``MockServer``: the whole mock on a free loopback port, served by waitress from a background thread
(with the connection limit and idle timeout of its ``Config``, as ``mockserver`` has).

    with MockServer(seed=7) as server:
        requests.post(server.url + "/__mock__/wechat/login", json={...})

The app (and so the helpers) exists from construction; ``start()`` only adds the HTTP listener,
which the in-process ``intercept()`` never needs.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Optional

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
    ``app`` serves an app made elsewhere by ``create_app`` instead (on a free port).
    """

    app: Flask

    def __init__(self, config: Optional[Config] = None, *, app: Optional[Flask] = None, threads: int = 4,
                 **overrides: Any):
        if app is not None:
            config = dataclasses.replace(runtime_of(app).config, port=0)
        self.config = dataclasses.replace(config or Config(port=0), **overrides)
        self.threads = threads
        self.app = app or create_app(self.config)
        self._server = None
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
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and wait for the server's threads to end."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
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
