"""Subscribe-message templates: WeChat's public library (categories, titles, keywords) and each
app's own templates (``wxaapi/newtmpl/*``), with the keyword rules a message's values must meet.

An app template as ``gettemplate`` lists it: ``{priTmplId, title, content, example, type}``,
``content`` naming each keyword as ``{{thing1.DATA}}`` (its rule, then its keyword id) and
``type`` 2 for one-time, 3 for long-term subscriptions.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..core.digits import ascii_digits
from ..core.ids import URLSAFE, RandomSource
from .errors import WeChatError
from .repo import Record, WeChatRepository

ONE_TIME, LONG_TERM = 2, 3
#: How many templates an app may add (200012 past it).
MAX_APP_TEMPLATES = 25
MAX_TITLES_PAGE = 30
MAX_SCENE_DESC = 15
KEYWORD = re.compile(r"\{\{([a-z_]+?)(\d+)\.DATA\}\}")


class PublicTemplate(NamedTuple):
    tid: int
    title: str
    type: int
    category_id: int
    keywords: Tuple[Tuple[int, str, str, str], ...]  # (kid, name, example, rule)


#: The public library the mock offers: WeChat's is much larger; these are a few common ones.
CATEGORIES = ((307, "服装/鞋/箱包"), (616, "公交"), (670, "生活服务"))
LIBRARY = (
    PublicTemplate(1536, "订单发货提醒", ONE_TIME, 307, (
        (1, "订单号", "T20230501123456", "character_string"), (2, "商品名称", "纯棉T恤", "thing"),
        (3, "发货时间", "2023年05月01日 12:00", "time"), (4, "快递公司", "顺丰速运", "thing"),
        (5, "订单金额", "¥128.00", "amount"))),
    PublicTemplate(1822, "付款成功通知", ONE_TIME, 307, (
        (1, "支付金额", "¥99.00", "amount"), (2, "支付时间", "2023-05-01 12:00", "time"),
        (3, "商品数量", "2", "number"), (4, "订单状态", "已支付", "phrase"))),
    PublicTemplate(2187, "乘车提醒", LONG_TERM, 616, (
        (1, "线路名称", "12路", "thing"), (2, "到站时间", "08:30", "time"), (3, "车牌号", "粤B12345", "car_number"))),
    PublicTemplate(3321, "预约成功通知", ONE_TIME, 670, (
        (1, "预约人", "张三", "name"), (2, "预约日期", "2023年05月01日", "date"),
        (3, "联系电话", "13800138000", "phone_number"), (4, "预约项目", "家电清洗", "thing"),
        (5, "取号码", "A", "letter"), (6, "备注", "#", "symbol"))),
)
BY_TID = {template.tid: template for template in LIBRARY}

_DATE = r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_TIME_POINT = rf"(?:{_DATE}\s*)?{_TIME}"  # a time, with its date or not
_DATE_POINT = rf"{_DATE}(?:\s*{_TIME})?"  # a date, with its time or not
#: A value's rule by keyword type (WeChat's table of keyword formats), checked after emptiness.
#: Patterns, not compiled ones: ``re`` compiles each on first use (compiling all at import cost
#: about 4 ms of the server's start-up).
RULES = {
    "thing": r"(?s)^.{1,20}$",
    "number": r"^\d{1,32}(?:\.\d+)?$",
    "letter": r"^[A-Za-z]{1,32}$",
    "symbol": r"^[^\w\s]{1,5}$",
    "character_string": r"^[\x20-\x7e]{1,32}$",
    "time": rf"^{_TIME_POINT}(?:\s*~\s*{_TIME_POINT})?$",  # a range: two points and "~"
    "date": rf"^{_DATE_POINT}(?:\s*~\s*{_DATE_POINT})?$",
    "amount": r"^[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?$",
    "phone_number": r"^[\d+\-() ]{1,17}$",
    "car_number": r"^[\u4e00-\u9fa5]?[A-Z0-9]{1,7}[\u4e00-\u9fa5]?$",
    "name": r"^(?:[\u4e00-\u9fa5·]{1,10}|[A-Za-z ]{1,20})$",
    "phrase": r"^[\u4e00-\u9fa5]{1,5}$",
}


def app_template(given: Any) -> Record:
    """A fixture's template: an id alone (any keywords, one-time) or the object ``gettemplate`` lists."""
    if isinstance(given, str):
        return {"priTmplId": given, "title": "", "content": "", "example": "", "type": ONE_TIME}
    return {"title": "", "content": "", "example": "", "type": ONE_TIME, **given}


def check_fixture_template(given: Any) -> Optional[str]:
    """What is wrong with a fixture's template, or None."""
    if isinstance(given, str):
        return None if given else "a template id must not be empty"
    if not isinstance(given, dict) or not isinstance(given.get("priTmplId"), str) or not given["priTmplId"]:
        return "a template must be an id or an object with a priTmplId"
    unknown = set(given) - {"priTmplId", "title", "content", "example", "type"}
    if unknown:
        return f"unknown template fields {sorted(unknown)}"
    if not all(isinstance(given.get(key, ""), str) for key in ("title", "content", "example")):
        return "a template's title, content and example must be strings"
    if given.get("type", ONE_TIME) not in (ONE_TIME, LONG_TERM):
        return "a template's type must be 2 (one-time) or 3 (long-term)"
    return None


def keywords_of(template: Record) -> List[Tuple[str, str]]:
    """(key, rule) of each keyword a template's content names, in order: ``("thing1", "thing")``."""
    return [(rule + kid, rule) for rule, kid in KEYWORD.findall(template["content"])]


def check_values(template: Record, data: Dict[str, Any]) -> None:
    """The message's values against the template's keywords (47003 naming the first bad one). A
    template known by id alone only needs its given values non-empty."""
    keywords = keywords_of(template) or [(key, "") for key in data]
    for key, rule in keywords:
        item = data.get(key)
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise WeChatError(47003, f"data.{key}.value is empty")
        pattern = RULES.get(rule)
        if pattern is not None and not re.match(pattern, value):
            raise WeChatError(47003, f"data.{key}.value invalid")


class SubscribeTemplates:
    def __init__(self, repo: WeChatRepository, random: RandomSource):
        self.repo = repo
        self.random = random

    def of_app(self, appid: str) -> Dict[str, Record]:
        """The app's templates by id."""
        return self.repo.templates(appid)

    # --- wxaapi/newtmpl/* ---------------------------------------------------------------------
    @staticmethod
    def categories() -> List[Dict[str, Any]]:
        return [{"id": ident, "name": name} for ident, name in CATEGORIES]

    @staticmethod
    def titles(ids: Any, start: Any, limit: Any) -> Tuple[int, List[Dict[str, Any]]]:
        """``getpubtemplatetitles``: the library's titles in the categories ``ids`` ("616,670")."""
        if not ids:
            raise WeChatError(200018)
        try:
            wanted = {int(part) for part in str(ids).split(",")}
        except ValueError:
            raise WeChatError(200019) from None
        if not wanted <= {ident for ident, _ in CATEGORIES}:
            raise WeChatError(200019)
        first, count = _whole(start, 200016), _whole(limit, 200017)
        if not 0 < count <= MAX_TITLES_PAGE:
            raise WeChatError(200017)
        found = [t for t in LIBRARY if t.category_id in wanted]
        return len(found), [{"tid": t.tid, "title": t.title, "type": t.type, "categoryId": str(t.category_id)}
                            for t in found[first:first + count]]

    @staticmethod
    def keywords(tid: Any) -> List[Dict[str, Any]]:
        """``getpubtemplatekeywords``: a public template's keywords."""
        template = _public(tid)
        return [{"kid": kid, "name": name, "example": example, "rule": rule}
                for kid, name, example, rule in template.keywords]

    def add(self, app: Record, tid: Any, kids: Any, scene_desc: Any) -> str:
        """``addtemplate``: a template of 2-5 of a public template's keywords, in the order given."""
        template = _public(tid)
        by_kid = {kid: (name, example, rule) for kid, name, example, rule in template.keywords}
        if (not isinstance(kids, list) or not 2 <= len(kids) <= 5 or len(set(map(str, kids))) != len(kids)
                or not all(_kid(kid) in by_kid for kid in kids)):
            raise WeChatError(200020)
        if scene_desc is not None and (not isinstance(scene_desc, str) or len(scene_desc) > MAX_SCENE_DESC):
            raise WeChatError(200021)
        chosen = [(kid, *by_kid[kid]) for kid in (int(k) for k in kids)]
        template_id = self.random.chars(43, URLSAFE)
        record = {"priTmplId": template_id, "title": template.title,
                  "content": "".join(f"{name}:{{{{{rule}{kid}.DATA}}}}\n" for kid, name, _, rule in chosen),
                  "example": "".join(f"{name}:{example}\n" for _, name, example, _ in chosen),
                  "type": template.type}
        if not self.repo.add_template(app["appid"], record, MAX_APP_TEMPLATES):
            raise WeChatError(200012)
        return template_id

    def delete(self, app: Record, template_id: Any) -> None:
        """``deltemplate``: one of the app's templates goes (20001 for one it does not have)."""
        if not isinstance(template_id, str) or not self.repo.delete_template(app["appid"], template_id):
            raise WeChatError(20001)


def _whole(value: Any, errcode: int) -> int:
    text = str(value) if value is not None else ""
    if not ascii_digits(text) or len(text) > 9:
        raise WeChatError(errcode)
    return int(text)


def _kid(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if ascii_digits(value) and len(value) < 10 else None


def _public(tid: Any) -> PublicTemplate:
    template = BY_TID.get(_kid(tid) or 0)
    if template is None:
        raise WeChatError(200014)
    return template
