"""The profile rules themselves, for the cases no API family lets through to them: GraphQL's
schema and v3's field list refuse unknown fields first, but the rule must hold for any caller."""
from __future__ import annotations

import pytest

from mockserver.authing.errors import AuthingError
from mockserver.authing.users import Users


@pytest.mark.parametrize("changes, code, message", [
    ({"shoeSize": "42"}, 400, "不支持的字段：shoeSize"),
    ({"email": "a@b.c", "shoeSize": "42"}, 2018, "用户无权限修改此项内容：email"),  # protected is told first
    ({"nickname": 7}, 400, "nickname 必须是字符串"),
    ("not an object", 400, "input 必须是对象"),
])
def test_refused_profile_changes(changes, code, message):
    with pytest.raises(AuthingError) as refused:
        Users.checked_profile(changes, "input")
    assert (refused.value.code, refused.value.message) == (code, message)


def test_empty_values_are_dropped_and_the_rest_kept():
    assert Users.checked_profile({"nickname": "新", "city": None, "customData": {"k": 1}}, "input") == {
        "nickname": "新", "customData": {"k": 1}}
