"""Authing's tables on the dashboard (``EmulatedService.dashboard_sections``): the users, each
openid labelled with its mini program, with buttons to block one (every token of theirs is then
refused, 2005) and unblock them; the live tokens, each with a button that revokes it; the SMS and
email outboxes."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from ..control.dashboard import moment
from ..emulation import DashboardAction, DashboardSection
from .service import AuthingService


def user_rows(service: AuthingService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, users = service.directory.page(offset, limit)
    names = {app["appid"]: app["name"] for app in service.wechat.apps()}
    apps = {conn["id"]: names.get(conn["appid"], conn["appid"]) for conn in service.connections()}
    return total, [{
        "key": user["id"], "id": user["id"], "name": user.get("nickname") or user.get("username") or "",
        "phone": user.get("phone") or "",
        "openids": [f"{apps.get(identity.get('connectionId'), '?')}: {identity['openid']}"
                    for identity in user.get("identities") or [] if identity.get("openid")],
        "logins": user.get("loginsCount", 0),
        "last_login": user.get("lastLogin") or "", "status": "blocked" if user.get("blocked") else "",
        "actions": ["unblock" if user.get("blocked") else "block"]} for user in users]


def blocked(value: bool):
    def run(service: AuthingService, values: Mapping[str, str]) -> str:
        user = service.directory.update_record(values.get("key", ""), {"blocked": value})
        return f"Authing user {user['id']} {'blocked: its tokens are refused' if value else 'unblocked'}"
    return run


def sms_rows(service: AuthingService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    outbox = service.sms_outbox()  # codes expire and are pruned: a short list
    return len(outbox), [{"key": sms["id"], "phone": sms["phone"], "code": sms["code"], "sent": moment(sms["sentAt"]),
                          "used": "used" if sms["used"] else ""} for sms in outbox[offset:offset + limit]]


def token_rows(service: AuthingService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    """The live tokens of the users whose tokens expire soonest, a user's oldest first. Reads at
    most ``offset + limit`` users' entries: the total counts the tokens of those read, and one
    for each user beyond (who holds one at least, revoked ones aside)."""
    holders, read = service.tokens.holders(offset + limit)
    rows = [{"key": f"{user_id}/{token['jti']}", "user": user_id, "jti": token["jti"], "kind": token["kind"],
             "app": token["appId"], "issued": moment(token["issuedAt"]), "expires": moment(token["expiresAt"])}
            for user_id, tokens in read for token in tokens]
    return len(rows) + holders - len(read), rows[offset:offset + limit]


def revoke(service: AuthingService, values: Mapping[str, str]) -> str:
    user_id, _, jti = values.get("key", "").partition("/")
    revoked = service.tokens.revoke_issued(user_id, jti)
    return f"{revoked['kind']} {jti} of Authing user {user_id} revoked: it is refused from now on"


def email_rows(service: AuthingService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    outbox = service.email_outbox()  # codes expire and are pruned: a short list
    return len(outbox), [{"key": email["id"], "email": email["email"], "subject": email["subject"],
                          "code": email["code"], "sent": moment(email["sentAt"]),
                          "used": "used" if email["used"] else ""} for email in outbox[offset:offset + limit]]


SECTIONS = (
    DashboardSection(
        id="authing-users", title="Authing users",
        columns=(("id", "id"), ("name", "nickname / username"), ("phone", "phone"),
                 ("openids", "openid by mini program"), ("logins", "logins"), ("last_login", "last login"),
                 ("status", "")),
        rows=user_rows,
        actions=(DashboardAction("block", "Block", blocked(True)),
                 DashboardAction("unblock", "Unblock", blocked(False))),
        empty="None yet: a user appears at their first Authing login."),
    DashboardSection(
        id="authing-sms", title="SMS outbox",
        columns=(("phone", "phone"), ("code", "code"), ("sent", "sent at"), ("used", "")),
        rows=sms_rows, empty="No SMS code sent."),
    DashboardSection(
        id="authing-tokens", title="Authing live tokens",
        columns=(("user", "user"), ("kind", "kind"), ("jti", "jti"), ("app", "app"), ("issued", "issued at"),
                 ("expires", "expires at")),
        rows=token_rows, actions=(DashboardAction("revoke", "Revoke", revoke),),
        empty="No live token: a token appears here when Authing issues one."),
    DashboardSection(
        id="authing-emails", title="Email outbox",
        columns=(("email", "email"), ("subject", "subject"), ("code", "code"), ("sent", "sent at"), ("used", "")),
        rows=email_rows, empty="No email sent."),
)
