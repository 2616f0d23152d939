"""The dashboard at ``/__mock__/``: one server-rendered page of everything the mock holds.

Plain HTML forms (no script, nothing loaded from elsewhere) mint a login code for a user, move the
clock and remove fault rules; each posts to ``/__mock__/dashboard/...`` and redirects back to the
page, which shows what happened (a minted code appears in ``#minted-code``).
"""
from __future__ import annotations

import datetime
from typing import Any, Dict, List
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


def live_codes(now: float) -> List[Dict[str, Any]]:
    """Login codes minted and neither used nor expired (what ``wx.login()`` handed out)."""
    from ..wechat.service import CODE_TTL

    store = runtime().store
    return [{"code": code, **record, "expires_in": int(record["issued_at"] + CODE_TTL - now)}
            for code, record in store.items("wx.codes")
            if record["used_at"] is None and now - record["issued_at"] <= CODE_TTL]


def live_tokens(now: float) -> List[Dict[str, Any]]:
    store = runtime().store
    return [{"token": token, **record, "expires_in": int(record["expires_at"] - now)}
            for token, record in store.items("wx.tokens") if record["expires_at"] > now]


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
        codes=live_codes(now), tokens=live_tokens(now),
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
