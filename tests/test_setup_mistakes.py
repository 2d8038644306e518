"""Mistakes a new user makes when adding a server: each gets a message that names the fix.

An `https://` URL for a plain-HTTP port, a server that returns JSON of another shape, and a
pasted API key far longer than any key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import logging

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.immich.api import (
    MAX_API_KEY_LENGTH,
    ImmichAuthenticationError,
    ImmichClient,
    ImmichConnectionError,
    ImmichServerError,
    ImmichTLSError,
    is_plausible_api_key,
)
from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import ADMIN_KEY, EmulatorServer
from immich_emulator.captures import body as capture_body
from tests.http_servers import json_app, serve

PLAIN_HTTP_TEXT = "does not answer TLS on this port"
VERSION_BODY = json.dumps(capture_body("server_version")).encode()


async def _submit(
    hass: HomeAssistant, url: str, api_key: str, verify_ssl: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_URL: url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: verify_ssl}
    )
    assert result["type"] is FlowResultType.FORM
    return result["errors"] or {}, result.get("description_placeholders") or {}


def _error_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
async def shapeless_server(
    socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A server that responds with the JSON bodies, by path, of the test's parameter."""
    async with serve(json_app(request.param)) as url:
        yield url


# An https:// URL for a port that speaks plain HTTP


async def test_https_to_plain_http_client(emulator: EmulatorServer) -> None:
    url = f"https://127.0.0.1:{emulator.port}"

    async with ImmichClient(url, ADMIN_KEY) as client:
        with pytest.raises(ImmichConnectionError) as caught:
            await client.async_get_server_version()

    assert not isinstance(caught.value, ImmichTLSError)
    assert PLAIN_HTTP_TEXT in str(caught.value)
    assert "http://" in str(caught.value)


@pytest.mark.parametrize("verify_ssl", [True, False])
async def test_https_to_plain_http_flow(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    verify_ssl: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"https://127.0.0.1:{emulator.port}"

    errors, placeholders = await _submit(hass, url, ADMIN_KEY, verify_ssl)

    assert errors == {"base": "cannot_connect"}
    assert PLAIN_HTTP_TEXT in placeholders["error"]
    assert _error_records(caplog) == []


# JSON without a field the client needs


@pytest.mark.parametrize(
    ("shapeless_server", "expected"),
    [
        ({"/api/server/version": b"{}"}, "without the field `major`"),
        ({"/api/server/version": b'{"major": 2}'}, "without the field `minor`"),
        (
            {"/api/server/version": b'{"major": "two", "minor": 7, "patch": 5}'},
            "with the field `major` as str, not an integer",
        ),
        ({"/api/server/version": b"[]"}, "expected a JSON object, got list"),
    ],
    indirect=["shapeless_server"],
)
async def test_version_field_named(shapeless_server: str, expected: str) -> None:
    async with ImmichClient(shapeless_server, ADMIN_KEY) as client:
        with pytest.raises(ImmichServerError) as caught:
            await client.async_get_server_version()

    assert str(caught.value).startswith("/api/server/version returned JSON ")
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    "shapeless_server",
    [{"/api/server/version": VERSION_BODY, "/api/users/me": b'{"name": "Admin"}'}],
    indirect=True,
)
async def test_user_field_named(shapeless_server: str) -> None:
    async with ImmichClient(shapeless_server, ADMIN_KEY) as client:
        with pytest.raises(ImmichServerError) as caught:
            await client.async_get_my_user()

    assert str(caught.value) == "/api/users/me returned JSON without the field `id`"


@pytest.mark.parametrize("shapeless_server", [{"/api/server/version": b"{}"}], indirect=True)
async def test_version_field_flow(
    hass: HomeAssistant, shapeless_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    errors, _ = await _submit(hass, shapeless_server, ADMIN_KEY)

    assert errors == {CONF_URL: "not_immich"}
    assert _error_records(caplog) == []


@pytest.mark.parametrize(
    "shapeless_server",
    [{"/api/server/version": VERSION_BODY, "/api/users/me": b'{"name": "Admin"}'}],
    indirect=True,
)
async def test_user_field_flow(
    hass: HomeAssistant, shapeless_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    errors, placeholders = await _submit(hass, shapeless_server, ADMIN_KEY)

    assert errors == {"base": "server_error"}
    assert "/api/users/me returned JSON without the field `id`" in placeholders["error"]
    assert _error_records(caplog) == []


# A pasted API key far longer than any key


@pytest.mark.parametrize(
    ("api_key", "plausible"),
    [
        ("", False),
        ("k" * 43, True),
        ("k" * MAX_API_KEY_LENGTH, True),
        ("k" * (MAX_API_KEY_LENGTH + 1), False),
        ("k" * 10_000, False),
        ("abc\ndef", False),
    ],
)
def test_plausible_api_key_table(api_key: str, plausible: bool) -> None:
    assert is_plausible_api_key(api_key) is plausible


async def test_long_key_not_sent(emulator: EmulatorServer) -> None:
    emulator.stats.reset()

    async with ImmichClient(emulator.url, "k" * 10_000) as client:
        with pytest.raises(ImmichAuthenticationError) as caught:
            await client.async_get_my_user()

    assert emulator.stats.total == 0
    assert caught.value.status is None
    assert "10000 characters" in str(caught.value)


async def test_longest_accepted_key_sent(emulator: EmulatorServer) -> None:
    emulator.stats.reset()

    async with ImmichClient(emulator.url, "k" * MAX_API_KEY_LENGTH) as client:
        with pytest.raises(ImmichAuthenticationError) as caught:
            await client.async_get_my_user()

    assert emulator.stats.total > 0
    assert caught.value.status == 401


async def test_long_key_flow(
    hass: HomeAssistant, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.stats.reset()

    errors, _ = await _submit(hass, emulator.url, "k" * 10_000)

    assert errors == {CONF_API_KEY: "invalid_auth"}
    assert emulator.stats.total == 0
    assert _error_records(caplog) == []
