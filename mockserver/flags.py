"""Checking the command line's values before the server listens, each error naming where the value
came from: the flag (``--port 70000``) or the environment variable (``MOCKSERVER_PORT=abc``)."""
from __future__ import annotations

import os
import socket
from typing import Any, Callable, List, Optional, Sequence
from urllib.parse import urlsplit

ENV_PREFIX = "MOCKSERVER_"

#: Whole-number flags and the range each must be in (None: no bound).
NUMBERS = {
    "port": (0, 65535),
    "proxy_port": (0, 65535),  # optional: None when not given
    "seed": (None, None),
    "threads": (1, 1024),
    "workers": (1, 256),
    "journal_size": (1, None),
    "journal_max_bytes": (64, 16 * 1024 * 1024),
    "journal_max_fields": (1, None),
    "connection_limit": (1, 100_000),
    "idle_timeout": (1, 86_400),
}


class FlagError(ValueError):
    """A flag or variable whose value cannot be used; the message names it."""


def env_name(dest: str) -> str:
    return ENV_PREFIX + dest.upper()


def source(dest: str, argv: Sequence[str]) -> str:
    """How the user gave ``dest``: ``--flag`` on the command line, else its variable if set."""
    flag = "--" + dest.replace("_", "-")
    if any(arg == flag or arg.startswith(flag + "=") for arg in argv):
        return flag
    return env_name(dest) if env_name(dest) in os.environ else flag


def named(dest: str, value: Any, argv: Sequence[str]) -> str:
    where = source(dest, argv)
    return f"{where}={value}" if where.startswith(ENV_PREFIX) else f"{where} {value}"


def whole_number(dest: str, value: Any, argv: Sequence[str]) -> int:
    low, high = NUMBERS[dest]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FlagError(f"{named(dest, value, argv)}: not a whole number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise FlagError(f"{named(dest, value, argv)}: must be {bounds}")
    return number


def resolvable_host(host: str, argv: Sequence[str]) -> str:
    try:
        socket.getaddrinfo(host.strip("[]"), None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FlagError(f"{named('host', host, argv)}: not an address this machine can bind "
                        f"({getattr(exc, 'strerror', None) or exc})") from None
    return host


def http_url(url: Optional[str], argv: Sequence[str]) -> Optional[str]:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise FlagError(f"{named('public_url', url, argv)}: give an http(s) URL such as http://127.0.0.1:8088")
    return url


def usable_directory(path: str, argv: Sequence[str]) -> str:
    """``--tls-dir``: a directory the server can write to (made if missing)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise FlagError(f"{named('tls_dir', path, argv)}: cannot make the directory ({exc.strerror})") from None
    if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
        raise FlagError(f"{named('tls_dir', path, argv)}: not a directory this user can write to")
    return path


def known_user(ref: Optional[str], exists: Callable[[str], bool], aliases: Callable[[], List[str]],
               argv: Sequence[str]) -> Optional[str]:
    """``--accept-unknown-codes``: a user of the fixture (an alias or an openid)."""
    if ref is None:
        return None
    if not exists(ref):
        known = aliases()
        shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        raise FlagError(f"{named('accept_unknown_codes', ref, argv)}: no such user in the fixture "
                        f"(users: {shown or 'none'})")
    return ref


def check_numbers(args: Any, argv: Sequence[str]) -> None:
    """Every whole-number flag of ``args``, converted and checked in place (FlagError on the first bad one)."""
    for dest in NUMBERS:
        if getattr(args, dest) is not None:
            setattr(args, dest, whole_number(dest, getattr(args, dest), argv))
