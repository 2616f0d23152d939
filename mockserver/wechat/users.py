"""Who is who in the WeChat emulation: apps, users and their openids, as the control plane
manages them, and the look-ups every other part of the service uses."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.errors import Conflict, ControlError, NotFound
from ..core.ids import RandomSource
from .errors import WeChatError
from .models import APP_FIELDS, USER_FIELDS, Identities, check_app, check_user, split_templates
from .repo import Record, WeChatRepository

AVATAR_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class Directory:
    def __init__(self, repo: WeChatRepository, random: RandomSource):
        self.repo = repo
        self.random = random
        self.identities = Identities(random)
        self._faker: Any = None

    # --- look-ups -------------------------------------------------------------------------
    def app(self, appid: Any) -> Record:
        app = self.repo.app(appid)
        if app is None:
            raise NotFound(f"no mini-program app with appid {appid!r}")
        return app

    def apps(self) -> List[Record]:
        return self.repo.apps()

    def app_and_user(self, appid: Any, ref: Any) -> Tuple[Record, Record]:
        """``app(appid)`` and ``user(ref)``, in one read when ``ref`` is an alias."""
        app, user = self.repo.app_and_user(appid, ref)
        if app is None:
            raise NotFound(f"no mini-program app with appid {appid!r}")
        return app, user or self.user(ref)

    def user(self, ref: Any) -> Record:
        """A user by alias or by any of their openids."""
        user = self.repo.user(ref)
        if user is None:
            owner = self.repo.openid_owner(ref)
            user = owner and self.repo.user(owner["alias"])
        if user:
            return user
        raise NotFound(f"no WeChat user with alias or openid {ref!r}")

    def users(self) -> List[Record]:
        return self.repo.users()

    def users_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        """How many users there are, and ``limit`` of them from the ``offset``-th on (creation order)."""
        return self.repo.user_count(), self.repo.users_page(offset, limit)

    def openid(self, user: Record, appid: str) -> str:
        return self.identities.openid(user, appid)

    def unionid(self, user: Record, app: Record) -> Optional[str]:
        return self.identities.unionid(user, app)

    def user_in_app(self, appid: str, openid: Any) -> Record:
        """The user an openid names in ``appid``, or WeChat's 40003."""
        owner = self.repo.openid_owner(openid)
        user = self.repo.user(owner["alias"]) if owner is not None and owner["appid"] == appid else None
        if user is None:
            raise WeChatError(40003)
        return user

    def describe(self, user: Record) -> Dict[str, Any]:
        """A user as the control plane shows it: profile plus openid/unionid in every app."""
        return self.describe_all([user])[0]

    def describe_all(self, users: List[Record]) -> List[Dict[str, Any]]:
        """Several users described (the apps read once)."""
        apps = self.apps()
        return [{**{k: v for k, v in user.items() if k not in ("openids", "unionids")},
                 "apps": {app["appid"]: {"openid": self.openid(user, app["appid"]), "unionid": self.unionid(user, app)}
                          for app in apps}}
                for user in users]

    # --- who is calling: lenient look-ups for the journal and fault criteria (never raise) ----
    def token_appid(self, token: Any) -> Optional[str]:
        record = self.repo.token(token)
        return record["appid"] if record else None

    def code_owner(self, code: Any) -> Tuple[Optional[str], Optional[str]]:
        """(appid, alias) of a login or phone code, used or not."""
        record = self.repo.code_or_phone_code(code)
        return (record["appid"], record["alias"]) if record else (None, None)

    def openid_owner(self, openid: Any) -> Tuple[Optional[str], Optional[str]]:
        owner = self.repo.openid_owner(openid)
        return (owner["appid"], owner["alias"]) if owner else (None, None)

    # --- the control plane: users and apps ----------------------------------------------------
    def create_user(self, fields: Dict[str, Any]) -> Record:
        given = {k: v for k, v in fields.items() if v is not None}
        # Check what the caller gave before drawing a made-up profile: a rejected request must not
        # move the random source (later codes would differ).
        self._checked_user({"alias": "candidate", **given})
        if isinstance(given.get("alias"), str) and self.repo.user(given["alias"]) is not None:
            raise Conflict(f"a user with alias {given['alias']!r} already exists")
        user = self._checked_user({**self._fake_profile(), **given})
        taken = self.repo.add_user(user, self.identities.openid_entries(user, self.apps()))
        if taken == "alias":
            raise Conflict(f"a user with alias {user['alias']!r} already exists")
        if taken:
            raise Conflict(f"openid {taken} already belongs to another user")
        return user

    def update_user(self, ref: str, changes: Dict[str, Any]) -> Record:
        user = self.user(ref)
        if "alias" in changes and changes["alias"] != user["alias"]:
            raise ControlError("alias cannot be changed (openids are derived from it)")
        if set(changes) & {"openids", "unionids"}:
            raise ControlError("openids and unionids cannot be changed after creation")
        self._checked_user({**user, **changes})
        updated = self.repo.merge_user(user["alias"], changes)
        if updated is None:
            raise NotFound(f"no WeChat user with alias or openid {ref!r}")
        return updated

    def delete_user(self, ref: str) -> Record:
        user = self.user(ref)
        self.repo.remove_user(user["alias"], [(app["appid"], self.openid(user, app["appid"])) for app in self.apps()])
        return user

    def create_app(self, fields: Dict[str, Any],
                   verify_push: Optional[Callable[[str, Record], None]] = None) -> Record:
        """A new app; ``verify_push(appid, push)`` checks its push URL (if it has one) before it is
        written, and raises to refuse it."""
        fields = {"appid": self.random.appid(), "secret": self.random.app_secret(), **fields}
        unknown = set(fields) - APP_FIELDS
        if unknown:
            raise ControlError(f"unknown app fields {sorted(unknown)}")
        try:
            app, templates = split_templates(check_app(fields, "app"))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        if self.repo.app(app["appid"]) is not None:
            raise Conflict(f"an app with appid {app['appid']} already exists")
        if app["push"] and verify_push is not None:
            verify_push(app["appid"], app["push"])
        openids = [entry for user in self.users() for entry in self.identities.openid_entries(user, [app])]
        if not self.repo.add_app(app, openids, templates):
            raise Conflict(f"an app with appid {app['appid']} already exists")
        return app

    def _checked_user(self, fields: Dict[str, Any]) -> Record:
        unknown = set(fields) - USER_FIELDS
        if unknown:
            raise ControlError(f"unknown user fields {sorted(unknown)} (known: {sorted(USER_FIELDS)})")
        try:
            return check_user(fields, "user")
        except ValueError as exc:
            raise ControlError(str(exc)) from None

    def _fake_profile(self) -> Record:
        """A new WeChat user made up by Faker (zh_CN), seeded from the one random source."""
        if self._faker is None:
            from faker import Faker  # imported on first use: it costs start-up time

            self._faker = Faker("zh_CN")
        fake = self._faker
        fake.seed_instance(self.random.integer(0, 2 ** 31))
        alias = "user_" + self.random.hex(8)
        while self.repo.user(alias) is not None:
            alias = "user_" + self.random.hex(8)
        return {"alias": alias, "nickname": fake.name(),
                "avatar_url": f"https://thirdwx.qlogo.cn/mmopen/vi_32/{self.random.chars(86, AVATAR_CHARS)}/132",
                "gender": fake.random_element((1, 2)), "city": fake.city_name(),
                "province": fake.province(), "country": "中国", "language": "zh_CN",
                "phone": fake.phone_number(), "country_code": "86"}
