"""Users' passwords, kept only as salted PBKDF2-SHA256 hashes (``pbkdf2_sha256$<rounds>$<salt>$<hash>``)
in their own namespace, never in the user: no answer, journal entry or log line can carry one."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Optional

from ..core.digits import ascii_digits
from ..core.errors import ControlError
from ..core.ids import RandomSource
from .repo import AuthingRepository

#: Rounds of a new hash: enough to be a real hash, few enough for a test suite that logs in often.
ROUNDS = 20_000
MAX_LENGTH = 128
#: The most rounds a stored hash may ask for (a hash is checked on every password login).
MAX_ROUNDS = 1_000_000


def _digest(password: str, salt: str, rounds: int) -> str:
    raw = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), rounds)
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, salt: str, rounds: int = ROUNDS) -> str:
    return f"pbkdf2_sha256${rounds}${salt}${_digest(password, salt, rounds)}"


def well_formed(hashed: Any) -> bool:
    """Whether ``hashed`` is a hash this module can check (a fixture's ``password_hash``)."""
    if not isinstance(hashed, str):
        return False
    parts = hashed.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not ascii_digits(parts[1]):
        return False
    return 0 < int(parts[1]) <= MAX_ROUNDS and parts[2].isascii()


def matches(password: Any, hashed: Optional[str]) -> bool:
    """Whether ``password`` is the one ``hashed`` was made from (False for no hash or a foreign format)."""
    if not isinstance(password, str) or not well_formed(hashed):
        return False
    _, rounds, salt, digest = str(hashed).split("$")
    return hmac.compare_digest(_digest(password, salt, int(rounds)), digest)


class Passwords:
    def __init__(self, repo: AuthingRepository, random: RandomSource):
        self.repo = repo
        self.random = random

    def hashed(self, password: str) -> str:
        """A new salted hash of ``password`` (for a user written together with it)."""
        return hash_password(password, self.random.hex(16))

    def set(self, user_id: str, password: str) -> None:
        self.repo.set_password_hash(user_id, self.hashed(password))

    def set_checked(self, user_id: str, password: Any) -> None:
        """The control plane's: a password must be a non-empty string of at most 128 characters."""
        if not isinstance(password, str) or not 0 < len(password) <= MAX_LENGTH:
            raise ControlError(f"password must be a non-empty string of at most {MAX_LENGTH} characters")
        self.set(user_id, password)

    def check(self, user_id: str, password: Any) -> bool:
        return matches(password, self.repo.password_hash(user_id))

    def check_if_set(self, user_id: str, password: Any) -> bool:
        """Whether ``password`` is the user's, or the user has none to give (one read)."""
        hashed = self.repo.password_hash(user_id)
        return hashed is None or matches(password, hashed)
