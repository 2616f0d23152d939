"""Authing's GraphQL schema against the documents real SDKs send, read from the installed npm packages.

authing-js-sdk 4.23.55 (pinned in tests/js/package.json) and the authing-js-sdk 4.15.8 that
authing-wxapp-sdk sends its GraphQL calls with ship their generated documents
(``build/main/types/graphql.v2.js``); ``tests/js/graphql_documents.js`` prints them. Every one of
them whose operation the mock serves must validate against the mock's schema and, executed, answer
the user's own data; and the real authing-js-sdk 4.23.55 client, whose documents select every
field (``customData``, ``phoneCountryCode``, ``Identity.type``, ...), works end to end. Node is
required (see conftest.py); the stateful tests run on memory, SQLite and Redis.
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from graphql import OperationDefinitionNode, parse, validate

import mockserver.authing.graphql as authing_graphql
from mockserver import Config, create_app
from support import JS_DIR, authing_login
from support.processes import state_url

SDKS = ("authing-js-sdk", "authing-wxapp-sdk")
#: The documents of the operations every SDK's profile calls send (getCurrentUser, updateProfile,
#: checkLoginStatus, refreshToken, bindPhone): each must be among the validated ones.
PROFILE_DOCUMENTS = {"UserDocument", "UpdateUserDocument", "CheckLoginStatusDocument", "RefreshTokenDocument",
                     "BindPhoneDocument"}
CUSTOM_DATA = {"level": 3, "vip": True, "tags": ["a", "b"], "motto": "日日新", "ratio": 0.5}


@pytest.fixture(scope="module")
def documents(node):
    done = subprocess.run([node, "graphql_documents.js"], cwd=JS_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def roots(document: str):
    return {selection.name.value for definition in parse(document).definitions
            if isinstance(definition, OperationDefinitionNode) for selection in definition.selection_set.selections}


def served(documents, sdk):
    """The SDK's documents whose every top-level field the mock's schema serves."""
    schema = authing_graphql.schema()
    fields = {*schema.query_type.fields, *schema.mutation_type.fields}
    return {name: text for name, text in documents[sdk]["documents"].items() if roots(text) <= fields}


def test_the_sdks_are_the_pinned_versions(documents):
    assert documents["authing-js-sdk"]["version"] == "4.23.55"
    assert documents["authing-wxapp-sdk"]["version"] == "4.15.8"


@pytest.mark.parametrize("sdk", SDKS)
def test_every_document_of_a_served_operation_validates(documents, sdk):
    chosen = served(documents, sdk)
    assert PROFILE_DOCUMENTS <= set(chosen), sorted(chosen)
    schema = authing_graphql.schema()
    failures = {name: [error.message for error in validate(schema, parse(text))] for name, text in chosen.items()}
    assert {name: errors for name, errors in failures.items() if errors} == {}


def test_every_document_fits_the_token_cap(documents):
    """Parsing stops at MAX_QUERY_TOKENS: every document the SDKs ship, served or not, parses under it."""
    for sdk in SDKS:
        for text in documents[sdk]["documents"].values():
            parse(text, max_tokens=authing_graphql.MAX_QUERY_TOKENS)


# --- executed, on each state backend --------------------------------------------------------------
@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


@pytest.fixture
def logged_in(client, rt):
    """The default fixture's first person logged in through the mini program, with custom data
    saved by v3 update-profile: (the v2 user with its token, the Authing app)."""
    app, person = rt.authing.apps()[0], rt.wechat.users()[0]
    user = authing_login(client, person["alias"], app["id"], rt.wechat.apps()[0]["appid"])
    saved = client.post("/api/v3/update-profile", json={"customData": CUSTOM_DATA},
                        headers={"x-authing-app-id": app["id"], "Authorization": "Bearer " + user["token"]}).get_json()
    assert saved["statusCode"] == 200, saved
    return user, app


def run(client, app, bearer, document, **variables):
    answer = client.post("/graphql/v2", json={"query": document, "variables": variables},
                         headers={"x-authing-app-id": app["id"], "Authorization": "Bearer " + bearer}).get_json()
    assert "errors" not in answer, answer
    return answer["data"]


def test_the_documents_answer_the_users_data(documents, client, rt, logged_in):
    user, app = logged_in
    conn = rt.authing.connections()[0]
    ours = documents["authing-js-sdk"]["documents"]
    current = run(client, app, user["token"], ours["UserDocument"])["user"]
    assert current["id"] == user["id"] and current["status"] == "Activated" and current["token"] == user["token"]
    assert current["password"] is None and current["oauth"] is None
    [identity] = current["identities"]
    assert identity == {"openid": user["openid"], "userIdInIdp": identity["userIdInIdp"], "userId": user["id"],
                        "connectionId": conn["id"], "isSocial": True, "provider": "wechat", "type": "openid",
                        "userPoolId": app["userPoolId"], "extIdpId": conn["id"]}
    assert current["phoneCountryCode"] is None  # no phone yet
    assert current["customData"] == [
        {"key": "level", "value": "3", "dataType": "NUMBER", "label": None},
        {"key": "vip", "value": "true", "dataType": "BOOLEAN", "label": None},
        {"key": "tags", "value": '["a","b"]', "dataType": "OBJECT", "label": None},
        {"key": "motto", "value": "日日新", "dataType": "STRING", "label": None},
        {"key": "ratio", "value": "0.5", "dataType": "NUMBER", "label": None},
    ]
    updated = run(client, app, user["token"], ours["UpdateUserDocument"], id=user["id"],
                  input={"nickname": "Alice"})["updateUser"]
    assert (updated["nickname"], updated["expiredAt"], updated["directManagement"]) == ("Alice", None, None)
    for name, page in (("GetUserRolesDocument", "roles"), ("GetUserGroupsDocument", "groups"),
                       ("GetUserDepartmentsDocument", "departments"),
                       ("ListUserAuthorizedResourcesDocument", "authorizedResources")):
        assert run(client, app, user["token"], ours[name], id=user["id"]) == {
            "user": {page: {"totalCount": 0, "list": []}}}, name

    wxapp = documents["authing-wxapp-sdk"]["documents"]
    assert run(client, app, user["token"], wxapp["UserDocument"])["user"]["nickname"] == "Alice"
    for docs in (ours, wxapp):
        status = run(client, app, user["token"], docs["CheckLoginStatusDocument"], token=user["token"])
        assert status["checkLoginStatus"]["status"] is True
        assert run(client, app, user["token"], docs["RefreshTokenDocument"])["refreshToken"]["token"]


@pytest.mark.parametrize("sdk, phone", [("authing-js-sdk", "13900000021"), ("authing-wxapp-sdk", "13900000022")])
def test_bind_phone_documents_answer_the_phone_and_its_country_code(documents, client, rt, logged_in, sdk, phone):
    user, app = logged_in
    assert client.post("/api/v2/sms/send", json={"phone": phone},
                       headers={"x-authing-app-id": app["id"]}).get_json()["code"] == 200
    code = [sms for sms in client.get("/__mock__/authing/sms").get_json()["codes"] if sms["phone"] == phone][-1]["code"]
    bound = run(client, app, user["token"], documents[sdk]["documents"]["BindPhoneDocument"],
                phone=phone, phoneCode=code)["bindPhone"]
    assert (bound["phone"], bound["phoneVerified"]) == (phone, True)
    assert bound.get("phoneCountryCode", "not selected") == ("86" if sdk == "authing-js-sdk" else "not selected")


def test_the_real_js_sdk_reads_and_changes_the_profile(node, live, rt, logged_in):
    """authing-js-sdk 4.23.55's getCurrentUser answers null on any GraphQL error: it has the user here."""
    user, app = logged_in
    config = {"server": live.url, "appId": app["id"], "userPoolId": app["userPoolId"], "token": user["token"],
              "smsPhone": "13900000023"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    done = subprocess.run([node, "js_sdk_profile.js", json.dumps(config)], cwd=JS_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {name: step["thrown"] for name, step in report.items() if "thrown" in step} == {}

    current = report["getCurrentUser"]["result"]
    assert current["id"] == user["id"] and current["identities"][0]["type"] == "openid"
    assert current["customData"] == CUSTOM_DATA  # the SDK parsed each value back by its dataType
    assert report["updateProfile"]["result"]["nickname"] == "Alice"
    assert report["updateProfile"]["result"]["city"] == "杭州"
    assert report["checkLoginStatus"]["result"]["status"] is True
    bound = report["bindPhone"]["result"]
    assert (bound["phone"], bound["phoneCountryCode"]) == ("13900000023", "86")
    assert report["refreshToken"]["result"]["token"]
    after = report["getCurrentUserAfterAll"]["result"]
    assert (after["nickname"], after["phone"], after["phoneCountryCode"]) == ("Alice", "13900000023", "86")
