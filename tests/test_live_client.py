"""The client's live connection on its own, without Home Assistant, over real websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import socket

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from custom_components.immich.api import (
    ImmichClient,
    ImmichLiveError,
    LiveEvent,
    LiveEventType,
    LiveUnavailableReason,
)
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, EmulatorServer

from .http_servers import RequestLog, logging_app, redirecting_app, serve
from .test_live_updates import wait_for


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def live_client(url: str, session: aiohttp.ClientSession, timeout: float = 5.0) -> ImmichClient:
    return ImmichClient(url, ADMIN_KEY, session=session, request_timeout=timeout)


async def test_events_arrive_parsed_and_close_ends_the_wait(
    session: aiohttp.ClientSession,
) -> None:
    received: list[LiveEvent] = []
    async with EmulatorServer(path_prefix="photos") as emulator:
        emulator.library.release_version = None
        connection = live_client(emulator.url, session).live_connection(received.append)
        await connection.async_connect()

        emulator.emit_event(
            ADMIN_USER_ID, "on_asset_trash", ["0000000A-0000-4000-8000-000000000001"]
        )
        await wait_for(lambda: len(received) == 2, "two events")
        await connection.async_close()
        reason = await connection.async_wait_closed()

    assert [event.type for event in received] == [
        LiveEventType.SERVER_VERSION,
        LiveEventType.TRASHED,
    ]
    assert received[1].asset_ids == ("0000000a-0000-4000-8000-000000000001",)
    assert reason == "closed by Home Assistant"
    assert not connection.connected


async def test_server_dropping_the_socket_ends_the_wait(session: aiohttp.ClientSession) -> None:
    async with EmulatorServer() as emulator:
        connection = live_client(emulator.url, session).live_connection(lambda event: None)
        await connection.async_connect()

        await emulator.drop_sockets()
        async with asyncio.timeout(5):
            reason = await connection.async_wait_closed()

    assert "disconnected" in reason


async def test_redirect_is_not_followed_with_the_key(session: aiohttp.ClientSession) -> None:
    log = RequestLog()
    async with serve(logging_app(log)) as sign_in, serve(redirecting_app(sign_in)) as proxy:
        connection = live_client(proxy, session).live_connection(lambda event: None)
        with pytest.raises(ImmichLiveError) as caught:
            await connection.async_connect()

    assert caught.value.reason is LiveUnavailableReason.REDIRECTED
    assert str(URL(sign_in).origin()) in str(caught.value)
    assert log.requests == []
    assert log.api_keys == []


def upgrade_redirecting_app(location: str) -> web.Application:
    """Return a proxy that responds to plain requests as engine.io does and redirects only
    websocket upgrades, which a check with a plain request alone would miss."""

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return web.Response(status=302, headers={"Location": f"{location}{request.path_qs}"})
        return web.json_response({"code": 3, "message": "Bad request"}, status=400)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def test_redirect_of_upgrade_only_is_not_followed(session: aiohttp.ClientSession) -> None:
    log = RequestLog()
    async with (
        serve(logging_app(log)) as sign_in,
        serve(upgrade_redirecting_app(sign_in)) as proxy,
    ):
        connection = live_client(proxy, session).live_connection(lambda event: None)
        with pytest.raises(ImmichLiveError) as caught:
            await connection.async_connect()

    assert caught.value.reason is LiveUnavailableReason.REDIRECTED
    assert str(URL(sign_in).origin()) in str(caught.value)
    assert log.requests == []
    assert log.api_keys == []


async def test_proxy_sign_in_is_named(session: aiohttp.ClientSession) -> None:
    async def sign_in_required(request: web.Request) -> web.Response:
        return web.Response(status=401, text="<html>Sign in</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", sign_in_required)
    async with serve(app) as proxy:
        connection = live_client(proxy, session).live_connection(lambda event: None)
        with pytest.raises(ImmichLiveError) as caught:
            await connection.async_connect()

    assert caught.value.reason is LiveUnavailableReason.UPGRADE_REJECTED
    assert "asks for its own sign-in" in str(caught.value)


async def test_refused_connection(session: aiohttp.ClientSession) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    connection = live_client(f"http://127.0.0.1:{port}", session).live_connection(
        lambda event: None
    )

    with pytest.raises(ImmichLiveError) as caught:
        await connection.async_connect()

    assert caught.value.reason is LiveUnavailableReason.CONNECTION_FAILED


async def test_hanging_server_times_out(session: aiohttp.ClientSession) -> None:
    release = asyncio.Event()
    handlers: list[asyncio.Task[None]] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    def start_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.ensure_future(never_answer(reader, writer)))

    server = await asyncio.start_server(start_handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        connection = live_client(f"http://127.0.0.1:{port}", session, timeout=0.3).live_connection(
            lambda event: None
        )
        with pytest.raises(ImmichLiveError) as caught:
            await connection.async_connect()
    finally:
        release.set()
        await asyncio.gather(*handlers)
        server.close()
        await server.wait_closed()

    assert caught.value.reason is LiveUnavailableReason.TIMEOUT
    assert ADMIN_KEY not in str(caught.value)
