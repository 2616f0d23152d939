"""Which emulated services a mock server runs, named by module so that nothing imports them here.

Like moto's backend index: the app loads each module on start and takes its ``SERVICE``. Order
matters: a service's domain is built after the ones it needs (Authing exchanges WeChat codes).
"""
from __future__ import annotations

import importlib
from typing import Iterable, List, Union

from .emulation import EmulatedService

DEFAULT_SERVICES = ("mockserver.wechat", "mockserver.authing")


def load(services: Iterable[Union[str, EmulatedService]] = DEFAULT_SERVICES) -> List[EmulatedService]:
    """The services named (by module) or given (as ``SERVICE`` objects), in order."""
    loaded = [importlib.import_module(s).SERVICE if isinstance(s, str) else s for s in services]
    names = [service.name for service in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"two services share a name: {names}")
    return loaded
