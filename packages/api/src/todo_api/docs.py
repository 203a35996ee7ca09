"""The interactive API docs, Swagger UI at `/docs` and ReDoc at `/redoc`, with their scripts,
styles and icon served by the service itself (from the `fastapi-offline` package), not from a
CDN: the pages work on a network without internet."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount
from starlette.types import Scope

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# One mount, so the access log and the metrics name every asset by one route.
ASSETS_URL = "/docs/assets"
ASSETS = ("fastapi_offline", "static")  # package, folder inside it


def install_docs(app: FastAPI) -> None:
    """The docs pages and their assets. The app is built with `docs_url=None, redoc_url=None`,
    so FastAPI adds none of its own (which load from a CDN)."""
    assert app.openapi_url is not None  # the docs are pages around the document
    openapi_url = app.openapi_url
    app.router.routes.append(
        _NamedMount(ASSETS_URL, StaticFiles(packages=[ASSETS]), name="docs-assets")
    )

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,  # fonts from the internet, too
        )


class _NamedMount(Mount):
    """A mount that is the request's `route`, as Starlette's router records it: FastAPI's
    (0.165) records its own routes only, and the access log and the metrics would call every
    asset `<unmatched>`."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _root_path(request: Request) -> str:
    """The prefix a proxy serves the app under, as FastAPI's own docs pages use it."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")
