"""The pytest plugin, run the way users run it: inner pytest sessions through ``pytester``."""
from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

SMALL_FIXTURE = {"format": 1, "wechat": {
    "apps": [{"appid": "wx00000000000000aa", "secret": "a" * 32, "name": "small"}],
    "users": [{"alias": "alice", "phone": "13800138000"}, {"alias": "bob"}]}}


#: Plugins of this environment that the inner sessions do not need (hypothesis's costs seconds a run).
QUIET = ("-p", "no:hypothesispytest")


def run(pytester, *args):
    return pytester.runpytest(*QUIET, *args)


@pytest.fixture
def small_fixture(pytester):
    path = pytester.path / "data" / "small.json"
    path.parent.mkdir()
    path.write_text(json.dumps(SMALL_FIXTURE))
    return path


def test_plugin_is_registered_by_its_entry_point(pytester):
    pytester.makepyfile("""
        def test_loaded(request):
            assert request.config.pluginmanager.has_plugin("mockserver")
    """)
    result = run(pytester, "--fixtures")
    result.stdout.fnmatch_lines(["mockserver -- *", "mockserver_intercept -- *"])
    run(pytester).assert_outcomes(passed=1)


def test_mockserver_fixture_serves_and_mints(pytester):
    pytester.makepyfile("""
        import requests

        def test_login(mockserver):
            code = mockserver.login("yuna")
            answer = requests.get(mockserver.url + "/sns/jscode2session", params={
                "appid": mockserver.appid, "secret": mockserver.secret, "js_code": code,
                "grant_type": "authorization_code"}).json()
            assert answer["openid"] == mockserver.user("yuna")["apps"][mockserver.appid]["openid"]
    """)
    run(pytester).assert_outcomes(passed=1)


def test_no_state_leaks_between_tests(pytester):
    pytester.makepyfile("""
        import requests
        codes = []

        def test_changes_everything(mockserver, mockserver_intercept):
            mockserver.control("POST", "/users", {"alias": "leftover"})
            codes.append(mockserver.login("yuna"))
            mockserver.advance_clock(86400)
            mockserver.add_fault(endpoint="/sns/jscode2session", errcode=-1)
            requests.get(mockserver.url + "/cgi-bin/token")  # journaled
            requests.post("https://api.weixin.qq.com/__mock__/users", json={"alias": "leftover2"})

        def test_sees_the_fixture_again(mockserver):
            aliases = [u["alias"] for u in mockserver.users]
            assert "leftover" not in aliases and "leftover2" not in aliases
            assert abs(mockserver.runtime.clock.offset) < 60
            assert mockserver.runtime.wechat.repo.code(codes[0]) is None
            assert mockserver.control("GET", "/faults")["faults"] == []
            assert mockserver.journal()["count"] == 0

        def test_intercept_sees_the_fixture_again(mockserver_intercept):
            answer = requests.get("https://api.weixin.qq.com/__mock__/users/leftover")
            assert answer.status_code == 404
    """)
    run(pytester).assert_outcomes(passed=3)


def test_one_server_per_session_reset_before_each_test(pytester):
    pytester.makepyfile("""
        seen = set()

        def test_a(mockserver):
            seen.add(mockserver.url)

        def test_b(mockserver):
            seen.add(mockserver.url)
            assert len(seen) == 1

        def test_same_code_after_reset(mockserver):
            # the random source is reset too: the first code of every test is the same
            assert mockserver.login("yuna") == first(mockserver)

        def first(server):
            server.reset()
            return server.login("yuna")
    """)
    run(pytester).assert_outcomes(passed=3)


def test_marker_chooses_seed_and_fixture_file(pytester, small_fixture):
    pytester.makepyfile(test_marked="""
        import pytest

        pytestmark = pytest.mark.mockserver(fixtures="data/small.json", seed=7)
        servers = {}

        def test_module_choice(mockserver):
            assert mockserver.appid == "wx00000000000000aa"
            assert mockserver.config.seed == 7
            servers["module"] = mockserver

        @pytest.mark.mockserver(seed=8)
        def test_closer_marker_wins(mockserver):
            assert mockserver.config.seed == 8 and mockserver.appid == "wx00000000000000aa"
            assert mockserver is not servers["module"]

        @pytest.mark.mockserver(seed=7)
        def test_equal_choices_share_a_server(mockserver):
            assert mockserver is servers["module"]

        def test_intercept_uses_the_marked_server(mockserver_intercept):
            assert mockserver_intercept.appid == "wx00000000000000aa"
            assert mockserver_intercept.app is servers["module"].app
    """)
    pytester.makepyfile(test_unmarked="""
        def test_default(mockserver):
            assert mockserver.appid != "wx00000000000000aa" and mockserver.config.seed == 0
    """)
    run(pytester).assert_outcomes(passed=5)


def test_fixture_path_relative_to_the_test_file(pytester):
    sub = pytester.mkpydir("pkg")
    (sub / "small.json").write_text(json.dumps(SMALL_FIXTURE))
    (sub / "test_nested.py").write_text(
        "import pytest\n"
        "@pytest.mark.mockserver(fixtures='small.json')\n"
        "def test_it(mockserver):\n"
        "    assert [u['alias'] for u in mockserver.users] == ['alice', 'bob']\n")
    run(pytester).assert_outcomes(passed=1)


def test_indirect_parametrization(pytester, small_fixture):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("mockserver", [{"seed": 1}, {"seed": 2}], indirect=True)
        def test_seeds(mockserver):
            assert mockserver.config.seed in (1, 2)
            assert mockserver.login("yuna")
    """)
    run(pytester).assert_outcomes(passed=2)


def test_bad_choices_are_reported(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.mockserver(sede=1)
        def test_typo(mockserver):
            pass

        @pytest.mark.mockserver(fixtures="missing.json")
        def test_missing_file(mockserver):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*unknown mockserver option(s) ?'sede'?; known: ?'accept_unknown_codes'*",
                                 "*fixture file 'missing.json' found neither in *"])


def test_intercept_fixture_runs_unmodified_wechatpy(pytester):
    pytester.makepyfile("""
        import pytest, requests
        from wechatpy import WeChatClient
        from mockserver.testing import InterceptError

        def test_login(mockserver_intercept):
            mock = mockserver_intercept
            session = WeChatClient(mock.appid, mock.secret).wxa.code_to_session(mock.login("yuna"))
            assert session["openid"] == mock.user("yuna")["apps"][mock.appid]["openid"]

        def test_other_hosts_fail(mockserver_intercept):
            with pytest.raises(InterceptError, match="not a mocked host"):
                requests.get("https://example.com/")

        @pytest.mark.mockserver(passthrough=["127.0.0.1"])
        def test_passthrough_marker(mockserver_intercept, mockserver):
            assert mockserver_intercept.passes("127.0.0.1")
            assert not mockserver_intercept.passes("example.com")
    """)
    run(pytester).assert_outcomes(passed=3)


def test_decorator_form_in_a_test_suite(pytester):
    pytester.makepyfile("""
        import requests
        from mockserver import intercept

        URL = "https://api.weixin.qq.com/__mock__/users"

        @intercept
        def test_adds_a_user():
            assert requests.post(URL, json={"alias": "temp"}).status_code == 201

        @intercept(seed=4)
        def test_does_not_see_it():
            assert requests.get(URL + "/temp").status_code == 404

        def test_no_interception_outside():
            from requests.adapters import HTTPAdapter
            assert HTTPAdapter.send.__module__ == "requests.adapters"
    """)
    run(pytester).assert_outcomes(passed=3)


def test_xdist_workers_each_get_their_own_isolated_server(pytester):
    seen = pytester.path / "seen.txt"
    pytester.makepyfile(**{f"test_worker_{n}": f"""
        import os
        import pytest
        from mockserver.core.fixtures import load_fixture

        FIXTURE_USERS = len(load_fixture(sections=["wechat", "authing"])["wechat"]["users"])

        @pytest.mark.parametrize("i", range(6))
        def test_isolated(mockserver, mockserver_intercept, i):
            assert len(mockserver.users) == FIXTURE_USERS  # none of another test's
            mockserver.login()  # adds a user, which the next test must not see
            with open({str(seen)!r}, "a") as out:
                out.write(os.environ["PYTEST_XDIST_WORKER"] + " " + mockserver.url + "\\n")
    """ for n in range(2)})
    result = pytester.runpytest_subprocess("-n", "2", *QUIET)
    result.assert_outcomes(passed=12)
    urls = {}
    for line in seen.read_text().splitlines():
        worker, url = line.split()
        urls.setdefault(worker, set()).add(url)
    assert sorted(urls) == ["gw0", "gw1"]
    assert all(len(each) == 1 for each in urls.values())  # one server per worker for the session
    assert urls["gw0"] != urls["gw1"]
