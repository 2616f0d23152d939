"""The mock in tests: ``MockServer`` (a live server in a thread), ``intercept()`` (no sockets at all)
and the pytest plugin (``pytest_plugin``, registered through the ``pytest11`` entry point)."""

__all__ = ["MockServer", "intercept", "InterceptError"]

_LAZY = {"MockServer": ".server", "intercept": ".interception", "InterceptError": ".interception"}


def __getattr__(name: str):
    # Imported on first use, so that loading the pytest plugin imports neither Flask nor requests.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'mockserver.testing' has no attribute {name!r}")
