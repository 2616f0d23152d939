"""mockserver: a local emulator of WeChat's mini-program server API and Authing's endpoints."""
from .app import create_app
from .config import Config

__all__ = ["create_app", "Config"]
__version__ = "0.1.0"
