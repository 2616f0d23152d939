"""``--tls``: an asyncio front that does the TLS of a waitress server that listens nowhere (see
``serving.py`` for why)."""
from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from typing import Any, Set

from .config import Config
from .serving import waitress_options

#: Bytes relayed at a time between a TLS client and waitress.
CHUNK = 64 * 1024


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
