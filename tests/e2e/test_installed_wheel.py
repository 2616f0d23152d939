"""What users install: the built wheel, installed (not editable) into a fresh virtualenv, runs the
command (with its proxy), the pytest plugin and ``intercept()`` with no extra; a fixture asking for
what an extra brings (a Redis state) says which extra to install."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from support import ROOT

PLUGIN_TESTS = textwrap.dedent('''
    import json
    import urllib.request

    import requests

    from mockserver import intercept


    def test_the_live_fixture(mockserver):
        code = mockserver.login("yuna")
        answer = requests.get(mockserver.url + "/sns/jscode2session", params={
            "appid": mockserver.appid, "secret": mockserver.secret, "js_code": code}).json()
        assert answer["openid"]


    def test_intercept_on_the_real_host():
        with intercept() as mock:
            answer = requests.get("https://api.weixin.qq.com/sns/jscode2session", params={
                "appid": mock.appid, "secret": mock.secret, "js_code": mock.login("yuna")}).json()
        assert answer["openid"]


    def test_the_intercept_fixture_with_urllib(mockserver_intercept):
        mock = mockserver_intercept
        url = ("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential"
               f"&appid={mock.appid}&secret={mock.secret}")
        with urllib.request.urlopen(url) as answer:
            assert json.load(answer)["expires_in"] == 7200
''')
NEEDS_EXTRA = textwrap.dedent('''
    import pytest


    @pytest.mark.mockserver(state="redis://127.0.0.1:1/0")
    def test_a_redis_state(mockserver):
        pass
''')


def run(*command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(out),
        str(ROOT))
    [built] = out.glob("wechat_authing_mockserver-*.whl")
    return built


def venv(path, *requirements):
    run(sys.executable, "-m", "venv", str(path))
    python = path / "bin" / "python"
    run(str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements)
    return python


def test_the_installed_wheel_runs_the_command_the_plugin_and_intercept(wheel, tmp_path):
    python = venv(tmp_path / "venv", str(wheel), "pytest", "requests")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "PYTHON"))}
    work = tmp_path / "project"  # not the clone: nothing can come from the source tree
    work.mkdir()
    where = run(str(python), "-c", "import mockserver; print(mockserver.__file__)", cwd=work, env=env).stdout
    assert "site-packages" in where and str(ROOT) not in where
    command = subprocess.Popen([str(tmp_path / "venv" / "bin" / "mockserver"), "--port", "0", "--proxy-port", "0",
                                "--tls-dir", str(tmp_path / "tls")], cwd=work, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = re.search(r"listening on (http://\S+)", command.stdout.readline()).group(1)
        health = run(str(python), "-c", f"import requests; print(requests.get('{url}/__mock__/').status_code)",
                     cwd=work, env=env).stdout
        assert health.strip() == "200"  # the dashboard: the services' templates are in the wheel
        status = run(str(python), "-c", f"import requests; print(requests.post('{url}/graphql/v2', json={{"
                     "'query': '{ checkLoginStatus(token: \"x\") { code status } }'}).json())",
                     cwd=work, env=env).stdout
        assert "'status': False" in status, status  # Authing's GraphQL schema files are in the wheel
        banner = ""
        while "local CA" not in banner:
            banner += command.stdout.readline()
        proxy = re.search(r"other hosts refused\): (http://\S+)", banner).group(1)
        ca = re.search(r"local CA \(trust it\): (\S+)", banner).group(1)
        discovery = run(str(python), "-c", "import requests; print(requests.get("
                        "'https://core.authing.cn/oidc/.well-known/openid-configuration').json()['issuer'])",
                        cwd=work, env={**env, "HTTPS_PROXY": proxy, "REQUESTS_CA_BUNDLE": ca}).stdout
        assert discovery.strip() == "https://core.authing.cn/oidc"
    finally:
        command.terminate()
        command.wait(timeout=20)
    (work / "test_app.py").write_text(PLUGIN_TESTS)
    result = run(str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=work, env=env)
    assert "3 passed" in result.stdout


def test_a_fixture_needing_an_extra_names_it(wheel, tmp_path):
    python = venv(tmp_path / "venv", str(wheel), "pytest")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "PYTHON"))}
    (tmp_path / "test_needs.py").write_text(NEEDS_EXTRA)
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout
    assert "pip install 'wechat-authing-mockserver[redis]'" in result.stdout
