"""``mockserver`` / ``python -m mockserver``: serve the emulated APIs with waitress (``serving.py``)."""
from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import sys
from typing import List, Optional

from . import flags, serving
from .config import Config
from .core.errors import ControlError
from .runtime import runtime_of

ENV_PREFIX = flags.ENV_PREFIX

DESCRIPTION = """\
Local emulator of WeChat's mini-program server API and of the Authing endpoints that the
Authing mini-program SDKs call. Point a client's base URL at the printed address; drive the
mock (mint login codes, reset, inspect users, move the clock) under /__mock__/.

Every flag can also be set by an environment variable MOCKSERVER_<FLAG>, e.g. MOCKSERVER_PORT=0.
"""

EXAMPLES = """\
examples:
  mockserver                          # embedded default fixture on http://127.0.0.1:8088
  mockserver --port 0                 # any free port (printed)
  mockserver --fixtures my.json --seed 7
  mockserver --accept-unknown-codes yuna   # codes from WeChat devtools log in user 'yuna'
  mockserver --state sqlite:///mock.db     # state survives restarts (docs/state-backends.md)
  mockserver --state redis://127.0.0.1:6379/0 --workers 4   # 4 processes, one port, shared state
  mockserver --proxy-port 8089        # + an HTTPS proxy for SDKs with hard-coded hosts (wechatpy, Java, Go)
"""


TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _env(name: str, default):
    """``MOCKSERVER_<NAME>``, or ``default``. Numbers stay strings: ``flags.py`` converts and checks
    them, naming the flag or the variable a bad value came from."""
    value = os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"))
    return default if value is None else value


def _env_flag(name: str) -> bool:
    value = _env(name, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    print(f"mockserver: {ENV_PREFIX}{name.upper()}={value!r}: say one of {', '.join(TRUE)} "
          f"or {', '.join(v for v in FALSE if v)}", file=sys.stderr)
    raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="mockserver", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=_env("host", defaults.host),
                        help="address to bind (default: %(default)s; loopback only unless you say otherwise)")
    parser.add_argument("--port", default=_env("port", str(defaults.port)),
                        help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--seed", default=_env("seed", str(defaults.seed)),
                        help="seed of every generated code, key and token (default: %(default)s)")
    parser.add_argument("--fixtures", metavar="PATH", default=_env("fixtures", defaults.fixtures),
                        help="fixture file of apps and users (default: the embedded one)")
    parser.add_argument("--log-level", default=_env("log_level", defaults.log_level),
                        choices=["debug", "info", "warning", "error"], help="(default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", default=_env_flag("quiet"),
                        help="no line per request (by default each emulated request is logged at info: "
                             "method, path, status, errcode, appid, user, latency; secrets masked)")
    parser.add_argument("--accept-unknown-codes", metavar="ALIAS",
                        default=_env("accept_unknown_codes", defaults.accept_unknown_codes),
                        help="a well-formed login code the mock never minted (e.g. from WeChat devtools) "
                             "logs in this user instead of failing with 40029 (default: off)")
    parser.add_argument("--signing-key", metavar="PATH", default=_env("signing_key", defaults.signing_key),
                        help="PEM RSA private key that signs Authing tokens (default: the test-only dev key "
                             "shipped in the package, so tokens verify across restarts)")
    parser.add_argument("--public-url", metavar="URL", default=_env("public_url", defaults.public_url),
                        help="base URL clients reach the mock at, used as the Authing token issuer "
                             "(default: scheme and Host of each request)")
    parser.add_argument("--journal-size", default=_env("journal_size", str(defaults.journal_size)),
                        help="requests the journal at /__mock__/requests keeps (default: %(default)s)")
    parser.add_argument("--journal-max-bytes", default=_env("journal_max_bytes", str(defaults.journal_max_bytes)),
                        help="bytes of JSON the journal keeps of each part of a request or answer (query, "
                             "headers, body, ...); the rest is cut and the entry says so (default: %(default)s)")
    parser.add_argument("--journal-max-fields", default=_env("journal_max_fields", str(defaults.journal_max_fields)),
                        help="fields the journal keeps of each part of a request or answer (default: %(default)s)")
    parser.add_argument("--allow-remote", action="store_true",
                        default=_env_flag("allow_remote"),
                        help="confirm a --host other than loopback: the mock, its control plane and its "
                             "secrets become reachable from the network (a warning is printed)")
    parser.add_argument("--admin-token", metavar="TOKEN", default=_env("admin_token", None),
                        help="require this token (Authorization: Bearer TOKEN) on /__mock__/")
    parser.add_argument("--tls", action="store_true", default=_env_flag("tls"),
                        help="serve HTTPS with a self-signed certificate (made once, path printed)")
    parser.add_argument("--tls-dir", metavar="DIR", default=_env("tls_dir", None),
                        help="where --tls and --proxy-port keep their certificates "
                             "(default: ~/.cache/mockserver/tls)")
    parser.add_argument("--proxy-port", metavar="PORT", default=_env("proxy_port", None),
                        help="also listen here as an HTTP/HTTPS forward proxy for the emulated hosts only "
                             "(api.weixin.qq.com, *.authing.cn), answered by this mock: clients with hard-coded "
                             "hosts set HTTPS_PROXY and trust the printed local CA; 0 picks a free port "
                             "(default: off)")
    parser.add_argument("--threads", default=_env("threads", "8"),
                        help="worker threads of the WSGI server (default: %(default)s)")
    parser.add_argument("--connection-limit", default=_env("connection_limit", str(defaults.connection_limit)),
                        help="open connections served at once (per worker); more wait to be accepted "
                             "(default: %(default)s)")
    parser.add_argument("--idle-timeout", default=_env("idle_timeout", str(defaults.idle_timeout)),
                        help="seconds a connection may stay silent (or take over its TLS handshake) before "
                             "it is closed (default: %(default)s)")
    parser.add_argument("--state", metavar="URL", default=_env("state", defaults.state),
                        help="where state lives: memory:// (fastest), sqlite:///PATH (survives restarts) "
                             "or redis://HOST:PORT/DB (shared by processes and hosts) (default: %(default)s)")
    parser.add_argument("--workers", default=_env("workers", "1"),
                        help="processes serving the one port; more than 1 needs a sqlite or redis --state "
                             "(default: %(default)s)")
    return parser


def parse(argv: List[str]) -> argparse.Namespace:
    """The flags and variables, every value checked before anything is built or bound (FlagError)."""
    args = build_parser().parse_args(argv)
    flags.check_numbers(args, argv)
    flags.resolvable_host(args.host, argv)
    flags.http_url(args.public_url, argv)
    if args.tls or args.proxy_port is not None:
        from .tls import DEFAULT_DIR

        args.tls_dir = flags.usable_directory(args.tls_dir or str(DEFAULT_DIR), argv)
    return args


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(host=args.host, port=args.port, seed=args.seed, fixtures=args.fixtures, state=args.state,
                  log_level=args.log_level, accept_unknown_codes=args.accept_unknown_codes,
                  signing_key=args.signing_key, public_url=args.public_url, journal_size=args.journal_size,
                  journal_max_bytes=args.journal_max_bytes, journal_max_fields=args.journal_max_fields,
                  connection_limit=args.connection_limit, idle_timeout=args.idle_timeout,
                  admin_token=args.admin_token)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(args: argparse.Namespace, argv: List[str]) -> Optional[str]:
    """An error message when binding a non-loopback address was not confirmed, else None."""
    if is_loopback(args.host):
        return None
    if not args.allow_remote:
        return (f"{flags.named('host', args.host, argv)} would expose the mock, its control plane and its "
                "secrets to the network; add --allow-remote to confirm (and consider --admin-token)")
    print(f"mockserver: WARNING: listening on {args.host}, reachable from the network"
          + ("" if args.admin_token else "; the control plane is open (no --admin-token)"), file=sys.stderr)
    return None


def banner(config: Config, url: str, runtime, workers: int = 1, curl: str = "curl") -> str:
    lines = [f"mockserver listening on {url}",
             f"  fixture: {runtime.fixture_source}   seed: {config.seed}"]
    if runtime.store.shared:
        how = "loaded the fixture" if runtime.loaded_fixture else "resumed the stored state"
        lines.append(f"  state: {config.state} ({how})   workers: {workers}")
    apps = runtime.wechat.apps()
    users = runtime.wechat.users()
    if apps:
        app = apps[0]
        lines.append(f"  mini program: appid {app['appid']}  secret {app['secret']}")
    control_curl = curl
    if config.admin_token:  # the control plane wants the token; the example reads it from the shell
        control_curl = f'{curl} -H "Authorization: Bearer $MOCKSERVER_ADMIN_TOKEN"'
    if apps and users:
        alias = users[0]["alias"]
        lines += [
            "try it" + (" (with MOCKSERVER_ADMIN_TOKEN set to the admin token):" if config.admin_token else ":"),
            f"  code=$({control_curl} -s -X POST {url}/__mock__/wechat/login"
            f" -d '{{\"appid\":\"{app['appid']}\",\"user\":\"{alias}\"}}'"
            " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"code\"])')",
            f"  {curl} \"{url}/sns/jscode2session?appid={app['appid']}&secret={app['secret']}"
            "&js_code=$code&grant_type=authorization_code\"",
        ]
    lines.append(f"control plane: {url}/__mock__/   (Ctrl-C to stop)")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse(argv)
    except flags.FlagError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    refusal = check_host(args, argv)
    if refusal:
        print(f"mockserver: {refusal}", file=sys.stderr)
        return 2
    config = config_from_args(args)
    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.quiet:
        logging.getLogger("mockserver.access").setLevel(logging.WARNING)

    from .app import create_app
    if args.workers > 1 and not hasattr(os, "fork"):
        print("mockserver: --workers above 1 needs a POSIX system", file=sys.stderr)
        return 2
    try:
        app = create_app(config)
        runtime = runtime_of(app)
        if args.workers > 1 and not runtime.store.shared:
            raise ValueError("--workers above 1 needs a shared --state: sqlite:///PATH or redis://HOST:PORT/DB")
        flags.known_user(args.accept_unknown_codes, lambda ref: _is_user(runtime, ref),
                         lambda: [user["alias"] for user in runtime.wechat.users()], argv)
    except ValueError as exc:  # a bad fixture (FixtureError), signing key, --state URL or flag
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    shortage = serving.ensure_descriptors(config.connection_limit, 3 if args.tls else 1)
    if shortage:
        print(f"mockserver: {flags.named('connection_limit', config.connection_limit, argv)}: {shortage}",
              file=sys.stderr)
        return 2
    if args.workers > 1 and args.tls:
        print("mockserver: --tls serves one process; use --workers 1", file=sys.stderr)
        return 2
    try:
        proxy = open_proxy(app, config, args)
    except OSError as exc:
        print(f"mockserver: cannot listen on {config.host}:{args.proxy_port} ({flags.source('proxy_port', argv)}): "
              f"{exc.strerror}", file=sys.stderr)
        return 2
    try:
        if args.workers > 1:
            return serve_workers(app, config, args.threads, args.workers, proxy)
        if args.tls:
            return serve_tls(app, config, args, proxy)
        return serve_plain(app, config, args, proxy)
    finally:
        if proxy is not None:
            proxy.server_close()


def serve_plain(app, config: Config, args: argparse.Namespace, proxy) -> int:
    from waitress.server import create_server

    try:
        server = create_server(app, host=config.host, port=config.port,
                               **serving.waitress_options(config, args.threads))
    except OSError as exc:
        print(f"mockserver: cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 2
    url = address_url(config.host, server.effective_port)
    print(banner(config, url, runtime_of(app)), flush=True)
    serve_proxy(proxy, runtime_of(app))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def open_proxy(app, config: Config, args: argparse.Namespace):
    """``--proxy-port``: the forward proxy for the services' hosts, bound but not serving yet (so
    that a taken port fails before the banner); None without the flag."""
    if args.proxy_port is None:
        return None
    from pathlib import Path

    from .proxy import ProxyServer
    from .tls import ensure_proxy_certificates

    hosts = [host for service in runtime_of(app).registered for host in service.hosts]
    certificates = ensure_proxy_certificates(hosts, Path(args.tls_dir))
    return ProxyServer((config.host, args.proxy_port), app, hosts, certificates, config.max_body_bytes,
                       config.idle_timeout)


def serve_proxy(proxy, runtime) -> None:
    """Print how clients use the proxy, and start serving it from a thread."""
    if proxy is None:
        return
    from .proxy import client_settings

    ca = str(proxy.certificates.ca)
    apps = runtime.wechat.apps()
    example = ("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential"
               f"&appid={apps[0]['appid']}&secret={apps[0]['secret']}") if apps else "https://api.weixin.qq.com/"
    print(f"proxy for {', '.join(proxy.hosts)} (other hosts refused): {proxy.url}", flush=True)
    print(f"  local CA (trust it): {ca}", flush=True)
    for client, line in client_settings(proxy.url, ca, example).items():
        print(f"  {client + ':':8}{line}", flush=True)
    proxy.start()


def _is_user(runtime, ref: str) -> bool:
    try:
        runtime.wechat.user(ref)
    except ControlError:
        return False
    return True


def address_url(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}"


def serve_tls(app, config: Config, args: argparse.Namespace, proxy) -> int:
    """HTTPS with a self-signed certificate: waitress behind the asyncio TLS front (``serving.py``)."""
    import ssl
    from pathlib import Path

    from .tls import ensure_certificate
    cert, key = ensure_certificate(config.host, Path(args.tls_dir))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    try:
        listener = _listen(config)
    except OSError as exc:
        print(f"mockserver: cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 2
    from .tls_front import TlsFront, tls_backend

    backend = tls_backend(app, config, args.threads, listener.family)
    front = TlsFront(backend, listener, context, config.connection_limit, config.idle_timeout)
    url = address_url(config.host, listener.getsockname()[1], "https")
    print(banner(config, url, runtime_of(app), curl=f"curl --cacert {cert}"), flush=True)
    print(f"TLS certificate (trust it: curl --cacert, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS): {cert}",
          flush=True)
    serve_proxy(proxy, runtime_of(app))
    try:
        front.serve()
    except KeyboardInterrupt:
        pass
    return 0


def _listen(config: Config) -> socket.socket:
    """A listening socket on ``--host``/``--port`` (OSError when it cannot be bound)."""
    family, kind, proto, _, address = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(address)
    listener.listen(1024)
    return listener


def serve_workers(app, config: Config, threads: int, workers: int, proxy) -> int:
    """Pre-fork: bind the port once, then N processes each run waitress on that one socket.

    The kernel hands each new connection to one of the processes waiting in accept(); they share
    state through the store. The parent supervises (SIGINT/SIGTERM stop every worker, and a
    worker that dies takes the others down, exit status 1, rather than leaving a partial server)
    and serves ``--proxy-port`` with an app of its own on the same store.
    """
    try:
        listener = _listen(config)
    except OSError as exc:
        print(f"mockserver: cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 2
    url = address_url(config.host, listener.getsockname()[1])
    print(banner(config, url, runtime_of(app), workers), flush=True)
    runtime_of(app).store.close()  # each worker opens its own connections
    # Workers watch the read end; the write end stays open in the supervisor only, until it dies.
    watched, held = os.pipe()
    pids = [_fork_worker(listener, config, threads, watched, held) for _ in range(workers)]
    os.close(watched)
    if proxy is not None:
        from .app import create_app

        proxy.app = create_app(config)  # made after the forks: no worker inherits its connections
        serve_proxy(proxy, runtime_of(proxy.app))
    logging.getLogger("mockserver").info("workers %s serving %s", ", ".join(map(str, pids)), url)
    return _supervise(set(pids))


def _fork_worker(listener: socket.socket, config: Config, threads: int, watched: int, held: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        os.close(held)
        serving.end_with_supervisor(watched)
        from waitress.server import create_server

        from .app import create_app
        server = create_server(create_app(config), sockets=[listener], **serving.waitress_options(config, threads))
        server.run()
        status = 0
    except KeyboardInterrupt:
        status = 0
    except Exception:
        logging.getLogger("mockserver").exception("worker %d failed", os.getpid())
    finally:
        os._exit(status)


def _supervise(running: set) -> int:
    stopping = False
    status = 0

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True
        for pid in list(running):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while running:
        pid, wait_status = os.wait()
        running.discard(pid)
        if not stopping:
            logging.getLogger("mockserver").error(
                "worker %d exited with status %d; stopping the others", pid, os.waitstatus_to_exitcode(wait_status))
            status = 1
            stop()
    return status
