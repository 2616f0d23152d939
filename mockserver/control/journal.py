"""The request journal: what clients sent to the emulated APIs and what they got back.

Entries live in the store (namespace ``mock.journal``, keyed by a sequence number: their ``id``),
so processes sharing a store share one journal. It is a ring buffer: recording entry N drops entry
N - size, in the same atomic step (``Store.append``). A query reads the entries once (at most
``size``) and answers the counts over every match with one page of them.
Secrets are masked before anything is stored: app secrets, access/refresh/id tokens, passwords,
session keys and Authorization headers in query strings, headers and JSON, form or multipart bodies
never reach the journal. A body that is none of these (text, broken JSON) is kept as text.

Each part of an entry that a client chose (method, path, query, headers, body, the app and user it
named) and the answer are kept within ``Bounds``: at most ``max_fields`` fields and ``max_bytes`` of
JSON each. A part cut short is named in the entry's ``truncated``, with its original size in bytes,
so the journal holds at most ``size`` entries of bounded size, whatever clients send.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from json.encoder import encode_basestring_ascii
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl

from ..core.errors import ControlError
from ..core.store import Store
from ..http import INVALID_JSON, NO_BODY, parse_json
from .parsing import page_query

NAMESPACE = "mock.journal"
MASK = "***"
SECRET_NAMES = {"secret", "client_secret", "app_secret", "appsecret", "password", "session_key",
                "sessionkey", "authorization", "cookie", "set-cookie", "code_verifier", "encrypt_key",
                "encryptkey", "aes_key", "encodingaeskey"}
SECRET_SUFFIXES = ("token", "secret", "password")
SKIPPED_HEADERS = {"content-length", "host", "connection", "accept-encoding"}
#: A GraphQL argument whose name ends as a secret's does, and its value: a string literal (its closing
#: quote may be past the part of the query kept) or a variable, whose value is then masked.
#: The suffixes are ``SECRET_SUFFIXES``, their first letter in either case (``newPassword``, ``password``).
_SUFFIXES = "|".join(f"[{suffix[0].upper()}{suffix[0]}]{suffix[1:]}" for suffix in SECRET_SUFFIXES)
GRAPHQL_SECRET_ARGUMENT = re.compile(rf'(\b\w*(?:{_SUFFIXES})\s*:\s*)("(?:[^"\\]|\\.)*"?|\$\w+)')


class Bounds(NamedTuple):
    """How much of each part of an exchange an entry keeps (``--journal-max-bytes``, ``--journal-max-fields``)."""

    max_bytes: int = 8192  # of the part's JSON, as ``json.dumps`` writes it (non-ASCII escaped)
    max_fields: int = 200  # object members and list items, at any depth


@functools.lru_cache(maxsize=1024)  # the same few field names, on every request
def is_secret(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return lowered in SECRET_NAMES or lowered.replace("_", "") in SECRET_NAMES \
        or lowered.endswith(SECRET_SUFFIXES)


_NOTHING = object()  # what ``_Cutter.take`` gives when not even a little of a value fits
_CONSTANTS = {True: 4, False: 5, None: 4}  # lengths of true, false, null


class _Cutter:
    """One walk over a JSON-like value: secrets masked, and no more kept than the budget allows.
    Its cost is linear in what it keeps, not in the size of the value."""

    __slots__ = ("bytes", "fields", "cut")

    def __init__(self, bounds: Bounds):
        self.bytes, self.fields, self.cut = bounds.max_bytes, bounds.max_fields, False

    def take(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self._text(value)
        if kind is dict or kind is list:
            return self._container(value, kind is dict)
        if kind is bool or value is None:
            cost = _CONSTANTS[value]
        elif kind is int or kind is float:
            cost = len(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else 9
        else:
            return self._text(str(value))
        if cost > self.bytes:
            self.cut = True
            return _NOTHING
        self.bytes -= cost
        return value

    def _text(self, text: str) -> Any:
        if self.bytes < 2:
            self.cut = True
            return _NOTHING
        head = text[:self.bytes - 2]  # every character costs at least one byte
        cost = len(encode_basestring_ascii(head))
        if cost > self.bytes:  # escapes: as many characters as fit (once per walk: the budget is spent then)
            room, count = self.bytes - 2, 0
            for character in head:
                room -= len(encode_basestring_ascii(character)) - 2
                if room < 0:
                    break
                count += 1
            head = head[:count]
            cost = len(encode_basestring_ascii(head))
        if len(head) < len(text):
            self.cut = True
        self.bytes -= cost
        return head

    def _container(self, value: Any, is_dict: bool) -> Any:
        if self.bytes < 2:
            self.cut = True
            return _NOTHING
        self.bytes -= 2  # {} or []
        kept: Any = {} if is_dict else []
        for item in value.items() if is_dict else value:
            if self.fields == 0:
                self.cut = True
                break
            cost = 2 if kept else 0  # ", "
            if is_dict:
                name, item = item
                name = name if type(name) is str else str(name)
                if len(name) + 2 >= self.bytes:  # a name that does not fit whole is not kept
                    self.cut = True
                    break
                cost += len(encode_basestring_ascii(name)) + 2  # "name": (escapes included)
                if is_secret(name) and item not in (None, ""):
                    item = MASK
            if cost >= self.bytes:
                self.cut = True
                break
            self.bytes -= cost
            self.fields -= 1
            taken = self.take(item)
            if taken is _NOTHING:
                self.bytes += cost
                self.fields += 1
                break
            if is_dict:
                kept[name] = taken
            else:
                kept.append(taken)
        return kept


def bounded(value: Any, bounds: Bounds) -> Tuple[Any, bool]:
    """``value`` with every secret-named field replaced by ``***``, cut to ``bounds``; and whether
    anything was cut."""
    cutter = _Cutter(bounds)
    kept = cutter.take(value)
    return (None if kept is _NOTHING else kept), cutter.cut


def graphql_masked(body: Dict[str, Any], max_bytes: int) -> Dict[str, Any]:
    """A GraphQL request (``{"query", "variables"}``) with the secrets written into its query
    masked — ``loginByUsername(input: {password: "…"})`` — and the variables that fill a secret
    argument, whatever their names. Only as much of the query as the journal could keep is read."""
    bound = set()

    def mask(match: "re.Match[str]") -> str:
        if match.group(2).startswith("$"):
            bound.add(match.group(2)[1:])
            return match.group(0)
        return f'{match.group(1)}"{MASK}"'
    query = GRAPHQL_SECRET_ARGUMENT.sub(mask, body["query"][:max_bytes])
    variables = body.get("variables")
    if bound and isinstance(variables, dict):
        variables = {name: MASK if name in bound and value not in (None, "") else value
                     for name, value in variables.items()}
    return {**body, "query": query, **({"variables": variables} if "variables" in body else {})}


def grouped(pairs: Iterable[tuple]) -> Dict[str, Any]:
    """Query or form fields as one object: repeated names become lists."""
    fields: Dict[str, List[Any]] = {}
    for name, value in pairs:  # appended, not copied: linear in the number of fields however they repeat
        fields.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def is_binary(content_type: str) -> bool:
    """Bodies the journal summarises by type and size instead of keeping."""
    content_type = content_type.lower()
    return content_type.startswith("image/") or content_type == "application/octet-stream"


class EntryParts:
    """The parts of one journal entry, each masked and cut to the journal's bounds; ``truncated``
    names the parts cut short, with their original sizes in bytes."""

    def __init__(self, bounds: Bounds):
        self.bounds = bounds
        self.truncated: Dict[str, int] = {}

    def part(self, name: str, value: Any, size: Optional[int] = None) -> Any:
        kept, cut = bounded(value, self.bounds)
        if cut:
            self.truncated[name] = size if size is not None else len(str(value).encode("utf-8", "replace"))
        return kept

    def body(self, name: str, raw: bytes, content_type: str, parsed: Any = None,
             form: Optional[Dict[str, Any]] = None, files: Optional[Dict[str, Any]] = None) -> Any:
        """A request or response body: JSON or form fields masked, text kept as text, uploaded
        files and binary bodies summarised. ``parsed``: the body's JSON parse if one was made
        (``INVALID_JSON`` when it is not JSON); otherwise it is parsed here."""
        if not raw:
            return None
        content_type = (content_type or "").lower()
        if content_type.startswith("multipart/"):
            return self.part(name, {"form": form or {}, "files": files or {}}, len(raw))
        if is_binary(content_type):
            return {"binary": content_type[:100], "bytes": len(raw)}
        if parsed is None or parsed is NO_BODY:
            parsed = parse_json(raw)
        if parsed is not INVALID_JSON:
            if type(parsed) is dict and type(parsed.get("query")) is str:
                parsed = graphql_masked(parsed, self.bounds.max_bytes)
            return self.part(name, parsed, len(raw))
        # Only as much of the text as could be kept is read: a few bytes more than the bound.
        head = raw[:self.bounds.max_bytes].decode("utf-8", "ignore")
        if content_type.startswith("application/x-www-form-urlencoded"):
            value: Any = grouped(parse_qsl(head, keep_blank_values=True))
        else:
            value = head
        kept = self.part(name, value, len(raw))
        if len(raw) > self.bounds.max_bytes:
            self.truncated[name] = len(raw)
        return kept


def answered_ok(body: Any, status: int) -> Optional[int]:
    """The error code of an answer no service claims: 0 for a success, None otherwise."""
    return 0 if status < 400 else None


class Journal:
    def __init__(self, store: Store, size: int, bounds: Bounds = Bounds()):
        if size < 1:
            raise ValueError("the journal size must be at least 1")
        if bounds.max_bytes < 64 or bounds.max_fields < 1:
            raise ValueError("the journal keeps at least 64 bytes and 1 field of each part")
        self.store = store
        self.size = size
        self.bounds = bounds

    def parts(self) -> EntryParts:
        """A new entry's parts, cut to this journal's bounds."""
        return EntryParts(self.bounds)

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
