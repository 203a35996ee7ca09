"""The interactive docs (Swagger UI, ReDoc) work on a network without internet: each page and
everything it loads come from the service itself, and each is named by its route in the access
log and the metrics."""

import logging
import re
from html.parser import HTMLParser

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

DOCS_PAGES = ("/docs", "/redoc")
ASSETS_ROUTE = "/docs/assets/{path}"
OPENAPI_URL = "/openapi.json"
# What each kind of reference must be answered with (by the end of its path).
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
    "/oauth2-redirect": "text/html",
}
# Swagger UI is given its document and its OAuth2 redirect page inside a script.
_SCRIPT_URLS = (
    re.compile(r"""\burl:\s*'([^']+)'"""),
    re.compile(r"""window\.location\.origin\s*\+\s*'([^']+)'"""),
)


class _References(HTMLParser):
    """The URLs a page makes the browser load: scripts, style sheets, icons, ReDoc's document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


def references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    in_scripts = [url for pattern in _SCRIPT_URLS for url in pattern.findall(page)]
    return parser.urls + in_scripts


def expected_content_type(url: str) -> str:
    [content_type] = [kind for end, kind in CONTENT_TYPES.items() if url.endswith(end)]
    return content_type


async def load_docs(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """Each docs page with what it references, after checking that everything loads."""
    loaded: dict[str, list[str]] = {}
    for page in DOCS_PAGES:
        response = await client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html")
        urls = references(response.text)
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["content-type"].startswith(expected_content_type(url)), url
            assert asset.content, url
        loaded[page] = urls
    return loaded


async def test_the_docs_pages_load_every_asset_from_the_service(
    memory_client: httpx.AsyncClient,
) -> None:
    loaded = await load_docs(memory_client)

    swagger, redoc = loaded["/docs"], loaded["/redoc"]
    assert OPENAPI_URL in swagger
    assert OPENAPI_URL in redoc
    assert {url.rsplit(".", 1)[-1] for url in swagger} >= {"js", "css", "png", "json"}
    assert "/docs/oauth2-redirect" in swagger
    assert {url.rsplit(".", 1)[-1] for url in redoc} >= {"js", "png", "json"}


async def test_the_docs_routes_are_named_in_the_access_log_and_metrics(
    memory_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="todo_api.access"):
        await load_docs(memory_client)
        missing = await memory_client.get("/docs/assets/nothing-here.js")

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    routes = {
        record.__dict__["route"] for record in caplog.records if record.name == "todo_api.access"
    }
    assert routes == {"/docs", "/docs/oauth2-redirect", "/redoc", ASSETS_ROUTE, OPENAPI_URL}
    metrics = await memory_client.get("/metrics")
    labels = {
        (sample.labels["route"], sample.labels["status"])
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
        if sample.name == "http_requests_total"
    }
    # One series for all the assets, whichever file and however many.
    assert {label for label in labels if label[0].startswith("/docs/assets")} == {
        (ASSETS_ROUTE, "200"),
        (ASSETS_ROUTE, "404"),
    }
