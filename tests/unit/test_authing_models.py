"""The store namespaces table of mockserver/authing/repo.py tells the truth about what is stored."""
from __future__ import annotations

import io
import re

from mockserver.authing import repo
from support import mint

PNG = bytes.fromhex("89504e470d0a1a0a") + b"avatar"


def documented():
    """namespace → (key, value) as the docstring's table says."""
    rows = {}
    namespace = None
    for line in repo.__doc__.splitlines():
        if line.startswith("authing."):
            namespace, key, value = re.split(r"\s{2,}", line.strip(), maxsplit=2)
            rows[namespace] = (key, value)
        elif namespace and line.startswith(" ") and rows[namespace][1].startswith("{") \
                and not rows[namespace][1].endswith("}"):  # a value that goes on over the next line
            rows[namespace] = (rows[namespace][0], rows[namespace][1] + " " + line.strip())
        else:
            namespace = None
    return rows


def test_every_namespace_key_and_field_is_documented(client, rt, wx_app, alias):
    app = rt.authing.apps()[0]
    code = mint(client, wx_app["appid"], alias)["code"]
    user = client.post("/connections/social/wechat-miniprogram/auth", json={"code": code},
                       headers={"x-authing-app-id": app["id"]}).get_json()["data"]
    headers = {"x-authing-app-id": app["id"], "Authorization": "Bearer " + user["token"]}
    assert client.post("/api/v2/sms/send", json={"phone": "13900000005"}, headers=headers).get_json()["code"] == 200
    assert client.post("/api/v3/send-email", json={"channel": "CHANNEL_LOGIN", "email": "a@example.com"},
                       headers=headers).get_json()["statusCode"] == 200
    uploaded = client.post("/api/v2/upload?folder=avatar", data={"file": (io.BytesIO(PNG), "me.PNG")}).get_json()
    assert uploaded["code"] == 200
    assert client.get("/api/v2/logout", query_string={"app_id": app["id"]}, headers=headers).get_json()["code"] == 200
    # The OIDC provider: a code (and one exchanged: a refresh token), and a password.
    authorize = {"client_id": app["id"], "redirect_uri": "http://localhost/cb", "response_type": "code",
                 "scope": "openid offline_access", "login_hint": alias}
    for _ in range(2):
        location = client.get("/oidc/auth", query_string=authorize).headers["Location"]
    code = re.search(r"code=([^&]+)", location).group(1)
    assert client.post("/oidc/token", data={"grant_type": "authorization_code", "code": code,
                                            "redirect_uri": "http://localhost/cb"},
                       auth=(app["id"], app["secret"])).status_code == 200
    assert client.put(f"/__mock__/authing/users/{user['id']}/password", json={"password": "p"}).status_code == 200
    # Consent: a consent page shown (its ticket), and a consent remembered (a bare login_hint allows).
    assert client.get("/oidc/auth", query_string={**authorize, "prompt": "consent", "mock_picked": "1"}).status_code == 200
    assert client.get("/oidc/auth", query_string={**authorize, "prompt": "consent"}).status_code == 302

    table = documented()
    used = {ns for ns in table if rt.store.items(ns)}
    assert used == set(table), set(table) - used
    for namespace, (key_doc, value_doc) in table.items():
        if value_doc.startswith("{"):
            fields = {f.split(" ")[0] for f in value_doc.strip("{}").split(", ")}
            for key, value in rt.store.items(namespace):
                assert set(value) == fields, (namespace, key, sorted(set(value) ^ fields))
    key_doc = table["authing.files"][0]
    assert key_doc == "folder/<24 hex><ext>"
    [(key, _)] = rt.store.items("authing.files")
    assert re.fullmatch(r"avatar/[0-9a-f]{24}\.png", key), key
    assert uploaded["data"]["key"] == key
