"""WeChat's tables on the dashboard (``EmulatedService.dashboard_sections``): the users, each
openid labelled with its app, with forms to create a user and buttons to mint a login code,
block, unblock and delete one."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from ..core.errors import ControlError
from ..emulation import DashboardAction, DashboardSection
from .service import WeChatService


def user_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, users = wechat.directory.users_page(offset, limit)
    names = {app["appid"]: app["name"] for app in wechat.apps()}
    rows = []
    for user in wechat.describe_users(users):
        rows.append({
            "key": user["alias"], "alias": user["alias"], "nickname": user.get("nickname") or "",
            "phone": user.get("phone") or "",
            "openids": [f"{names.get(appid, appid)}: {ids['openid']}"
                        + (f" / {ids['unionid']}" if ids["unionid"] else "") for appid, ids in user["apps"].items()],
            "status": "blocked" if user.get("blocked") else "",
            "actions": ["mint", "unblock" if user.get("blocked") else "block", "delete"]})
    return total, rows


def app_choices(wechat: WeChatService) -> List[Tuple[str, str]]:
    return [(app["appid"], app["name"]) for app in wechat.apps()]


def mint(wechat: WeChatService, values: Mapping[str, str]) -> str:
    appid = values.get("choice", "")
    minted = wechat.login.mint_login_code(appid, values.get("key") or None)
    return f"login code for {values.get('key')} in {wechat.app(appid)['name']}: {minted.code} (valid 5 minutes, once)"


def blocked(value: bool):
    def run(wechat: WeChatService, values: Mapping[str, str]) -> str:
        user = wechat.directory.update_user(values.get("key", ""), {"blocked": value})
        return f"WeChat user {user['alias']} {'blocked' if value else 'unblocked'}"
    return run


def delete(wechat: WeChatService, values: Mapping[str, str]) -> str:
    return f"WeChat user {wechat.directory.delete_user(values.get('key', ''))['alias']} deleted"


def create(wechat: WeChatService, values: Mapping[str, str]) -> str:
    fields = {name: values[name] for name in ("alias", "nickname", "phone") if values.get(name)}
    if not fields.get("alias"):
        raise ControlError("give the new user an alias")
    return f"WeChat user {wechat.directory.create_user(fields)['alias']} created"


SECTIONS = (DashboardSection(
    id="wechat-users", title="WeChat users",
    columns=(("alias", "alias"), ("nickname", "nickname"), ("phone", "phone"), ("openids", "openid / unionid by app"),
             ("status", "")),
    rows=user_rows,
    actions=(DashboardAction("mint", "Mint code", mint, choices=app_choices),
             DashboardAction("block", "Block", blocked(True)), DashboardAction("unblock", "Unblock", blocked(False)),
             DashboardAction("delete", "Delete", delete)),
    forms=(DashboardAction("create", "Create user", create,
                           fields=(("alias", "alias"), ("nickname", "nickname"), ("phone", "phone"))),),
    empty="No WeChat user."),)
