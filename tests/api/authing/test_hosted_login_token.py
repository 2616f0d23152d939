"""The hosted login page's form token: a secret drawn from the OS, compared as bytes."""
from __future__ import annotations


def test_the_hosted_page_draws_its_form_token_from_outside_the_seeded_source(app, wx_app):
    """Opening the page changes no code a test expects, and two servers of one seed set different tokens."""
    from mockserver import Config, create_app

    def first_code(open_page: bool):
        fresh = create_app(Config())
        client = fresh.test_client()
        apps = client.get("/__mock__/apps").get_json()
        token = None
        if open_page:
            page = client.get("/oidc/auth", query_string={
                "client_id": apps["authing"]["apps"][0]["appId"], "redirect_uri": "http://localhost/cb",
                "response_type": "code", "scope": "openid", "state": "s"})
            token = page.headers["Set-Cookie"].split("authing_mock_csrf=")[1].split(";")[0]
        code = client.post("/__mock__/wechat/login", json={"appid": apps["wechat"][0]["appid"], "user": "yuna"})
        return code.get_json()["code"], token

    plain, _ = first_code(False)
    after_page, token_one = first_code(True)
    _, token_two = first_code(True)
    assert after_page == plain and token_one != token_two
