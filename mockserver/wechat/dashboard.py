"""WeChat's tables on the dashboard (``EmulatedService.dashboard_sections``): the users, each
openid labelled with its app, with forms to create a user and buttons to mint a login code,
block, unblock and delete one; then what the apps sent and received, newest first — subscribe
and customer-service messages, pushes to the apps' backends (with a form "a user sends a
message"), temporary media (never their bytes) and links (with buttons and a form to open one)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Tuple

from ..control.dashboard import moment
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


# --- what the apps sent and received ------------------------------------------------------------
Page = Callable[[int, int], Tuple[int, List[Any]]]


def newest_first(page: Page, offset: int, limit: int) -> Tuple[int, List[Any]]:
    """A listing kept oldest first (``page(offset, limit)`` → total, entries), paged newest first."""
    total, _ = page(0, 0)
    end = max(0, total - offset)
    start = max(0, end - limit)
    _, entries = page(start, end - start)
    return total, entries[::-1]


def app_names(wechat: WeChatService) -> Dict[str, str]:
    return {app["appid"]: app["name"] for app in wechat.apps()}


def message_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, sent = newest_first(wechat.messages.sent, offset, limit)
    names = app_names(wechat)
    return total, [{
        "key": str(message["msgid"]), "id": str(message["msgid"]), "sent": moment(message["sent_at"]),
        "app": names.get(message["appid"], message["appid"]), "to": message["touser"],
        "template": message["template_id"], "page": message.get("page") or "",
        "data": [f"{name}: {value.get('value') if isinstance(value, dict) else value}"
                 for name, value in message["data"].items()]} for message in sent]


#: What a customer-service message of each type shows: the fields of its object, in order.
CUSTOM_SHOWN = {"text": ("content",), "image": ("media_id",), "link": ("title", "url"),
                "miniprogrampage": ("title", "pagepath")}


def custom_message_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, sent = newest_first(wechat.customer_service.sent, offset, limit)
    names = app_names(wechat)
    return total, [{
        "key": str(message["id"]), "id": str(message["id"]), "sent": moment(message["sent_at"]),
        "app": names.get(message["appid"], message["appid"]), "to": message["touser"], "type": message["msgtype"],
        "content": [str(message[message["msgtype"]].get(field, "")) for field in CUSTOM_SHOWN[message["msgtype"]]]}
        for message in sent]


def try_line(number: int, attempt: Dict[str, Any]) -> str:
    answer = f"HTTP {attempt['status']}" if attempt["status"] is not None else attempt["error"]
    return f"{number}: {answer} → {attempt['outcome']}" + (f" ({attempt['note']})" if attempt.get("note") else "")


def delivery_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, records = newest_first(wechat.push.listing, offset, limit)
    names = app_names(wechat)
    rows = []
    for record in records:
        message = record["message"]
        status = record.get("outcome") if record["status"] == "nothing" else record["status"]
        if record["status"] == "pending":
            status += f" (due {moment(record['due_at'])})"
        rows.append({
            "key": record["id"], "id": record["id"], "created": moment(record["created_at"]),
            "app": names.get(record["appid"], record["appid"]), "user": record["user"] or "",
            "event": [record["event"], *([message["Content"]] if "Content" in message else [])],
            "status": status, "tries": [try_line(n, attempt) for n, attempt in enumerate(record["tries"], 1)]})
    return total, rows


def user_says(wechat: WeChatService, values: Mapping[str, str]) -> str:
    """"User ``user`` sends ``message`` to app ``appid``", as ``POST /__mock__/wechat/push``."""
    appid, user = values.get("appid", "").strip(), values.get("user", "").strip()
    if not appid or not user:
        raise ControlError("give the appid of the mini program and the user who writes to it")
    said = wechat.customer_service.user_acts(appid, user, values.get("message"), None, None)
    delivery = said["delivery"]
    outcome = delivery.get("outcome") or delivery["status"]
    return (f"{user} sent {values.get('message')!r} to {wechat.app(appid)['name']}: push {delivery['id']} "
            f"{outcome}; the customer-service window is open until {moment(said['window']['expires_at'])}")


def media_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, records = newest_first(wechat.media.listing, offset, limit)
    names, now = app_names(wechat), wechat.clock.now()
    return total, [{
        "key": record["media_id"], "id": record["media_id"], "app": names.get(record["appid"], record["appid"]),
        "type": f"{record['type']} ({record['content_type']})", "size": f"{record['size']} bytes",
        "created": moment(record["created_at"]),
        "expires": moment(record["expires_at"]) + (" (expired)" if record["expires_at"] <= now else "")}
        for record in records]


def link_rows(wechat: WeChatService, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
    total, links = newest_first(wechat.links.generated, offset, limit)
    names, now = app_names(wechat), wechat.clock.now()
    rows = []
    for link in links:
        expired = bool(link["expire_time"]) and now >= link["expire_time"]
        rows.append({
            "key": link["link"], "id": link["link"], "kind": link["kind"],
            "app": names.get(link["appid"], link["appid"]),
            "starts": "/" + link["path"] + (f"?{link['query']}" if link["query"] else ""), "env": link["env_version"],
            "expires": ("expired " if expired else "") + (moment(link["expire_time"]) if link["expire_time"]
                                                           else "never"),
            "opens": str(link["opens"]), "actions": [] if expired else ["open"]})
    return total, rows


def open_link(wechat: WeChatService, values: Mapping[str, str]) -> str:
    """A user opens a link, as ``POST /__mock__/wechat/links/open``."""
    url = (values.get("url") or values.get("key") or "").strip()
    opened = wechat.links.open(url, (values.get("user") or "").strip() or None)
    starts = "/" + opened.path + (f"?{opened.query}" if opened.query else "")
    scene = f", scene {opened.scene}" if opened.scene is not None else ""
    who = f" for {opened.openid}" if opened.openid else ""
    return f"opened {url}: {wechat.app(opened.appid)['name']} starts at {starts} ({opened.env_version}{scene}){who}"


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
    empty="No WeChat user."),
    DashboardSection(
        id="wechat-messages", title="Subscribe messages sent",
        columns=(("sent", "sent"), ("app", "app"), ("to", "to (openid)"), ("template", "template"), ("page", "page"),
                 ("data", "data"), ("id", "msgid")),
        rows=message_rows, empty="No subscribe message sent."),
    DashboardSection(
        id="wechat-custom-messages", title="Customer-service messages sent",
        columns=(("sent", "sent"), ("app", "app"), ("to", "to (openid)"), ("type", "type"), ("content", "content")),
        rows=custom_message_rows, empty="No customer-service message sent."),
    DashboardSection(
        id="wechat-deliveries", title="Message push",
        columns=(("id", "push"), ("created", "made"), ("app", "app"), ("user", "user"), ("event", "event"),
                 ("status", "status"), ("tries", "tries")),
        rows=delivery_rows,
        forms=(DashboardAction("say", "User sends a message", user_says,
                               fields=(("appid", "appid"), ("user", "user"), ("message", "message"))),),
        empty="Nothing pushed to an app's backend."),
    DashboardSection(
        id="wechat-media", title="Temporary media",
        columns=(("id", "media_id"), ("app", "app"), ("type", "type"), ("size", "size"), ("created", "uploaded"),
                 ("expires", "expires")),
        rows=media_rows, empty="No media uploaded."),
    DashboardSection(
        id="wechat-links", title="Links",
        columns=(("id", "link"), ("kind", "kind"), ("app", "app"), ("starts", "starts at"), ("env", "version"),
                 ("expires", "expires"), ("opens", "opens")),
        rows=link_rows,
        actions=(DashboardAction("open", "Open", open_link),),
        forms=(DashboardAction("open-as", "Open link", open_link, fields=(("url", "link (cq= allowed)"),
                                                                         ("user", "user (optional)"))),),
        empty="No link generated."),
)
