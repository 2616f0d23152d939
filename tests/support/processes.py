"""Helpers of the state-backend tests: a private redis-server, and mock servers in subprocesses.

The Redis tests start their own ``redis-server`` (Debian package ``redis-server``, installed by
``scripts/ensure-redis``) on a free loopback port, in a temporary directory, without persistence.
They are never skipped in CI; locally, ``MOCKSERVER_SKIP_REDIS=1`` skips them.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
import redis

_prefixes = itertools.count()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, directory: Path):
        for _ in range(5):  # another process may take the free port before redis-server binds it
            self.port = free_port()
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
                 "--save", "", "--appendonly", "no", "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return
            self.process.kill()
            self.process.wait()
        raise RuntimeError("redis-server did not start")

    def _wait_ready(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return client.ping()
            except redis.ConnectionError:
                time.sleep(0.05)
        return False

    def url(self) -> str:
        """A URL with a key prefix of its own: every user of it starts from an empty store."""
        return f"redis://127.0.0.1:{self.port}/0?prefix=t{next(_prefixes)}:"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if os.environ.get("MOCKSERVER_SKIP_REDIS") == "1":
        if os.environ.get("CI"):
            pytest.fail("MOCKSERVER_SKIP_REDIS=1 is for local runs only: CI runs the Redis tests")
        pytest.skip("MOCKSERVER_SKIP_REDIS=1")
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/ensure-redis "
                    "(or set MOCKSERVER_SKIP_REDIS=1 to skip the Redis tests locally)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def start(*args, env=None, stderr=subprocess.PIPE):
    """Run ``mockserver`` with these flags; (process, base URL, banner). A chatty server must be
    given a file as ``stderr``: nobody reads the pipe while it runs."""
    process = subprocess.Popen([sys.executable, "-m", "mockserver", *args], stdout=subprocess.PIPE,
                               stderr=stderr, text=True, env={**os.environ, **(env or {})})
    first = process.stdout.readline()
    match = re.search(r"listening on (https?://\S+)", first)
    if not match:
        process.kill()
        raise AssertionError(f"no URL in {first!r}: {process.stderr and process.stderr.read()}")
    banner = [first]
    while not banner[-1].startswith("control plane:"):
        banner.append(process.stdout.readline())
    return process, match.group(1), "".join(banner)


class MockProcess:
    """``python -m mockserver`` in a subprocess, up once it has printed its banner."""

    def __init__(self, *args: str, env: Optional[dict] = None):
        # stderr (a line per request) goes to a file: a pipe nobody reads would fill and stall the server
        self.stderr = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                        env={**os.environ, **(env or {})})
        lines: List[str] = [self.process.stdout.readline()]
        match = re.search(r"listening on (http://\S+)", lines[0])
        if not match:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no URL in {lines[0]!r}: {self.read_stderr()}")
        while not lines[-1].startswith("control plane:"):
            lines.append(self.process.stdout.readline())
        self.url = match.group(1)
        self.banner = "".join(lines)

    def stop(self) -> Tuple[int, str]:
        """SIGTERM, then the exit status and what the process wrote to stderr."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.communicate(timeout=20)
        return self.process.returncode, self.read_stderr()

    def read_stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()


def state_url(kind: str, tmp_path: Path, request) -> str:
    """A fresh state of the given backend kind: memory, sqlite or redis."""
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("redis_server").url()
