"""Reading a request's JSON body the way the real services do: whatever the Content-Type says
(wechatpy sends none), parsed once per request however many hooks and routes look at it."""
from __future__ import annotations

import json
from typing import Any

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge

#: ``request_json()`` for a request with an empty (or whitespace) body.
NO_BODY = object()
#: ``request_json()`` for a body that is not JSON.
INVALID_JSON = object()


def raw_body() -> bytes:
    """The body bytes, for recording (empty when it is over the size limit: the route answers that)."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        return b""


def request_json() -> Any:
    """The body parsed as JSON, ``NO_BODY`` or ``INVALID_JSON`` (a body over the size limit
    raises werkzeug's ``RequestEntityTooLarge``, which each wire format answers in its own way)."""
    if "mock_json" not in g:
        raw = request.get_data(cache=True)
        if not raw.strip():
            g.mock_json = NO_BODY
        else:
            try:
                g.mock_json = json.loads(raw)
            except ValueError:  # UnicodeDecodeError included
                g.mock_json = INVALID_JSON
    return g.mock_json


def query_and_json_fields() -> dict:
    """Query parameters, plus the fields of a JSON object body (the query wins a clash)."""
    body = request_json()
    fields = dict(body) if isinstance(body, dict) else {}
    fields.update(request.args.to_dict())
    return fields
