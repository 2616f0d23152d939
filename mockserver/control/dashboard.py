"""The dashboard at ``/__mock__/``: one server-rendered page of everything the mock holds.

Plain HTML forms (no script, nothing loaded from elsewhere) mint a login code for a user, move the
clock and remove fault rules; each posts to ``/__mock__/dashboard/...`` and redirects back to the
page, which shows what happened (a minted code appears in ``#minted-code``).
"""
from __future__ import annotations

import datetime
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request

from ..app import runtime
from ..core.errors import ControlError

blueprint = Blueprint("dashboard", __name__, url_prefix="/__mock__")
RECENT_REQUESTS = 25
CLOCK_STEPS = (("+5 min", 300), ("+2 h", 7200), ("+1 day", 86400), ("+15 days", 15 * 86400))


def back(**notice: str):
    query = urlencode({k: v for k, v in notice.items() if v})
    return redirect(f"{blueprint.url_prefix}/" + (f"?{query}" if query else ""), code=303)


def moment(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@blueprint.get("/")
def page():
    rt = runtime()
    now = rt.clock.now()
    journal = rt.journal.entries()
    return render_template(
        "dashboard.html",
        now=now, moment=moment, clock=rt.clock, clock_steps=CLOCK_STEPS,
        wechat_apps=rt.wechat.apps(),
        wechat_users=[rt.wechat.describe_user(user) for user in rt.wechat.users()],
        authing_pools=rt.authing.pools(), authing_apps=rt.authing.apps(), authing_users=rt.authing.users(),
        codes=rt.wechat.live_codes(), tokens=rt.wechat.live_tokens(),
        requests=list(reversed(journal[-RECENT_REQUESTS:])), journal_count=len(journal),
        journal_size=rt.journal.size, faults=rt.faults.list(),
        minted=request.args.get("minted"), minted_user=request.args.get("user"),
        notice=request.args.get("notice"), error=request.args.get("error"),
    )


@blueprint.post("/dashboard/login-code")
def mint_login_code():
    form = request.form
    try:
        minted = runtime().wechat.mint_login_code(form.get("appid", ""), form.get("user") or None)
    except ControlError as exc:
        return back(error=exc.message)
    return back(minted=minted["code"], user=form.get("user") or minted["openid"])


@blueprint.post("/dashboard/clock")
def advance_clock():
    try:
        seconds = float(request.form.get("seconds", ""))
        now = runtime().clock.advance(seconds)
    except ValueError as exc:
        return back(error=f"give the seconds to advance the clock by ({exc})")
    return back(notice=f"clock advanced by {seconds:g} s to {moment(now)}")


@blueprint.post("/dashboard/faults/<rule_id>/delete")
def delete_fault(rule_id: str):
    try:
        runtime().faults.delete(rule_id)
    except ControlError as exc:
        return back(error=exc.message)
    return back(notice=f"fault rule {rule_id} removed")


@blueprint.post("/dashboard/requests/clear")
def clear_requests():
    removed = runtime().journal.clear()
    return back(notice=f"journal cleared ({removed} requests)")
