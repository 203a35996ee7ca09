"""HTTP routers. They know the domain and the API models, never an adapter."""

from fastapi import APIRouter

from todo_api.routes import health, lists, todos, users

# The busiest first: a request is matched against the routes in this order.
ROUTERS: tuple[APIRouter, ...] = (todos.router, lists.router, users.router, health.router)
