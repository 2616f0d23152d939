"""The control plane's OpenAPI description matches the routes the app really serves."""
from __future__ import annotations

import re

CONTROL = "/__mock__"
METHODS = {"get", "post", "put", "patch", "delete"}


def served(app):
    """(path in OpenAPI syntax, method) of every control-plane route."""
    pairs = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(CONTROL):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            pairs |= {(path, method.lower()) for method in rule.methods if method.lower() in METHODS}
    return pairs


def test_openapi_describes_exactly_the_served_control_routes(client, app):
    spec = client.get("/__mock__/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert described - served(app) == set(), "described but not served"
    assert served(app) - described == set(), "served but not described in mockserver/control/openapi.py"


def test_every_reference_and_path_parameter_resolves(client):
    spec = client.get("/__mock__/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    text = str(spec)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schemas, name
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            assert operation["responses"], (method, path)


def test_fault_rule_schema_names_every_accepted_field(client):
    from mockserver import registry
    from mockserver.control.faults import rule_fields

    spec = client.get("/__mock__/openapi.json").get_json()
    assert set(spec["components"]["schemas"]["FaultRuleIn"]["properties"]) == rule_fields(registry.load())
