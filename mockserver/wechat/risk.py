"""``/wxa/getuserriskrank``: a user's security rank (0-4, higher is riskier) for a registration or
a marketing event. The rank is the user's ``risk_rank`` field (fixture or ``PATCH
/__mock__/users/<ref>``), 0 when unset. As ``msg_sec_check`` v2, a real call (not ``is_test``) ranks
only a user who opened the mini program (a login) in the last two hours: 61010 otherwise, which
WeChat documents for this API too ("用户未在近两小时访问小程序"; a test call is not held to it)."""
from __future__ import annotations

from typing import Any, Dict, NamedTuple

from ..core.clock import Clock
from ..core.ids import RandomSource
from ..core.json_reading import is_integer
from .errors import WeChatError
from .login import require_recent_visit
from .repo import Record, WeChatRepository
from .users import Directory

SCENES = (0, 1, 2)  # registration, marketing fraud, UGC
OPTIONAL_TEXT = ("mobile_no", "email_address", "extended_info")


class RiskRank(NamedTuple):
    risk_rank: int
    unoin_id: int  # sic: WeChat's spelling


class Risk:
    def __init__(self, repo: WeChatRepository, directory: Directory, clock: Clock, random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self.random = random

    def rank(self, app: Record, body: Dict[str, Any]) -> RiskRank:
        """Checks in WeChat's order of its documented errors: formats (47001), the scene (40129),
        the openid (40003 unknown, 43104 not of this appid), then its recent visit (61010)."""
        appid, openid, scene, client_ip = (body.get(name) for name in ("appid", "openid", "scene", "client_ip"))
        if not isinstance(appid, str) or not isinstance(openid, str) or not is_integer(scene) \
                or not isinstance(client_ip, str) or not client_ip \
                or not all(isinstance(body.get(name, ""), str) for name in OPTIONAL_TEXT) \
                or not isinstance(body.get("is_test", False), bool):
            raise WeChatError(47001)
        if scene not in SCENES:
            raise WeChatError(40129)
        owner_appid, alias = self.directory.openid_owner(openid)
        if alias is None:
            raise WeChatError(40003)
        if owner_appid != app["appid"] or appid != app["appid"]:
            raise WeChatError(43104)
        if not body.get("is_test", False):
            require_recent_visit(self.repo, self.clock, app["appid"], openid)
        user = self.directory.user(alias)
        return RiskRank(user.get("risk_rank", 0), self.random.integer(1, 2 ** 31 - 1))
