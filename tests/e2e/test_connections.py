"""Idle and slow clients never hold up others, on plain HTTP and under --tls; connections are capped
and silent ones closed; --workers end with their supervisor, even killed by SIGKILL.

Every test runs ``python -m mockserver`` on a free loopback port and bounds what it waits for with
socket and request timeouts (a blocked server fails them; none asserts how fast an answer came).
"""
from __future__ import annotations

import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

from support.processes import free_port, start

TIMEOUT = 10  # seconds any answer may take on a loaded machine; a blocked server takes longer


class Server:
    """``python -m mockserver`` with these flags, plain or ``--tls``; ``connect()`` opens a raw
    connection (TLS-wrapped under ``--tls`` when ``handshake``)."""

    def __init__(self, tls: bool, *flags: str, tmp_path=None):
        args = ["--port", "0", "--quiet", *flags] + (["--tls", "--tls-dir", str(tmp_path)] if tls else [])
        self.process, self.url, _ = start(*args, stderr=subprocess.DEVNULL)
        self.tls = tls
        self.cert = None
        if tls:
            self.cert = re.search(r"TLS certificate .*: (\S+)$", self.process.stdout.readline().strip()).group(1)
        self.port = int(self.url.rsplit(":", 1)[1])

    def get(self, path: str, **kwargs) -> requests.Response:
        with requests.Session() as session:  # a connection of its own: never one reused from a pool
            return session.get(self.url + path, verify=self.cert or True, timeout=TIMEOUT, **kwargs)

    def connect(self, handshake: bool = True) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        if self.tls and handshake:
            sock = ssl.create_default_context(cafile=self.cert).wrap_socket(sock, server_hostname="127.0.0.1")
        return sock

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture(params=["plain", "tls"])
def tls(request) -> bool:
    return request.param == "tls"


def answer_to(sock: socket.socket, request: bytes) -> bytes:
    """What the server sends back for ``request`` on ``sock``, until it closes or the answer is whole."""
    sock.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


HEALTH = b"GET /__mock__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_many_idle_connections_do_not_stop_new_clients(tls, tmp_path):
    # past waitress's former limit of 100 and select()'s 1024 descriptors; under --tls, one of them
    # held cheroot's accepting thread for 10 s
    server = Server(tls, "--threads", "2", "--connection-limit", "1200", tmp_path=tmp_path)
    idle = [server.connect(handshake=False) for _ in range(1100)]
    try:
        for _ in range(3):
            assert server.get("/__mock__/health").json() == {"status": "ok", "backend": "memory"}
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_slow_senders_do_not_hold_the_worker_threads(tls, tmp_path):
    server = Server(tls, "--threads", "2", tmp_path=tmp_path)
    body = b'{"appid": "wx-slow"}'
    head = (b"POST /cgi-bin/stable_token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    slow = [server.connect() for _ in range(8)]  # four times the worker threads
    try:
        for sock in slow:
            sock.sendall(head + body[:5])  # and then nothing, for now
        wx = server.get("/__mock__/apps").json()["wechat"][0]
        token = requests.post(f"{server.url}/cgi-bin/stable_token", verify=server.cert or True, timeout=TIMEOUT,
                              json={"grant_type": "client_credential", "appid": wx["appid"], "secret": wx["secret"]})
        assert token.json()["expires_in"] == 7200
        for sock in slow:  # the slow ones finish and are answered too
            assert b'"errcode":40013' in answer_to(sock, body[5:])  # invalid appid (checked first)
    finally:
        for sock in slow:
            sock.close()
        server.stop()


def test_a_silent_connection_is_closed_after_the_idle_timeout(tls, tmp_path):
    server = Server(tls, "--idle-timeout", "1", tmp_path=tmp_path)
    try:
        never_greets = server.connect(handshake=False)  # under --tls: no TLS handshake ever
        assert never_greets.recv(1) == b""  # closed by the server, well before TIMEOUT
        quiet = server.connect()
        assert b'{"status":"ok","backend":"memory"}' in answer_to(quiet, HEALTH)
        assert quiet.recv(1) == b""  # kept alive after its answer, then closed once silent
    finally:
        server.stop()


def test_past_the_connection_limit_a_client_waits_for_a_free_slot(tls, tmp_path):
    server = Server(tls, "--connection-limit", "4", "--idle-timeout", "600", tmp_path=tmp_path)
    held = [server.connect() for _ in range(4)]
    try:
        for sock in held:  # all four are served: the limit counts clients, nothing else
            assert b'{"status":"ok","backend":"memory"}' in answer_to(sock, HEALTH)
        waiting = server.connect(handshake=False)  # the kernel queues it; the server does not accept it
        waiting.settimeout(1)
        if tls:  # not accepted: its TLS handshake gets no answer
            waiting = ssl.create_default_context(cafile=server.cert).wrap_socket(
                waiting, server_hostname="127.0.0.1", do_handshake_on_connect=False)
            with pytest.raises(socket.timeout):
                waiting.do_handshake()
        else:
            waiting.sendall(HEALTH)
            with pytest.raises(socket.timeout):
                waiting.recv(1)
        held.pop().close()  # a slot frees: the waiting client is accepted and served
        waiting.settimeout(TIMEOUT)
        if tls:
            waiting.do_handshake()  # carries on where it stood
            assert b'{"status":"ok","backend":"memory"}' in answer_to(waiting, HEALTH)
        else:
            assert b'{"status":"ok","backend":"memory"}' in answer_to(waiting, b"")
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_workers_end_when_their_supervisor_is_killed(tmp_path):
    port = free_port()
    state = f"sqlite:///{tmp_path / 'state.db'}"
    process, url, _ = start("--port", str(port), "--state", state, "--workers", "2", stderr=subprocess.DEVNULL)
    assert requests.get(f"{url}/__mock__/health", timeout=TIMEOUT).status_code == 200
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    while True:  # the workers see the supervisor's pipe close and end: the port frees
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            break
        assert time.monotonic() < deadline, "a worker still serves the port after its supervisor was killed"
        time.sleep(0.1)
    restarted, url, _ = start("--port", str(port), "--state", state, stderr=subprocess.DEVNULL)
    try:  # a restart on the same port does not fail with "Address already in use"
        assert requests.get(f"{url}/__mock__/health", timeout=TIMEOUT).status_code == 200
    finally:
        restarted.terminate()
        restarted.wait(timeout=TIMEOUT)


@pytest.mark.parametrize("args, env, message", [
    (["--connection-limit", "0"], {}, "--connection-limit 0: must be from 1 to 100000"),
    ([], {"MOCKSERVER_IDLE_TIMEOUT": "soon"}, "MOCKSERVER_IDLE_TIMEOUT=soon: not a whole number"),
    (["--idle-timeout", "0"], {}, "--idle-timeout 0: must be from 1 to 86400"),
])
def test_bad_connection_flags_are_refused_before_listening(args, env, message):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", *args], capture_output=True,
                            text=True, timeout=30, env={**clean, **env})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"mockserver: {message}"]


def _open_files(limit: int):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@pytest.mark.parametrize("flags, needed", [(["--connection-limit", "1000"], 1256),
                                           (["--connection-limit", "100", "--tls"], 556)])  # 3 per TLS client
def test_a_connection_limit_the_system_cannot_hold_is_refused(flags, needed, tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--tls-dir", str(tmp_path), *flags],
                            capture_output=True, text=True, timeout=30, preexec_fn=_open_files(512))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mockserver: --connection-limit {flags[1]}: needs {needed} open files and this system allows 512 (ulimit -n)"]


def test_the_open_file_limit_is_raised_to_fit_the_connection_limit():
    script = ("import resource; from mockserver.serving import ensure_descriptors; "
              "resource.setrlimit(resource.RLIMIT_NOFILE, (300, 4096)); "
              "assert ensure_descriptors(1000, 3) is None; print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "3256", result.stderr


def test_a_body_past_twice_the_size_limit_is_refused_unread(tmp_path):
    server = Server(False, tmp_path=tmp_path)
    try:
        sock = server.connect()
        sock.sendall(b"POST /sns/jscode2session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 20971521\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 413 Request Entity Too Large")  # no byte of it sent
    finally:
        server.stop()


def test_mockserver_in_tests_closes_silent_connections_too():
    from mockserver import MockServer

    with MockServer(idle_timeout=1) as server:
        port = int(server.url.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        assert silent.recv(1) == b""
