"""Authing's messages in English, for a request that asks for them with ``x-authing-lang: en-US``
(``zh-CN``, the default, keeps the Chinese the service raises). A message without an entry here is
answered as raised."""
from __future__ import annotations

from typing import Optional

ENGLISH = {
    "用户不存在": "User does not exist",
    "用户已被锁定": "User has been locked",
    "密码不正确": "Incorrect password",
    "原密码不正确": "Incorrect old password",
    "用户名或密码错误": "Incorrect username or password",
    "验证码不正确": "Incorrect verification code",
    "验证码已过期": "The verification code has expired",
    "发送过于频繁，请稍后再试": "Sent too often, please try again later",
    "用户已存在，请不要重复注册": "User already exists, please do not register again",
    "用户名已存在": "Username already exists",
    "手机号已被绑定": "The phone number is bound to another user",
    "用户已绑定手机号": "The user already has a phone number",
    "邮箱已被绑定": "The email is bound to another user",
    "用户已绑定邮箱": "The user already has an email",
    "用户未绑定手机号": "The user has no phone number",
    "用户未绑定邮箱": "The user has no email",
    "邮箱格式不正确": "Incorrect email format",
    "请提供正确的手机号": "Please provide a correct phone number",
    "请提供密码": "Please provide a password",
    "解密客户端密码出错": "Failed to decrypt the client's password",
    "尚未登录，无权限访问此请求": "Not logged in, no permission to access this request",
    "无权限执行此项操作": "No permission to perform this operation",
    "应用不存在": "Application does not exist",
    "用户池不存在": "User pool does not exist",
    "登录信息已过期": "The login has expired",
    "token 不合法": "Invalid token",
    "token 已失效，请重新登录": "The token is no longer valid, please log in again",
    "系统繁忙，请稍后再试": "The system is busy, please try again later",
}


def in_language(message: str, language: Optional[str]) -> str:
    """``message`` in ``language`` (an ``x-authing-lang`` value; anything but en-US is Chinese)."""
    return ENGLISH.get(message, message) if language == "en-US" else message
