"""How the mock's HTTP servers run so that no client holds up another.

- Plain HTTP is waitress: it reads each request whole on its one I/O thread before a worker
  thread sees it, so a slow sender costs a connection, never a worker. Connections are capped
  (``--connection-limit``: waitress stops accepting until one closes, new clients wait in the
  listen backlog) and a silent one is closed after ``--idle-timeout`` seconds.
- ``--tls`` puts ``tls_front.TlsFront`` before the same waitress server: TLS handshakes and
  encrypted bytes are handled on one asyncio loop (no thread per client, handshakes bounded by the
  idle timeout, never on an accepting thread), and each connection reaches waitress as one end of
  a socket pair. Slow and idle TLS clients then cost what plain ones do. It is a module of its own
  so that plain HTTP never imports asyncio (start-up time).
- ``--workers`` processes watch a pipe from their supervisor: when it dies, even by ``kill -9``,
  the pipe closes and they end, so the port is free for a restart.
"""
from __future__ import annotations

import os
import signal
import threading
from typing import Any, Dict, Optional

from .config import Config

#: Descriptors a process keeps besides its connections (store, logs, the listener, threads' files).
SPARE_DESCRIPTORS = 256


def waitress_options(config: Config, threads: int) -> Dict[str, Any]:
    """The waitress settings of every server the mock starts (``mockserver``, ``MockServer``)."""
    return {
        "threads": threads, "ident": "mockserver", "clear_untrusted_proxy_headers": True,
        "connection_limit": config.connection_limit + 2,  # waitress counts its listener and its wake-up pipe too
        "channel_timeout": config.idle_timeout,
        "cleanup_interval": max(1, config.idle_timeout // 4),  # an idle connection lives at most 1.25 × the timeout
        "asyncore_use_poll": True,  # select() cannot watch descriptors past 1023
        # Bodies past twice the app's limit are refused by waitress (a plain 413) before being
        # buffered: those up to it reach the app, which answers 413 in the service's own format.
        "max_request_body_size": 2 * config.max_body_bytes,
    }


def ensure_descriptors(connections: int, per_connection: int) -> Optional[str]:
    """Raise this process's open-file limit so ``connections`` fit; a reason when it cannot."""
    try:
        import resource
    except ImportError:  # not POSIX: the system decides
        return None
    needed = connections * per_connection + SPARE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    if hard != resource.RLIM_INFINITY and hard < needed:
        return f"needs {needed} open files and this system allows {hard} (ulimit -n)"
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return None


def end_with_supervisor(pipe_end: int) -> None:
    """In a ``--workers`` process: end it when the supervisor's end of ``pipe_end``'s pipe closes
    (the supervisor exited or was killed: the kernel closes its descriptors either way)."""
    def watch() -> None:
        try:
            while os.read(pipe_end, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="mockserver:supervisor-watch", daemon=True).start()
