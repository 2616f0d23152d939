"""WeChat's data: mini-program apps and WeChat users as a fixture describes them, checked, and
the ids (openid, unionid) a user has in an app. Where they are stored: ``repo.py``."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ..core.fixtures import FixtureError, require, require_fields
from ..core.ids import RandomSource
from ..core.store import State
from .repo import WeChatRepository
from .subscribe_templates import app_template, check_fixture_template

APPID = re.compile(r"^wx[0-9a-f]{16}$")
SECRET = re.compile(r"^[0-9a-f]{32}$")
ALIAS = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
PHONE = re.compile(r"^\d{5,15}$")
#: What a pinned openid or unionid may be (real ones: "o" and 27 of these characters).
PINNED_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")

APP_FIELDS = {"appid", "secret", "name", "open_platform", "pages", "subscribe_templates", "login_minute_quota",
              "wxacode_limit", "push", "trade_managed", "trade_management_confirmed"}
USER_FIELDS = {"alias", "nickname", "avatar_url", "gender", "city", "province", "country",
               "language", "phone", "country_code", "blocked", "rejects_subscribe_messages",
               "openids", "unionids", "risk_rank"}
#: Fields whose few distinct values repeat across many users.
REPEATED_FIELDS = ("city", "province", "country", "language", "country_code")
STRING_FIELDS = ("nickname", "avatar_url", "city", "province", "country", "language", "country_code")
USER_DEFAULTS = {"nickname": "微信用户", "avatar_url": "", "gender": 0, "city": "", "province": "",
                 "country": "", "language": "zh_CN", "phone": "", "country_code": "86",
                 "blocked": False, "rejects_subscribe_messages": False}


def check_app(app: Any, where: str) -> Dict[str, Any]:
    require_fields(app, where, "app", APP_FIELDS)
    require(isinstance(app.get("appid"), str) and bool(APPID.match(app["appid"])), where,
            "appid must be 'wx' followed by 16 lowercase hex characters")
    require(isinstance(app.get("secret"), str) and bool(SECRET.match(app["secret"])), where,
            "secret must be 32 lowercase hex characters")
    pages = app.get("pages", [])
    require(isinstance(pages, list) and all(isinstance(v, str) for v in pages), where,
            "pages must be a list of strings")
    templates = app.get("subscribe_templates", [])
    require(isinstance(templates, list), where, "subscribe_templates must be a list")
    for i, template in enumerate(templates):
        problem = check_fixture_template(template)
        require(problem is None, f"{where}.subscribe_templates[{i}]", problem or "")
    ids = [app_template(template)["priTmplId"] for template in templates]
    require(len(set(ids)) == len(ids), where, "subscribe_templates must not repeat a template id")
    require(isinstance(app.get("name", ""), str), where, "name must be a string")
    platform = app.get("open_platform")
    require(platform is None or (isinstance(platform, str) and platform != ""), where,
            "open_platform must be a non-empty string (or null: no Open Platform account)")
    quota = app.get("login_minute_quota")
    require(quota is None or (isinstance(quota, int) and not isinstance(quota, bool) and quota > 0), where,
            "login_minute_quota must be a positive integer (or absent: no limit)")
    limit = app.get("wxacode_limit")
    require(limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit > 0), where,
            "wxacode_limit must be a positive integer (or absent: WeChat's 100,000)")
    for key in ("trade_managed", "trade_management_confirmed"):  # is_trade_managed...; absent: true
        require(isinstance(app.get(key, True), bool), where, f"{key} must be true or false")
    checked = {"name": "", "open_platform": None, "pages": [], "subscribe_templates": [], "login_minute_quota": None,
               **app}
    if app.get("push") is not None:
        from .push import check_push  # on first use: most apps have no push URL (start-up time)

        checked["push"] = check_push(app["push"], where)
    else:
        checked["push"] = None
    return checked


def split_templates(app: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """A checked app without its ``subscribe_templates``, and those templates by id (what the
    repository keeps apart: ``addtemplate`` and ``deltemplate`` change them)."""
    templates = {}
    for given in app["subscribe_templates"]:
        template = app_template(given)
        templates[template["priTmplId"]] = template
    return {k: v for k, v in app.items() if k != "subscribe_templates"}, templates


def check_user(user: Any, where: str) -> Dict[str, Any]:
    require_fields(user, where, "user", USER_FIELDS)
    require(isinstance(user.get("alias"), str) and bool(ALIAS.match(user["alias"])), where,
            "alias must be 1-64 characters of letters, digits, '_', '.' or '-'")
    gender = user.get("gender", 0)
    require(type(gender) is int and gender in (0, 1, 2), where, "gender must be 0 (unknown), 1 (male) or 2 (female)")
    phone = user.get("phone", "")
    require(phone == "" or (isinstance(phone, str) and bool(PHONE.match(phone))), where,
            "phone must be a string of 5-15 digits")
    # Messages naming a field are built only on failure: this runs for every user of a fixture.
    for key in ("openids", "unionids"):
        pinned = user.get(key, {})
        if not (isinstance(pinned, dict) and all(isinstance(v, str) and PINNED_ID.match(v) for v in pinned.values())):
            raise FixtureError(f"{where}: {key} must map appid/platform to an id of 6-64 letters, digits, '_' or '-'")
    for key in STRING_FIELDS:
        if not isinstance(user.get(key, ""), str):
            raise FixtureError(f"{where}: {key} must be a string")
    for key in ("blocked", "rejects_subscribe_messages"):
        if not isinstance(user.get(key, False), bool):
            raise FixtureError(f"{where}: {key} must be true or false")
    risk_rank = user.get("risk_rank", 0)  # what getuserriskrank answers (0-4); absent: 0
    if type(risk_rank) is not int or not 0 <= risk_rank <= 4:
        raise FixtureError(f"{where}: risk_rank must be an integer from 0 to 4")
    for key, default in USER_DEFAULTS.items():  # in place: a 100,000-user fixture is not copied
        user.setdefault(key, default)
    return user


class Identities:
    """The openid and unionid of a user in an app: pinned by the fixture, else derived from the seed."""

    def __init__(self, random: RandomSource):
        self.random = random

    def openid(self, user: Dict[str, Any], appid: str) -> str:
        return user.get("openids", {}).get(appid) or self.random.openid(user["alias"], appid)

    def unionid(self, user: Dict[str, Any], app: Dict[str, Any]) -> Optional[str]:
        platform = app.get("open_platform")
        if not platform:
            return None
        return user.get("unionids", {}).get(platform) or self.random.unionid(user["alias"], platform)

    def openid_entries(self, user: Dict[str, Any], apps: List[Dict[str, Any]]) -> List[Tuple[str, Dict[str, Any]]]:
        """``(openid, {alias, appid})`` of ``user`` in each of ``apps``."""
        return [(self.openid(user, app["appid"]), {"alias": user["alias"], "appid": app["appid"]}) for app in apps]

    def initial_state(self, section: Any, where: str) -> State:
        """The store entries a fixture's ``wechat`` section describes (FixtureError if it is wrong)."""
        require(isinstance(section, dict), where, "must be an object")
        for name in ("apps", "users"):
            require(isinstance(section.get(name, []), list), where, f"{name} must be a list")
        apps, templates = [], {}
        for i, given in enumerate(section.get("apps", [])):
            app, found = split_templates(check_app(given, f"{where}.apps[{i}]"))
            apps.append(app)
            if found:
                templates[app["appid"]] = found
        users = [check_user(user, f"{where}.users[{i}]") for i, user in enumerate(section.get("users", []))]
        by_appid: Dict[str, Dict[str, Any]] = {}
        by_alias: Dict[str, Dict[str, Any]] = {}
        owners: Dict[str, Dict[str, Any]] = {}
        shared_values: Dict[str, str] = {}
        for app in apps:
            if app["appid"] in by_appid:
                raise FixtureError(f"{where}: appid {app['appid']} appears twice")
            by_appid[app["appid"]] = app
        for user in users:
            if user["alias"] in by_alias:
                raise FixtureError(f"{where}: alias {user['alias']!r} appears twice")
            for key in REPEATED_FIELDS:  # one string object per distinct value: ~1/3 less memory
                user[key] = shared_values.setdefault(user[key], user[key])
            by_alias[user["alias"]] = user
            for openid, owner in self.openid_entries(user, apps):
                taken = owners.get(openid)
                if taken:
                    raise FixtureError(f"{where}: openid {openid} of {user['alias']!r} is already "
                                       f"{taken['alias']!r}'s")
                owners[openid] = owner
        return WeChatRepository.state(by_appid, by_alias, owners, templates)
