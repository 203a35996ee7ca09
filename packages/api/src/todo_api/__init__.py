"""The HTTP service of the Todo domain: API, composition root and command line."""

from todo_api.app import create_app
from todo_api.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "create_app", "load_settings"]
