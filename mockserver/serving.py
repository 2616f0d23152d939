"""How the mock's HTTP servers run so that no client holds up another.

- Plain HTTP is waitress: it reads each request whole on its one I/O thread before a worker
  thread sees it, so a slow sender costs a connection, never a worker. Connections are capped
  (``--connection-limit``: waitress stops accepting until one closes, new clients wait in the
  listen backlog) and a silent one is closed after ``--idle-timeout`` seconds.
- ``--tls`` puts ``TlsFront`` before the same waitress server: TLS handshakes and encrypted
  bytes are handled on one asyncio loop (no thread per client, handshakes bounded by the idle
  timeout, never on an accepting thread), and each connection reaches waitress as one end of a
  socket pair. Slow and idle TLS clients then cost what plain ones do.
- ``--workers`` processes watch a pipe from their supervisor: when it dies, even by ``kill -9``,
  the pipe closes and they end, so the port is free for a restart.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import threading
from typing import Any, Dict, Optional, Set

from .config import Config

#: Descriptors a process keeps besides its connections (store, logs, the listener, threads' files).
SPARE_DESCRIPTORS = 256
#: Bytes relayed at a time between a TLS client and waitress.
CHUNK = 64 * 1024


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


class TlsFront:
    """HTTPS for a waitress server that has no listener of its own (see ``tls_backend``).

    Accepts on ``listener`` while fewer than ``limit`` connections are open (the others wait in the
    backlog), completes each TLS handshake within ``timeout`` seconds, and relays bytes both ways
    between the client and a socket pair whose other end waitress serves as a connection of its own.
    """

    def __init__(self, backend, listener: socket.socket, context: ssl.SSLContext, limit: int, timeout: float):
        self.backend = backend
        self.listener = listener
        self.context = context
        self.limit = limit
        self.timeout = timeout
        self._relays: Set[asyncio.Task] = set()

    def serve(self) -> None:
        """Serve until interrupted (waitress runs on a thread of its own meanwhile)."""
        threading.Thread(target=self.backend.run, name="mockserver:waitress", daemon=True).start()
        asyncio.run(self._accept())

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        self.listener.setblocking(False)
        slots = asyncio.Semaphore(self.limit)
        while True:
            await slots.acquire()
            try:
                client, address = await loop.sock_accept(self.listener)
            except OSError:  # out of descriptors, or the client left first: try again shortly
                slots.release()
                await asyncio.sleep(0.05)
                continue
            relay = loop.create_task(self._relay(client, address, slots))
            self._relays.add(relay)
            relay.add_done_callback(self._relays.discard)

    async def _relay(self, client: socket.socket, address: Any, slots: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        writers = []
        try:
            reader = asyncio.StreamReader(limit=CHUNK)
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, client, ssl=self.context, ssl_handshake_timeout=self.timeout)
            writers.append(asyncio.StreamWriter(transport, protocol, reader, loop))
            ours, theirs = socket.socketpair()
            self._hand_over(theirs, address)
            inner_reader, inner_writer = await asyncio.open_connection(sock=ours, limit=CHUNK)
            writers.append(inner_writer)
            copies = [loop.create_task(_copy(reader, inner_writer)), loop.create_task(_copy(inner_reader, writers[0]))]
            # Either side closing ends the connection: waitress after an answer with Connection:
            # close, an idle timeout or a dropped answer; the client when it is done.
            _, pending = await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
            for copy in pending:
                copy.cancel()
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            pass  # a failed handshake or a connection gone: nothing to answer
        finally:
            client.close()  # a no-op once the transport owns it
            for writer in writers:
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), self.timeout)
                except (OSError, asyncio.TimeoutError, ssl.SSLError):
                    pass
            slots.release()

    def _hand_over(self, sock: socket.socket, address: Any) -> None:
        """Give waitress a connected socket as if it had accepted it (on its own I/O thread)."""
        backend = self.backend
        backend.trigger.pull_trigger(
            lambda: backend.channel_class(backend, sock, address, backend.adj, map=backend._map))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return
        writer.write(data)
        await writer.drain()


def tls_backend(app, config: Config, threads: int, family: int):
    """A waitress server for ``TlsFront``: it listens nowhere (``_start=False`` keeps it from
    listening on its placeholder socket) and serves the connections handed to it, as HTTPS."""
    from waitress.server import create_server

    placeholder = socket.socket(family, socket.SOCK_STREAM)
    return create_server(app, sockets=[placeholder], _start=False, url_scheme="https",
                         **waitress_options(config, threads))
