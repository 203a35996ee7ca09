"""API tests: the HTTP contract through an ASGI client, on memory, SQLite and PostgreSQL."""
