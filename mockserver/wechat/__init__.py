"""Emulation of WeChat's mini-program server API (``https://api.weixin.qq.com``)."""
