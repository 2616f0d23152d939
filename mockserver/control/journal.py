"""The request journal: what clients sent to the emulated APIs and what they got back.

Entries live in the store (namespace ``mock.journal``, keyed by a sequence number: their ``id``),
so processes sharing a store share one journal. It is a ring buffer: recording entry N drops entry
N - size, in the same atomic step (``Store.append``). A query reads the entries once (at most
``size``) and answers the counts over every match with one page of them.
Secrets are masked before anything is stored: app secrets, access/refresh/id tokens, passwords,
session keys and Authorization headers in query strings, headers and JSON, form or multipart bodies
never reach the journal. A body that is none of these (text, broken JSON) is kept as text, cut short.
"""
from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import parse_qsl

from ..core.errors import ControlError
from ..core.store import Store
from ..http import INVALID_JSON, parse_json
from .parsing import page_query

NAMESPACE = "mock.journal"
MASK = "***"
SECRET_NAMES = {"secret", "client_secret", "app_secret", "appsecret", "password", "session_key",
                "sessionkey", "authorization", "cookie", "set-cookie", "code_verifier"}
SECRET_SUFFIXES = ("token", "secret", "password")
MAX_TEXT = 2048  # characters of a non-JSON body kept
SKIPPED_HEADERS = {"content-length", "host", "connection", "accept-encoding"}


@functools.lru_cache(maxsize=1024)  # the same few field names, on every request
def is_secret(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return lowered in SECRET_NAMES or lowered.replace("_", "") in SECRET_NAMES \
        or lowered.endswith(SECRET_SUFFIXES)


def mask(value: Any) -> Any:
    """A JSON-like value with every secret-named field replaced by ``***``."""
    kind = type(value)
    if kind is dict:
        return {k: (MASK if is_secret(k) and v not in (None, "") else
                    mask(v) if type(v) in (dict, list) else v)
                for k, v in value.items()}
    if kind is list:
        return [mask(v) if type(v) in (dict, list) else v for v in value]
    return value


def mask_pairs(pairs: Iterable[tuple]) -> Dict[str, Any]:
    """Query or form fields (repeated names become lists), masked."""
    grouped: Dict[str, List[Any]] = {}
    for name, value in pairs:  # appended, not copied: linear in the number of fields however they repeat
        grouped.setdefault(name, []).append(value)
    return mask({name: values[0] if len(values) == 1 else values for name, values in grouped.items()})


def is_binary(content_type: str) -> bool:
    """Bodies the journal summarises by type and size instead of keeping."""
    content_type = content_type.lower()
    return content_type.startswith("image/") or content_type == "application/octet-stream"


def masked_body(raw: bytes, content_type: str, form: Optional[Dict[str, Any]] = None,
                files: Optional[Dict[str, Any]] = None) -> Any:
    """A request or response body as recorded: JSON or form fields masked, text cut short,
    uploaded files and binary bodies summarised."""
    if not raw:
        return None
    content_type = (content_type or "").lower()
    if content_type.startswith("multipart/"):
        return {"form": mask(form or {}), "files": files or {}}
    if is_binary(content_type):
        return {"binary": content_type, "bytes": len(raw)}
    text = raw.decode("utf-8", "replace")
    parsed = parse_json(text)
    if parsed is not INVALID_JSON:
        return mask(parsed)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return mask_pairs(parse_qsl(text, keep_blank_values=True))
    return text[:MAX_TEXT] + ("…" if len(text) > MAX_TEXT else "")


def answered_ok(body: Any, status: int) -> Optional[int]:
    """The error code of an answer no service claims: 0 for a success, None otherwise."""
    return 0 if status < 400 else None


class Journal:
    def __init__(self, store: Store, size: int):
        if size < 1:
            raise ValueError("the journal size must be at least 1")
        self.store = store
        self.size = size

    def record(self, entry: Dict[str, Any]) -> int:
        return self.store.append(NAMESPACE, entry, self.size)

    def entries(self) -> List[Dict[str, Any]]:
        """Every entry kept, oldest first."""
        return [{"id": int(key), **entry} for key, entry in self.store.items(NAMESPACE)]

    def count(self) -> int:
        return self.store.count(NAMESPACE)

    def recent(self, limit: int) -> List[Dict[str, Any]]:
        """The newest ``limit`` entries, newest first (without reading the others)."""
        start = max(0, self.count() - limit)
        return [{"id": int(key), **entry} for key, entry in reversed(self.store.page(NAMESPACE, start, limit))]

    def clear(self) -> int:
        keys = [(NAMESPACE, key) for key, _ in self.store.items(NAMESPACE)]
        return self.store.update_many(keys, lambda current: ([None] * len(keys), sum(v is not None for v in current)))

    def query(self, filters: Dict[str, str]) -> Dict[str, Any]:
        """Entries matching ``path``, ``appid``, ``user``, ``method``, ``since``, ``errcode``,
        ``status`` (all optional): counts over every match (``count``, which is ``total``,
        ``by_path``, ``by_errcode``) and one page of them, oldest first — the newest ``limit``
        after skipping the newest ``offset``."""
        unknown = set(filters) - {"path", "appid", "user", "method", "since", "errcode", "status", "offset", "limit"}
        if unknown:
            raise ControlError(f"unknown filters {sorted(unknown)}")
        since = _parse(filters, "since", float)
        errcode = _parse(filters, "errcode", int)
        status = _parse(filters, "status", int)
        query = page_query(filters)
        path, method = filters.get("path"), (filters.get("method") or "").upper()
        matched = [
            entry for entry in self.entries()
            if (not path or path in (entry["path"], entry["route"]))
            and (not filters.get("appid") or entry["appid"] == filters["appid"])
            and (not filters.get("user") or entry["user"] == filters["user"])
            and (not method or entry["method"] == method)
            and (since is None or entry["time"] >= since)
            and (errcode is None or entry["errcode"] == errcode)
            and (status is None or entry["status"] == status)
        ]
        end = max(0, len(matched) - query.offset)
        errcodes = Counter(entry["errcode"] for entry in matched)
        return {
            "count": len(matched),
            "total": len(matched),
            "offset": query.offset,
            "limit": query.limit,
            "by_path": dict(Counter(entry["path"] for entry in matched)),
            "by_errcode": {"null" if code is None else str(code): n for code, n in errcodes.items()},
            "capacity": self.size,
            "requests": matched[max(0, end - query.limit):end],
        }


def _parse(filters: Dict[str, str], name: str, kind):
    value = filters.get(name)
    if value in (None, ""):
        return None
    try:
        return kind(value)
    except ValueError:
        raise ControlError(f"filter {name!r} must be a{'n integer' if kind is int else ' number'}") from None
