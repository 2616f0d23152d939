"""``--proxy-port``: unmodified clients with hard-coded hosts (wechatpy, a Node program, curl) reach
the mock through it, over TLS that its local CA signs; it answers from the same app and state as
the main port, and for the emulated hosts only (it is not an open proxy)."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap

import pytest
import requests
from cryptography import x509
from support import JS_DIR, ROOT
from support.processes import MockProcess

from mockserver import MockServer
from mockserver.tls import ensure_proxy_certificates

PROXY_BANNER_LINES = 5  # "proxy for ...", "local CA ...", then Python, Node and curl


class ProxiedMock:
    """``python -m mockserver --proxy-port 0``, with the proxy's URL and CA read off its banner."""

    def __init__(self, tls_dir, *args):
        self.process = MockProcess("--proxy-port", "0", "--tls-dir", str(tls_dir), *args)
        lines = [self.process.process.stdout.readline() for _ in range(PROXY_BANNER_LINES)]
        self.banner = "".join(lines)
        self.url = re.search(r"other hosts refused\): (http://\S+)", lines[0]).group(1)
        self.ca = re.search(r"local CA \(trust it\): (\S+)", lines[1]).group(1)
        app = requests.get(self.process.url + "/__mock__/apps", timeout=10).json()
        self.appid, self.secret = app["wechat"][0]["appid"], app["wechat"][0]["secret"]

    def login(self, user="yuna"):
        return requests.post(self.process.url + "/__mock__/wechat/login", json={"appid": self.appid, "user": user},
                             timeout=10).json()

    def env(self):
        return {**os.environ, "HTTPS_PROXY": self.url, "HTTP_PROXY": self.url, "REQUESTS_CA_BUNDLE": self.ca,
                "SSL_CERT_FILE": self.ca, "NODE_EXTRA_CA_CERTS": self.ca, "NO_PROXY": "127.0.0.1,localhost"}


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    mock = ProxiedMock(tmp_path_factory.mktemp("tls"))
    yield mock
    mock.process.stop()


def test_unmodified_wechatpy_logs_in_through_the_proxy(proxied):
    minted = proxied.login()
    script = textwrap.dedent(f"""
        import json
        from wechatpy import WeChatClient
        client = WeChatClient({proxied.appid!r}, {proxied.secret!r})
        print(json.dumps(client.wxa.code_to_session({minted['code']!r})))
    """)
    done = subprocess.run([sys.executable, "-c", script], env=proxied.env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)
    assert session["openid"] == minted["openid"] and session["session_key"]
    # the same app and state as the main port: the code is spent there too
    again = requests.get(proxied.process.url + "/sns/jscode2session", params={
        "appid": proxied.appid, "secret": proxied.secret, "js_code": minted["code"],
        "grant_type": "authorization_code"}, timeout=10).json()
    assert again["errcode"] == 40163


def test_a_node_client_reaches_the_hard_coded_host_through_the_proxy(proxied, node):
    url = ("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential"
           f"&appid={proxied.appid}&secret={proxied.secret}")
    done = subprocess.run([node, str(JS_DIR / "proxy_client.js"), url], env=proxied.env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == 200 and answer["body"]["expires_in"] == 7200 and answer["body"]["access_token"]


def test_curl_through_the_proxy_as_the_banner_says(proxied):
    curl = shutil.which("curl")
    assert curl, "curl is needed for this test"
    [line] = [line for line in proxied.banner.splitlines() if line.strip().startswith("curl:")]
    command = line.split("curl:", 1)[1].strip()
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_PROXY": ""})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["expires_in"] == 7200
    assert f"HTTPS_PROXY={proxied.url} REQUESTS_CA_BUNDLE={proxied.ca}" in proxied.banner
    assert f"NODE_EXTRA_CA_CERTS={proxied.ca}" in proxied.banner
    refused = subprocess.run([curl, "-s", "--proxy", proxied.url, "--cacert", proxied.ca, "https://example.com/"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 56  # curl: the proxy refused the CONNECT


def raw_exchange(proxy_url, request: bytes) -> bytes:
    host, port = proxy_url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("request_bytes", [
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
    b"GET /sns/jscode2session HTTP/1.1\r\nHost: api.weixin.qq.com\r\n\r\n",  # not a proxy request
], ids=["connect-other-host", "plain-other-host", "connect-loopback", "origin-form"])
def test_it_is_not_an_open_proxy(proxied, request_bytes):
    answer = raw_exchange(proxied.url, request_bytes)
    status = int(answer.split(b" ", 2)[1])
    assert status == (400 if b"GET /sns" in request_bytes else 403), answer


def test_plain_http_and_https_absolute_form_are_answered_with_the_real_scheme(proxied):
    """``GET http://...`` as any proxy client sends it; ``GET https://...`` in the clear, as axios
    does: the app sees the scheme the client asked for (the Authing issuer says it)."""
    for scheme in ("http", "https"):
        answer = raw_exchange(proxied.url, (
            f"GET {scheme}://core.authing.cn/oidc/.well-known/openid-configuration HTTP/1.1\r\n"
            "Host: core.authing.cn\r\nConnection: close\r\n\r\n").encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert json.loads(body)["issuer"] == f"{scheme}://core.authing.cn/oidc"


def test_tls_names_the_emulated_hosts_and_chains_to_the_local_ca(proxied):
    context = ssl.create_default_context(cafile=proxied.ca)
    host, port = proxied.url.rsplit("//", 1)[1].split(":")
    for name in ("api.weixin.qq.com", "core.authing.cn", "myapp.authing.cn"):
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(f"CONNECT {name}:443 HTTP/1.1\r\nHost: {name}:443\r\n\r\n".encode())
            assert raw.recv(4096).startswith(b"HTTP/1.1 200")
            with context.wrap_socket(raw, server_hostname=name) as tls:  # verifies the chain and the name
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_tunnel_answers_only_for_the_host_it_was_opened_to(proxied):
    context = ssl.create_default_context(cafile=proxied.ca)
    host, port = proxied.url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"CONNECT api.weixin.qq.com:443 HTTP/1.1\r\nHost: api.weixin.qq.com:443\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        with context.wrap_socket(raw, server_hostname="api.weixin.qq.com") as tls:
            tls.sendall(b"GET /oidc/.well-known/openid-configuration HTTP/1.1\r\nHost: core.authing.cn\r\n\r\n")
            assert tls.recv(4096).startswith(b"HTTP/1.1 403")


def test_bodies_chunked_or_too_large(tmp_path):
    with MockServer(proxy=True, tls_dir=str(tmp_path), max_body_bytes=1024) as server:
        chunked = (b"POST http://api.weixin.qq.com/cgi-bin/stable_token HTTP/1.1\r\nHost: api.weixin.qq.com\r\n"
                   b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        body = json.dumps({"grant_type": "client_credential", "appid": server.appid,
                           "secret": server.secret}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
        answer = raw_exchange(server.proxy_url, chunked + chunks)
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["expires_in"] == 7200
        too_large = raw_exchange(server.proxy_url, (
            b"POST http://api.weixin.qq.com/wxa/msg_sec_check HTTP/1.1\r\nHost: api.weixin.qq.com\r\n"
            b"Content-Length: 4096\r\n\r\n" + b"x" * 4096))
        assert too_large.startswith(b"HTTP/1.1 413")
        bad_chunk = raw_exchange(server.proxy_url, chunked + b"zz\r\n")
        assert bad_chunk.startswith(b"HTTP/1.1 400")
        too_large_chunks = raw_exchange(server.proxy_url, chunked + b"".join(b"200\r\n" + b"x" * 512 + b"\r\n"
                                                                             for _ in range(3)) + b"0\r\n\r\n")
        assert too_large_chunks.startswith(b"HTTP/1.1 413")
        bad_length = raw_exchange(server.proxy_url, (
            b"POST http://api.weixin.qq.com/wxa/msg_sec_check HTTP/1.1\r\nHost: api.weixin.qq.com\r\n"
            b"Content-Length: -5\r\n\r\n"))
        assert bad_length.startswith(b"HTTP/1.1 400")
        assert [entry["path"] for entry in server.journal()["requests"]] == ["/cgi-bin/stable_token"]


def test_the_host_certificate_is_remade_only_for_other_names(tmp_path):
    first = ensure_proxy_certificates(["api.weixin.qq.com"], tmp_path)
    cert, ca = first.cert.read_bytes(), first.ca.read_bytes()
    assert ensure_proxy_certificates(["api.weixin.qq.com"], tmp_path).cert.read_bytes() == cert
    other = ensure_proxy_certificates(["api.weixin.qq.com", "*.authing.cn"], tmp_path)
    names = x509.load_pem_x509_certificate(other.cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == ["api.weixin.qq.com", "*.authing.cn"] and other.ca.read_bytes() == ca


def test_the_same_ca_is_kept_across_restarts(tmp_path):
    with MockServer(proxy=True, tls_dir=str(tmp_path)) as first:
        ca = open(first.proxy_ca, "rb").read()
        assert first.proxy_env()["REQUESTS_CA_BUNDLE"] == first.proxy_ca
    with MockServer(proxy=True, tls_dir=str(tmp_path)) as second:
        assert open(second.proxy_ca, "rb").read() == ca
    with pytest.raises(RuntimeError, match=r"MockServer\(proxy=True\)"):
        MockServer().start().proxy_url


@pytest.mark.parametrize("args, env, message", [
    (["--proxy-port", "70000"], {}, "--proxy-port 70000: must be from 0 to 65535"),
    ([], {"MOCKSERVER_PROXY_PORT": "abc"}, "MOCKSERVER_PROXY_PORT=abc: not a whole number"),
])
def test_a_bad_proxy_port_is_refused_before_listening(args, env, message):
    done = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})
    assert done.returncode == 2 and done.stderr.strip() == f"mockserver: {message}"


def test_a_taken_proxy_port_is_refused_naming_the_flag(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--proxy-port", str(port),
                               "--tls-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith(f"mockserver: cannot listen on 127.0.0.1:{port} (--proxy-port): ")


README_SECTION = "### Clients with hard-coded hosts: the proxy"
APP_PY = """
import requests
print(requests.get("https://api.weixin.qq.com/cgi-bin/token", params={
    "grant_type": "client_credential", "appid": "wx7bcfa6ed0b1e34bd",
    "secret": "83a6921593026ee4d338dec5c3d3e115"}).json()["expires_in"])
"""


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(README_SECTION):]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.replace("\\\n", "").splitlines() if line.strip()]


def test_the_readme_commands_run_as_written(tmp_path, node):
    """The section's commands, with a free port for 8089 and HOME in a temporary folder (where
    ``~/.cache/mockserver/tls`` then is); app.py and app.js stand for the user's programs."""
    serve, *clients = readme_commands()
    assert serve == "mockserver --proxy-port 8089" and len(clients) == 3
    (tmp_path / "app.py").write_text(APP_PY)
    (tmp_path / "app.js").write_text((JS_DIR / "proxy_client.js").read_text().replace("process.argv[2]", '"https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential'
                                    '&appid=wx7bcfa6ed0b1e34bd&secret=83a6921593026ee4d338dec5c3d3e115"'))
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
           "NODE_PATH": str(JS_DIR / "node_modules")}
    env.pop("MOCKSERVER_TLS_DIR", None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    process = MockProcess("--proxy-port", port, env={"HOME": str(tmp_path)})
    try:
        outputs = [subprocess.run(command.replace("8089", port), shell=True, cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=60) for command in clients]
    finally:
        process.stop()
    for command, done in zip(clients, outputs):
        assert done.returncode == 0, (command, done.stderr)
    assert outputs[0].stdout.strip() == "7200"
    assert json.loads(outputs[1].stdout)["body"]["expires_in"] == 7200
    assert json.loads(outputs[2].stdout)["expires_in"] == 7200


def test_an_idle_client_of_the_proxy_is_closed_after_the_idle_timeout(tmp_path):
    with MockServer(proxy=True, tls_dir=str(tmp_path), idle_timeout=1) as server:
        host, port = server.proxy_url.rsplit("//", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=20) as idle:
            assert idle.recv(1) == b""  # closed by the proxy, long before this socket's own 20 s
