"""Fixtures the WeChat API tests share."""
from __future__ import annotations

import pytest
from support import access_token


@pytest.fixture
def token(client, wx_app):
    """A new access token of the fixture's first app."""
    return access_token(client, wx_app)
