"""mockserver: a local emulator of WeChat's mini-program server API and Authing's endpoints."""
from .config import Config

__all__ = ["create_app", "Config", "MockServer", "intercept"]
__version__ = "0.1.0"

_LAZY = {"create_app": ".app", "MockServer": ".testing", "intercept": ".testing"}


def __getattr__(name: str):
    # Imported on first use: the pytest plugin (loaded by every pytest run where mockserver is
    # installed) imports this package, and should cost nothing until a fixture is used.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
