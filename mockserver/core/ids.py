"""The one seeded random source, and makers of ids in the formats the real services use.

Nothing else in the package calls ``random``, ``secrets``, ``uuid`` or ``os.urandom``: a server
built twice with the same seed hands out the same codes, keys and tokens for the same calls.
Ids that must be stable per pair (openid per user and app, unionid per user and Open Platform
account) are derived from the seed with HMAC instead, so they do not depend on call order.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import random
import string
import threading
from typing import Any, List, Optional, Tuple

ALPHANUMERIC = string.ascii_letters + string.digits
URLSAFE = ALPHANUMERIC + "-_"
HEX = "0123456789abcdef"
#: A Mersenne Twister's state: 624 words and the index into them.
MT_WORDS = 625


class RandomSource:
    """``stream`` picks one of the seed's independent sequences of draws (None: the seed's own).

    Processes sharing one store use different streams, so they never mint the same code; derived
    ids (``derive``) depend on the seed only, so they agree across streams.
    """

    def __init__(self, seed: int = 0, stream: Optional[int] = None):
        self.seed = seed
        self.stream = stream
        self._random = random.Random(self._start())
        self._lock = threading.Lock()
        self._resumed: Optional[tuple] = None  # where a snapshot's draws stood (see resume)

    def _start(self):
        return self.seed if self.stream is None else f"{self.seed}/{self.stream}"

    def reset(self) -> None:
        with self._lock:
            if self._resumed is not None:
                self._random.setstate(self._resumed)
            else:
                self._random.seed(self._start())

    # --- snapshots: where the draws stand ---------------------------------------------------
    def position(self) -> List[int]:
        """Where the draws stand, as JSON (the generator's 625 words): what a snapshot keeps."""
        with self._lock:
            version, words, _ = self._random.getstate()
        return list(words)

    def resume(self, position: Any, from_reset: bool = False) -> None:
        """Draw on from ``position`` (``ValueError`` unless ``position`` gave it); with
        ``from_reset`` a reset comes back there too (a snapshot loaded as the fixture)."""
        if (not isinstance(position, list) or len(position) != MT_WORDS
                or not all(type(word) is int and 0 <= word < 2 ** 32 for word in position)
                or position[-1] > MT_WORDS - 1):
            raise ValueError("not a random-source position (625 words, as GET /__mock__/state gives it)")
        state = (3, tuple(position), None)
        with self._lock:
            self._random.setstate(state)
            if from_reset:
                self._resumed = state

    def chars(self, length: int, alphabet: str) -> str:
        with self._lock:
            return "".join(self._random.choices(alphabet, k=length))

    def hex(self, length: int) -> str:
        return self.chars(length, HEX)

    def bytes(self, length: int) -> bytes:
        with self._lock:
            return self._random.getrandbits(8 * length).to_bytes(length, "big")

    def integer(self, low: int, high: int) -> int:
        with self._lock:
            return self._random.randint(low, high)

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    def derive(self, *parts: str, length: int = 27, alphabet: str = URLSAFE) -> str:
        """A stable string for ``parts`` under this seed, independent of any other draw."""
        return _derive(self.seed, parts, length, alphabet)

    # --- WeChat formats -------------------------------------------------------------------
    def login_code(self) -> str:
        """What ``wx.login()`` resolves: 32 alphanumerics, usually starting with ``0``."""
        return "0" + self.chars(31, ALPHANUMERIC)

    def phone_code(self) -> str:
        return self.hex(64)

    def session_key(self) -> str:
        return base64.b64encode(self.bytes(16)).decode()

    def iv(self) -> str:
        return base64.b64encode(self.bytes(16)).decode()

    def access_token(self) -> str:
        return "86_" + self.chars(136, URLSAFE)

    def appid(self) -> str:
        return "wx" + self.hex(16)

    def app_secret(self) -> str:
        return self.hex(32)

    def openid(self, user_key: str, appid: str) -> str:
        """``o``, five characters of the app's own (WeChat's openids of one app share their first
        six), then 22 of the user's in that app."""
        return "o" + self.derive("openid-prefix", appid, length=5) + self.derive("openid", user_key, appid)[:22]

    def unionid(self, user_key: str, open_platform: str) -> str:
        return "o" + self.derive("unionid", user_key, open_platform)

    def rid(self, now: float) -> str:
        """The ``rid`` WeChat appends to errmsgs: unix time in hex, then two random groups."""
        return f"{int(now) & 0xFFFFFFFF:08x}-{self.hex(8)}-{self.hex(8)}"

    def hint(self) -> str:
        """The ``hint: [...]`` some newer errmsgs carry (``qKhDWV0sf-0s77ta``)."""
        return self.chars(9, ALPHANUMERIC) + "-" + self.chars(6, ALPHANUMERIC)

    def msgid(self) -> int:
        return self.integer(10 ** 17, 2 ** 63 - 1)

    # --- Authing formats ------------------------------------------------------------------
    def object_id(self) -> str:
        """Authing's ids (user, pool, app) are 24 lowercase hex characters."""
        return self.hex(24)


@functools.lru_cache(maxsize=8192)
def _derive(seed: int, parts: Tuple[str, ...], length: int, alphabet: str) -> str:
    # Cached: every request that names a user computes their openid, and HMAC is not free.
    message = "\x1f".join(parts).encode()
    digest = hmac.digest(str(seed).encode(), message, "sha256")
    digest += hashlib.sha256(digest).digest()
    return digest[:length].translate(_byte_table(alphabet)).decode()


@functools.lru_cache(maxsize=None)
def _byte_table(alphabet: str) -> bytes:
    """Byte b → ``alphabet[b % len(alphabet)]``, for ``bytes.translate``."""
    if not alphabet.isascii():
        raise ValueError(f"derived ids use ASCII alphabets, not {alphabet!r}")
    return bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))
