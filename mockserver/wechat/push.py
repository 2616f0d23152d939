"""Message push, WeChat → the app's backend: the push configuration of an app, the events WeChat
pushes to a mini program's backend, and how one is written on the wire (XML or JSON; plain,
compatible or safe mode). Sending them is ``delivery.py``'s job; nothing here does I/O.

On the wire (what wechatpy's ``WeChatCrypto`` and ``parse_message`` read):

- the query always carries ``signature`` (sha1 of the sorted Token, timestamp, nonce),
  ``timestamp`` and ``nonce``; compatible and safe mode add ``encrypt_type=aes`` and
  ``msg_signature`` (the same with the ciphertext);
- plain mode posts the message; safe mode ``{ToUserName, Encrypt}``; compatible mode the message
  with ``Encrypt`` added; the ciphertext holds the message in the same format (``crypto.encrypt_push``).
- XML writes strings as CDATA, numbers bare, an object as nested elements and a list as one
  element per item; JSON is compact.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit

from ..core.fixtures import FixtureError
from . import crypto
from .crypto import dumps

MODES = ("plain", "compatible", "safe")
FORMATS = ("XML", "JSON")
PUSH_FIELDS = {"url", "token", "aes_key", "mode", "format"}
TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # "英文或数字，长度为3-32字符"
AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
#: Events whose list of items XML wraps as ``<Wrapper><List>…</List>…</Wrapper>`` (JSON: ``"Wrapper": [...]``).
LIST_WRAPPERS = ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent")
CONTENT_TYPES = {"XML": "text/xml; charset=utf-8", "JSON": "application/json; charset=utf-8"}

Message = Dict[str, Any]


def check_push(push: Any, where: str) -> Optional[Dict[str, Any]]:
    """An app's ``push`` field, checked, with its defaults (mode ``safe``, format ``XML``); None
    for an app without one. FixtureError naming the problem otherwise."""
    if push is None:
        return None
    if not isinstance(push, dict):
        raise FixtureError(f"{where}: push must be an object {{url, token, aes_key, mode, format}}")
    unknown = set(push) - PUSH_FIELDS
    if unknown:
        raise FixtureError(f"{where}: unknown push fields {sorted(unknown)} (known: {sorted(PUSH_FIELDS)})")
    checked = {"mode": "safe", "format": "XML", "aes_key": None, **push}
    url = checked.get("url")
    if not (isinstance(url, str) and len(url) <= 2048 and _is_http_url(url)):
        raise FixtureError(f"{where}: push.url must be an http:// or https:// URL")
    if not (isinstance(checked.get("token"), str) and TOKEN.match(checked["token"])):
        raise FixtureError(f"{where}: push.token must be 3-32 letters or digits")
    if checked["mode"] not in MODES:
        raise FixtureError(f"{where}: push.mode must be one of {list(MODES)}")
    if checked["format"] not in FORMATS:
        raise FixtureError(f"{where}: push.format must be one of {list(FORMATS)}")
    aes_key = checked["aes_key"]
    if aes_key is None and checked["mode"] != "plain":
        raise FixtureError(f"{where}: push.aes_key is needed in {checked['mode']} mode")
    if aes_key is not None and not (isinstance(aes_key, str) and AES_KEY.match(aes_key)):
        raise FixtureError(f"{where}: push.aes_key must be 43 letters or digits (an EncodingAESKey)")
    return checked


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url.isprintable() and " " not in url


# --- the events ----------------------------------------------------------------------------------
def original_id(random_derive, appid: str) -> str:
    """The mini program's original id (``gh_`` + 12 hex), ``ToUserName`` of every push; derived from
    the seed, as openids are."""
    return "gh_" + random_derive("original_id", appid, length=12, alphabet="0123456789abcdef")


def header(to: str, openid: str, now: int, msg_type: str) -> Message:
    return {"ToUserName": to, "FromUserName": openid, "CreateTime": now, "MsgType": msg_type}


def user_text(to: str, openid: str, now: int, content: str, msgid: int) -> Message:
    """A customer-service text message from a user."""
    return {**header(to, openid, now, "text"), "Content": content, "MsgId": msgid}


def enter_session(to: str, openid: str, now: int, session_from: str) -> Message:
    """``user_enter_tempsession``: the user opened the customer-service chat (the contact button's
    ``session-from`` is ``SessionFrom``)."""
    return {**header(to, openid, now, "event"), "Event": "user_enter_tempsession", "SessionFrom": session_from}


def media_check(to: str, openid: str, now: int, appid: str, trace_id: str, suggest: str, label: int,
                v2: bool) -> Message:
    """``wxa_media_check``: the result of ``media_check_async``, in the fields of its version."""
    event = {**header(to, openid, now, "event"), "Event": "wxa_media_check", "appid": appid, "trace_id": trace_id}
    if not v2:
        return {**event, "isrisky": 0 if suggest == "pass" else 1, "extra_info_json": "", "status_code": 0}
    return {**event, "version": 2,
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}],
            "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label}}


def subscribe_popup(to: str, openid: str, now: int, choices: List[Tuple[str, str]], scene: int = 0) -> Message:
    """``subscribe_msg_popup_event``: the user tapped the consent pop-up; ``choices`` are
    (template id, ``accept``/``reject``)."""
    items = [{"TemplateId": template, "SubscribeStatusString": status, "PopupScene": str(scene)}
             for template, status in choices]
    return {**header(to, openid, now, "event"), "Event": "subscribe_msg_popup_event",
            "SubscribeMsgPopupEvent": items}


def subscribe_change(to: str, openid: str, now: int, choices: List[Tuple[str, str]]) -> Message:
    """``subscribe_msg_change_event``: the user changed a consent in the settings (usually ``reject``)."""
    items = [{"TemplateId": template, "SubscribeStatusString": status} for template, status in choices]
    return {**header(to, openid, now, "event"), "Event": "subscribe_msg_change_event",
            "SubscribeMsgChangeEvent": items}


# --- the wire ------------------------------------------------------------------------------------
def render(message: Message, fmt: str) -> str:
    if fmt == "JSON":
        return dumps(message)
    return "<xml>" + "".join(_xml(name, value) for name, value in message.items()) + "</xml>"


def _xml(name: str, value: Any) -> str:
    if isinstance(value, list):
        if name in LIST_WRAPPERS:
            return f"<{name}>{''.join(_xml('List', item) for item in value)}</{name}>"
        return "".join(_xml(name, item) for item in value)
    if isinstance(value, dict):
        return f"<{name}>{''.join(_xml(key, item) for key, item in value.items())}</{name}>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"<{name}>{value}</{name}>"
    text = str(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<{name}><![CDATA[{text}]]></{name}>"


class Envelope(NamedTuple):
    """One push as sent: its query string parameters, body and content type."""
    query: Dict[str, str]
    body: str
    content_type: str


def envelope(push: Dict[str, Any], appid: str, message: Message, timestamp: int, nonce: str,
             random16: bytes) -> Envelope:
    """``message`` signed (and encrypted) for the app's push configuration."""
    fmt, token = push["format"], push["token"]
    query = {"signature": crypto.push_signature(token, str(timestamp), nonce), "timestamp": str(timestamp),
             "nonce": nonce}
    text = render(message, fmt)
    if push["mode"] == "plain":
        return Envelope(query, text, CONTENT_TYPES[fmt])
    encrypted = crypto.encrypt_push(push["aes_key"], appid, text, random16)
    query.update(encrypt_type="aes", msg_signature=crypto.push_signature(token, str(timestamp), nonce, encrypted))
    outer = {"ToUserName": message["ToUserName"], "Encrypt": encrypted} if push["mode"] == "safe" \
        else {**message, "Encrypt": encrypted}
    return Envelope(query, render(outer, fmt), CONTENT_TYPES[fmt])


def verification_query(token: str, timestamp: int, nonce: str, echostr: str) -> Dict[str, str]:
    """The GET WeChat sends to check a push URL (the answer must be ``echostr``)."""
    return {"signature": crypto.push_signature(token, str(timestamp), nonce), "echostr": echostr,
            "timestamp": str(timestamp), "nonce": nonce}
