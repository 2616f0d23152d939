"""``mockserver`` / ``python -m mockserver``: serve the emulated APIs with waitress."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional

from .config import Config
from .core.fixtures import FixtureError

ENV_PREFIX = "MOCKSERVER_"

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
"""


def _env(name: str, default):
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"), default)


def build_parser() -> argparse.ArgumentParser:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="mockserver", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=_env("host", defaults.host),
                        help="address to bind (default: %(default)s; loopback only unless you say otherwise)")
    parser.add_argument("--port", type=int, default=int(_env("port", defaults.port)),
                        help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=int(_env("seed", defaults.seed)),
                        help="seed of every generated code, key and token (default: %(default)s)")
    parser.add_argument("--fixtures", metavar="PATH", default=_env("fixtures", defaults.fixtures),
                        help="fixture file of apps and users (default: the embedded one)")
    parser.add_argument("--log-level", default=_env("log_level", defaults.log_level),
                        choices=["debug", "info", "warning", "error"], help="(default: %(default)s)")
    parser.add_argument("--accept-unknown-codes", metavar="ALIAS",
                        default=_env("accept_unknown_codes", defaults.accept_unknown_codes),
                        help="a well-formed login code the mock never minted (e.g. from WeChat devtools) "
                             "logs in this user instead of failing with 40029 (default: off)")
    parser.add_argument("--threads", type=int, default=int(_env("threads", 8)),
                        help="worker threads of the WSGI server (default: %(default)s)")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(host=args.host, port=args.port, seed=args.seed, fixtures=args.fixtures,
                  log_level=args.log_level, accept_unknown_codes=args.accept_unknown_codes)


def banner(config: Config, url: str, runtime) -> str:
    lines = [f"mockserver listening on {url}",
             f"  fixture: {runtime.fixture['source']}   seed: {config.seed}"]
    apps = runtime.wechat.apps()
    users = runtime.wechat.users()
    if apps:
        app = apps[0]
        lines.append(f"  mini program: appid {app['appid']}  secret {app['secret']}")
    if apps and users:
        alias = users[0]["alias"]
        lines += [
            "try it:",
            f"  code=$(curl -s -X POST {url}/__mock__/wechat/login -d '{{\"appid\":\"{app['appid']}\",\"user\":\"{alias}\"}}'"
            " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"code\"])')",
            f"  curl \"{url}/sns/jscode2session?appid={app['appid']}&secret={app['secret']}"
            "&js_code=$code&grant_type=authorization_code\"",
        ]
    lines.append(f"control plane: {url}/__mock__/   (Ctrl-C to stop)")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from waitress.server import create_server

    from .app import create_app
    try:
        app = create_app(config)
    except FixtureError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    try:
        server = create_server(app, host=config.host, port=config.port, threads=args.threads,
                               ident="mockserver", clear_untrusted_proxy_headers=True)
    except OSError as exc:
        print(f"mockserver: cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host = config.host if ":" not in config.host else f"[{config.host}]"
    url = f"http://{host}:{server.effective_port}"
    print(banner(config, url, app.extensions["mockserver"]), flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
