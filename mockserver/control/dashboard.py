"""The dashboard at ``/__mock__/``: one server-rendered page of what the mock holds — the first
rows of each listing and their totals, so that it stays quick with 100,000 users.

Plain HTML forms (no script, nothing loaded from elsewhere) move the clock, remove fault rules and
clear the journal; each posts to ``/__mock__/dashboard/...`` and redirects back to the page, which
shows what happened. Each service adds its own section (``EmulatedService.dashboard``: a template
and its values), with forms of its own that redirect back the same way (``back``).
"""
from __future__ import annotations

import datetime
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request
from markupsafe import Markup

from ..core.errors import ControlError
from ..runtime import current

blueprint = Blueprint("dashboard", __name__, url_prefix="/__mock__")
RECENT_REQUESTS = 25
#: Rows of each listing the page shows (users, live codes and tokens), beside their totals: the
#: JSON listings page through the rest.
DASHBOARD_ROWS = 50
CLOCK_STEPS = (("+5 min", 300), ("+2 h", 7200), ("+1 day", 86400), ("+15 days", 15 * 86400))


def back(**notice: str):
    query = urlencode({k: v for k, v in notice.items() if v})
    return redirect(f"{blueprint.url_prefix}/" + (f"?{query}" if query else ""), code=303)


def moment(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@blueprint.after_request
def forbid_framing(response):
    """No page of another site may frame the dashboard (clickjacking its forms)."""
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@blueprint.get("/")
def page():
    rt = current()
    now = rt.clock.now()
    sections = []
    for service in rt.registered:
        if service.dashboard is not None:
            template, values = service.dashboard(rt.services[service.name], request.args)
            sections.append(Markup(render_template(template, moment=moment, **values)))
    return render_template(
        "dashboard.html",
        now=now, moment=moment, clock=rt.clock, clock_steps=CLOCK_STEPS, sections=sections,
        requests=rt.journal.recent(RECENT_REQUESTS), journal_count=rt.journal.count(),
        journal_size=rt.journal.size, journal_bounds=rt.journal.bounds, faults=rt.faults.list(),
        notice=request.args.get("notice"), error=request.args.get("error"),
    )


@blueprint.post("/dashboard/clock")
def advance_clock():
    try:
        seconds = float(request.form.get("seconds", ""))
        now = current().clock.advance(seconds)
    except ValueError as exc:
        return back(error=f"give the seconds to advance the clock by ({exc})")
    return back(notice=f"clock advanced by {seconds:g} s to {moment(now)}")


@blueprint.post("/dashboard/faults/<rule_id>/delete")
def delete_fault(rule_id: str):
    try:
        current().faults.delete(rule_id)
    except ControlError as exc:
        return back(error=exc.message)
    return back(notice=f"fault rule {rule_id} removed")


@blueprint.post("/dashboard/requests/clear")
def clear_requests():
    removed = current().journal.clear()
    return back(notice=f"journal cleared ({removed} requests)")
