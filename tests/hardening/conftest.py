"""Fixtures of the hardening tests: the API tests' apps and clients, shared."""

from api.conftest import app, client, memory_app, memory_client, repo_root, settings

__all__ = ["app", "client", "memory_app", "memory_client", "repo_root", "settings"]
