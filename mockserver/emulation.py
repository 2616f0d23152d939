"""The one small protocol through which an emulated service describes itself to the app.

Each emulated service is a package exposing ``SERVICE``, an ``EmulatedService``. ``create_app``
and the control plane loop over the registered services (``registry.py``) and import none of
them: routes, error formats, fixture sections, faults, the journal's caller facts and error codes
all come from here. A service's domain object (what ``build`` returns) is reached at run time as
``runtime.services[name]`` (or ``runtime.<name>``).

Declarations and the domain's values are ``NamedTuple``s rather than dataclasses: a frozen
dataclass costs about 0.4 ms to create at import and a NamedTuple 0.07 ms, and the two services
declare some twenty of them (start-up time; measured with ``python -X importtime``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from flask import Blueprint, Response
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from .config import Config
from .core.clock import Clock
from .core.ids import RandomSource
from .core.store import State, Store, StoreUnavailable


class WireFormat(NamedTuple):
    """How one emulated API family writes errors, for requests whose path starts with a prefix.

    ``backend_error`` answers a request the state backend could not serve (``StoreUnavailable``:
    Redis down, SQLite locked); it must not use the store itself. Without one, ``internal_error``
    answers (which then must not use the store either).

    ``not_emulated`` answers a path under these prefixes that no route emulates, as the real
    service answers a path it does not know (the app adds the ``X-Mock-Not-Emulated`` header);
    without one, ``http_error`` answers the 404.
    """
    prefixes: Tuple[str, ...]
    http_error: Callable[[HTTPException], Response]
    internal_error: Callable[[Exception], Response]
    backend_error: Optional[Callable[[StoreUnavailable], Response]] = None
    not_emulated: Optional[Callable[[HTTPException], Response]] = None


class RequestView(NamedTuple):
    """What the traffic hooks show a service about a request, to tell who is calling.

    ``fields`` are the query parameters and the fields of a JSON object or form body (the query
    wins a clash); ``headers`` the request headers (case-insensitive look-up).
    """
    fields: Mapping[str, Any]
    headers: Headers


class CallerFacts:
    """Who a request is from, as far as fault criteria and the journal care."""

    def __init__(self, appids: Optional[List[str]] = None, user: Optional[str] = None, code: Optional[str] = None):
        self.appids: List[str] = appids if appids is not None else []
        self.user = user  # the service's own name for a user (WeChat: the alias)
        self.code = code  # a login code the request carries

    @property
    def appid(self) -> Optional[str]:
        return self.appids[0] if self.appids else None

    def add_app(self, appid: Any) -> None:
        """One more app the request names (anything a client sent: only a string counts)."""
        if isinstance(appid, str) and appid and appid not in self.appids:
            self.appids.append(appid)

    def merge(self, other: "CallerFacts") -> None:
        """Add what another service told: its apps after ours; our user and code win."""
        for appid in other.appids:
            self.add_app(appid)
        self.user = self.user or other.user
        self.code = self.code or other.code


class FaultError(NamedTuple):
    """The fault action that answers a chosen error in a service's own format.

    ``name`` is the rule field that asks for it (``"errcode"``), ``fields`` the further rule fields
    it takes (``("errmsg",)``). ``parse(spec)`` checks a posted rule's fields and returns what the
    rule stores (``ControlError`` when they are wrong); ``error(stored)`` is the exception the
    service's error handler renders.
    """
    name: str
    fields: Tuple[str, ...]
    parse: Callable[[Dict[str, Any]], Dict[str, Any]]
    error: Callable[[Dict[str, Any]], Exception]


class OpenApiPart(NamedTuple):
    """A service's part of the control plane's OpenAPI description."""
    paths: Mapping[str, Any]  # its control routes
    schemas: Mapping[str, Any] = {}  # components those refer to
    fault_fields: Mapping[str, Any] = {}  # properties of its fault action's fields in a posted rule


class StubFormat(NamedTuple):
    """How a service's routes may be stubbed (``control/stubs.py``).

    ``check(route, status, body, raw)`` gets a posted stub's answer — the ``body`` JSON value, or
    ``raw`` bytes (``body_base64``; then ``body`` is None) — for the route named ``service.route``
    and returns the Content-Type it is sent with, or raises ``ControlError`` when the real service
    could not answer that on that route. ``placeholders`` are the ``{{name}}`` values it fills in
    answers besides ``appid``, ``user`` and ``code``; ``values(domain, facts)`` gives them for one
    request (those it cannot tell left out).
    """
    check: Callable[[str, int, Any, Optional[bytes]], str]
    placeholders: Tuple[str, ...] = ()
    values: Callable[[Any, "CallerFacts"], Dict[str, str]] = lambda domain, facts: {}


class DashboardSection(NamedTuple):
    """A table a service adds to the dashboard (``control/dashboard.py`` renders it).

    ``rows(domain, offset, limit)`` gives the total and one page of rows, each a dict with a
    ``key`` (what row actions act on), a value per column (a string, or a list of strings shown
    one per line) and optionally ``actions``, the names of the row actions it offers (default:
    all). ``actions`` are buttons on the rows and ``forms`` forms above the table; each ``run``
    gets the domain and the posted values (``key`` for a row action) and returns the notice shown
    (``ControlError`` for the error shown instead). Adding a section is declaring one of these.
    """
    id: str                                      # the HTML anchor, unique on the page: "wechat-users"
    title: str
    columns: Tuple[Tuple[str, str], ...]         # (row field, heading)
    rows: Callable[[Any, int, int], Tuple[int, List[Dict[str, Any]]]]
    actions: Tuple["DashboardAction", ...] = ()
    forms: Tuple["DashboardAction", ...] = ()
    empty: str = "Nothing yet."


class DashboardAction(NamedTuple):
    name: str                                    # in the form's path: /__mock__/dashboard/<section>/<name>
    label: str                                   # the button
    run: Callable[[Any, Mapping[str, str]], str]
    fields: Tuple[Tuple[str, str], ...] = ()     # a form's inputs: (name, placeholder)
    #: A row action's drop-down (posted as ``choice``): ``choices(domain)`` → (value, label) pairs.
    choices: Optional[Callable[[Any], List[Tuple[str, str]]]] = None


class BuildContext(NamedTuple):
    """What a service's domain is built from; ``peers`` holds the domains built before it.
    ``journal`` is the request journal (``control/journal.py``), for what a service does on its
    own (message pushes it sends) rather than in answer to a request."""
    config: Config
    store: Store
    clock: Clock
    random: RandomSource
    peers: Mapping[str, Any]
    journal: Any = None


class EmulatedService(NamedTuple):
    name: str                                   # "wechat": the fixture section, the domain's name
    title: str                                  # "WeChat": how messages name it
    wire_formats: Tuple[WireFormat, ...]        # by path prefix; their prefixes are the service's paths
    blueprints: Tuple[Blueprint, ...]           # the emulated API's routes
    error_handlers: Mapping[type, Callable[[Any], Response]]
    build: Callable[[BuildContext], Any]        # the domain object (rules over the store)
    #: The store entries a fixture section describes: ``(domain, section, where, earlier)``, with
    #: ``earlier`` the state of the services registered before (FixtureError when it is wrong).
    initial_state: Callable[[Any, Any, str, State], State]
    caller: Callable[[Any, RequestView], CallerFacts]
    error_code: Callable[[Any, int], Optional[int]]  # the service's error code in an answer (0: success)
    fault_error: FaultError
    malformed_body: bytes                       # what a ``malformed`` fault answers: cut-off JSON
    control_blueprints: Tuple[Blueprint, ...] = ()   # its part of /__mock__/
    #: Its part of ``/__mock__/openapi.json``, loaded on first request (start-up time).
    openapi: Optional[Callable[[], "OpenApiPart"]] = None
    open_control_paths: Tuple[str, ...] = ()    # control paths that reveal nothing (no admin token)
    hosts: Tuple[str, ...] = ()                 # the real service's host names (fnmatch patterns)
    describe_apps: Optional[Callable[[Any], Any]] = None  # its part of GET /__mock__/apps
    resolve_user: Optional[Callable[[Any, str], str]] = None  # a user reference → its name (faults)
    #: Its part of the dashboard's page: ``(domain, query) → (template, values)``; ``values["summary"]``
    #: may list ``(anchor, title, count)`` of the template's sections for the page's summary.
    dashboard: Optional[Callable[[Any, Mapping[str, str]], Tuple[str, Dict[str, Any]]]] = None
    stubs: Optional[StubFormat] = None          # how its routes may be stubbed (None: they may not)
    dashboard_sections: Tuple[DashboardSection, ...] = ()  # tables with actions, rendered by the core

    @property
    def prefixes(self) -> Tuple[str, ...]:
        return tuple(prefix for wire in self.wire_formats for prefix in wire.prefixes)

