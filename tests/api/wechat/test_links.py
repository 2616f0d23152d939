"""Links into the mini program: URL Links, URL Schemes and Short Links — generated, queried,
expired by the mock clock, metered by day, listed and "opened" through the control plane."""
from __future__ import annotations

import pytest
from wechatpy.exceptions import WeChatClientException

from mockserver.wechat import links as links_module
from mockserver.wechat import quotas

DAY = 86400



@pytest.fixture
def app():
    """A frozen clock: the times these answers carry move only when the test moves them."""
    from mockserver import Config, create_app

    return create_app(Config(clock_frozen=True))

@pytest.fixture
def call(client, token):
    def post(path, body):
        return client.post(f"{path}?access_token={token}", json=body).get_json()
    return post


@pytest.fixture
def paged_app(client):
    """An app that lists its pages (so the page checks apply), with its token."""
    app = client.post("/__mock__/apps", json={"name": "商城", "pages": ["pages/index/index", "pages/item/item"]}).get_json()
    token = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": app["appid"], "secret": app["secret"]}).get_json()["access_token"]
    return app, token


def open_link(client, url, user=None):
    body = {"url": url, **({"user": user} if user else {})}
    return client.post("/__mock__/wechat/links/open", json=body)


def test_a_url_link_opens_the_page_with_its_query(client, rt, wx_app, call, alias):
    made = call("/wxa/generate_urllink", {"path": "pages/index/index", "query": "id=42&from=sms", "env_version": "trial"})
    assert made["errcode"] == 0 and made["errmsg"] == "ok"
    assert made["url_link"].startswith("https://wxaurl.cn/") and len(made["url_link"].rsplit("/", 1)[1]) == 11
    opened = open_link(client, made["url_link"], alias)
    openid = client.get(f"/__mock__/users/{alias}").get_json()["apps"][wx_app["appid"]]["openid"]
    assert opened.status_code == 200
    assert opened.get_json() == {"kind": "urllink", "appid": wx_app["appid"], "path": "pages/index/index",
                                 "query": "id=42&from=sms", "env_version": "trial", "scene": 1194, "openid": openid}


def test_the_developer_s_cq_query_follows_the_link_s_own(client, call):
    made = call("/wxa/generate_urllink", {"path": "pages/index/index", "query": "a=1"})["url_link"]
    assert open_link(client, made + "?cq=b%3D2").get_json()["query"] == "a=1&b=2"
    assert open_link(client, made.replace("wxaurl.cn", "wxmpurl.cn")).get_json()["query"] == "a=1"  # the other host
    info = call("/wxa/query_urllink", {"url_link": made + "?cq=b%3D2"})["url_link_info"]
    assert info["query"] == "a=1&b=2"
    assert open_link(client, made + "?cq=" + "x" * 257).status_code == 400


def test_a_scheme_opens_like_a_link(client, wx_app, call):
    made = call("/wxa/generatescheme", {"jump_wxa": {"path": "pages/index/index", "query": "k=v"}})
    assert made["errcode"] == 0 and made["openlink"].startswith("weixin://dl/business/?t=")
    opened = open_link(client, made["openlink"]).get_json()
    assert (opened["kind"], opened["path"], opened["query"], opened["env_version"], opened["scene"], opened["openid"]) \
        == ("scheme", "pages/index/index", "k=v", "release", 1065, None)
    assert open_link(client, made["openlink"] + "&cq=from%3Dsms").get_json()["query"] == "k=v&from=sms"
    assert call("/wxa/queryscheme", {"scheme": made["openlink"] + "&cq=a%3D1"})["scheme_info"]["query"] == "k=v&a=1"


def test_query_urllink_and_queryscheme_answer_the_link_s_configuration(client, rt, wx_app, call):
    now = rt.clock.now_int()
    link = call("/wxa/generate_urllink", {"path": "pages/index/index", "query": "a=b", "expire_type": 1,
                                          "expire_interval": 7, "cloud_base": {"env": "prod-1", "path": "/h5"}})
    link = link["url_link"]
    cloud_base = {"env": "prod-1", "domain": "", "doamin": "", "path": "/h5", "query": "", "resource_appid": ""}
    assert call("/wxa/query_urllink", {"url_link": link}) == {"errcode": 0, "errmsg": "ok", "url_link_info": {
        "appid": wx_app["appid"], "path": "pages/index/index", "query": "a=b", "create_time": now,
        "expire_time": now + 7 * DAY, "env_version": "release", "cloud_base": cloud_base}, "visit_openid": ""}
    scheme = call("/wxa/generatescheme", {"jump_wxa": {}, "expire_time": now + 3600})["openlink"]
    assert call("/wxa/queryscheme", {"scheme": scheme}) == {"errcode": 0, "errmsg": "ok", "scheme_info": {
        "appid": wx_app["appid"], "path": "", "query": "", "create_time": now, "expire_time": now + 3600,
        "env_version": "release"}, "visit_openid": ""}
    opened = open_link(client, link, "yuna").get_json()["openid"]
    open_link(client, scheme)
    open_link(client, link)  # nobody named: the last visitor stays
    assert call("/wxa/query_urllink", {"url_link": link})["visit_openid"] == opened
    assert call("/wxa/queryscheme", {"scheme": scheme})["visit_openid"] == ""
    assert call("/wxa/queryscheme", {"query_type": 1}) == {"errcode": 0, "errmsg": "ok",
                                                            "quota_info": {"remain_visit_quota": 3_000_000 - 3}}
    assert call("/wxa/query_urllink", {"query_type": 1})["quota_info"] == {"remain_visit_quota": 3_000_000 - 3}


@pytest.mark.parametrize("path, body, errcode", [
    ("/wxa/query_urllink", {"url_link": "https://wxaurl.cn/NoSuchLink1"}, 85403),
    ("/wxa/queryscheme", {"scheme": "weixin://dl/business/?t=NoSuchLink1"}, 85403),
    ("/wxa/query_urllink", {"url_link": 7}, 40097),
    ("/wxa/query_urllink", {}, 40097),
    ("/wxa/queryscheme", {"scheme": "x", "query_type": 2}, 40097),
])
def test_query_errors(call, path, body, errcode):
    assert call(path, body)["errcode"] == errcode


def test_a_link_is_queried_by_its_own_kind_and_app(client, call, paged_app):
    link = call("/wxa/generate_urllink", {})["url_link"]
    assert call("/wxa/queryscheme", {"scheme": link})["errcode"] == 85403  # a URL Link is not a scheme
    app, other_token = paged_app
    other = client.post(f"/wxa/query_urllink?access_token={other_token}", json={"url_link": link}).get_json()
    assert other["errcode"] == 85403  # another app's link


def test_links_expire_by_the_mock_clock(client, rt, call):
    now = rt.clock.now_int()
    link = call("/wxa/generate_urllink", {"expire_time": now + 120})["url_link"]
    default = call("/wxa/generatescheme", {})["openlink"]
    assert open_link(client, link).status_code == 200
    rt.clock.advance(120)
    refused = open_link(client, link)
    assert refused.status_code == 409 and refused.get_json() == {"error": f"the link expired at {now + 120}"}
    rt.clock.advance(30 * DAY - 121)
    assert open_link(client, default).status_code == 200  # 30 days when nothing is said
    rt.clock.advance(1)
    assert open_link(client, default).status_code == 409


def test_expiries_beyond_30_days_are_cut_to_30_days(rt, call):
    now = rt.clock.now_int()
    far = call("/wxa/generate_urllink", {"expire_time": now + 90 * DAY})["url_link"]
    assert call("/wxa/query_urllink", {"url_link": far})["url_link_info"]["expire_time"] == now + 30 * DAY
    days = call("/wxa/generatescheme", {"expire_type": 1, "expire_interval": 180})["openlink"]
    assert call("/wxa/queryscheme", {"scheme": days})["scheme_info"]["expire_time"] == now + 30 * DAY


@pytest.mark.parametrize("body, errcode", [
    ({"expire_time": "soon"}, 47001),
    ({"expire_type": 2}, 47001),
    ({"expire_type": 1, "expire_interval": 0}, 85401),
    ({"env_version": "beta"}, 85402),
    ({"path": "pages/index/index?x=1"}, 40165),
    ({"path": ["pages"]}, 47001),
    ({"query": "x" * 1025}, 40212),
    ({"query": "name=张三"}, 40212),
    ({"query": "j={'a':1}"}, 40212),
    ({"cloud_base": "env"}, 47001),
])
def test_generate_urllink_errors(client, rt, call, body, errcode):
    before = rt.wechat.repo.snapshot()
    assert call("/wxa/generate_urllink", body)["errcode"] == errcode
    assert rt.wechat.repo.snapshot() == before


def test_an_expiry_under_a_minute_is_85401(rt, call):
    answer = call("/wxa/generatescheme", {"expire_time": rt.clock.now_int() + 59})
    assert answer["errcode"] == 85401 and answer["errmsg"].startswith("time limit between 1min and 1year")


def test_scheme_errors(call):
    assert call("/wxa/generatescheme", {"jump_wxa": "pages/index/index"})["errcode"] == 47001
    assert call("/wxa/generatescheme", {"jump_wxa": {"env_version": "prod"}})["errcode"] == 85402
    assert call("/wxa/generatescheme", {"jump_wxa": {"query": "a b"}})["errcode"] == 40212


def test_an_empty_body_is_44002_and_a_token_is_needed(client):
    assert client.post("/wxa/generate_urllink").get_json()["errcode"] == 41001
    token = client.get("/cgi-bin/token", query_string={
        "grant_type": "client_credential", **{k: v for k, v in client.get("/__mock__/apps").get_json()["wechat"][0].items()
                                              if k in ("appid", "secret")}}).get_json()["access_token"]
    assert client.post(f"/wxa/generate_urllink?access_token={token}").get_json()["errcode"] == 44002


def test_pages_are_checked_when_the_app_lists_them(client, paged_app):
    app, token = paged_app
    def post(path, body):
        return client.post(f"{path}?access_token={token}", json=body).get_json()
    assert post("/wxa/generate_urllink", {"path": "pages/item/item"})["errcode"] == 0
    assert post("/wxa/generate_urllink", {"path": "/pages/item/item"})["errcode"] == 0  # a leading slash is fine
    assert post("/wxa/generate_urllink", {"path": "pages/missing/missing"})["errcode"] == 40165
    assert post("/wxa/generatescheme", {"jump_wxa": {"path": "pages/missing"}})["errcode"] == 40165
    assert post("/wxa/genwxashortlink", {"page_url": "pages/missing?x=1"})["errcode"] == 40165


def test_short_links(client, rt, call, paged_app):
    app, token = paged_app
    def post(body):
        return client.post(f"/wxa/genwxashortlink?access_token={token}", json=body).get_json()
    made = post({"page_url": "pages/item/item?id=7", "page_title": "一二三四五六七八九十一二三四五六七八九十二一"})
    assert made["errcode"] == 0 and made["link"].startswith("#小程序://商城/") and len(made["link"].rsplit("/", 1)[1]) == 15
    opened = open_link(client, made["link"]).get_json()
    assert (opened["kind"], opened["path"], opened["query"], opened["scene"]) == ("shortlink", "pages/item/item", "id=7", None)
    listed = client.get("/__mock__/wechat/links").get_json()["links"][-1]
    assert listed["title"] == "一二三四五六七八九十一二三四五六七八九十..." and listed["opens"] == 1
    for body, errcode in (({}, 40097), ({"page_url": ""}, 40097), ({"page_url": "p" * 1025}, 40097),
                          ({"page_url": "pages/index/index", "is_permanent": "yes"}, 47001),
                          ({"page_url": "pages/index/index", "page_title": 3}, 47001)):
        assert post(body)["errcode"] == errcode, body
    permanent = post({"page_url": "pages/index/index", "is_permanent": True})["link"]
    rt.clock.advance(31 * DAY)
    assert open_link(client, made["link"]).status_code == 409  # short-term: 30 days
    assert open_link(client, permanent).status_code == 200


def test_opening_needs_a_generated_link_and_a_known_user(client, call):
    assert open_link(client, "https://wxaurl.cn/NeverMade00").status_code == 404
    assert client.post("/__mock__/wechat/links/open", json={}).status_code == 400
    link = call("/wxa/generate_urllink", {})["url_link"]
    assert open_link(client, link, "nobody-like-this").status_code == 404


def test_the_control_plane_lists_the_links_with_their_opens(client, call):
    first = call("/wxa/generate_urllink", {"query": "n=1"})["url_link"]
    second = call("/wxa/generatescheme", {})["openlink"]
    open_link(client, first)
    open_link(client, first + "?cq=x%3D1")
    listed = client.get("/__mock__/wechat/links?limit=1&offset=1").get_json()
    assert (listed["total"], listed["offset"], listed["limit"]) == (2, 1, 1)
    assert [entry["link"] for entry in listed["links"]] == [second]
    first_entry = client.get("/__mock__/wechat/links").get_json()["links"][0]
    assert (first_entry["link"], first_entry["kind"], first_entry["query"], first_entry["opens"]) == (first, "urllink", "n=1", 2)


def test_links_and_schemes_share_a_daily_limit(client, rt, call, monkeypatch):
    monkeypatch.setattr(quotas, "LINKS", quotas.Meter("links", 2))
    monkeypatch.setattr(links_module, "LINKS", quotas.LINKS)
    assert call("/wxa/generate_urllink", {})["errcode"] == 0
    assert call("/wxa/generatescheme", {})["errcode"] == 0
    assert call("/wxa/generate_urllink", {})["errcode"] == 45009
    assert call("/wxa/generatescheme", {})["errcode"] == 45009
    assert call("/cgi-bin/openapi/quota/get", {"cgi_path": "/wxa/generatescheme"})["quota"]["used"] == 2  # refusals uncounted
    rt.clock.advance(DAY)
    app = client.get("/__mock__/apps").get_json()["wechat"][0]
    token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": app["appid"],
                                                        "secret": app["secret"]}).get_json()["access_token"]
    assert client.post(f"/wxa/generatescheme?access_token={token}", json={}).get_json()["errcode"] == 0


def test_short_links_have_their_own_daily_limit_and_a_permanent_total(call, monkeypatch):
    monkeypatch.setattr(links_module, "SHORT_LINKS", quotas.Meter("shortlinks", 1))
    monkeypatch.setattr(links_module, "PERMANENT_SHORT_LINKS", 0)
    assert call("/wxa/genwxashortlink", {"page_url": "pages/index/index", "is_permanent": True})["errcode"] == 85400
    assert call("/wxa/genwxashortlink", {"page_url": "pages/index/index"})["errcode"] == 0
    assert call("/wxa/genwxashortlink", {"page_url": "pages/index/index"})["errcode"] == 45009


def test_links_open_at_most_3_million_times_a_day(client, call, monkeypatch):
    monkeypatch.setattr(links_module, "DAILY_OPENS", 1)
    link = call("/wxa/generate_urllink", {})["url_link"]
    assert open_link(client, link).status_code == 200
    refused = open_link(client, link)
    assert refused.status_code == 409 and refused.get_json() == {"error": "the app's links opened 1 times today"}


def test_ids_are_the_same_for_the_same_seed():
    from mockserver import Config, create_app

    def links():
        client = create_app(Config(seed=7)).test_client()
        app = client.get("/__mock__/apps").get_json()["wechat"][0]
        token = client.get("/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": app["appid"],
                                                            "secret": app["secret"]}).get_json()["access_token"]
        return [client.post(f"/wxa/{path}?access_token={token}", json=body).get_json()
                for path, body in (("generate_urllink", {}), ("generatescheme", {}),
                                   ("genwxashortlink", {"page_url": "pages/index/index"}))]
    assert links() == links()


def test_wechatpy_s_own_client_calls_them(wechatpy_client):
    """wechatpy 1.8.18 has no method for links: its generic ``post`` sends and reads them unmodified."""
    made = wechatpy_client.post("https://api.weixin.qq.com/wxa/generate_urllink", data={"query": "a=1"})
    assert made["url_link"].startswith("https://wxaurl.cn/")
    with pytest.raises(WeChatClientException) as info:
        wechatpy_client.post("https://api.weixin.qq.com/wxa/query_urllink", data={"url_link": "https://wxaurl.cn/x"})
    assert info.value.errcode == 85403
