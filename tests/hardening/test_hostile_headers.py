"""Headers no client should send: each is a 4xx problem (or ignored), never a 500."""

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.support import Account, assert_problem, create_todo, new_account
from todo_api.etags import IfMatch

from .test_fuzz import INTERNALS


def _raw(headers: dict[str, str], extra: dict[bytes, bytes]) -> dict[bytes, bytes]:
    """Headers as bytes, so that a test can send any byte (httpx encodes `str` as ASCII)."""
    return {name.encode(): value.encode() for name, value in headers.items()} | extra


async def _create_with(
    client: httpx.AsyncClient, account: Account, extra: dict[bytes, bytes]
) -> httpx.Response:
    """A valid create, sent with the raw headers `extra` besides the account's."""
    return await client.post(
        "/api/v1/todos", content=b'{"title":"x"}', headers=_raw(account.headers, extra)
    )


@pytest.mark.parametrize(
    "if_match",
    [
        b'"\xb2"',  # '\u00b2' once decoded as Latin-1: `str.isdigit()` holds, `int()` fails
        b'"\xd9\xa3"',  # an Arabic-Indic digit in UTF-8, read as Latin-1
        b'"' + b"9" * 5_000 + b'"',  # more digits than `int()` converts
        b'"' + b"9" * 30 + b'"',  # a version no todo reaches
        b'"01"',  # not the tag of version 1 (strong comparison is character by character)
        b'"+1"',
        b'"1_0"',
        b'" 1"',
        b'W/"1"',  # weak: never matches under the strong comparison
        b"",
        b",,,",
        b'*, "1"',
        b'"1' + b", " * 2_000 + b'"',
    ],
)
async def test_a_malformed_or_absurd_if_match_matches_nothing(
    memory_client: httpx.AsyncClient, if_match: bytes
) -> None:
    account = await new_account(memory_client)
    todo = await create_todo(memory_client, account)
    url = f"/api/v1/todos/{todo['id']}"

    response = await memory_client.patch(
        url, json={"title": "lost update"}, headers=_raw(account.headers, {b"If-Match": if_match})
    )

    body = assert_problem(response, 412)
    assert body["type"] == "urn:todo:problem:version-mismatch"
    current = await memory_client.get(url, headers=account.headers)
    assert current.json()["version"] == 1


@given(st.text())
def test_any_if_match_parses(header: str) -> None:
    condition = IfMatch(header)

    assert condition.single_version is None or condition.single_version >= 0


@given(st.integers(min_value=0, max_value=2**63))
def test_the_etag_of_a_version_matches_it(version: int) -> None:
    condition = IfMatch(f'W/"x", "{version}"')

    assert condition.versions == {version}


@pytest.mark.parametrize(
    "authorization",
    [
        b"Bearer \xff\xfe\x00",
        b"Bearer " + b"a" * 100_000,
        b"Bearer " + b"a." * 20_000,
        b"\xffBearer x",
        b"Bearer",
        b"Bearer  ",
        b"bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg "none"
        b"Basic dXNlcjpwYXNz",
    ],
)
async def test_an_odd_authorization_header_is_a_401_problem(
    memory_client: httpx.AsyncClient, authorization: bytes
) -> None:
    response = await memory_client.get("/api/v1/todos", headers={b"Authorization": authorization})

    assert_problem(response, 401)
    assert not INTERNALS.search(response.text)


@pytest.mark.parametrize(
    "request_id", [b"\xff\xfe", b"a" * 10_000, b"a\x00b", b"a b", b"", b"\xe2\x80\xa8"]
)
async def test_an_odd_request_id_is_replaced_by_one_of_ours(
    memory_client: httpx.AsyncClient, request_id: bytes
) -> None:
    response = await memory_client.get("/health/live", headers={b"X-Request-ID": request_id})

    assert response.status_code == 200
    assert response.headers["x-request-id"].isalnum()
    assert response.headers["x-request-id"].encode() != request_id


@pytest.mark.parametrize("content_length", [b"abc", b"-1", b"1_0", b"\xb2", b"0x10", b"1e3"])
async def test_a_content_length_that_is_not_a_number_is_a_400_problem(
    memory_client: httpx.AsyncClient, content_length: bytes
) -> None:
    account = await new_account(memory_client)

    response = await _create_with(
        memory_client,
        account,
        {b"Content-Type": b"application/json", b"Content-Length": content_length},
    )

    assert_problem(response, 400)
    listed = await memory_client.get("/api/v1/todos", headers=account.headers)
    assert listed.json()["items"] == []


async def test_a_content_length_of_thousands_of_digits_is_a_413_problem(
    memory_client: httpx.AsyncClient,
) -> None:
    account = await new_account(memory_client)

    response = await _create_with(
        memory_client,
        account,
        {b"Content-Type": b"application/json", b"Content-Length": b"9" * 5_000},
    )

    assert_problem(response, 413)


@pytest.mark.parametrize(
    "content_type",
    [b"\xff", b"application/json; charset=\xff", b"multipart/form-data; boundary=", b""],
)
async def test_an_odd_content_type_is_never_a_500(
    memory_client: httpx.AsyncClient, content_type: bytes
) -> None:
    account = await new_account(memory_client)

    response = await _create_with(memory_client, account, {b"Content-Type": content_type})

    assert response.status_code < 500
