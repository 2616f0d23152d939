"""Settings of one mock server; the CLI fills them from flags and ``MOCKSERVER_*`` variables."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8088
    seed: int = 0
    fixtures: Optional[str] = None  # None: the embedded default fixture
    log_level: str = "info"
    accept_unknown_codes: Optional[str] = None  # alias logged in by codes the mock never minted
    state: str = "memory://"
    clock_start: Optional[float] = None  # epoch the clock starts at (None: now)
    clock_frozen: bool = False  # a frozen clock moves only when the control plane moves it
    max_body_bytes: int = 10 * 1024 * 1024
    journal_size: int = 1000  # requests the journal keeps (the oldest are dropped first)
    journal_max_bytes: int = 8192  # of each part of an entry (query, headers, body, answer) kept
    journal_max_fields: int = 200  # fields of each part of an entry kept
    signing_key: Optional[str] = None  # PEM of the RSA key Authing tokens are signed with (None: dev key)
    public_url: Optional[str] = None  # base URL clients use, for token issuers (None: the Host header)
    connection_limit: int = 1000  # open connections a server (each --workers process) serves at once
    idle_timeout: int = 60  # seconds before a silent connection (or a TLS handshake) is closed
    admin_token: Optional[str] = None  # when set, /__mock__/ needs it (see control/admin.py)
