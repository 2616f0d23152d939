"""Links into the mini program: URL Links (``generate_urllink``), URL Schemes (``generatescheme``)
and Short Links (``genwxashortlink``), their queries, and what opening one starts.

Rules, as WeChat documents them (since 2022 every URL Link and URL Scheme expires):
- a link lives until ``expire_time`` (``expire_type`` 0) or for ``expire_interval`` days (1), at
  most 30 days — a later time is cut to 30 days; with neither it lives 30 days; an expiry less than
  a minute away is 85401;
- ``path`` is a page of the app (40165) without a query, ``query`` at most 1024 of
  ``[0-9A-Za-z!#$&'()*+,/:;=?@-._~%]`` (40212), ``env_version`` release, trial or develop (85402);
- 500,000 URL Links and Schemes a day together, 1,000,000 Short Links a day, 100,000 permanent
  Short Links in all (``quotas.py``);
- a URL Link or Scheme may carry ``cq=<url-encoded query>`` appended by the developer: the mini
  program then starts with that query after the link's own;
- all links open at most 3,000,000 times a day per app.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from ..core.clock import Clock
from ..core.errors import Conflict, ControlError, NotFound
from ..core.ids import ALPHANUMERIC, RandomSource
from ..core.json_reading import is_integer
from ..core.store import UNCHANGED
from .errors import WeChatError
from .quotas import DAY, LINKS, SHORT_LINKS, Quotas
from .repo import Record, WeChatRepository
from .users import Directory

MAX_LIFETIME_DAYS = 30
MIN_LIFETIME = 60
MAX_QUERY, MAX_CUSTOM_QUERY, MAX_PAGE_URL, MAX_TITLE = 1024, 256, 1024, 20
QUERY_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$")
ENV_VERSIONS = ("release", "trial", "develop")
DAILY_OPENS = 3_000_000
PERMANENT_SHORT_LINKS = 100_000
URL_LINK_HOSTS = ("wxaurl.cn", "wxmpurl.cn")
SCHEME_PREFIX = "weixin://dl/business/?t="
SHORT_LINK_PREFIX = "#小程序://"
#: The scene a mini program reports when a link opens it (outside WeChat); None: not documented.
SCENES = {"urllink": 1194, "scheme": 1065, "shortlink": None}
#: The fields of a URL Link's ``cloud_base`` (its static website on Cloud Base) kept and answered back.
CLOUD_BASE_FIELDS = ("env", "domain", "path", "query", "resource_appid")


class LinkInfo(NamedTuple):
    """What ``query_urllink`` / ``queryscheme`` answer about a link."""
    appid: str
    path: str
    query: str
    create_time: int
    expire_time: int
    env_version: str
    cloud_base: Optional[Dict[str, str]]  # a URL Link's (None for a scheme): what it was generated with
    visit_openid: str  # who opened it last ("" if nobody has)


class Opened(NamedTuple):
    """What the mini program starts with when a user opens a link."""
    kind: str
    appid: str
    path: str
    query: str
    env_version: str
    scene: Optional[int]
    openid: Optional[str]


def _custom_query(url: str) -> Tuple[str, str]:
    """A link as generated, and the ``cq`` query the developer appended to it ('' when none)."""
    parts = urlsplit(url)
    extra = parse_qs(parts.query).get("cq", [""])[0]
    if url.startswith(SCHEME_PREFIX):
        ticket = parse_qs(parts.query).get("t", [""])[0]
        return SCHEME_PREFIX + ticket, extra
    if parts.scheme == "https" and parts.netloc in URL_LINK_HOSTS:
        return f"https://{URL_LINK_HOSTS[0]}{parts.path}", extra
    return url, ""


class Links:
    def __init__(self, repo: WeChatRepository, directory: Directory, quotas: Quotas, clock: Clock,
                 random: RandomSource):
        self.repo = repo
        self.directory = directory
        self.quotas = quotas
        self.clock = clock
        self.random = random

    # --- generating ---------------------------------------------------------------------------
    def url_link(self, app: Record, body: Dict[str, Any]) -> str:
        """``/wxa/generate_urllink``: ``https://wxaurl.cn/<ticket>``."""
        record = self._record(app, "urllink", body.get("path"), body.get("query"), body.get("env_version"), body)
        self.quotas.spend(app["appid"], LINKS)
        return self._put(f"https://{URL_LINK_HOSTS[0]}/{self._ticket()}", record)

    def scheme(self, app: Record, body: Dict[str, Any]) -> str:
        """``/wxa/generatescheme``: ``weixin://dl/business/?t=<ticket>`` for ``jump_wxa``."""
        jump = body.get("jump_wxa", {})
        if not isinstance(jump, dict):
            raise WeChatError(47001)
        record = self._record(app, "scheme", jump.get("path"), jump.get("query"), jump.get("env_version"), body)
        self.quotas.spend(app["appid"], LINKS)
        return self._put(SCHEME_PREFIX + self._ticket(), record)

    def short_link(self, app: Record, page_url: Any, page_title: Any, is_permanent: Any) -> str:
        """``/wxa/genwxashortlink``: ``#小程序://<app name>/<code>``, 30 days or permanent."""
        if not isinstance(page_url, str) or not page_url or len(page_url) > MAX_PAGE_URL:
            raise WeChatError(40097)
        if not isinstance(page_title, (str, type(None))) or not isinstance(is_permanent, (bool, type(None))):
            raise WeChatError(47001)
        path, _, query = page_url.partition("?")
        self._check_page(app, path)
        now = self.clock.now_int()
        permanent = [(f"{app['appid']}:permanent_shortlinks", 0, PERMANENT_SHORT_LINKS, 85400)] if is_permanent else []
        self.quotas.spend(app["appid"], SHORT_LINKS, *permanent)
        title = page_title or ""
        record = {"kind": "shortlink", "appid": app["appid"], "path": path.lstrip("/"), "query": query,
                  "env_version": "release", "create_time": now,
                  "expire_time": 0 if is_permanent else now + MAX_LIFETIME_DAYS * DAY,
                  "title": title if len(title) <= MAX_TITLE else title[:MAX_TITLE] + "...", "opens": 0,
                  "visit_openid": ""}
        code = self.random.chars(15, ALPHANUMERIC)
        return self._put(f"{SHORT_LINK_PREFIX}{app.get('name') or '小程序'}/{code}", record)

    def _record(self, app: Record, kind: str, path: Any, query: Any, env_version: Any,
                body: Dict[str, Any]) -> Record:
        path = "" if path is None else path
        query = "" if query is None else query
        env_version = "release" if env_version is None else env_version
        if not isinstance(path, str) or not isinstance(query, str) or not isinstance(env_version, str):
            raise WeChatError(47001)
        if "?" in path:
            raise WeChatError(40165)
        self._check_page(app, path)
        if len(query) > MAX_QUERY or not QUERY_CHARS.match(query):
            raise WeChatError(40212)
        if env_version not in ENV_VERSIONS:
            raise WeChatError(85402)
        cloud_base = body.get("cloud_base", {})
        if not isinstance(cloud_base, dict):
            raise WeChatError(47001)
        now = self.clock.now_int()
        return {"kind": kind, "appid": app["appid"], "path": path.lstrip("/"), "query": query,
                "env_version": env_version, "create_time": now, "expire_time": self._expiry(body, now), "opens": 0,
                "visit_openid": "", "cloud_base": {name: value for name in CLOUD_BASE_FIELDS
                                                   if isinstance(value := cloud_base.get(name), str)}}

    @staticmethod
    def _check_page(app: Record, path: str) -> None:
        if path and app["pages"] and path.lstrip("/") not in app["pages"]:
            raise WeChatError(40165)

    @staticmethod
    def _expiry(body: Dict[str, Any], now: int) -> int:
        """When a URL Link or Scheme stops opening, by ``expire_type`` and its field."""
        longest = now + MAX_LIFETIME_DAYS * DAY
        expire_type = body.get("expire_type", 0)
        if not is_integer(expire_type) or expire_type not in (0, 1):
            raise WeChatError(47001)
        field = "expire_time" if expire_type == 0 else "expire_interval"
        value = body.get(field)
        if value is None:
            return longest
        if not is_integer(value):
            raise WeChatError(47001)
        expires = value if expire_type == 0 else now + value * DAY
        if expires - now < MIN_LIFETIME:
            raise WeChatError(85401)
        return min(expires, longest)

    def _ticket(self) -> str:
        return self.random.chars(11, ALPHANUMERIC)

    def _put(self, link: str, record: Record) -> str:
        self.repo.put_link(link, record)
        return link

    # --- querying -----------------------------------------------------------------------------
    def query(self, app: Record, kind: str, link: Any, query_type: Any) -> Tuple[Optional[LinkInfo], Optional[int]]:
        """``query_urllink`` / ``queryscheme``: (the link's info, None) for ``query_type`` 0, or
        (None, the app's opens left today) for 1."""
        query_type = 0 if query_type is None else query_type
        if not is_integer(query_type) or query_type not in (0, 1):
            raise WeChatError(40097)
        if query_type == 1:
            opened = self.repo.calls(f"{app['appid']}:link_opens", self.quotas.today())
            return None, DAILY_OPENS - min(DAILY_OPENS, opened)
        if not isinstance(link, str) or not link:
            raise WeChatError(40097)
        canonical, extra = _custom_query(link)
        record = self.repo.link(canonical)
        if record is None or record["kind"] != kind or record["appid"] != app["appid"]:
            raise WeChatError(85403)
        return LinkInfo(record["appid"], record["path"], _joined(record["query"], extra), record["create_time"],
                        record["expire_time"], record["env_version"],
                        _cloud_base(record) if kind == "urllink" else None, record.get("visit_openid", "")), None

    # --- the control plane: a user opens a link -------------------------------------------------
    def open(self, url: Any, user_ref: Optional[str]) -> Opened:
        if not isinstance(url, str) or not url:
            raise ControlError("'url' is required")
        canonical, extra = _custom_query(url)
        if len(extra) > MAX_CUSTOM_QUERY or not QUERY_CHARS.match(extra):
            raise ControlError(f"cq must be at most {MAX_CUSTOM_QUERY} characters of {QUERY_CHARS.pattern}")
        record = self.repo.link(canonical)
        if record is None:
            raise NotFound(f"no link {url!r} was generated")
        now = self.clock.now()
        if record["expire_time"] and now >= record["expire_time"]:
            raise Conflict(f"the link expired at {record['expire_time']}")
        openid = None
        if user_ref:
            _, user = self.directory.app_and_user(record["appid"], user_ref)
            openid = self.directory.openid(user, record["appid"])
        if self.repo.count_calls_within([(f"{record['appid']}:link_opens", self.quotas.today(), DAILY_OPENS)]) \
                is not None:
            raise Conflict(f"the app's links opened {DAILY_OPENS} times today")
        self.repo.update_link(canonical, lambda current: _count_open(current, openid))
        return Opened(record["kind"], record["appid"], record["path"], _joined(record["query"], extra),
                      record["env_version"], SCENES[record["kind"]], openid)

    def generated(self, offset: int, limit: int) -> Tuple[int, List[Dict[str, Any]]]:
        """The links generated, oldest first: how many, and one page of them."""
        total, entries = self.repo.links_page(offset, limit)
        return total, [{"link": link, **record} for link, record in entries]


def _cloud_base(record: Record) -> Dict[str, str]:
    """A URL Link's ``cloud_base`` as ``query_urllink`` answers it: every field, "" where none was given."""
    given = record.get("cloud_base", {})
    return {name: given.get(name, "") for name in CLOUD_BASE_FIELDS}


def _count_open(record: Optional[Record], openid: Optional[str]) -> Tuple[Any, None]:
    """One more open of a link, and who opened it (``visit_openid``: the last user who did)."""
    if record is None:
        return UNCHANGED, None
    return {**record, "opens": record["opens"] + 1, **({"visit_openid": openid} if openid else {})}, None


def _joined(query: str, extra: str) -> str:
    return "&".join(part for part in (query, extra) if part)
