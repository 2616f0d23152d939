"""The mini-program codes: JPEG bytes as ``image/jpeg`` (typed clients reject anything else), as an
attachment (EasyWeChat looks for that), that
decode to what the code opens, WeChat's type checks (47001) and errcodes, and the 100,000 limit."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image


def decoded(image: bytes):
    picture = Image.open(io.BytesIO(image))
    assert picture.format == "JPEG"
    return picture, [result.text for result in zxingcpp.read_barcodes(picture)]


def assert_jpeg(response):
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-disposition"] == "attachment"  # how EasyWeChat tells an image from an error
    assert response.content.startswith(b"\xff\xd8\xff") and response.content.endswith(b"\xff\xd9")


def test_wechatpy_get_wxa_code_unlimited_is_a_jpeg_of_the_scene(wechatpy_client):
    response = wechatpy_client.wxa.get_wxa_code_unlimited("id=42&from=share", page="pages/index/index")
    assert_jpeg(response)
    picture, texts = decoded(response.content)
    assert texts == ["id=42&from=share"] and picture.size[0] == picture.size[1]


def test_wechatpy_get_wxa_code_is_a_jpeg_of_the_path(wechatpy_client):
    response = wechatpy_client.wxa.get_wxa_code("pages/item/item?id=7", width=640)
    assert_jpeg(response)
    picture, texts = decoded(response.content)
    assert texts == ["pages/item/item?id=7"]
    assert 600 <= picture.size[0] <= 640


def test_wechatpy_create_qrcode_is_a_jpeg_of_the_path(wechatpy_client):
    response = wechatpy_client.wxa.create_qrcode("pages/index/index", width=280)
    assert_jpeg(response)
    picture, texts = decoded(response.content)
    assert texts == ["pages/index/index"] and picture.size[0] >= 280


@pytest.mark.parametrize("width, side", [(1, 280), (280, 280), (9999, 1280)])
def test_the_width_is_kept_within_280_and_1280(client, token, width, side):
    image = client.post(f"/wxa/getwxacode?access_token={token}", json={"path": "pages/a", "width": width}).data
    assert Image.open(io.BytesIO(image)).size == (side, side)


def test_the_same_code_twice_is_the_same_bytes(client, token):
    body = {"scene": "a=1", "width": 1280}
    first = client.post(f"/wxa/getwxacodeunlimit?access_token={token}", json=body)
    assert first.data == client.post(f"/wxa/getwxacodeunlimit?access_token={token}", json=body).data
    assert Image.open(io.BytesIO(first.data)).size == (1280, 1280)


@pytest.mark.parametrize("path, body, errcode", [
    ("/wxa/getwxacodeunlimit", {"scene": "a", "is_hyaline": 1}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "check_path": "false"}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "width": "430"}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "auto_color": "true"}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "line_color": {"r": "red", "g": 0, "b": 0}}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "line_color": [0, 0, 0]}, 47001),
    ("/wxa/getwxacodeunlimit", {"scene": ""}, 40169),
    ("/wxa/getwxacodeunlimit", {"scene": "x" * 33}, 40169),
    ("/wxa/getwxacodeunlimit", {"scene": "中文"}, 40129),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "page": "/pages/index"}, 41030),
    ("/wxa/getwxacodeunlimit", {"scene": "a", "env_version": "beta"}, 40097),
    ("/wxa/getwxacode", {}, 40159),
    ("/wxa/getwxacode", {"path": ""}, 40159),
    ("/wxa/getwxacode", {"path": "p" * 1025}, 40159),
    ("/wxa/getwxacode", {"path": "pages/a", "is_hyaline": 0}, 47001),
    ("/wxa/getwxacode", {"path": "pages/a", "width": 1.5}, 47001),
    ("/wxa/getwxacode", {"path": "pages/a", "env_version": 3}, 40097),
    ("/cgi-bin/wxaapp/createwxaqrcode", {"path": "p" * 129}, 40159),
    ("/cgi-bin/wxaapp/createwxaqrcode", {"path": 7}, 40159),
    ("/cgi-bin/wxaapp/createwxaqrcode", {"path": "pages/a", "width": True}, 47001),
])
def test_code_errors_are_json_and_change_nothing(client, rt, token, path, body, errcode):
    before = rt.wechat.repo.snapshot()
    answer = client.post(f"{path}?access_token={token}", json=body)
    assert answer.content_type == "application/json; encoding=utf-8" and "Content-disposition" not in answer.headers
    assert answer.get_json()["errcode"] == errcode
    assert rt.wechat.repo.snapshot() == before


def test_limited_codes_stop_at_the_apps_limit_shared_by_both_apis(client):
    app = client.post("/__mock__/apps", json={"name": "few codes", "wxacode_limit": 2}).get_json()
    token = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"]}).get_json()["access_token"]
    assert client.post(f"/wxa/getwxacode?access_token={token}", json={"path": "pages/a"}).content_type == "image/jpeg"
    assert client.post(f"/cgi-bin/wxaapp/createwxaqrcode?access_token={token}",
                       json={"path": "pages/a"}).content_type == "image/jpeg"
    for path in ("/wxa/getwxacode", "/cgi-bin/wxaapp/createwxaqrcode"):
        over = client.post(f"{path}?access_token={token}", json={"path": "pages/a"}).get_json()
        assert over["errcode"] == 45029 and over["errmsg"].startswith("qrcode count out of limit rid: ")
    # getwxacodeunlimit is not counted
    assert client.post(f"/wxa/getwxacodeunlimit?access_token={token}", json={"scene": "a"}).content_type == "image/jpeg"


def test_wxacode_limit_must_be_a_positive_integer(client):
    answer = client.post("/__mock__/apps", json={"wxacode_limit": 0})
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "app: wxacode_limit must be a positive integer (or absent: WeChat's 100,000)"}
