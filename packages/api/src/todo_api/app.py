"""The application factory. Nothing here runs at import time: `create_app(settings)` builds the
container and the app; the lifespan creates the engine once and disposes of it at shut-down."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from todo_api.container import Container, build_container
from todo_api.docs import install_docs
from todo_api.limits import BodySizeLimit
from todo_api.logs import configure_logging
from todo_api.observe import InFlight, RequestObserver
from todo_api.openapi import install_openapi
from todo_api.problems import install_problem_handlers
from todo_api.routes import ROUTERS
from todo_api.runtime import tune_gc
from todo_api.settings import Settings, load_settings

# The OpenAPI document's version is the installed distribution's, as `todo-api --version` says.
VERSION = version("todo-api")

log = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    container: Container = app.state.container
    settings: Settings = container.settings()
    # Built here, not on the first request: the hasher computes its dummy hash (slow, so in
    # a thread), the token service may warn about a missing key, the pool is created once.
    await anyio.to_thread.run_sync(container.hasher)
    container.tokens()
    engine = container.engine() if settings.storage == "sql" else None
    try:
        yield
    finally:
        # Bounded: the process must exit within TODO_SHUTDOWN_TIMEOUT. A connection still
        # checked out then is left to end with the process (the database sees its socket close).
        try:
            async with asyncio.timeout(settings.pool_close_seconds):
                # The requests the server cancelled are still answering and giving their
                # connections back; the pool is closed after them.
                await app.state.in_flight.drained()
                if engine is not None:
                    await engine.dispose()
        except TimeoutError:
            log.warning("requests or the connection pool did not finish in time; exiting anyway")
        if engine is not None:
            container.engine.reset()


def create_app(settings: Settings) -> FastAPI:
    container = build_container(settings)
    app = FastAPI(
        title="Todo service",
        version=VERSION,
        description="Todos of authenticated users, with keyset pagination and ETags.",
        lifespan=_lifespan,
        # A redirect to the path without its trailing slash would build `Location` from the
        # caller's `Host` header; such a path is a 404 like any other unknown one.
        redirect_slashes=False,
        # Served by `install_docs` with their assets, not from a CDN, and the document by
        # `install_openapi`: FastAPI's own routes to them are not recorded as the request's
        # route, so the access log and the metrics could not name them.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.container = container
    app.state.in_flight = InFlight()
    install_problem_handlers(app)
    install_openapi(app)
    install_docs(app)
    for router in ROUTERS:
        # Straight into the app's router, not `include_router`: FastAPI 0.165 keeps an
        # included router as a nested route that re-derives its effective routes on every
        # request (measured: bench/README.md). Nothing is given at inclusion
        # (prefix, dependencies, limits): each route already carries its full path and
        # settings from its router, and the tests walk every route and the OpenAPI document.
        app.router.routes.extend(router.routes)
    # The last added runs first: the observer sees every response, a 413 or a CORS preflight
    # included, and every response (and log line) of a request carries its id.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # off unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestObserver, metrics=container.metrics(), in_flight=app.state.in_flight)
    return app


def create_app_from_environment() -> FastAPI:
    """For `uvicorn --factory` (several workers, reload): each process reads the settings."""
    settings = load_settings()
    configure_logging(settings)
    app = create_app(settings)
    tune_gc()  # this is a serving worker process
    return app
