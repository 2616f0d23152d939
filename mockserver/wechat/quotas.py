"""API call quotas: the daily limits the mock meters, ``/cgi-bin/openapi/quota/get`` that reports
them and ``/cgi-bin/clear_quota`` that resets them (at most 10 times a month).

Days and months are the mock clock's, in UTC. Metered: ``/cgi-bin/token`` (2000 a day), URL Links
and URL Schemes together (500,000 generated a day), Short Links (1,000,000 a day). Each counter
lives in the ``wx.quota`` namespace (``WeChatRepository.count_call``), one key per period.
Every other API the mock serves is reported too, as WeChat reports each of its APIs, with a
limit the mock never reaches (``UNMETERED``) and nothing used: the mock does not count those calls.
"""
from __future__ import annotations

import time
from typing import Any, Container, Dict, NamedTuple, Tuple

from ..core.clock import Clock
from .errors import WeChatError
from .repo import Record, WeChatRepository
from .tokens import DAILY_TOKEN_QUOTA

DAY, CLEARS_PER_MONTH = 86400, 10


class Meter(NamedTuple):
    """One daily limit: its counter's name (after the appid) and how many calls a day it allows."""
    counter: str
    daily_limit: int


TOKEN = Meter("", DAILY_TOKEN_QUOTA)  # the counter /cgi-bin/token spends (tokens.py): "<appid>:<day>"
LINKS = Meter("links", 500_000)  # URL Links and URL Schemes share one daily limit
SHORT_LINKS = Meter("shortlinks", 1_000_000)
#: What ``openapi/quota/get`` reports for an API the mock serves but does not meter (WeChat's own
#: limits vary by API and account; this one is never reached).
UNMETERED = 10_000_000
#: The paths ``openapi/quota/get`` reports on, and the meter each spends.
METERED_PATHS: Dict[str, Meter] = {
    "/cgi-bin/token": TOKEN,
    "/wxa/generate_urllink": LINKS,
    "/wxa/generatescheme": LINKS,
    "/wxa/genwxashortlink": SHORT_LINKS,
}


class Quota(NamedTuple):
    daily_limit: int
    used: int
    remain: int


def _counter(appid: str, meter: Meter) -> str:
    return f"{appid}:{meter.counter}" if meter.counter else appid


class Quotas:
    def __init__(self, repo: WeChatRepository, clock: Clock):
        self.repo = repo
        self.clock = clock

    def today(self) -> int:
        return int(self.clock.now() // DAY)

    def spend(self, appid: str, meter: Meter, *others: Tuple[str, int, int, int]) -> None:
        """One call against ``meter`` and ``others`` (``(counter, period, limit, errcode)``), at
        once; past the day's limit, WeChat's 45009 (a full other: its errcode), nothing counted."""
        limits = [(_counter(appid, meter), self.today(), meter.daily_limit)] + [other[:3] for other in others]
        full = self.repo.count_calls_within(limits)
        if full is not None:
            raise WeChatError(45009 if full == 0 else others[full - 1][3])

    def quota(self, app: Record, cgi_path: Any, served: Container[str]) -> Quota:
        """``openapi/quota/get`` for one of the ``served`` API paths: ``/sns/*`` paths are not for
        it (76022), and a path WeChat does not serve (as far as the mock knows) is 76021."""
        if not isinstance(cgi_path, str) or not cgi_path:
            raise WeChatError(47001)
        if "/sns/" in cgi_path:
            raise WeChatError(76022)
        if cgi_path not in served:
            raise WeChatError(76021)
        meter = METERED_PATHS.get(cgi_path)
        if meter is None:
            return Quota(UNMETERED, 0, UNMETERED)
        used = min(self.repo.calls(_counter(app["appid"], meter), self.today()), meter.daily_limit)
        return Quota(meter.daily_limit, used, meter.daily_limit - used)

    def clear(self, app: Record, appid: Any) -> None:
        """``clear_quota``: today's counts of every metered API go back to zero; 10 times a month."""
        if appid != app["appid"]:
            raise WeChatError(40013)
        when = time.gmtime(self.clock.now())
        month = when.tm_year * 12 + when.tm_mon
        if self.repo.count_calls_within([(f"{app['appid']}:clear_quota", month, CLEARS_PER_MONTH)]) is not None:
            raise WeChatError(48006)
        meters = {meter.counter: meter for meter in METERED_PATHS.values()}.values()
        self.repo.reset_calls([_counter(app["appid"], meter) for meter in meters], self.today())
