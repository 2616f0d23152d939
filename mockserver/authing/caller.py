"""``Caller``: what a request tells about its sender, read by the routes, used by the domain."""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple


class Caller(NamedTuple):
    app_id: Optional[str] = None
    pool_id: Optional[str] = None
    token: Optional[str] = None
    ip: Optional[str] = None
    base_url: str = ""  # scheme://host[:port] the client used (or --public-url)
    #: The mock's other host names (patterns; IP addresses are always its own): a token issued under
    #: any of them is the mock's too. Empty under --public-url, where ``issuer`` is the only one.
    own_hosts: Tuple[str, ...] = ()
    #: The OIDC provider's path: ``/oidc``, or ``/<appId>/oidc`` on the paths an app id prefixes.
    issuer_path: str = "/oidc"
    #: ``x-authing-lang``: the language of the answer's messages (``zh-CN`` unless ``en-US``).
    language: Optional[str] = None

    @property
    def issuer(self) -> str:
        return f"{self.base_url}{self.issuer_path}"
