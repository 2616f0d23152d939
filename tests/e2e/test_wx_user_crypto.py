"""The mini program's side of the encrypted network channel, in Node through the wx shim: the key
``getLatestUserKey`` hands over is the one the backend's ``getuserencryptkey`` lists first."""
from __future__ import annotations

import json
import subprocess

import requests
from support import JS_DIR

from mockserver.wechat import crypto


def latest_key(node, url, appid, user):
    done = subprocess.run([node, "wx_crypto_check.js", json.dumps({"server": url, "wxAppid": appid, "user": user})],
                          cwd=JS_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_mini_program_and_the_backend_see_the_same_key(node, live, wx_app, alias):
    minted = requests.post(f"{live.url}/__mock__/wechat/login", json={"appid": wx_app["appid"], "user": alias},
                           timeout=10).json()
    session = requests.get(f"{live.url}/sns/jscode2session", params={
        "appid": wx_app["appid"], "secret": wx_app["secret"], "js_code": minted["code"]}, timeout=10).json()
    token = requests.get(f"{live.url}/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": wx_app["appid"], "secret": wx_app["secret"]}, timeout=10).json()
    key = latest_key(node, live.url, wx_app["appid"], alias)
    assert key["errMsg"] == "getLatestUserKey:ok" and key["version"] == 1
    listed = requests.get(f"{live.url}/wxa/business/getuserencryptkey", params={
        "access_token": token["access_token"], "openid": session["openid"], "sig_method": "hmac_sha256",
        "signature": crypto.session_signature(session["session_key"])}, timeout=10).json()
    newest = listed["key_info_list"][0]
    assert (newest["encrypt_key"], newest["iv"], newest["version"]) == (key["encryptKey"], key["iv"], key["version"])
    assert key["expireTime"] == newest["create_time"] + 3600
