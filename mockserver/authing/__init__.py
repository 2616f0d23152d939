"""Emulation of the Authing identity service, as far as its SDKs and OIDC clients call it.

``SERVICE`` describes it to the app (see ``mockserver/emulation.py``).
"""
from __future__ import annotations

from typing import Any, Dict

from ..core.errors import ControlError
from ..emulation import CallerFacts, EmulatedService, FaultError, OpenApiPart, RequestView, WireFormat
from . import control, dashboard, views
from .errors import AuthingError
from .routes import connections, graphql, oidc, v2, v3
from .service import AuthingService
from .stubs import STUBS


def caller(service: AuthingService, view: RequestView) -> CallerFacts:
    """The app a request names: Authing's app-id header, or an ``app_id``/``appId`` field."""
    facts = CallerFacts()
    facts.add_app(view.headers.get("x-authing-app-id"))
    facts.add_app(view.fields.get("app_id") or view.fields.get("appId"))
    return facts


def parse_fault(spec: Dict[str, Any]) -> Dict[str, Any]:
    error = spec["authing"]
    if (not isinstance(error, dict) or set(error) - {"code", "message"}
            or not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool)
            or not isinstance(error.get("message", ""), str)):
        raise ControlError("'authing' must be {\"code\": integer, \"message\": string}")
    return {"authing": {"code": error["code"], "message": error.get("message") or "系统错误"}}


def openapi_part() -> OpenApiPart:
    from . import openapi  # only /__mock__/openapi.json needs it: not at start-up

    return openapi.PART


SERVICE = EmulatedService(
    name="authing",
    title="Authing",
    wire_formats=tuple(WireFormat(prefixes, views.render_http_error, views.render_internal_error,
                                  views.render_backend_error)
                       for prefixes in (views.V2_PREFIXES, views.V3_PREFIXES, views.GRAPHQL_PREFIXES,
                                        views.OIDC_PREFIXES)),
    blueprints=(connections.blueprint, v2.blueprint, v3.blueprint, graphql.blueprint, oidc.blueprint),
    error_handlers={AuthingError: views.render_error},
    build=AuthingService,
    initial_state=lambda service, section, where, earlier: service.initial_state(section, where, earlier),
    caller=caller,
    error_code=views.error_code,
    fault_error=FaultError("authing", (), parse_fault,
                           lambda stored: AuthingError(stored["authing"]["code"], stored["authing"]["message"])),
    malformed_body=views.MALFORMED_BODY,
    control_blueprints=(control.blueprint,),
    hosts=("*.authing.cn",),
    openapi=openapi_part,
    describe_apps=control.apps,
    dashboard=control.dashboard,
    stubs=STUBS,
    dashboard_sections=dashboard.SECTIONS,
)
