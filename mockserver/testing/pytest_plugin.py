"""The pytest plugin (entry point ``pytest11: mockserver``): fixtures for testing WeChat/Authing code.

- ``mockserver``: a live ``MockServer`` (one per configuration per test session, started on first
  use), reset to its fixture state before each test.
- ``mockserver_intercept``: the same server's app behind ``intercept()`` — ``requests``,
  ``httpx`` and ``urllib.request`` calls for WeChat and Authing hosts are answered in-process, no sockets; reset before
  each test too.
- ``@pytest.mark.mockserver(seed=7, fixtures="data/apps.json", ...)`` on a test, class or module
  (``pytestmark``), or ``@pytest.mark.parametrize("mockserver", [{"seed": 7}], indirect=True)``:
  which configuration a test gets. Keys are ``mockserver.Config`` fields; closer markers win.
  ``passthrough=`` is for ``mockserver_intercept`` only (see ``intercept()``); ``proxy=True`` gives
  the ``mockserver`` fixture the forward proxy of ``--proxy-port`` (``proxy_url``, ``proxy_ca``,
  ``proxy_env()``) for clients in other processes whose hosts are hard-coded.

Nothing from the package is imported until a fixture is used, so the plugin costs nothing to
test suites that do not use it.
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any, Dict, FrozenSet, Tuple

import pytest

INTERCEPT_OPTIONS = ("passthrough", "hosts")
SERVER_OPTIONS = ("proxy",)  # MockServer's own, beside Config's fields
NOT_CHOOSABLE = ("host", "port", "log_level")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockserver(seed=0, fixtures=None, **config): the mock server configuration the mockserver and "
        "mockserver_intercept fixtures give this test (mockserver.Config fields; fixtures= is a path "
        "relative to the test file's directory or the rootdir). Tests with equal configurations share "
        "one server, reset before each test.")


class Servers:
    """One ``MockServer`` per configuration, for the whole session (or xdist worker)."""

    def __init__(self):
        self.servers: Dict[Tuple, Any] = {}

    def get(self, choice: Dict[str, Any]):
        key = tuple(sorted(choice.items()))
        server = self.servers.get(key)
        if server is None:
            from .server import MockServer

            server = self.servers[key] = MockServer(**choice)
        return server

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


#: Kept on the config rather than in a session fixture: one fixture less to resolve per test.
SERVERS = pytest.StashKey[Servers]()


def _servers(config: pytest.Config) -> Servers:
    servers = config.stash.get(SERVERS, None)
    if servers is None:
        servers = config.stash[SERVERS] = Servers()
    return servers


def pytest_unconfigure(config: pytest.Config) -> None:
    servers = config.stash.get(SERVERS, None)
    if servers is not None:
        servers.stop_all()


def _choice(request: pytest.FixtureRequest) -> Dict[str, Any]:
    """The configuration for this test: markers, farthest first, then an indirect parameter."""
    choice: Dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("mockserver"))):
        if marker.args:
            pytest.fail("@pytest.mark.mockserver takes keyword arguments only", pytrace=False)
        choice.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            pytest.fail(f"an indirect mockserver parameter must be a dict of Config fields, not {param!r}",
                        pytrace=False)
        choice.update(param)
    unknown = set(choice) - _options()
    if unknown:
        pytest.fail(f"unknown mockserver option(s) {sorted(unknown)}; known: {sorted(_options())}", pytrace=False)
    if choice.get("fixtures") is not None:
        choice["fixtures"] = _fixture_path(request, choice["fixtures"])
    return choice


@functools.lru_cache(maxsize=None)
def _options() -> FrozenSet[str]:
    from ..config import Config

    return frozenset({field.name for field in dataclasses.fields(Config)} - set(NOT_CHOOSABLE)
                     | set(INTERCEPT_OPTIONS) | set(SERVER_OPTIONS))


def _fixture_path(request: pytest.FixtureRequest, path: Any) -> str:
    path = Path(path)
    if path.is_absolute():
        return str(path)
    directories = dict.fromkeys([request.path.parent, request.config.rootpath])
    for directory in directories:
        if (directory / path).is_file():
            return str((directory / path).resolve())
    pytest.fail(f"mockserver fixture file {str(path)!r} found neither in "
                f"{' nor in '.join(map(str, directories))}", pytrace=False)


def _server(request: pytest.FixtureRequest, choice: Dict[str, Any]):
    server = _servers(request.config).get({k: v for k, v in choice.items() if k not in INTERCEPT_OPTIONS})
    server.reset()
    return server


@pytest.fixture
def mockserver(request: pytest.FixtureRequest):
    """A live mock server (``.url``, credentials, ``login(user)``, ...) in its fixture state."""
    server = _server(request, _choice(request))
    return server.start()


@pytest.fixture
def mockserver_intercept(request: pytest.FixtureRequest):
    """``requests`` calls for WeChat and Authing hosts answered in-process by the mock (no sockets);
    yields the interception, which has the same helpers as ``mockserver``."""
    try:
        from .interception import intercept
    except ImportError as missing:
        pytest.fail(str(missing), pytrace=False)

    choice = _choice(request)
    server = _server(request, choice)
    options = {k: choice[k] for k in INTERCEPT_OPTIONS if k in choice}
    with intercept(server, **options) as interception:
        yield interception
