"""Redirects: the client follows them only to the server's own address, which gets the key."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import logging

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from yarl import URL

from custom_components.immich.api import ImmichClient, ImmichRedirectError, ServerVersion
from custom_components.immich.api.redirects import MAX_REDIRECTS, is_safe_redirect
from custom_components.immich.const import CONF_URL, DOMAIN
from immich_emulator.captures import body as capture_body
from tests.http_servers import RequestLog, json_app, logging_app, redirecting_app, serve

SECRET_KEY = "redirect-test-key-6c1f0e9a2b7d4c8e"
VIDEO_PATH = "assets/00000000-0000-4000-8000-000000000000/video/playback"


@pytest.fixture
async def sign_in_page(socket_enabled: None) -> AsyncIterator[tuple[str, RequestLog]]:
    """A logging server on 127.0.0.1, as the sign-in page of a proxy; yields URL and log."""
    log = RequestLog()
    async with serve(logging_app(log)) as url:
        yield url, log


@pytest.fixture(params=["127.0.0.1", "localhost"])
async def sign_in_proxy(
    request: pytest.FixtureRequest, sign_in_page: tuple[str, RequestLog]
) -> AsyncIterator[tuple[str, str, RequestLog]]:
    """A server that 302s every request to the sign-in page, named by IP or by another host
    name. Yields the server's URL, the sign-in page's origin and the sign-in page's log."""
    page_url, log = sign_in_page
    page_origin = str(URL(page_url).with_host(request.param))
    async with serve(redirecting_app(f"{page_origin}/login?next=")) as url:
        yield url, page_origin, log


async def test_cross_origin_redirect_raises(sign_in_proxy: tuple[str, str, RequestLog]) -> None:
    proxy_url, page_origin, log = sign_in_proxy

    async with ImmichClient(proxy_url, SECRET_KEY) as client:
        with pytest.raises(ImmichRedirectError) as caught:
            await client.async_get_server_version()

    assert log.requests == []
    assert log.api_keys == []
    assert caught.value.status == 302
    assert caught.value.target_origin == page_origin
    assert page_origin in str(caught.value)
    assert "next=" not in str(caught.value)
    assert "/login" not in str(caught.value)
    assert "enter the address where Immich itself responds" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


async def test_stream_cross_origin_redirect_raises(
    sign_in_proxy: tuple[str, str, RequestLog],
) -> None:
    proxy_url, page_origin, log = sign_in_proxy

    async with ImmichClient(proxy_url, SECRET_KEY) as client:
        with pytest.raises(ImmichRedirectError) as caught:
            await client.transport.open_stream("GET", VIDEO_PATH)

    assert log.requests == []
    assert caught.value.target_origin == page_origin


async def test_unfollowed_redirect_returned(sign_in_proxy: tuple[str, str, RequestLog]) -> None:
    proxy_url, page_origin, log = sign_in_proxy

    async with ImmichClient(proxy_url, SECRET_KEY) as client:
        raw = await client.transport.request("GET", "server/version", allow_redirects=False)

    assert raw.status == 302
    assert raw.headers["Location"].startswith(f"{page_origin}/login")
    assert log.requests == []


async def test_config_flow_cross_origin_redirect(
    hass: HomeAssistant,
    sign_in_proxy: tuple[str, str, RequestLog],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy_url, page_origin, log = sign_in_proxy
    flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {CONF_URL: proxy_url, CONF_API_KEY: SECRET_KEY, CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "server_error"}
    assert page_origin in result["description_placeholders"]["error"]
    assert log.requests == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
async def moved_version_server(socket_enabled: None) -> AsyncIterator[tuple[str, RequestLog]]:
    """A server that 302s `/api/server/version` to `/api/server/version-moved` on itself."""
    log = RequestLog()
    app = json_app(
        {"/api/server/version-moved": json.dumps(capture_body("server_version")).encode()}
    )

    async def moved(request: web.Request) -> web.Response:
        log.requests.append(f"{request.method} {request.path}")
        return web.Response(status=302, headers={"Location": "/api/server/version-moved"})

    app.router.add_get("/api/server/version", moved)
    async with serve(app) as url:
        yield url, log


async def test_same_origin_redirect_followed(
    moved_version_server: tuple[str, RequestLog],
) -> None:
    url, log = moved_version_server
    expected = capture_body("server_version")

    async with ImmichClient(url, SECRET_KEY) as client:
        version = await client.async_get_server_version()

    assert version == ServerVersion(expected["major"], expected["minor"], expected["patch"])
    assert log.requests == ["GET /api/server/version"]


async def test_post_redirect_raises(socket_enabled: None) -> None:
    log = RequestLog()
    app = web.Application()

    async def moved(request: web.Request) -> web.Response:
        log.requests.append(f"{request.method} {request.path}")
        return web.Response(status=307, headers={"Location": f"{request.path}-moved"})

    app.router.add_route("*", "/{tail:.*}", moved)
    async with serve(app) as url, ImmichClient(url, SECRET_KEY) as client:
        with pytest.raises(ImmichRedirectError) as caught:
            await client.transport.request("POST", "search/metadata", json_body={})

    assert log.requests == ["POST /api/search/metadata"]
    assert caught.value.status == 307
    assert "only for GET and HEAD" in str(caught.value)


async def test_redirect_loop_stops(socket_enabled: None) -> None:
    log = RequestLog()
    app = web.Application()

    async def again(request: web.Request) -> web.Response:
        log.requests.append(f"{request.method} {request.path}")
        return web.Response(status=302, headers={"Location": request.path})

    app.router.add_route("*", "/{tail:.*}", again)
    async with serve(app) as url, ImmichClient(url, SECRET_KEY) as client:
        with pytest.raises(ImmichRedirectError) as caught:
            await client.transport.request("GET", "server/version")

    assert len(log.requests) == MAX_REDIRECTS + 1
    assert f"redirected {MAX_REDIRECTS} times" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "target", "safe"),
    [
        ("http://immich.lan:2283/api/x", "http://immich.lan:2283/api/y", True),
        ("http://immich.lan/api/x", "http://IMMICH.lan:80/api/y", True),
        ("http://immich.lan:2283/api/x", "https://immich.lan/api/x", True),
        ("http://immich.lan:2283/api/x", "https://immich.lan:8443/api/x", True),
        ("https://immich.lan/api/x", "https://immich.lan:443/api/y", True),
        ("https://immich.lan/api/x", "http://immich.lan/api/x", False),
        ("https://immich.lan/api/x", "https://immich.lan:8443/api/x", False),
        ("http://immich.lan:2283/api/x", "http://immich.lan:8080/api/x", False),
        ("http://immich.lan/api/x", "http://sso.lan/login", False),
        ("https://immich.lan/api/x", "https://auth.immich.lan/login", False),
        ("https://immich.lan/api/x", "https://immich.lan.evil.example/api/x", False),
        ("http://immich.lan/api/x", "ftp://immich.lan/api/x", False),
        ("http://immich.lan/api/x", "/api/y", False),
    ],
)
def test_safe_redirect_table(source: str, target: str, safe: bool) -> None:
    assert is_safe_redirect(URL(source), URL(target)) is safe
