"""``--proxy-port``: an HTTP and HTTPS forward proxy for the emulated hosts only, for SDKs whose
hosts are hard-coded (wechatpy, Java, Go, PHP): ``HTTPS_PROXY`` and a trusted CA are all they need.

``CONNECT api.weixin.qq.com:443`` is answered "200", the tunnel's TLS is terminated with a
certificate the mock's local CA signs (``tls.ensure_proxy_certificates``), and each request in it
goes to the mock's own app in-process, as ``https://<host><path>``: the same app and state as the
main port. Absolute-form requests (``GET http://api.weixin.qq.com/...``, and the
``GET https://...`` that axios sends to a proxy in the clear) are answered the same way. Any other
host is refused with 403: this is not an open proxy.

Why not mitmproxy, the usual library for this: its last release for Python 3.11 (11.0.2) pins h11
0.14 (open to CVE-2025-43859), cryptography 44 and Flask 3.1.0, so installing it would downgrade
the user's environment. What is written here is only the CONNECT step; the standard library
parses every request (``http.server``) and does the TLS (``ssl``).
"""
from __future__ import annotations

import http.server
import logging
import socketserver
import ssl
import threading
from fnmatch import fnmatchcase
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from . import inprocess
from .core.digits import ascii_digits
from .tls import ProxyCertificates

log = logging.getLogger("mockserver.proxy")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class ProxyServer(socketserver.ThreadingTCPServer):
    """The proxy's listener: one thread per client connection, ended with the server."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: Tuple[str, int], app: Any, hosts: Sequence[str],
                 certificates: ProxyCertificates, max_body_bytes: int, idle_timeout: float):
        self.app, self.hosts, self.certificates, self.max_body_bytes = app, tuple(hosts), certificates, max_body_bytes
        self.idle_timeout = idle_timeout  # seconds a connection may sit idle or a TLS handshake take
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(str(certificates.cert), str(certificates.key))
        self.tls.set_alpn_protocols(["http/1.1"])
        super().__init__(address, _ProxyHandler)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def emulates(self, host: str) -> bool:
        return any(fnmatchcase(host.lower(), pattern) for pattern in self.hosts)

    def start(self) -> "ProxyServer":
        """Serve from a daemon thread."""
        threading.Thread(target=self.serve_forever, name=f"mockserver-proxy:{self.server_address[1]}",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """One client connection: plain proxy requests, or a CONNECT tunnel's TLS requests."""

    server: ProxyServer
    protocol_version = "HTTP/1.1"
    server_version = "mockserver-proxy"
    tunnel: Optional[str] = None  # the host a CONNECT opened, once its TLS is up

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # the TLS socket made from it keeps it

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if not host or not ascii_digits(port) or not self.server.emulates(host):
            self._refuse(self.path)
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        try:
            self.connection = self.server.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:  # a client that does not trust the CA says so here
            log.info("TLS with a client for %s failed: %s", host, exc)
            self.close_connection = True
            return
        self.rfile = self.connection.makefile("rb", self.rbufsize)
        self.wfile = self.connection.makefile("wb")  # buffered: flushed after each answer
        self.tunnel = host
        self.close_connection = False  # the tunnel stays open, whatever HTTP version CONNECT used (urllib3: 1.0)

    def _answer(self) -> None:
        if self.tunnel is not None:
            url = f"https://{self.headers.get('Host') or self.tunnel}{self.path}"
        elif self.path.startswith(("http://", "https://")):
            url = self.path
        else:
            self._plain(400, "a proxy request names its absolute URL (http://host/path)")
            return
        host = urlsplit(url).hostname or ""
        if not self.server.emulates(host) or (self.tunnel is not None and host.lower() != self.tunnel.lower()):
            self._refuse(host)
            return
        body = self._body()
        if body is None:
            return
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in ("proxy-connection", "proxy-authorization", "transfer-encoding")}
        status, reason, answer_headers, content = inprocess.call(self.server.app, self.command, url, headers, body)
        self.send_response(status, reason)
        for name, value in answer_headers:
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def _body(self) -> Optional[bytes]:
        """The request body (by Content-Length or chunked), or None once answered as bad or too large."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked_body()
        declared = self.headers.get("Content-Length", "0")
        if not ascii_digits(declared):
            self._plain(400, "Content-Length is not a number")
            return None
        if int(declared) > self.server.max_body_bytes:
            self._too_large()
            return None
        return self.rfile.read(int(declared))

    def _chunked_body(self) -> Optional[bytes]:
        chunks: List[bytes] = []
        size = 0
        while True:
            try:
                length = int(self.rfile.readline(66).split(b";")[0].strip(), 16)
            except ValueError:
                length = -1
            if length < 0:
                self._plain(400, "a chunk size is not a hexadecimal number")
                return None
            size += length
            if size > self.server.max_body_bytes:
                self._too_large()
                return None
            if length == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers, unused
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(length))
            self.rfile.readline(3)  # the chunk's CRLF

    def _too_large(self) -> None:
        self._plain(413, f"the body is larger than {self.server.max_body_bytes} bytes")

    def _refuse(self, where: str) -> None:
        self._plain(403, f"mockserver proxy: {where} is not an emulated host ({', '.join(self.server.hosts)}); "
                         "this proxy answers only for them")

    def _plain(self, status: int, text: str) -> None:
        """The proxy's own answer, in plain text; the connection then closes (its body may be unread)."""
        body = (text + "\n").encode("utf-8")
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry secrets in their queries; the app's access log masks them.
        log.debug("%s %s", self.address_string(), format % args)


def client_settings(proxy_url: str, ca: str, example_url: str) -> Dict[str, str]:
    """How Python, Node and curl use the proxy (the banner's lines); ``example_url`` is a real
    host's URL for curl to fetch."""
    return {
        "Python": f"HTTPS_PROXY={proxy_url} REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca} python app.py",
        "Node": f"HTTPS_PROXY={proxy_url} NODE_USE_ENV_PROXY=1 NODE_EXTRA_CA_CERTS={ca} node app.js"
                "   (NODE_USE_ENV_PROXY: Node 24+; before, an agent such as https-proxy-agent)",
        "curl": f"curl --proxy {proxy_url} --cacert {ca} \"{example_url}\"",
    }
