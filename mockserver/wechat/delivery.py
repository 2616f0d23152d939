"""Sending pushes to an app's push URL, in the background, as WeChat does.

``Deliveries.push(app, message, due_at)`` is the one way to push an event: it writes the push and
its place in the queue (``wx.push_queue``, by due time) and wakes this process's sender thread;
the request that caused it never waits. The thread sends every push the mock clock has reached,
in (due time, id) order, each taken off the queue in one atomic step first (``claim_delivery``),
so processes sharing a store never send one twice. It sleeps until the next push falls due (at
most ``POLL`` seconds: on a shared store another process may move the clock) and ends when the
queue is empty or only a move of a frozen clock can make a push due; moving the clock through this
process (``Clock.on_move``) or pushing wakes it (again).

Each try is a POST of the signed (and encrypted) message with a ``TIMEOUT``-second limit; an
answer other than 2xx, a timeout or a refused connection is tried again, ``MAX_TRIES`` tries in
all. Every try is journaled (route ``push``) with its outcome: ``delivered``, ``retried`` (another
try follows), ``failed`` (the last one); an app without a push URL gets one entry, ``no push URL:
nothing delivered``. WeChat expects the answer ``success`` or an empty body; another 2xx answer is
delivered and noted.
"""
from __future__ import annotations

import http.client
import logging
import os
import socket
import string
import threading
import time
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..control.journal import MASK
from ..core.clock import Clock
from ..core.errors import ControlError
from ..core.ids import ALPHANUMERIC, RandomSource
from ..core.store import StoreUnavailable
from . import push as wire
from .repo import Record, WeChatRepository

log = logging.getLogger("mockserver")
MAX_TRIES = 3
TIMEOUT = 5.0
POLL = 1.0
BATCH = 32
ANSWER_BYTES = 4096  # of an answer, read and kept
NO_PUSH_URL = "no push URL: nothing delivered"
EXPECTED_ANSWER = "WeChat expects the answer 'success' or an empty body"


def _sending(record: Any) -> Tuple[Record, Record]:
    """A push being sent (as it was when queued, for the sender)."""
    return {**record, "status": "sending"}, record


class Deliveries:
    def __init__(self, repo: WeChatRepository, clock: Clock, random: RandomSource, journal: Any):
        self.repo = repo
        self.clock = clock
        self.random = random
        self.journal = journal
        self.timeout = TIMEOUT
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()

    # --- what other code calls ----------------------------------------------------------------
    def push(self, app: Record, message: wire.Message, due_at: Optional[float] = None,
             user: Optional[str] = None) -> Record:
        """Push ``message`` (one of ``push.py``'s events) to ``app``'s backend: now, or once the mock
        clock passes ``due_at``. The delivery's record (``id``, ``status``, ...)."""
        now = self.clock.now()
        key = f"{self.repo.next_number('deliveries'):012d}"
        record = {"id": key, "appid": app["appid"], "user": user, "event": message.get("Event") or message["MsgType"],
                  "message": message, "created_at": now, "due_at": now if due_at is None else due_at,
                  "status": "pending", "tries": [], "finished_at": None}
        if due_at is None and not app.get("push"):
            return self._nowhere(record)
        self.repo.enqueue_delivery(record)
        self.wake()
        return record

    def verify(self, appid: str, push: Dict[str, Any]) -> None:
        """Check a push URL as WeChat does before saving it: a GET with ``signature``, ``timestamp``,
        ``nonce`` and ``echostr``, whose answer must be ``echostr`` (ControlError otherwise)."""
        now = int(self.clock.now())
        # Derived, not drawn: a refused configuration must not move the random source.
        nonce = self.random.derive("push-verify-nonce", appid, push["url"], str(now), length=10,
                                   alphabet=string.digits)
        echostr = self.random.derive("push-verify-echostr", appid, push["url"], str(now), length=19,
                                     alphabet=string.digits)
        sent = self._request("GET", push["url"], wire.verification_query(push["token"], now, nonce, echostr))
        verified = sent.succeeded and sent.answer == echostr
        self._journal("push-verify", appid, None, sent, "verified" if verified else "verification failed")
        if not verified:
            why = sent.error or (f"HTTP {sent.status}" if not sent.succeeded
                                 else f"the answer was {(sent.answer or '')[:64]!r}, not echostr {echostr!r}")
            raise ControlError(f"push URL verification failed ({why}): answer WeChat's GET with the echostr "
                               "parameter, as it is")

    def listing(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        """A page of the pushes, oldest first, with their total."""
        return self.repo.deliveries_page(offset, limit)

    def wake(self) -> None:
        """Look at the queue now (in this process's sender thread, started if need be)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked worker: the parent's thread is not here
                self._pid, self._thread, self._wake = os.getpid(), None, threading.Event()
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mockserver-push", daemon=True)
                self._thread.start()

    # --- the sender thread --------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = self.send_due()
            except StoreUnavailable:
                wait = POLL
            except Exception:  # noqa: BLE001  (the thread must survive: the next push may go out)
                log.exception("message push: sending failed")
                wait = POLL
            if wait is None:
                with self._lock:
                    if not self._wake.is_set():  # nothing due and nobody woke it since: end
                        self._thread = None
                        return
                continue
            self._wake.wait(wait)

    def send_due(self) -> Optional[float]:
        """Send every queued push the clock has reached, in (due time, id) order; then the seconds
        to wait before looking again (None: nothing falls due until the clock is moved or a push
        is made: the queue is empty, or this process's clock is frozen)."""
        while True:
            queued = self.repo.next_due(BATCH)
            if not queued:
                return None
            now = self.clock.now()
            ready = [key for key, due_at in queued if due_at <= now]
            if not ready:
                if not self.repo.store.shared:  # only this process moves the clock: it wakes the thread
                    return None if self.clock.frozen else max(0.01, queued[0][1] - now)
                return min(POLL, max(0.01, queued[0][1] - now))
            for key in ready:
                record = self.repo.claim_delivery(key, _sending)
                if record is None:
                    continue
                try:
                    self._send(record)
                except StoreUnavailable:
                    raise
                except Exception as exc:  # noqa: BLE001  (a record the mock cannot send, e.g. from an edited snapshot)
                    log.exception("message push: delivery %s cannot be sent", record.get("id"))
                    broken = {"status": "failed", "finished_at": self.clock.now(),
                              "tries": [{"at": int(self.clock.now()), "status": None, "answer": None,
                                         "error": f"the mock could not send it: {type(exc).__name__}",
                                         "outcome": "failed"}]}
                    self.repo.merge_delivery(key, broken)

    def _send(self, record: Record) -> None:
        app = self.repo.app(record["appid"])
        push = app.get("push") if app else None
        if not push:
            self._nowhere(record, queued=True)
            return
        tries = []
        for attempt in range(1, MAX_TRIES + 1):
            now = int(self.clock.now())
            seed = (record["id"], str(attempt))
            nonce = self.random.derive("push-nonce", *seed, length=10, alphabet=string.digits)
            random16 = self.random.derive("push-random", *seed, length=16, alphabet=ALPHANUMERIC).encode()
            envelope = wire.envelope(push, record["appid"], record["message"], now, nonce, random16)
            sent = self._request("POST", push["url"], envelope.query, envelope.body, envelope.content_type)
            outcome = "delivered" if sent.succeeded else "retried" if attempt < MAX_TRIES else "failed"
            note = EXPECTED_ANSWER if sent.succeeded and (sent.answer or "").strip() not in ("", "success") else None
            tries.append({"at": now, "status": sent.status, "answer": sent.answer, "error": sent.error,
                          "outcome": outcome, **({"note": note} if note else {})})
            self._journal("push", record["appid"], record["user"], sent, outcome, record, attempt, note)
            if sent.succeeded:
                break
        finished = {"status": tries[-1]["outcome"], "tries": tries, "finished_at": self.clock.now()}
        self.repo.merge_delivery(record["id"], finished)

    def _nowhere(self, record: Record, queued: bool = False) -> Record:
        """A push for an app without a push URL: settled, and journaled as such."""
        now = self.clock.now()
        settled = {**record, "status": "nothing", "outcome": NO_PUSH_URL, "finished_at": now}
        if queued:
            self.repo.merge_delivery(record["id"], settled)
        else:
            self.repo.put_delivery(settled)
        self._journal("push", record["appid"], record["user"], Exchange("POST", None), NO_PUSH_URL, record)
        return settled

    # --- I/O ----------------------------------------------------------------------------------
    def _request(self, method: str, url: str, query: Dict[str, str], body: Optional[str] = None,
                 content_type: Optional[str] = None) -> "Exchange":
        """One HTTP exchange with the app's backend (``error`` names what went wrong, if it did)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + "?" + (parts.query + "&" if parts.query else "") + urlencode(query)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=self.timeout)
        headers = {"User-Agent": "Mozilla/4.0", "Accept": "*/*"}
        if content_type:
            headers["Content-Type"] = content_type
        sent = Exchange(method, url, query, body, content_type)
        started = time.perf_counter()
        # The socket's timeout bounds each read; this bounds the whole exchange (a backend that
        # drips a header line every few seconds would otherwise hold it for as long as it likes).
        cut = threading.Event()  # set before the socket is shut: the failure it causes reads as the timeout
        deadline = threading.Timer(self.timeout, _cut, args=(connection, cut))
        deadline.start()
        try:
            connection.request(method, target, body=body.encode() if body is not None else None, headers=headers)
            response = connection.getresponse()
            answer = response.read(ANSWER_BYTES).decode("utf-8", "replace")
            if cut.is_set():
                raise TimeoutError("timed out")
            return sent._replace(status=response.status, answer=answer, seconds=time.perf_counter() - started)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a host name IDNA refuses
            failure = TimeoutError("timed out") if cut.is_set() else exc
            error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            return sent._replace(error=error, seconds=time.perf_counter() - started)
        finally:
            deadline.cancel()
            connection.close()

    def _journal(self, route: str, appid: str, user: Optional[str], sent: "Exchange", outcome: str,
                 record: Optional[Record] = None, attempt: Optional[int] = None, note: Optional[str] = None) -> None:
        """One exchange in the request journal, beside the requests (``route`` ``push``/``push-verify``)."""
        if self.journal is None:
            return
        parts = self.journal.parts()
        entry = {
            "time": self.clock.now(), "method": sent.method,
            "path": parts.part("path", masked_url(sent.url) if sent.url else "(no push URL)"),
            "route": route, "query": parts.part("query", sent.query or {}),
            "headers": {"Content-Type": sent.content_type} if sent.content_type else {},
            "body": parts.body("body", sent.body.encode(), sent.content_type or "") if sent.body else None,
            "status": sent.status, "errcode": None, "latency_ms": round(sent.seconds * 1000, 1),
            "appid": appid, "user": user, "fault": None,
            "response": parts.part("response", sent.answer) if sent.answer else None,
            "outcome": outcome, "error": sent.error, "note": note,
            "delivery": record["id"] if record else None, "event": record["event"] if record else None,
            "try": attempt, "truncated": parts.truncated or None,
        }
        try:
            self.journal.record(entry)
        except StoreUnavailable:
            pass


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End an exchange past its deadline: the blocked read returns at once."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def masked_url(url: str) -> str:
    """A push URL as the journal shows it: without a password in it, query values masked (a
    webhook's key often travels there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = (f"{parts.username}:{MASK}@" if parts.password is not None else
              f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class Exchange(NamedTuple):
    """One request to an app's backend and what came of it (``url`` None: there was none to call)."""
    method: str
    url: Optional[str]
    query: Optional[Dict[str, str]] = None
    body: Optional[str] = None
    content_type: Optional[str] = None
    status: Optional[int] = None
    answer: Optional[str] = None
    error: Optional[str] = None
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        """A 2xx answer (WeChat tries again after anything else, a timeout or a refused connection)."""
        return self.error is None and self.status is not None and 200 <= self.status < 300
