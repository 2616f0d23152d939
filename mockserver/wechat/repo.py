"""The WeChat emulation's state: the only code that names its store namespaces.

=================  =====================  ==================================================
namespace          key                    value
=================  =====================  ==================================================
wx.apps            appid                  app: appid, secret, name, open_platform, ...
wx.users           alias                  user profile (nickname, avatar_url, phone, ...)
wx.openids         openid                 {alias, appid}: who an openid belongs to
wx.codes           login code             {appid, alias, session_key, issued_at, expires_at, used_at}
wx.phone_codes     phone code             {appid, alias, issued_at, expires_at, used_at}
wx.sessions        appid:openid           {session_key, created_at}: the latest login
wx.tokens          access token           {appid, kind, issued_at, expires_at, superseded}
wx.app_tokens      appid                  {"token": ..., "stable": ...}: the current ones
wx.quota           appid:day              calls of /cgi-bin/token that day
                   appid:login:minute     jscode2session calls that minute (login_minute_quota)
                   appid:wxacodes         codes getwxacode and createwxaqrcode made (wxacode_limit)
wx.messages        msgid                  subscribe messages sent
wx.templates       appid                  {priTmplId: template}: the app's subscribe templates
wx.subscriptions   appid:openid           {template id: consent}: what the user allowed
wx.custom          sequence number        customer-service messages sent (custom/send)
wx.cs_windows      appid:openid           {expires_at, remaining, interacted_at, typing}: the
                                          customer-service window a user's message opened
wx.media           media_id               temporary media: {appid, type, content_type, size, data, ...}
wx.media_use       "all"                  {count, bytes} of the media kept (their cap)
wx.push_queue      delivery id            {due_at}: pushes not yet sent, indexed by due time
wx.deliveries      delivery id            a push and its outcome (tries, status)
wx.sequences       "deliveries", ...      counters of the ids above
wx.links           the link               URL Link, URL Scheme or Short Link: {kind, appid,
                                          path, query, env_version, create_time, expire_time, opens,
                                          visit_openid (the last opener's, or ""), cloud_base?}
wx.user_keys       appid:openid           {keys: [the 3 newest encryption keys, newest first]}
wx.orders          transaction_id         a paid order and its shipping (shipping.py)
wx.combined_orders transaction_id         a combined payment: its payer and sub_orders' ids
wx.order_keys      mchid:out_trade_no     {transaction_id}: the merchant's key of an order or payment
wx.shipping        appid                  {msg_jump_path}: the app's shipping settings
=================  =====================  ==================================================

A push due is taken from the queue and marked as being sent in one ``update_many``, so of the
processes sharing a store exactly one sends it.

A user and the openid entries that point at it (and, when it goes, its sessions and keys), and an app and
the openids of every user in it, are written in one atomic step (``update_many``, ``put_many``),
so no crash leaves one without the other.

Codes and tokens are indexed by expiry (a code's ends when it is used): the live ones are listed
from the index, and the expired ones pruned as new ones are written (``core/pruning.py``).
Sessions have no lifetime (WeChat documents none): there is one per user and app at most, and
they go with their user.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.clock import Clock
from ..core.pruning import Pruner
from ..core.store import UNCHANGED, Expiring, State, Store

APPS, USERS, OPENIDS = "wx.apps", "wx.users", "wx.openids"
CODES, PHONE_CODES, SESSIONS = "wx.codes", "wx.phone_codes", "wx.sessions"
TOKENS, APP_TOKENS, QUOTA, MESSAGES = "wx.tokens", "wx.app_tokens", "wx.quota", "wx.messages"
TEMPLATES, SUBSCRIPTIONS = "wx.templates", "wx.subscriptions"
CUSTOM, CS_WINDOWS, MEDIA, MEDIA_USE = "wx.custom", "wx.cs_windows", "wx.media", "wx.media_use"
PUSH_QUEUE, DELIVERIES, SEQUENCES = "wx.push_queue", "wx.deliveries", "wx.sequences"
LINKS, USER_KEYS = "wx.links", "wx.user_keys"
ORDERS, COMBINED_ORDERS, ORDER_KEYS, SHIPPING = "wx.orders", "wx.combined_orders", "wx.order_keys", "wx.shipping"
NAMESPACES = (APPS, USERS, OPENIDS, CODES, PHONE_CODES, SESSIONS, TOKENS, APP_TOKENS, QUOTA, MESSAGES,
              TEMPLATES, SUBSCRIPTIONS, CUSTOM, CS_WINDOWS, MEDIA, MEDIA_USE, PUSH_QUEUE, DELIVERIES, SEQUENCES,
              LINKS, USER_KEYS, ORDERS, COMBINED_ORDERS, ORDER_KEYS, SHIPPING)

Record = Dict[str, Any]
Change = Callable[[Optional[Record]], Tuple[Any, Any]]
#: Taking a login code: (its record, its user) → (the new record or ``UNCHANGED``, result).
CodeChange = Callable[[Optional[Record], Optional[Record]], Tuple[Any, Any]]


def _session_key(appid: str, openid: str) -> str:
    return f"{appid}:{openid}"


def _get(store: Store, namespace: str, key: Any) -> Optional[Record]:
    """The entry under ``key``; None for a key that is not a non-empty string (clients send anything)."""
    return store.get(namespace, key) if _is_key(key) else None


def _is_key(key: Any) -> bool:
    return isinstance(key, str) and bool(key)


def code_expiry(record: Record) -> float:
    """A login or phone code stops being live when it is used, else when it expires."""
    return record["used_at"] if record["used_at"] is not None else record["expires_at"]


class WeChatRepository:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.pruner = Pruner(store, clock)
        store.index_expiry(CODES, code_expiry)
        store.index_expiry(PHONE_CODES, code_expiry)
        store.index_expiry(TOKENS, lambda record: record["expires_at"])
        store.index_expiry(PUSH_QUEUE, lambda record: record["due_at"])
        store.index_expiry(DELIVERIES, lambda record: record["finished_at"])  # pending ones: not indexed

    # --- the fixture ----------------------------------------------------------------------
    @staticmethod
    def state(apps: Dict[str, Record], users: Dict[str, Record], openids: Dict[str, Record],
              templates: Dict[str, Record]) -> State:
        return {APPS: apps, USERS: users, OPENIDS: openids, TEMPLATES: templates}

    @staticmethod
    def appids_in(state: State) -> List[str]:
        return list(state.get(APPS, {}))

    def snapshot(self) -> State:
        """Everything the WeChat emulation holds (for tests that check a request changed nothing)."""
        return {namespace: dict(self.store.items(namespace)) for namespace in NAMESPACES}

    # --- apps -----------------------------------------------------------------------------
    def app(self, appid: Any) -> Optional[Record]:
        return _get(self.store, APPS, appid)

    def apps(self) -> List[Record]:
        return self.store.values(APPS)

    def add_app(self, app: Record, openids: List[Tuple[str, Record]], templates: Record) -> bool:
        """The app, the openid of every user in it and its subscribe templates, in one bulk
        write; False (and nothing written) when the appid exists."""
        entries = [(APPS, app["appid"], app)] + [(OPENIDS, openid, owner) for openid, owner in openids]
        if templates:
            entries.append((TEMPLATES, app["appid"], templates))
        return self.store.put_many(entries, unless=(APPS, app["appid"]))

    # --- users ----------------------------------------------------------------------------
    def user(self, alias: Any) -> Optional[Record]:
        return _get(self.store, USERS, alias)

    def users(self) -> List[Record]:
        return self.store.values(USERS)

    def users_page(self, offset: int, limit: int) -> List[Record]:
        return [user for _, user in self.store.page(USERS, offset, limit)]

    def user_count(self) -> int:
        return self.store.count(USERS)

    def openid_owner(self, openid: Any) -> Optional[Record]:
        """``{alias, appid}`` of an openid."""
        return _get(self.store, OPENIDS, openid)

    def add_user(self, user: Record, openids: List[Tuple[str, Record]]) -> Optional[str]:
        """The user and its openid entries, at once. Nothing is written when the alias or one of
        the openids is taken (or given twice): the answer is then ``"alias"`` or that openid, else None."""
        keys = [(USERS, user["alias"])] + [(OPENIDS, openid) for openid, _ in openids]

        def add(current):
            if current[0] is not None:
                return [UNCHANGED] * len(keys), "alias"
            seen = set()
            for (openid, _), held in zip(openids, current[1:]):
                if held is not None or openid in seen:
                    return [UNCHANGED] * len(keys), openid
                seen.add(openid)
            return [user, *(owner for _, owner in openids)], None
        return self.store.update_many(keys, add)

    def merge_user(self, alias: str, changes: Record) -> Optional[Record]:
        """``changes`` merged into the stored user atomically (concurrent changes of other fields
        survive); None when there is no such user."""
        def merge(current):
            if current is None:
                return UNCHANGED, None
            updated = {**current, **changes}
            return updated, updated
        return self.store.update(USERS, alias, merge)

    def remove_user(self, alias: str, openids: List[Tuple[str, str]]) -> None:
        """The user, its openid entries, its sessions and encryption keys (``(appid, openid)``
        pairs), at once."""
        keys = ([(USERS, alias)] + [(OPENIDS, openid) for _, openid in openids]
                + [(SESSIONS, _session_key(appid, openid)) for appid, openid in openids]
                + [(USER_KEYS, _session_key(appid, openid)) for appid, openid in openids])
        self.store.update_many(keys, lambda current: ([None] * len(keys), None))

    # --- login codes, phone codes and sessions ----------------------------------------------
    def code(self, code: Any) -> Optional[Record]:
        return _get(self.store, CODES, code)

    def code_or_phone_code(self, code: Any) -> Optional[Record]:
        """The login code, else the phone code, under ``code`` (one read)."""
        if not _is_key(code):
            return None
        login, phone = self.store.get_many([(CODES, code), (PHONE_CODES, code)])
        return login or phone

    def app_and_user(self, appid: Any, alias: Any) -> Tuple[Optional[Record], Optional[Record]]:
        """An app and a user by alias (one read)."""
        if not (_is_key(appid) and _is_key(alias)):
            return self.app(appid), self.user(alias)
        app, user = self.store.get_many([(APPS, appid), (USERS, alias)])
        return app, user

    def app_and_code(self, appid: Any, code: Any) -> Tuple[Optional[Record], Optional[Record]]:
        """An app and a login code, as a code exchange needs them first (one read)."""
        keys = [(APPS, appid)] if _is_key(appid) else []
        keys += [(CODES, code)] if _is_key(code) else []
        found = iter(self.store.get_many(keys))
        return (next(found) if _is_key(appid) else None), (next(found) if _is_key(code) else None)

    def live_codes(self, now: float, limit: int) -> Expiring:
        """Login codes neither used nor expired at ``now``: how many, and the ``limit`` that
        expire soonest."""
        return self.store.expiring(CODES, now, limit)

    def take_code(self, code: str, alias: str, change: CodeChange) -> Any:
        """Atomically change a login code, given it and its user (``alias``): ``change(code
        record, user)`` → (new code record or ``UNCHANGED``, result)."""
        def take(current):
            new_record, result = change(current[0], current[1])
            return [new_record, UNCHANGED], result
        return self.store.update_many([(CODES, code), (USERS, alias)], take)

    def put_code_and_session(self, code: str, record: Record, openid: str) -> None:
        """A minted login code and the session key it renews, at once (as ``wx.login()`` does)."""
        session = {"session_key": record["session_key"], "created_at": record["issued_at"]}
        self.store.put_many([(CODES, code, record), (SESSIONS, _session_key(record["appid"], openid), session)])
        self.pruner.wrote(CODES)

    def adopt_code(self, code: str, record: Record, openid: str) -> bool:
        """An unknown code taken as ``record`` with its session, unless someone took it first."""
        session = {"session_key": record["session_key"], "created_at": record["issued_at"]}
        keys = [(CODES, code), (SESSIONS, _session_key(record["appid"], openid))]

        def adopt(current):
            if current[0] is not None:
                return [UNCHANGED, UNCHANGED], False
            return [record, session], True
        adopted = self.store.update_many(keys, adopt)
        self.pruner.wrote(CODES)
        return adopted

    def put_phone_code(self, code: str, record: Record) -> None:
        self.store.put(PHONE_CODES, code, record)
        self.pruner.wrote(PHONE_CODES)

    def update_phone_code(self, code: str, change: Change) -> Any:
        return self.store.update(PHONE_CODES, code, change)

    def session(self, appid: str, openid: str) -> Optional[Record]:
        return self.store.get(SESSIONS, _session_key(appid, openid))

    def put_session(self, appid: str, openid: str, session_key: str, created_at: float) -> None:
        self.store.put(SESSIONS, _session_key(appid, openid), {"session_key": session_key, "created_at": created_at})

    # --- access tokens and quotas ------------------------------------------------------------
    def token(self, token: Any) -> Optional[Record]:
        return _get(self.store, TOKENS, token)

    def tokens(self) -> List[Tuple[str, Record]]:
        return self.store.items(TOKENS)

    def live_tokens(self, now: float, limit: int) -> Expiring:
        """Access tokens not expired at ``now``: how many, and the ``limit`` that expire soonest."""
        return self.store.expiring(TOKENS, now, limit)

    def put_token(self, token: str, record: Record) -> None:
        self.store.put(TOKENS, token, record)
        self.pruner.wrote(TOKENS)

    def delete_token(self, token: str) -> None:
        self.store.delete(TOKENS, token)

    def update_token(self, token: str, change: Change) -> Any:
        return self.store.update(TOKENS, token, change)

    def current_tokens(self, appid: str) -> Record:
        """``{"token": ..., "stable": ...}``: the app's current tokens of each kind."""
        return self.store.get(APP_TOKENS, appid) or {}

    def update_current_tokens(self, appid: str, change: Change) -> Any:
        return self.store.update(APP_TOKENS, appid, change)

    def count_within(self, counter: str, limit: int) -> bool:
        """One more against a counter that never resets, unless it holds ``limit`` already (False)."""
        def count(held):
            held = held or 0
            return (UNCHANGED, False) if held >= limit else (held + 1, True)
        return self.store.update(QUOTA, counter, count)

    def count_call(self, counter: str, period: int) -> int:
        """Calls counted against ``counter`` in this period (a day, a minute) so far, this one
        included; the first call of a period drops the last period's count, so counters do not
        pile up."""
        calls = self.store.incr(QUOTA, f"{counter}:{period}")
        if calls == 1:
            self.store.delete(QUOTA, f"{counter}:{period - 1}")
        return calls

    def count_calls_within(self, limits: List[Tuple[str, int, int]]) -> Optional[int]:
        """One more call against each ``(counter, period, limit)``, all at once, if every one stays
        within its limit (None); otherwise nothing is counted and the answer is the index of the
        first that is full."""
        keys = [(QUOTA, f"{counter}:{period}") for counter, period, _ in limits]

        def spend(current):
            for index, (calls, (_, _, limit)) in enumerate(zip(current, limits)):
                if (calls or 0) >= limit:
                    return [UNCHANGED] * len(keys), index
            return [(calls or 0) + 1 for calls in current], None
        full = self.store.update_many(keys, spend)
        if full is None:  # a period's first call drops the last period's count, as count_call does
            for counter, period, _ in limits:
                if self.calls(counter, period) == 1:
                    self.store.delete(QUOTA, f"{counter}:{period - 1}")
        return full

    def calls(self, counter: str, period: int) -> int:
        """Calls counted against ``counter`` in this period so far."""
        return self.store.get(QUOTA, f"{counter}:{period}") or 0

    def reset_calls(self, counters: List[str], period: int) -> None:
        """These counters of this period back to zero, at once."""
        keys = [(QUOTA, f"{counter}:{period}") for counter in counters]
        self.store.update_many(keys, lambda current: ([None] * len(keys), None))

    # --- subscribe templates, consents and messages -----------------------------------------
    def templates(self, appid: str) -> Dict[str, Record]:
        return self.store.get(TEMPLATES, appid) or {}

    def add_template(self, appid: str, template: Record, limit: int) -> bool:
        """One more template for the app, unless it has ``limit`` already (False)."""
        def add(held):
            held = held or {}
            if len(held) >= limit:
                return UNCHANGED, False
            return {**held, template["priTmplId"]: template}, True
        return self.store.update(TEMPLATES, appid, add)

    def delete_template(self, appid: str, template_id: str) -> bool:
        def delete(held):
            if not held or template_id not in held:
                return UNCHANGED, False
            return {k: v for k, v in held.items() if k != template_id}, True
        return self.store.update(TEMPLATES, appid, delete)

    def update_consents(self, appid: str, openid: str, change: Change) -> Any:
        return self.store.update(SUBSCRIPTIONS, f"{appid}:{openid}", change)

    def consents(self, appid: str, openid: str) -> Record:
        return self.store.get(SUBSCRIPTIONS, f"{appid}:{openid}") or {}

    def take_consent_and_send(self, appid: str, openid: str, record: Record, change: Change) -> bool:
        """The user's consents changed by ``change`` (→ new consents or ``UNCHANGED``, whether it
        found a consent) and, when it did, the message written, in one atomic step."""
        keys = [(SUBSCRIPTIONS, f"{appid}:{openid}"), (MESSAGES, str(record["msgid"]))]

        def take(current):
            consents, found = change(current[0])
            return ([consents, record] if found else [UNCHANGED, UNCHANGED]), found
        return self.store.update_many(keys, take)

    def messages_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        """How many messages were sent, and ``limit`` of them from the ``offset``-th on."""
        return self.store.count(MESSAGES), [message for _, message in self.store.page(MESSAGES, offset, limit)]

    # --- customer-service messages and their windows -------------------------------------------
    def next_number(self, sequence: str) -> int:
        return self.store.incr(SEQUENCES, sequence)

    def update_cs_window(self, appid: str, openid: str, change: Change) -> Any:
        return self.store.update(CS_WINDOWS, _session_key(appid, openid), change)

    def put_custom_message(self, number: int, record: Record) -> None:
        self.store.put(CUSTOM, f"{number:012d}", record)

    def custom_messages_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.store.count(CUSTOM), [record for _, record in self.store.page(CUSTOM, offset, limit)]

    # --- temporary media -------------------------------------------------------------------------
    def media_use(self) -> Record:
        """How many media files are kept, and their bytes: ``{count, bytes}``."""
        return self.store.get(MEDIA_USE, "all") or {"count": 0, "bytes": 0}

    def add_media(self, record: Record, fits: Callable[[Record], bool]) -> bool:
        """Keep a media file if ``fits(use)`` says there is room, in one step with the count."""
        def change(values: List[Any]) -> Tuple[List[Any], bool]:
            use = values[1] or {"count": 0, "bytes": 0}
            if not fits(use):
                return [UNCHANGED, UNCHANGED], False
            return [record, {"count": use["count"] + 1, "bytes": use["bytes"] + record["size"]}], True
        return self.store.update_many([(MEDIA, record["media_id"]), (MEDIA_USE, "all")], change)

    def media(self, media_id: Any) -> Optional[Record]:
        return _get(self.store, MEDIA, media_id)

    def media_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.store.count(MEDIA), [record for _, record in self.store.page(MEDIA, offset, limit)]

    # --- message push ----------------------------------------------------------------------------
    def enqueue_delivery(self, record: Record) -> None:
        """A push and its place in the queue, at once."""
        key = record["id"]
        self.store.put_many([(DELIVERIES, key, record), (PUSH_QUEUE, key, {"due_at": record["due_at"]})])

    def put_delivery(self, record: Record) -> None:
        """A push settled without a queue (no push URL: nothing to send)."""
        self.store.put(DELIVERIES, record["id"], record)
        self.pruner.wrote(DELIVERIES)

    def next_due(self, limit: int) -> List[Tuple[str, float]]:
        """The ``limit`` queued pushes due soonest: (id, due_at), in (due time, id) order."""
        return [(key, entry["due_at"]) for key, entry in self.store.expiring(PUSH_QUEUE, -1.0, limit).entries]

    def claim_delivery(self, key: str, claim: Change) -> Any:
        """Take a push off the queue and change its record (``claim(record)``), in one atomic step;
        None when another process took it first."""
        def take(current):
            if current[0] is None or current[1] is None:
                return [UNCHANGED, UNCHANGED], None
            new_record, result = claim(current[1])
            return [None, new_record], result
        return self.store.update_many([(PUSH_QUEUE, key), (DELIVERIES, key)], take)

    def merge_delivery(self, key: str, fields: Record) -> None:
        """``fields`` merged into a delivery's record atomically (nothing when it is gone: a reset)."""
        self.store.update(DELIVERIES, key, lambda current: (UNCHANGED, None) if current is None
                          else ({**current, **fields}, None))
        self.pruner.wrote(DELIVERIES)

    def deliveries_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.store.count(DELIVERIES), [record for _, record in self.store.page(DELIVERIES, offset, limit)]

    # --- links into the mini program ------------------------------------------------------------
    def link(self, link: Any) -> Optional[Record]:
        return _get(self.store, LINKS, link)

    def put_link(self, link: str, record: Record) -> None:
        self.store.put(LINKS, link, record)

    def update_link(self, link: str, change: Change) -> Any:
        return self.store.update(LINKS, link, change)

    def links_page(self, offset: int, limit: int) -> Tuple[int, List[Tuple[str, Record]]]:
        return self.store.count(LINKS), self.store.page(LINKS, offset, limit)

    # --- users' encryption keys -----------------------------------------------------------------
    def update_user_keys(self, appid: str, openid: str, change: Change) -> Any:
        return self.store.update(USER_KEYS, _session_key(appid, openid), change)

    # --- paid orders and their shipping -----------------------------------------------------------
    def add_orders(self, orders: List[Record], combined: Optional[Record] = None) -> bool:
        """Orders (and the combined payment they belong to) with their merchant keys, at once;
        False (nothing written) when any id or merchant key is taken."""
        entries = [(ORDERS, order) for order in orders] + ([(COMBINED_ORDERS, combined)] if combined else [])
        keys = [(namespace, order["transaction_id"]) for namespace, order in entries] + [
            (ORDER_KEYS, f"{order['merchant_id']}:{order['merchant_trade_no']}") for _, order in entries]
        ids = [order["transaction_id"] for _, order in entries]
        values = [order for _, order in entries] + [{"transaction_id": order["transaction_id"]} for _, order in entries]

        def add(current):
            taken = any(value is not None for value in current) or len(set(ids)) != len(ids) \
                or len(set(keys)) != len(keys)
            return ([UNCHANGED] * len(keys), False) if taken else (values, True)
        return self.store.update_many(keys, add)

    def combined_order(self, transaction_id: Any) -> Optional[Record]:
        return _get(self.store, COMBINED_ORDERS, transaction_id)

    def update_orders(self, transaction_ids: List[str],
                      change: Callable[[List[Optional[Record]]], Tuple[Any, Any]]) -> Any:
        """Several orders changed in one atomic step: ``change(orders)`` → (new values, result)."""
        return self.store.update_many([(ORDERS, transaction_id) for transaction_id in transaction_ids], change)

    def order(self, transaction_id: Any) -> Optional[Record]:
        return _get(self.store, ORDERS, transaction_id)

    def order_by_merchant(self, merchant_id: str, trade_no: str) -> Optional[str]:
        """The transaction id of a merchant's order number (an order's or a combined payment's), or None."""
        found = _get(self.store, ORDER_KEYS, f"{merchant_id}:{trade_no}")
        return found["transaction_id"] if found else None

    def update_order(self, transaction_id: str, change: Change) -> Any:
        return self.store.update(ORDERS, transaction_id, change)

    def app_orders(self, appid: str) -> List[Record]:
        """An app's orders, oldest first (a scan: orders are made one by one through the control plane)."""
        return [order for order in self.store.values(ORDERS) if order["appid"] == appid]

    def orders_page(self, offset: int, limit: int) -> Tuple[int, List[Record]]:
        return self.store.count(ORDERS), [order for _, order in self.store.page(ORDERS, offset, limit)]

    def put_shipping_settings(self, appid: str, settings: Record) -> None:
        self.store.put(SHIPPING, appid, settings)
