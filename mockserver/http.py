"""Reading a request's body the way the real services do, at a cost bounded by its size: JSON
whatever the Content-Type says (wechatpy sends none), parsed once per request however many hooks
and routes look at it, nesting at most ``MAX_JSON_DEPTH`` deep; forms of at most Flask's ``MAX_FORM_PARTS`` (1000)
fields, URL-encoded or multipart (``BoundedRequest``)."""
from __future__ import annotations

import io
from typing import Any

from flask import Request, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from .core.json_reading import INVALID_JSON, parse_json  # noqa: F401 (the routes read bodies through here)

#: ``request_json()`` for a request with an empty (or whitespace) body.
NO_BODY = object()
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
            g.mock_json = parse_json(raw)
    return g.mock_json


def query_and_json_fields() -> dict:
    """Query parameters, plus the fields of a JSON object body (the query wins a clash)."""
    body = request_json()
    fields = dict(body) if isinstance(body, dict) else {}
    fields.update(request.args.to_dict())
    return fields


class BoundedFormParser(FormDataParser):
    """werkzeug's form parser, with its part limit applied to URL-encoded bodies too (werkzeug
    counts the parts of multipart bodies only): a body of more fields is refused (413, which each
    wire format answers in its own way) before it is split, not split into a million fields."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class BoundedRequest(Request):
    """The app's request class: Flask's, parsing forms with ``BoundedFormParser``."""

    form_data_parser_class = BoundedFormParser
