"""HTTP routers. They know the domain and the API models, never an adapter."""

from fastapi import APIRouter

from todo_api.routes import health, todos, users

ROUTERS: tuple[APIRouter, ...] = (users.router, todos.router, health.router)
