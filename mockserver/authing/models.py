"""Authing's data: user pools, apps, WeChat mini-program connections and users.

Fixture section (``"authing"`` beside ``"wechat"``; see docs/fixtures.md)::

    "authing": {"user_pools": [{
        "id": "<24 hex>", "name": "...",
        "connections": [{"identifier": "wechat-miniprogram", "appid": "wx...", "secret": "<optional>"}],
        "apps": [{"id": "<24 hex>", "secret": "<32 hex>", "name": "...", "connection": "wechat-miniprogram",
                  "token_algorithm": "RS256", "token_lifetime": 1209600,
                  "redirect_uris": [...], "post_logout_redirect_uris": [...], "grant_types": [...],
                  "token_endpoint_auth_methods": [...], "access_token_lifetime": 3600, ...}]}]}

An app's OIDC settings (``redirect_uris`` … ``code_lifetime``, see ``GRANT_TYPES`` and after) are optional: an
app without them accepts any redirect URI on a loopback host, every grant and every auth method.

A connection is the pool's "WeChat mini program" social connection (the seed document's Step 2);
``identifier`` is what the v3 API calls ``extIdpConnidentifier``. Its ``secret`` defaults to the
mini program's secret in the WeChat section; a wrong one makes code exchanges fail, as it would.

Where they are stored: ``repo.py``.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from ..core.fixtures import FixtureError, require, require_fields
from ..core.ids import HEX, RandomSource
from ..core.store import State
from ..wechat.models import APPID, SECRET  # Authing app secrets have the mini programs' format
from .repo import AuthingRepository

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
PHONE = re.compile(r"^\+?\d{5,15}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_TOKEN_LIFETIME = 14 * 24 * 3600
#: The longest a token may live (so that its exp stays a printable date whatever the clock says).
MAX_TOKEN_LIFETIME = 100 * 365 * 24 * 3600
CONNECTION_TYPE = "wechat:miniprogram"

POOL_FIELDS = {"id", "name", "connections", "apps", "users"}
#: A fixture's Authing user: how they log in (at least one of username, email, phone), their password
#: (in clear, hashed on load; or already hashed) and a name (Faker makes one when none is given).
USER_FIXTURE_FIELDS = {"username", "email", "phone", "password", "password_hash", "nickname", "name", "blocked"}
USER_LINKS = ("username", "email", "phone")
CONNECTION_FIELDS = {"identifier", "appid", "secret", "name"}
#: The grants, token endpoint auth methods and OIDC lifetimes an app may be given (fixture name →
#: stored name, default). ``None`` for the URI lists: any URI on a loopback host.
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", "password")
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
OIDC_URI_LISTS = {"redirect_uris": "redirectUris", "post_logout_redirect_uris": "postLogoutRedirectUris"}
OIDC_CHOICES = {"grant_types": ("grantTypes", GRANT_TYPES),
                "token_endpoint_auth_methods": ("authMethods", AUTH_METHODS)}
#: Authing's defaults: tokens of the OIDC endpoints live an hour, a refresh token 30 days, a code 10 minutes.
OIDC_LIFETIMES = {"access_token_lifetime": ("accessTokenLifetime", 3600),
                  "id_token_lifetime": ("idTokenLifetime", 3600),
                  "refresh_token_lifetime": ("refreshTokenLifetime", 30 * 24 * 3600),
                  "code_lifetime": ("codeLifetime", 600)}
#: Whether the hosted login skips the consent page for this app (stored ``skipConsent``). Default true: a
#: self-built app's users are asked nothing (Authing's console name for this setting is not confirmed).
SKIP_CONSENT = "skip_consent"
APP_FIELDS = {"id", "secret", "name", "connection", "token_algorithm", "token_lifetime",
              *OIDC_URI_LISTS, *OIDC_CHOICES, *OIDC_LIFETIMES, SKIP_CONSENT}

#: Every field of an Authing (v2) user, in the order Authing lists them; ``token`` and
#: ``tokenExpiredAt`` are added per answer, never stored.
USER_FIELDS = (
    "id", "arn", "userPoolId", "status", "username", "email", "emailVerified", "phone", "phoneVerified",
    "phoneCountryCode", "identities", "unionid", "openid", "nickname", "registerSource", "photo",
    "loginsCount", "lastLogin", "lastIP", "signedUp", "blocked", "isDeleted", "device", "browser",
    "company", "name", "givenName", "familyName", "middleName", "profile", "preferredUsername", "website",
    "gender", "birthdate", "zoneinfo", "locale", "address", "formatted", "streetAddress", "locality",
    "region", "postalCode", "city", "province", "country", "createdAt", "updatedAt", "externalId",
    "customData",
)

#: Profile fields a user may change about themself (GraphQL ``updateUser`` / v3 ``update-profile``).
PROFILE_FIELDS = {
    "username", "nickname", "photo", "company", "browser", "device", "name", "givenName", "familyName",
    "middleName", "profile", "preferredUsername", "website", "gender", "birthdate", "zoneinfo", "locale",
    "address", "formatted", "streetAddress", "locality", "region", "postalCode", "city", "province",
    "country", "externalId",
}
#: Fields of UpdateUserInput only an administrator (or a dedicated flow) may change: the phone's
#: country code goes with the phone (bindPhone), the rest are the directory's (expiry, departments).
PROTECTED_FIELDS = {"email", "emailVerified", "phone", "phoneVerified", "unionid", "openid", "password",
                    "oauth", "tokenExpiredAt", "loginsCount", "lastLogin", "lastIP", "blocked",
                    "phoneCountryCode", "mainDepartmentId", "mainDepartmentCode", "expiredAt", "directManagement"}


def iso(epoch: float) -> str:
    """Authing's timestamps: ISO 8601 in UTC with milliseconds, as JavaScript prints them."""
    stamp = datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def wechat_gender(value: Any) -> str:
    """WeChat's 0/1/2 as Authing's U/M/F."""
    return {1: "M", 2: "F"}.get(value, "U")


def new_user(user_id: str, pool_id: str, now: float, source: str) -> Dict[str, Any]:
    stamp = iso(now)
    user: Dict[str, Any] = {field: None for field in USER_FIELDS}
    user.update({
        "id": user_id, "arn": f"arn:cn:authing:{pool_id}:user:{user_id}", "userPoolId": pool_id,
        "status": "Activated", "emailVerified": False, "phoneVerified": False, "identities": [],
        "registerSource": [source], "loginsCount": 0, "signedUp": stamp, "blocked": False,
        "isDeleted": False, "gender": "U", "createdAt": stamp, "updatedAt": stamp, "customData": {},
    })
    return user


def _check_connection(conn: Any, where: str, wechat_appids: Collection[str]) -> Dict[str, Any]:
    require_fields(conn, where, "connection", CONNECTION_FIELDS)
    require(isinstance(conn.get("identifier"), str) and bool(IDENTIFIER.match(conn["identifier"])), where,
            "identifier must be 1-64 letters, digits, '_' or '-'")
    require(isinstance(conn.get("appid"), str) and bool(APPID.match(conn["appid"])), where,
            "appid must be a mini-program appid ('wx' + 16 lowercase hex)")
    require(conn["appid"] in wechat_appids, where,
            f"appid {conn['appid']} is not a mini program of the fixture's wechat section")
    require(conn.get("secret") is None or isinstance(conn["secret"], str), where, "secret must be a string")
    return conn


def _check_app(app: Any, where: str, identifiers: set) -> Dict[str, Any]:
    require_fields(app, where, "app", APP_FIELDS)
    require(isinstance(app.get("id"), str) and bool(OBJECT_ID.match(app["id"])), where,
            "id must be 24 lowercase hex characters")
    require(isinstance(app.get("secret"), str) and bool(SECRET.match(app["secret"])), where,
            "secret must be 32 lowercase hex characters")
    require(app.get("token_algorithm", "RS256") in ("RS256", "HS256"), where,
            "token_algorithm must be RS256 or HS256")
    lifetime = app.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)
    require(isinstance(lifetime, int) and not isinstance(lifetime, bool) and 0 < lifetime <= MAX_TOKEN_LIFETIME,
            where, f"token_lifetime must be a positive number of seconds, at most {MAX_TOKEN_LIFETIME} (100 years)")
    require(app.get("connection") is None or app["connection"] in identifiers, where,
            f"connection must be the identifier of one of the pool's connections {sorted(identifiers)}")
    for name in OIDC_URI_LISTS:
        uris = app.get(name)
        require(uris is None or (isinstance(uris, list) and all(isinstance(u, str) and _absolute_url(u) for u in uris)),
                where, f"{name} must be a list of absolute http(s) URLs without a fragment")
    for name, (_, choices) in OIDC_CHOICES.items():
        chosen = app.get(name, list(choices))
        require(isinstance(chosen, list) and all(c in choices for c in chosen), where,
                f"{name} must be a list of {list(choices)}")
    for name in OIDC_LIFETIMES:
        value = app.get(name, 1)
        require(isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_TOKEN_LIFETIME,
                where, f"{name} must be a positive number of seconds, at most {MAX_TOKEN_LIFETIME} (100 years)")
    require(isinstance(app.get(SKIP_CONSENT, True), bool), where, f"{SKIP_CONSENT} must be true or false")
    return app


def _absolute_url(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment and "#" not in uri


def oidc_settings(app: Dict[str, Any]) -> Dict[str, Any]:
    """An app's stored OIDC settings, from its (checked) fixture entry."""
    settings: Dict[str, Any] = {stored: app.get(name) for name, stored in OIDC_URI_LISTS.items()}
    settings.update({stored: list(app.get(name, choices)) for name, (stored, choices) in OIDC_CHOICES.items()})
    settings.update({stored: app.get(name, default) for name, (stored, default) in OIDC_LIFETIMES.items()})
    settings["skipConsent"] = app.get(SKIP_CONSENT, True)
    return settings


def _fixture_user(spec: Any, where: str, pool_id: str, random: RandomSource,
                  fake: Callable[[], Any]) -> Tuple[Dict[str, Any], List[Tuple[str, str]], Optional[str]]:
    """A fixture's Authing user (checked): (the user, its links, its password's hash or None)."""
    from .passwords import hash_password, well_formed

    require_fields(spec, where, "user", USER_FIXTURE_FIELDS)
    for name in USER_FIXTURE_FIELDS - {"blocked"}:
        require(spec.get(name) is None or (isinstance(spec[name], str) and bool(spec[name])), where,
                f"{name} must be a non-empty string")
    require(any(spec.get(name) for name in USER_LINKS), where, "give at least one of username, email and phone")
    require(spec.get("email") is None or bool(EMAIL.match(spec["email"])), where, "email must be an address")
    require(spec.get("phone") is None or bool(PHONE.match(spec["phone"])), where, "phone must be 5 to 15 digits")
    require(not (spec.get("password") and spec.get("password_hash")), where, "give password or password_hash, not both")
    require(spec.get("password_hash") is None or well_formed(spec["password_hash"]), where,
            "password_hash must be pbkdf2_sha256$<rounds>$<salt>$<base64 hash>")
    require(isinstance(spec.get("blocked", False), bool), where, "blocked must be true or false")
    user = new_user(random.object_id(), pool_id, 0, "basic:fixture")
    links = [(name, spec[name].lower() if name == "email" else spec[name]) for name in USER_LINKS if spec.get(name)]
    user.update({name: value for name, value in links})
    if spec.get("email"):
        user["emailVerified"] = True
    if spec.get("phone"):
        user.update({"phoneVerified": True, "phoneCountryCode": "86"})
    name = spec.get("name") or spec.get("nickname") or fake().name()
    user.update({"name": name, "nickname": spec.get("nickname") or name, "blocked": spec.get("blocked", False)})
    hashed = spec.get("password_hash") or (hash_password(spec["password"], random.hex(16)) if spec.get("password")
                                           else None)
    return user, links, hashed


def initial_state(section: Any, where: str, wechat_appids: Collection[str], random: RandomSource) -> State:
    """The Authing store entries a fixture section describes (checked; FixtureError says what is
    wrong); a connection must name one of ``wechat_appids``."""
    require(isinstance(section, dict), where, "must be an object")
    unknown = set(section) - {"user_pools"}
    require(not unknown, where, f"unknown keys {sorted(unknown)} (known: ['user_pools'])")
    pools_by_id: Dict[str, Any] = {}
    apps_by_id: Dict[str, Any] = {}
    conns_by_key: Dict[Tuple[str, str], Any] = {}
    users: List[Tuple[Dict[str, Any], List[Tuple[str, str]], Optional[str]]] = []
    seen_links: set = set()
    faker: List[Any] = []

    def fake() -> Any:
        if not faker:
            from faker import Faker  # only a fixture user without a name needs it

            faker.append(Faker("zh_CN"))
            faker[0].seed_instance(random.integer(0, 2 ** 31))
        return faker[0]
    pools = section.get("user_pools", [])
    require(isinstance(pools, list), where, "user_pools must be a list")
    for i, pool in enumerate(pools):
        here = f"{where}.user_pools[{i}]"
        require_fields(pool, here, "user pool", POOL_FIELDS)
        require(isinstance(pool.get("id"), str) and bool(OBJECT_ID.match(pool["id"])), here,
                "id must be 24 lowercase hex characters")
        pool_id = pool["id"]
        if pool_id in pools_by_id:
            raise FixtureError(f"{here}: user pool {pool_id} appears twice")
        pools_by_id[pool_id] = {"id": pool_id, "name": pool.get("name", "")}
        connections = pool.get("connections", [])
        require(isinstance(connections, list), here, "connections must be a list")
        identifiers = set()
        for j, conn in enumerate(connections):
            conn = _check_connection(conn, f"{here}.connections[{j}]", wechat_appids)
            if conn["identifier"] in identifiers:
                raise FixtureError(f"{here}: connection {conn['identifier']!r} appears twice")
            identifiers.add(conn["identifier"])
            conns_by_key[(pool_id, conn["identifier"])] = {
                "id": random.derive("authing-connection", pool_id, conn["identifier"], length=24, alphabet=HEX),
                "identifier": conn["identifier"], "userPoolId": pool_id, "type": CONNECTION_TYPE,
                "name": conn.get("name", "微信小程序"), "appid": conn["appid"], "secret": conn.get("secret"),
            }
        apps = pool.get("apps", [])
        require(isinstance(apps, list), here, "apps must be a list")
        for j, app in enumerate(apps):
            app = _check_app(app, f"{here}.apps[{j}]", identifiers)
            if app["id"] in apps_by_id:
                raise FixtureError(f"{here}: app {app['id']} appears twice")
            apps_by_id[app["id"]] = {
                "id": app["id"], "userPoolId": pool_id, "secret": app["secret"], "name": app.get("name", ""),
                "connection": app.get("connection"), "algorithm": app.get("token_algorithm", "RS256"),
                "tokenLifetime": app.get("token_lifetime", DEFAULT_TOKEN_LIFETIME), **oidc_settings(app),
            }
        pool_users = pool.get("users", [])
        require(isinstance(pool_users, list), here, "users must be a list")
        for j, spec in enumerate(pool_users):
            user, links, hashed = _fixture_user(spec, f"{here}.users[{j}]", pool_id, random, fake)
            for kind, value in links:
                if (pool_id, kind, value) in seen_links:
                    raise FixtureError(f"{here}.users[{j}]: {kind} {value!r} belongs to another user of the pool")
                seen_links.add((pool_id, kind, value))
            users.append((user, links, hashed))
    return AuthingRepository.state(pools_by_id, apps_by_id, conns_by_key, users)
