"""GraphQL's User as Authing's public schema declares it, answered from the user's own data.

The fields the mock keeps are answered (``phoneCountryCode``, ``Identity.type``/``extIdpId``, the
custom data as typed ``UserCustomData`` entries), the ones it does not model answer null or an
empty page; the schema is read from every ``schema/*.graphql`` and built by the first GraphQL
request. The validation of real SDKs' documents is in tests/e2e/test_graphql_sdk_documents.py.
State tests run on memory, SQLite and Redis.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

import mockserver.authing.graphql as authing_graphql
from mockserver import Config, create_app
from mockserver.authing.views import custom_data_entry
from support import ROOT, authing_login, graphql, mint
from support.processes import state_url

EVERY_USER_FIELD = """
query user {
  user {
    id status phone phoneVerified phoneCountryCode password oauth token
    identities { openid userId connectionId isSocial provider type extIdpId userInfoInIdp refreshToken accessToken }
    customData { key value label dataType }
    roles(namespace: "default") { totalCount list { code } }
    groups { totalCount list { code } }
    departments(orgId: "o1") { totalCount list { isMainDepartment department { id isVirtualNode } } }
    authorizedResources(namespace: "default", resourceType: "DATA") { totalCount list { code type } }
    mainDepartmentId mainDepartmentCode newlyCreated expiredAt directManagement
  }
}"""


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app(request, tmp_path):
    app = create_app(Config(state=state_url(request.param, tmp_path, request)))
    yield app
    app.extensions["mockserver"].store.close()


@pytest.fixture
def authing_app(rt):
    return rt.authing.apps()[0]


def phone_login(client, rt, authing_app, alias):
    """``alias`` logs in by the mini program's phone button (code + phone code): the v2 user."""
    appid = rt.wechat.apps()[0]["appid"]
    phone_code = client.post("/__mock__/wechat/phone-code", json={"appid": appid, "user": alias}).get_json()["code"]
    answer = client.post("/api/v3/signin-by-mobile", headers={"x-authing-app-id": authing_app["id"]}, json={
        "connection": "wechat_mini_program_code_and_phone", "extIdpConnidentifier": "wechat-miniprogram",
        "wechatMiniProgramCodeAndPhonePayload": {"wxLoginInfo": {"code": mint(client, appid, alias)["code"]},
                                                 "wxPhoneInfo": {"code": phone_code}}}).get_json()
    assert answer["statusCode"] == 200, answer
    return answer["data"]


def test_every_user_field_answers_the_users_data_or_its_default(client, rt, authing_app, alias):
    user = authing_login(client, alias, authing_app["id"], rt.wechat.apps()[0]["appid"])
    conn = rt.authing.connections()[0]
    client.post("/api/v3/update-profile", json={"customData": {"plan": "pro", "seats": 5}},
                headers={"x-authing-app-id": authing_app["id"], "Authorization": "Bearer " + user["token"]})
    answer = graphql(client, authing_app["id"], user["token"], EVERY_USER_FIELD)
    empty = {"totalCount": 0, "list": []}
    assert answer == {"data": {"user": {
        "id": user["id"], "status": "Activated", "phone": None, "phoneVerified": False, "phoneCountryCode": None,
        "password": None, "oauth": None, "token": user["token"],
        "identities": [{"openid": user["openid"], "userId": user["id"], "connectionId": conn["id"], "isSocial": True,
                        "provider": "wechat", "type": "openid", "extIdpId": conn["id"], "userInfoInIdp": None,
                        "refreshToken": None, "accessToken": None}],
        "customData": [{"key": "plan", "value": "pro", "label": None, "dataType": "STRING"},
                       {"key": "seats", "value": "5", "label": None, "dataType": "NUMBER"}],
        "roles": empty, "groups": empty, "departments": empty, "authorizedResources": empty,
        "mainDepartmentId": None, "mainDepartmentCode": None, "newlyCreated": None, "expiredAt": None,
        "directManagement": None}}}


def test_a_phone_login_answers_the_phone_country_code(client, rt, authing_app, alias):
    person = rt.wechat.users()[0]
    tokens = phone_login(client, rt, authing_app, person["alias"])
    answer = graphql(client, authing_app["id"], tokens["id_token"], "{ user { phone phoneCountryCode } }")
    assert answer == {"data": {"user": {"phone": person["phone"], "phoneCountryCode": "86"}}}


def test_every_mutation_answering_a_user_answers_the_same_graphql_user(client, rt, authing_app, alias):
    user = authing_login(client, alias, authing_app["id"], rt.wechat.apps()[0]["appid"])
    client.post("/api/v3/update-profile", json={"customData": {"seats": 5}},
                headers={"x-authing-app-id": authing_app["id"], "Authorization": "Bearer " + user["token"]})
    fields = "identities { type extIdpId } customData { key value dataType } groups { totalCount }"
    read = graphql(client, authing_app["id"], user["token"], f"{{ user {{ {fields} }} }}")["data"]["user"]
    assert read["identities"][0]["type"] == "openid" and read["customData"][0]["value"] == "5"
    updated = graphql(client, authing_app["id"], user["token"],
                      f'mutation {{ updateUser(input: {{nickname: "N"}}) {{ {fields} }} }}')
    assert updated == {"data": {"updateUser": read}}
    client.post("/api/v2/sms/send", json={"phone": "13900000031"}, headers={"x-authing-app-id": authing_app["id"]})
    code = client.get("/__mock__/authing/sms").get_json()["codes"][-1]["code"]
    bound = graphql(client, authing_app["id"], user["token"],
                    f'mutation {{ bindPhone(phone: "13900000031", phoneCode: "{code}") {{ {fields} }} }}')
    assert bound == {"data": {"bindPhone": read}}


@pytest.mark.parametrize("value, entry", [
    ("pro", ("pro", "STRING")), (5, ("5", "NUMBER")), (0.25, ("0.25", "NUMBER")), (True, ("true", "BOOLEAN")),
    (False, ("false", "BOOLEAN")), ({"a": [1, "二"]}, ('{"a":[1,"二"]}', "OBJECT")), ([], ("[]", "OBJECT")),
    (None, (None, "STRING")),
])
def test_custom_data_values_are_typed_as_authing_js_sdk_parses_them_back(value, entry):
    assert custom_data_entry("k", value) == {"key": "k", "value": entry[0], "label": None, "dataType": entry[1]}


def test_new_update_user_input_fields_are_the_directorys(client, rt, authing_app, alias):
    """UpdateUserInput's phoneCountryCode goes with the phone, the others are an administrator's: 2018."""
    user = authing_login(client, alias, authing_app["id"], rt.wechat.apps()[0]["appid"])
    answer = graphql(client, authing_app["id"], user["token"],
                     "mutation ($input: UpdateUserInput!) { updateUser(input: $input) { id } }",
                     {"input": {"phoneCountryCode": "+1"}})
    assert answer["errors"][0]["message"] == {"code": 2018, "message": "用户无权限修改此项内容：phoneCountryCode",
                                              "data": None}
    assert client.get(f"/__mock__/authing/users/{user['id']}").get_json()["phoneCountryCode"] is None


# --- the schema's files and when it is built ----------------------------------------------------------
def test_the_schema_is_every_graphql_file_of_its_directory_sorted(tmp_path, monkeypatch):
    for name in ("e", "a", "d", "b", "c"):
        (tmp_path / f"{name}.graphql").write_text(f"# {name}\n")
    (tmp_path / "notes.txt").write_text("not a schema")
    monkeypatch.setattr(authing_graphql, "SCHEMA_DIR", tmp_path)
    assert authing_graphql.sdl() == "# a\n\n# b\n\n# c\n\n# d\n\n# e\n"


def test_the_shipped_files_build_one_schema_that_other_files_extend():
    """core.graphql alone is a whole schema; a file of another part only extends it."""
    files = sorted(authing_graphql.SCHEMA_DIR.glob("*.graphql"))
    assert files[0].name == "core.graphql"
    assert authing_graphql.schema() is authing_graphql.schema()  # built once
    assert "phoneCountryCode" in authing_graphql.schema().get_type("User").fields


def test_graphql_core_and_the_schema_wait_for_the_first_graphql_request():
    script = (
        "import sys\n"
        "from mockserver import create_app\n"
        "client = create_app().test_client()\n"
        "client.get('/__mock__/health')\n"
        "print('graphql' in sys.modules)\n"
        "client.post('/graphql/v2', json={'query': '{ checkLoginStatus { status } }'})\n"
        "client.post('/graphql/v2', json={'query': '{ checkLoginStatus { status } }'})\n"
        "from mockserver.authing.graphql import schema\n"
        "print(schema.cache_info().misses, schema.cache_info().hits)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.split("\n")[:2] == ["False", "1 1"], result.stderr


def test_the_readme_example_runs_as_written():
    """README's "GraphQL: Authing's schema" example (a loopback MockServer), run as it is written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### GraphQL: Authing's schema")
    section = text[start:text.index("\n### ", start + 1)]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(example, "README.md", "exec"), {})
