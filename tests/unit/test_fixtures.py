"""Fixture files: the embedded default, custom JSON and TOML files, and clear errors."""
from __future__ import annotations

import pytest

from mockserver import Config, create_app
from mockserver.core.fixtures import FixtureError, load_fixture

APP = {"appid": "wx0123456789abcdef", "secret": "0123456789abcdef0123456789abcdef", "open_platform": "acme"}


def test_default_fixture_has_an_app_and_twenty_faker_users():
    fixture = load_fixture(sections=["wechat", "authing"])
    assert len(fixture["wechat"]["apps"]) == 1
    users = fixture["wechat"]["users"]
    assert len(users) >= 20 and len({u["alias"] for u in users}) == len(users)
    assert all(u["nickname"] and u["phone"] and u["province"] for u in users)


def test_json_fixture_with_pinned_openid(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"wechat": {"apps": [%s], "users": [{"alias": "bob", "nickname": "鲍勃", '
                    '"openids": {"wx0123456789abcdef": "oPINNEDopenid0000000000000000"}}]}}'
                    % str(APP).replace("'", '"'))
    client = create_app(Config(fixtures=str(path))).test_client()
    code = client.post("/__mock__/wechat/login", json={"appid": APP["appid"], "user": "bob"}).get_json()
    assert code["openid"] == "oPINNEDopenid0000000000000000"
    assert client.get("/__mock__/users/oPINNEDopenid0000000000000000").get_json()["alias"] == "bob"


def test_toml_fixture(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(f'[[wechat.apps]]\nappid = "{APP["appid"]}"\nsecret = "{APP["secret"]}"\n'
                    '[[wechat.users]]\nalias = "li"\nnickname = "小李"\nphone = "13800138000"\n')
    rt = create_app(Config(fixtures=str(path))).extensions["mockserver"]
    assert rt.wechat.user("li")["phone"] == "13800138000"


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid"),
    ('{"wechat": {"apps": [{"appid": "wx1", "secret": "x"}]}}', "appid must be"),
    ('{"wechat": {"users": [{"alias": "a"}, {"alias": "a"}]}}', "appears twice"),
    ('{"wechat": {"users": [{"alias": "a", "gender": 7}]}}', "gender"),
    ('{"wechat": {"users": [{"alias": "a", "colour": "red"}]}}', "unknown user fields"),
    ('{"format": 9}', "unsupported fixture format"),
    ('{"surprise": 1}', "unknown top-level keys"),
    ('{"wechat": {"apps": 0}}', "wechat: apps must be a list"),
    ('{"wechat": {"users": [{"alias": "a", "gender": NaN}]}}', "not valid json: NaN is not a JSON number"),
    ('{"wechat": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid json: maximum recursion depth"),
])
def test_invalid_fixtures_say_where_and_why(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(FixtureError, match=message):
        create_app(Config(fixtures=str(path)))


def test_a_lone_surrogate_in_a_fixture_is_read_as_u_fffd(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"wechat": {"apps": [%s], "users": [{"alias": "li", "nickname": "\\ud800"}]}}'
                    % str(APP).replace("'", '"'))
    client = create_app(Config(fixtures=str(path))).test_client()
    assert client.get("/__mock__/users/li").get_json()["nickname"] == "\ufffd"


def test_missing_fixture_file():
    with pytest.raises(FixtureError, match="cannot read fixture"):
        load_fixture("/no/such/file.json")
