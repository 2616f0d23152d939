"""``POST /graphql/v2``: the one GraphQL route (the schema and resolvers: ``authing/graphql.py``)."""
from __future__ import annotations

from flask import Blueprint

from ...http import request_json
from . import RouteTable, authing, caller, register


def graphql_v2():
    from ..graphql import execute  # graphql-core costs a tenth of a second to import: not at start-up

    return execute(authing(), caller(), request_json())  # not a dict: a GraphQL error


ROUTES: RouteTable = {"/graphql/v2": (("POST",), graphql_v2)}
blueprint = register(Blueprint("authing_graphql", __name__), ROUTES)
