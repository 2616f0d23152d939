"""The addresses of WeChat's own servers, as ``getcallbackip`` and ``get_api_domain_ip`` list them:
the sources of message pushes (to allow in a firewall) and the addresses of
``api.weixin.qq.com``. A fixed sample of Tencent's ranges; the mock's pushes come from wherever
it runs."""
from __future__ import annotations

CALLBACK_IPS = ("101.226.62.77", "101.226.62.78", "101.226.103.0/25", "58.247.206.128/25", "182.254.86.128/25",
                "203.205.239.82")
API_DOMAIN_IPS = ("101.89.47.18", "101.91.34.103", "101.91.37.19", "109.244.145.163", "109.244.199.44",
                  "183.3.234.108")
