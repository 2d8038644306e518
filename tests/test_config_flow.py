"""Config flow: adding a server, every form error, re-authentication and reconfiguration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    EmulatorServer,
)
from tests.generations import OWN_USER_ROUTE


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep created entries from starting pollers and slideshows; these tests cover the flow.

    A started entry would still be fetching from the emulator while the test tears it down.
    """
    with patch("custom_components.immich.async_setup_entry", return_value=True) as mock:
        yield mock


async def _start_user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


async def test_user_flow_creates_entry(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_URL: f"{emulator.url}/api/", CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Admin User (127.0.0.1)"
    assert result["result"].unique_id == ADMIN_USER_ID
    assert result["data"] == {
        CONF_URL: emulator.url,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: emulator.port,
        CONF_SSL: False,
        CONF_API_KEY: ADMIN_KEY,
        CONF_VERIFY_SSL: True,
    }
    assert result["result"].minor_version == 2
    subentries = result["result"].subentries.values()
    assert sorted(subentry.title for subentry in subentries) == ["Favorites", "Memories", "Random"]
    assert {subentry.data["source"] for subentry in subentries} == {
        "random",
        "favorites",
        "memories",
    }
    assert {subentry.subentry_type for subentry in subentries} == {"slideshow"}


@pytest.mark.parametrize(
    ("url_suffix", "expected_suffix"),
    [("", ""), ("/", ""), ("/api", ""), ("/api/", "")],
)
async def test_user_flow_normalises_url(
    hass: HomeAssistant, emulator: EmulatorServer, url_suffix: str, expected_suffix: str
) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_URL: emulator.url + url_suffix, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == emulator.url + expected_suffix


async def test_user_flow_non_admin_key(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: emulator.url, CONF_API_KEY: USER_KEY, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Second User (127.0.0.1)"
    assert result["result"].unique_id == SECOND_USER_ID


async def _submit_expecting_error(
    hass: HomeAssistant, url: str, api_key: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.FORM
    return flow_id, result["errors"] or {}, result.get("description_placeholders") or {}


async def test_user_flow_invalid_url(hass: HomeAssistant) -> None:
    _, errors, _ = await _submit_expecting_error(hass, "192.168.1.10:2283", ADMIN_KEY)

    assert errors == {CONF_URL: "invalid_url"}


async def test_user_flow_wrong_key(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    _, errors, _ = await _submit_expecting_error(hass, emulator.url, "not-a-valid-key")

    assert errors == {CONF_API_KEY: "invalid_auth"}


async def test_user_flow_cannot_connect(hass: HomeAssistant, socket_enabled: None) -> None:
    server = EmulatorServer()
    await server.start()
    url = server.url
    await server.stop()

    _, errors, placeholders = await _submit_expecting_error(hass, url, ADMIN_KEY)

    assert errors == {"base": "cannot_connect"}
    assert "users/me" in placeholders["error"] or "server/version" in placeholders["error"]


async def test_user_flow_missing_permission(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("missing_permission", OWN_USER_ROUTE, permission="user.read")

    _, errors, placeholders = await _submit_expecting_error(hass, emulator.url, SCOPED_KEY)

    assert errors == {"base": "missing_permission"}
    assert placeholders["permission"] == "user.read"


async def test_user_flow_unsupported_version(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.reported_version = (1, 88, 0)

    _, errors, placeholders = await _submit_expecting_error(hass, emulator.url, ADMIN_KEY)

    assert errors == {"base": "unsupported_version"}
    assert placeholders["version"] == "v1.88.0"


async def test_user_flow_not_immich(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("missing_route", r"/version$")

    _, errors, _ = await _submit_expecting_error(hass, emulator.url, ADMIN_KEY)

    assert errors == {CONF_URL: "not_immich"}


async def test_user_flow_proxy_error_page(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("html_error", OWN_USER_ROUTE, status=502)

    _, errors, placeholders = await _submit_expecting_error(hass, emulator.url, ADMIN_KEY)

    assert errors == {"base": "server_error"}
    assert "502" in placeholders["error"]


async def test_user_flow_recovers_after_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    emulator.add_fault("server_error", OWN_USER_ROUTE, status=503, remaining=1)
    flow_id, errors, _ = await _submit_expecting_error(hass, emulator.url, ADMIN_KEY)
    assert errors == {"base": "server_error"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: emulator.url, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_timeout(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.add_fault("hang", OWN_USER_ROUTE, seconds=2)
    with patch("custom_components.immich.helpers.REQUEST_TIMEOUT", 0.2):
        _, errors, placeholders = await _submit_expecting_error(hass, emulator.url, ADMIN_KEY)

    assert errors == {"base": "cannot_connect"}
    assert "timed out" in placeholders["error"]


async def test_user_flow_tls_failure(hass: HomeAssistant, tls_emulator: str) -> None:
    _, errors, _ = await _submit_expecting_error(hass, tls_emulator, ADMIN_KEY)

    assert errors == {"base": "tls_failed"}


async def test_user_flow_tls_unverified(hass: HomeAssistant, tls_emulator: str) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: tls_emulator, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: False}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SSL] is True
    assert result["data"][CONF_VERIFY_SSL] is False


async def test_user_flow_already_configured(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: emulator.url, CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_updates_key(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    emulator.library.add_key("rotated-admin-key", ADMIN_USER_ID)
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "not-a-valid-key"}
    )
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "rotated-admin-key"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_API_KEY] == "rotated-admin-key"
    assert config_entry.data[CONF_URL] == emulator.url


async def test_reauth_rejects_other_user(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: USER_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert config_entry.data[CONF_API_KEY] == ADMIN_KEY


async def test_reconfigure_changes_url(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "not a url", CONF_VERIFY_SSL: True}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{emulator.url}/api", CONF_VERIFY_SSL: False}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == emulator.url
    assert config_entry.data[CONF_VERIFY_SSL] is False
    assert config_entry.data[CONF_API_KEY] == ADMIN_KEY


async def test_reconfigure_rejects_other_user(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SECOND_USER_ID,
        data={CONF_URL: "http://127.0.0.1:9", CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: emulator.url, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_URL] == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "api_key", [f"{ADMIN_KEY[:10]}\n{ADMIN_KEY[10:]}", "abc\r\nX-Injected: 1", "   "]
)
async def test_user_flow_unsendable_key(
    hass: HomeAssistant, emulator: EmulatorServer, api_key: str
) -> None:
    emulator.stats.reset()

    _, errors, _ = await _submit_expecting_error(hass, emulator.url, api_key)

    assert errors == {CONF_API_KEY: "invalid_auth"}
    assert emulator.stats.total == 0


async def test_user_flow_strips_key(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: emulator.url, CONF_API_KEY: f"  {ADMIN_KEY}\n", CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == ADMIN_KEY


async def test_user_flow_keeps_key_after_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    flow_id = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: "no scheme", CONF_API_KEY: ADMIN_KEY, CONF_VERIFY_SSL: True}
    )

    assert result["errors"] == {CONF_URL: "invalid_url"}
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if getattr(key, "description", None)
    }
    assert suggested[CONF_API_KEY] == ADMIN_KEY


def with_user_info(url: str) -> str:
    """Return the URL with a user name and password before the host."""
    return url.replace("http://", "http://alice:s3cretpw@", 1)


async def test_user_flow_rejects_credentials_in_url(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    _, errors, placeholders = await _submit_expecting_error(
        hass, with_user_info(f"{emulator.url}/"), ADMIN_KEY
    )

    assert errors == {CONF_URL: "url_has_credentials"}
    assert "s3cretpw" not in str(placeholders)
    assert emulator.stats.total == 0


async def test_user_flow_rejects_user_name_in_url(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    url = emulator.url.replace("http://", "http://alice@", 1)

    _, errors, _ = await _submit_expecting_error(hass, url, ADMIN_KEY)

    assert errors == {CONF_URL: "url_has_credentials"}
    assert emulator.stats.total == 0


async def test_reconfigure_rejects_credentials_in_url(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: with_user_info(emulator.url), CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "url_has_credentials"}
    assert config_entry.data[CONF_URL] == emulator.url
    assert emulator.stats.total == 0


@asynccontextmanager
async def serve_on_every_path(
    status: int, content_type: str, body: str
) -> AsyncIterator[tuple[str, list[str]]]:
    """Run a web server on 127.0.0.1 that sends one response to every request.

    A router's page or another web app does this. Yields the URL and the requests received.
    """
    requests: list[str] = []

    async def respond(request: web.Request) -> web.Response:
        requests.append(f"{request.method} {request.path}")
        return web.Response(status=status, text=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", respond)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", requests
    finally:
        await runner.cleanup()


ROUTER_PAGE = "<!DOCTYPE html><html><head><title>Router login</title></head><body></body></html>"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", ROUTER_PAGE),
        ("application/json", '{"hello":"world"}'),
        ("application/json", "[]"),
        ("text/plain", "OK"),
        ("application/json", "<html>"),
    ],
)
async def test_user_flow_other_web_app_not_immich(
    hass: HomeAssistant, socket_enabled: None, content_type: str, body: str
) -> None:
    async with serve_on_every_path(200, content_type, body) as (url, requests):
        _, errors, _ = await _submit_expecting_error(hass, url, ADMIN_KEY)

    assert errors == {CONF_URL: "not_immich"}
    assert requests == ["GET /api/server/version"]


async def test_user_flow_proxy_error_everywhere(hass: HomeAssistant, socket_enabled: None) -> None:
    """A proxy's HTML 502 page stays a server error, because Immich behind it may be restarting."""
    async with serve_on_every_path(502, "text/html", "<html>Bad Gateway</html>") as (url, _):
        _, errors, placeholders = await _submit_expecting_error(hass, url, ADMIN_KEY)

    assert errors == {"base": "server_error"}
    assert "502" in placeholders["error"]
