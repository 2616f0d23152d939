"""Reading fixture files: the apps and users a mock server starts with (and resets to).

A fixture is a JSON file (or TOML, on Pythons whose standard library reads it) with one section
per emulated service, named as the service; each service checks its own section and turns it into
store entries (its ``EmulatedService.initial_state``). A snapshot (``GET /__mock__/state``) is a
fixture whose ``state`` section holds the store's entries themselves (``control/snapshot.py``).
The format is documented in ``docs/fixtures.md``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Sequence, Union

from .json_reading import decode_json

DEFAULT_FIXTURE = Path(__file__).resolve().parent.parent / "data" / "default.json"
FORMAT_VERSION = 1
#: The top-level key of a snapshot's store entries.
SNAPSHOT_SECTION = "state"


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message says where and why."""


def load_fixture(path: Optional[Union[str, os.PathLike]] = None,
                 sections: Sequence[str] = ()) -> Dict[str, Any]:
    """The fixture at ``path`` (default: the embedded one), with a section for each of ``sections``
    (``{}`` when the file has none) and ``source``, the file it came from."""
    path = Path(path) if path else DEFAULT_FIXTURE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FixtureError(f"cannot read fixture {path}: {exc.strerror}") from None
    try:
        if path.suffix != ".toml":
            data = decode_json(raw)
        elif sys.version_info >= (3, 11):
            import tomllib
            data = tomllib.loads(raw.decode())
        else:
            raise ImportError("tomllib")
    except ImportError:
        raise FixtureError(f"{path}: TOML fixtures need Python 3.11+; use JSON") from None
    except (ValueError, RecursionError) as exc:
        raise FixtureError(f"{path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    data = check_fixture(data, str(path), sections)
    data["source"] = str(path)
    return data


def check_fixture(data: Any, where: str, sections: Sequence[str] = ()) -> Dict[str, Any]:
    """A parsed fixture's top level checked, with a section for each of ``sections``."""
    if not isinstance(data, dict):
        raise FixtureError(f"{where}: the top level must be an object")
    version = data.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise FixtureError(f"{where}: unsupported fixture format {version!r} (this version reads {FORMAT_VERSION})")
    unknown = set(data) - {"format", "description", SNAPSHOT_SECTION, *sections}
    if unknown:
        raise FixtureError(f"{where}: unknown top-level keys {sorted(unknown)}")
    if SNAPSHOT_SECTION in data and any(data.get(section) for section in sections):
        raise FixtureError(f"{where}: a snapshot ('{SNAPSHOT_SECTION}') holds the whole state: "
                           f"it takes no {', '.join(repr(s) for s in sections if data.get(s))} section")
    for section in sections:
        data.setdefault(section, {})
    return data


def require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise FixtureError(f"{where}: {message}")


def require_fields(value: Any, where: str, kind: str, known: Iterable[str]) -> None:
    """``value`` must be an object (a ``kind``: "app", "user pool", ...) with only ``known`` fields."""
    # The messages are built only on failure: a 100,000-user fixture calls this for every user.
    if not isinstance(value, dict):
        article = "an" if kind[0] in "aeio" else "a"  # "a user", "an app"
        raise FixtureError(f"{where}: {article} {kind} must be an object")
    unknown = value.keys() - known
    if unknown:
        raise FixtureError(f"{where}: unknown {kind} fields {sorted(unknown)} (known: {sorted(known)})")
