"""The OAuth scopes the mock's tokens can carry, and the part of a requested scope that is granted."""
from __future__ import annotations

from typing import List

SCOPES = ("openid", "profile", "email", "phone", "address", "offline_access")


def granted_scope(requested: str) -> str:
    """The requested scopes this provider knows, in order, once each (others are ignored)."""
    chosen: List[str] = []
    for scope in requested.split():
        if scope in SCOPES and scope not in chosen:
            chosen.append(scope)
    return " ".join(chosen)
