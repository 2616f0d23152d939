"""``POST /graphql/v2``: the operations the Authing SDKs send, answered by graphql-core.

Queries are parsed, validated against Authing's schema (``schema/*.graphql``) and executed; so
operations are matched by their top-level field whatever the client's printing of them, and the
answer holds exactly the fields the client selected. A resolver's ``AuthingError`` becomes
Authing's GraphQL error, ``{"message": {"code", "message", "data"}}``.

A query is parsed once and at most ``MAX_QUERY_TOKENS`` tokens of it: validation compares fields
pairwise (thousands of aliases took seconds), and the largest document the SDKs send has 161 tokens
(of authing-js-sdk 4.23.55's 142, which select every field of the types they ask for; the Python
SDK's introspection query has 163).
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Dict, Optional

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, build_schema, execute_sync, parse, validate
from graphql.type import GraphQLObjectType, GraphQLScalarType, GraphQLSchema

from ..core.store import StoreUnavailable
from . import views
from .caller import Caller
from .errors import BAD_REQUEST, SYSTEM_BUSY, AuthingError
from .graphql_logins import RESOLVERS as RESOLVERS_OF_LOGINS
from .service import AuthingService

log = logging.getLogger(__name__)
MAX_QUERY_TOKENS = 500

SCHEMA_DIR = Path(__file__).with_name("schema")


def sdl() -> str:
    """Every ``*.graphql`` of ``schema/``, sorted by name, joined: one file per part of Authing's schema."""
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(SCHEMA_DIR.glob("*.graphql")))


def _resolver(method):
    def resolve(_root, info, **args):
        return method(info.context["service"], info.context["caller"], args)
    return resolve


def _refreshed(service: AuthingService, caller: Caller, args: Dict[str, Any]) -> Dict[str, Any]:
    issued = service.tokens.refresh(caller, args.get("id"))
    return {"token": issued.token, "iat": issued.claims["iat"], "exp": issued.claims["exp"]}


_RESOLVERS = {
    ("Query", "user"): lambda service, caller, args: views.graphql_user(service.account.user(caller, args.get("id"))),
    ("Query", "checkLoginStatus"): lambda service, caller, args: views.login_status(
        service.tokens.check_login_status(caller, args.get("token"))),
    ("Mutation", "updateUser"): lambda service, caller, args: views.graphql_user(
        service.account.update_user(caller, args.get("id"), args["input"])),
    ("Mutation", "bindPhone"): lambda service, caller, args: views.graphql_user(
        service.account.bind_phone(caller, args["phone"], args["phoneCode"])),
    ("Mutation", "refreshToken"): _refreshed,
    **RESOLVERS_OF_LOGINS,
}


@functools.lru_cache(maxsize=None)
def schema() -> GraphQLSchema:
    """The schema with its resolvers, built by the first GraphQL request (not at start-up)."""
    built = build_schema(sdl())
    for (type_name, field), method in _RESOLVERS.items():
        owner = built.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType)
        owner.fields[field].resolve = _resolver(method)
    # Token times in seconds: GraphQL's Int stops at 2**31 - 1 (2038), the mock's clock goes further.
    # Only answers carry them and clients never name the type, so this changes nothing they see.
    epoch = built.get_type("Epoch")
    assert isinstance(epoch, GraphQLScalarType)
    # graphql-core types serialize as a static method, though it replaces it per scalar itself.
    epoch.serialize = int  # type: ignore[method-assign,assignment]
    return built


def _error(err: GraphQLError, language: Optional[str] = None) -> Dict[str, Any]:
    original = err.original_error
    if isinstance(original, AuthingError):
        body = views.graphql_error(original, language)
    elif original is not None and err.path:  # executing a field failed: the mock's bug, logged, answered as one
        log.error("unexpected error in a GraphQL resolver", exc_info=original)
        body = {"message": {"code": SYSTEM_BUSY, "message": "系统繁忙，请稍后再试", "data": None}}
    else:  # the request is wrong (syntax, unknown field, a variable of the wrong type)
        body = {"message": {"code": BAD_REQUEST, "message": err.message, "data": None}}
    formatted = err.formatted
    for key in ("locations", "path"):
        if formatted.get(key):
            body[key] = formatted[key]
    return body


def _is_introspection(document: DocumentNode, operation_name: Any) -> bool:
    """The schema query the Python 4.x SDK sends first; ``{"data": null}`` turns its checks off."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    if len(operations) != 1:
        return False
    fields = [s for s in operations[0].selection_set.selections if hasattr(s, "name")]
    return bool(fields) and all(f.name.value in ("__schema", "__type") for f in fields)


def execute(service: AuthingService, caller: Caller, body: Any) -> Dict[str, Any]:
    """The answer to one GraphQL request body (always a JSON object, errors included)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"data": None,
                "errors": [views.graphql_error(AuthingError(BAD_REQUEST, "请求体必须是 {query, variables} JSON"))]}
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return {"data": None, "errors": [views.graphql_error(AuthingError(BAD_REQUEST, "variables 必须是对象"))]}
    operation_name = body.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        operation_name = None
    try:
        document = parse(body["query"], max_tokens=MAX_QUERY_TOKENS)
    except GraphQLError as err:
        return {"data": None, "errors": [_error(err)]}
    if _is_introspection(document, operation_name):
        return {"data": None}
    built = schema()
    invalid = validate(built, document)
    if invalid:
        return {"data": None, "errors": [_error(err) for err in invalid]}
    result = execute_sync(built, document, variable_values=variables or {}, operation_name=operation_name,
                          context_value={"service": service, "caller": caller})
    for failure in result.errors or ():
        if isinstance(failure.original_error, StoreUnavailable):  # answered as on every route: one error, no data
            raise failure.original_error
    answer: Dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_error(err, caller.language) for err in result.errors]
    return answer
