"""The dashboard at ``/__mock__/``: one server-rendered page of what the mock holds, that acts —
the first rows of each listing with their totals and pages, so that it stays quick with 100,000
users, and a summary at the top linking to each section.

Plain HTML forms (no script, nothing loaded from elsewhere) reset the state, move the clock, add
and remove fault rules and stubs, and clear the journal; each posts to ``/__mock__/dashboard/...``
and redirects back to the page, which shows what happened. Each service adds its own part: a
template (``EmulatedService.dashboard``) and tables with row actions and forms
(``EmulatedService.dashboard_sections``, rendered here by ``dashboard_section.html`` and posted
to ``/__mock__/dashboard/<section>/<action>``).

Every form carries a token bound to this server (``form_token``: an HMAC of a secret kept in the
store's bookkeeping, shared by the processes on one store), and every POST under
``/__mock__/dashboard/`` without it is refused (403): another site cannot post a form here, even
where a browser sends no ``Origin`` (``admin.py`` refuses the requests that carry a foreign one).
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, has_request_context, redirect, render_template, request
from markupsafe import Markup

from ..core.digits import ascii_digits
from ..core.errors import ControlError
from ..core.json_reading import INVALID_JSON, parse_json
from ..core.store import META, UNCHANGED
from ..emulation import DashboardSection, EmulatedService
from ..runtime import Runtime, current
from .rules import RuleBook

blueprint = Blueprint("dashboard", __name__, url_prefix="/__mock__")
#: ``/favicon.ico`` outside ``/__mock__/``: what browsers ask every page's server for.
icons = Blueprint("mock_icons", __name__)
FORMS_PREFIX = "/__mock__/dashboard/"
RECENT_REQUESTS = 25
#: Rows of each listing the page shows (users, live codes and tokens), beside their totals: the
#: section's pages (``?<section>-offset=``) and the JSON listings page through the rest.
DASHBOARD_ROWS = 50
CLOCK_STEPS = (("+5 min", 300), ("+2 h", 7200), ("+1 day", 86400), ("+15 days", 15 * 86400))
SECRET_KEY = "dashboard_secret"
CSRF_FIELD = "csrf"
#: A tile of WeChat green: the tab's icon, so browsers stop asking for one.
ICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        b'<rect width="16" height="16" rx="3" fill="#07c160"/><text x="8" y="12" font-size="10" '
        b'text-anchor="middle" fill="#fff" font-family="sans-serif">m</text></svg>')
#: Form fields of the fault and stub forms whose value is text as typed; the others are read as
#: JSON when they parse (``-1``, ``true``, ``{"min": 10, "max": 50}``) and as text otherwise.
TEXT_FIELDS = {"endpoint", "match.appid", "match.user", "match.code", "errmsg"}


def back(**notice: str):
    """Back to the page, saying what happened (``notice=``, ``error=``): signed, so that a link
    from elsewhere cannot make the page say what it likes."""
    shown = {k: v for k, v in notice.items() if v}
    if shown:
        shown["sig"] = notice_signature(current(), shown)
    query = urlencode(shown)
    return redirect(f"{blueprint.url_prefix}/" + (f"?{query}" if query else ""), code=303)


def notice_signature(rt: Runtime, notice: Mapping[str, str]) -> str:
    text = "\n".join(f"{name}={notice.get(name, '')}" for name in ("notice", "error"))
    return hmac.new(form_token(rt).encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def signed_notice(rt: Runtime, args: Mapping[str, str]) -> Dict[str, Optional[str]]:
    """The page's ``notice`` and ``error`` if ``back`` wrote them, else none."""
    given = {name: args.get(name) or "" for name in ("notice", "error")}
    if not any(given.values()) or not hmac.compare_digest(
            notice_signature(rt, given).encode(), str(args.get("sig", "")).encode()):
        return {"notice": None, "error": None}
    return {name: value or None for name, value in given.items()}


def moment(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- cross-site posting ----------------------------------------------------------------------
def form_token(rt: Runtime) -> str:
    """The token every dashboard form carries: the same for every process on one store (read
    once per request: a reset keeps it)."""
    if has_request_context() and "mock_form_token" in g:
        return g.mock_form_token
    secret = rt.store.get(META, SECRET_KEY)
    if secret is None:
        drawn = secrets.token_hex(32)  # from the OS, not the seeded source: it must not be guessable
        secret = rt.store.update(META, SECRET_KEY, lambda old: (UNCHANGED, old) if old else (drawn, drawn))
    token = hmac.new(secret.encode(), b"mockserver dashboard form", hashlib.sha256).hexdigest()
    if has_request_context():
        g.mock_form_token = token
    return token


@blueprint.before_app_request
def refuse_forms_from_elsewhere() -> Optional[Response]:
    if request.method != "POST" or not request.path.startswith(FORMS_PREFIX):
        return None
    sent = request.form.get(CSRF_FIELD, "")
    if hmac.compare_digest(sent.encode(), form_token(current()).encode()):
        return None
    raise ControlError("this form did not come from this mock's dashboard (its token is missing or stale): "
                       "reload /__mock__/ and submit it again", status=403)


@blueprint.app_context_processor
def form_helpers() -> Dict[str, Any]:
    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, form_token(current()))
    return {"csrf_field": csrf_field}


@blueprint.after_request
def forbid_framing(response):
    """No page of another site may frame the dashboard (clickjacking its forms)."""
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


# --- the page --------------------------------------------------------------------------------
class SectionView(NamedTuple):
    """A service's table as the page shows it: one page of rows and the offsets around it."""
    section: DashboardSection
    total: int
    rows: List[Dict[str, Any]]
    offset: int
    choices: Dict[str, List[Tuple[str, str]]]  # each row action's drop-down


def offset_of(args: Mapping[str, str], section_id: str) -> int:
    raw = args.get(f"{section_id}-offset", "")
    return int(raw) if ascii_digits(raw) and len(raw) < 10 else 0


def section_view(domain: Any, section: DashboardSection, args: Mapping[str, str]) -> SectionView:
    offset = offset_of(args, section.id)
    total, rows = section.rows(domain, offset, DASHBOARD_ROWS)
    choices = {action.name: action.choices(domain) for action in section.actions if action.choices}
    return SectionView(section, total, rows, offset, choices)


def service_sections(rt: Runtime) -> List[Tuple[EmulatedService, DashboardSection]]:
    return [(service, section) for service in rt.registered for section in service.dashboard_sections]


@blueprint.get("/")
def page():
    rt = current()
    now = rt.clock.now()
    sections, summary = [], []
    for service in rt.registered:  # each service's template, then its tables
        domain = rt.services[service.name]
        if service.dashboard is not None:
            template, values = service.dashboard(domain, request.args)
            sections.append(Markup(render_template(template, moment=moment, **values)))
            summary += values.get("summary", [])
        for section in service.dashboard_sections:
            view = section_view(domain, section, request.args)
            sections.append(Markup(render_template("dashboard_section.html", view=view, rows_per_page=DASHBOARD_ROWS)))
            summary.append((section.id, section.title, view.total))
    faults, stubs = rt.faults.list(), rt.stubs.list()
    journal_count = rt.journal.count()
    summary += [("faults", "Fault rules", len(faults)), ("stubs", "Stubs", len(stubs)),
                ("requests", "Requests", journal_count)]
    return render_template(
        "dashboard.html",
        now=now, moment=moment, clock=rt.clock, clock_steps=CLOCK_STEPS, sections=sections,
        summary=summary, requests=rt.journal.recent(RECENT_REQUESTS), journal_count=journal_count,
        journal_size=rt.journal.size, journal_bounds=rt.journal.bounds, faults=faults, stubs=stubs,
        fault_fields=fault_form_fields(rt), **signed_notice(rt, request.args),
    )


def fault_form_fields(rt: Runtime) -> List[Tuple[str, str]]:
    """The fault form's inputs beyond the shared ones: each service's error action and its fields."""
    return [(name, f"{name} ({service.title})") for service in rt.registered
            for name in (service.fault_error.name, *service.fault_error.fields)]


@icons.get("/favicon.ico")
@blueprint.get("/favicon.svg")
def favicon():
    return Response(ICON, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# --- the forms -------------------------------------------------------------------------------
@blueprint.post("/dashboard/reset")
def reset():
    current().reset()
    return back(notice="reset to the fixture state")


@blueprint.post("/dashboard/clock")
def advance_clock():
    try:
        seconds = float(request.form.get("seconds", ""))
        now = current().clock.advance(seconds)
    except ValueError as exc:
        return back(error=f"give the seconds to advance the clock by ({exc})")
    return back(notice=f"clock advanced by {seconds:g} s to {moment(now)}")


def posted_rule(form: Mapping[str, str]) -> Dict[str, Any]:
    """A fault or stub form as the JSON API takes it: ``match.x`` fields under ``match``, empty
    fields left out, values read as JSON where they parse (see ``TEXT_FIELDS``)."""
    rule: Dict[str, Any] = {}
    for name, raw in form.items():
        if name == CSRF_FIELD or raw.strip() == "":
            continue
        value: Any = raw
        if name not in TEXT_FIELDS:
            parsed = parse_json(raw)  # as the JSON API reads a body: depth, numbers and text bounded alike
            value = raw if parsed is INVALID_JSON else parsed
        if name.startswith("match."):
            rule.setdefault("match", {})[name[len("match."):]] = value
        else:
            rule[name] = value
    return rule


def _add_rule(book: RuleBook, noun: str):
    """A fault or stub form: the rule added, or why not, back on the page."""
    try:
        rule = book.add(posted_rule(request.form), current_app.url_map)
    except ControlError as exc:
        return back(error=exc.message)
    return back(notice=f"{noun} {rule['id']} added")


def _delete_rule(book: RuleBook, noun: str, rule_id: str):
    try:
        book.delete(rule_id)
    except ControlError as exc:
        return back(error=exc.message)
    return back(notice=f"{noun} {rule_id} removed")


@blueprint.post("/dashboard/faults")
def add_fault():
    return _add_rule(current().faults, "fault rule")


@blueprint.post("/dashboard/faults/<rule_id>/delete")
def delete_fault(rule_id: str):
    return _delete_rule(current().faults, "fault rule", rule_id)


@blueprint.post("/dashboard/stubs")
def add_stub():
    return _add_rule(current().stubs, "stub")


@blueprint.post("/dashboard/stubs/<rule_id>/delete")
def delete_stub(rule_id: str):
    return _delete_rule(current().stubs, "stub", rule_id)


@blueprint.post("/dashboard/requests/clear")
def clear_requests():
    removed = current().journal.clear()
    return back(notice=f"journal cleared ({removed} requests)")


@blueprint.post("/dashboard/<section_id>/<action_name>")
def section_action(section_id: str, action_name: str):
    """A row action or form of a service's table."""
    rt = current()
    for service, section in service_sections(rt):
        if section.id != section_id:
            continue
        for action in (*section.actions, *section.forms):
            if action.name == action_name:
                values = {name: value for name, value in request.form.items() if name != CSRF_FIELD}
                try:
                    return back(notice=action.run(rt.services[service.name], values))
                except ControlError as exc:
                    return back(error=exc.message)
    return back(error=f"the dashboard has no form {section_id}/{action_name}")
