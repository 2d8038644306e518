"""Server URL forms: root, trailing slash, `/api`, and installs under a sub-path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from custom_components.immich.api import (
    ApiGeneration,
    ImmichClient,
    ImmichUnsupportedVersionError,
    InvalidServerUrlError,
    ServerUrlCredentialsError,
    format_server_url,
    normalize_server_url,
    remove_user_info,
)
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, HOLIDAYS_ALBUM_ID, EmulatorServer
from tests.generations import each_profile

BOTH_PROFILES = each_profile()
URL_SUFFIXES = pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/"])
PREFIX = "/photos"


@pytest.fixture
async def prefixed_emulator(
    socket_enabled: None, emulator_profile: str
) -> AsyncIterator[EmulatorServer]:
    """An emulated server whose API sits under `/photos/api`, as behind a reverse proxy."""
    server = EmulatorServer(emulator_profile, path_prefix=PREFIX)
    await server.start()
    yield server
    await server.stop()


async def call_every_operation(client: ImmichClient) -> None:
    """Send each kind of request the client has, so every route's URL is built once."""
    await client.async_detect_generation()
    await client.async_get_my_user()
    await client.async_get_about()
    await client.async_get_version_check()
    await client.async_get_features()
    await client.async_get_storage()
    await client.async_get_statistics()
    await client.async_get_asset_statistics()
    await client.async_get_queues()
    assets = await client.async_get_random_assets(5)
    await client.async_search_metadata(size=5)
    await client.async_get_memories(date(2026, 12, 4))
    await client.async_get_albums()
    await client.async_get_album(HOLIDAYS_ALBUM_ID)
    await client.async_get_asset(assets[0].id)
    await client.async_get_thumbnail(assets[0].id, "thumbnail")
    await client.async_get_people()
    await client.async_get_tags()


@BOTH_PROFILES
@URL_SUFFIXES
async def test_url_forms_reach_same_endpoints(emulator: EmulatorServer, suffix: str) -> None:
    async with ImmichClient(emulator.url + suffix, ADMIN_KEY) as client:
        user = await client.async_get_my_user()
        await call_every_operation(client)

        assert client.server_url == emulator.url

    assert user.id == ADMIN_USER_ID
    paths = [key.split(" ", 1)[1] for key in emulator.stats.requests]
    assert paths
    for path in paths:
        assert path.startswith("/api/"), path
        assert not path.startswith("/api/api/"), path
        assert "//" not in path, path


@BOTH_PROFILES
@URL_SUFFIXES
async def test_sub_path_kept_on_every_request(
    prefixed_emulator: EmulatorServer, suffix: str
) -> None:
    url = prefixed_emulator.origin + PREFIX + suffix

    async with ImmichClient(url, ADMIN_KEY) as client:
        await call_every_operation(client)

        assert client.server_url == prefixed_emulator.origin + PREFIX
        assert client.web_url("albums") == f"{prefixed_emulator.origin}{PREFIX}/albums"

    requests = prefixed_emulator.stats.requests
    me_path = "users/me" if prefixed_emulator.profile.version >= (1, 106, 0) else "user/me"
    assert requests[f"GET /photos/api/{me_path}"] == 1
    for key in requests:
        path = key.split(" ", 1)[1]
        assert path.startswith(f"{PREFIX}/api/"), path
        assert "//" not in path, path


@BOTH_PROFILES
async def test_sub_path_missing_from_url(prefixed_emulator: EmulatorServer) -> None:
    async with ImmichClient(prefixed_emulator.origin, ADMIN_KEY) as client:
        with pytest.raises(ImmichUnsupportedVersionError) as caught:
            await client.async_detect_generation()

    assert caught.value.version is None
    assert set(prefixed_emulator.stats.requests) == {
        "GET /api/server/version",
        "GET /api/server-info/version",
    }


@BOTH_PROFILES
async def test_sub_path_generation_detected(prefixed_emulator: EmulatorServer) -> None:
    expected = {
        "v1.89.0": ApiGeneration.V1_89,
        "v1.98.2": ApiGeneration.V1_89,
        "v1.106.1": ApiGeneration.V1_106,
        "v1.120.0": ApiGeneration.V1_118,
        "v1.135.0": ApiGeneration.V1_118,
        "v2.7.5": ApiGeneration.V2_4,
        "v3.0.3": ApiGeneration.V3,
    }
    async with ImmichClient(prefixed_emulator.url, ADMIN_KEY) as client:
        generation = await client.async_detect_generation()

    assert prefixed_emulator.url == prefixed_emulator.origin + PREFIX
    assert generation is expected[prefixed_emulator.profile.name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://127.0.0.1:2283", "http://127.0.0.1:2283"),
        ("http://127.0.0.1:2283/", "http://127.0.0.1:2283"),
        ("http://127.0.0.1:2283/api", "http://127.0.0.1:2283"),
        ("http://127.0.0.1:2283/api/", "http://127.0.0.1:2283"),
        ("  https://photos.example.com/  ", "https://photos.example.com"),
        ("https://example.com/photos", "https://example.com/photos"),
        ("https://example.com/photos/api/", "https://example.com/photos"),
        ("https://example.com/photos/?tab=1#top", "https://example.com/photos"),
        ("HTTPS://Example.com:8443/api", "https://example.com:8443"),
    ],
)
def test_normalize_server_url(text: str, expected: str) -> None:
    assert format_server_url(normalize_server_url(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["192.168.1.10:2283", "ftp://example.com", "http://", "example.com/api", "", "not a url"],
)
def test_normalize_rejects_invalid_url(text: str) -> None:
    with pytest.raises(InvalidServerUrlError):
        normalize_server_url(text)


@pytest.mark.parametrize(
    "text",
    [
        "http://alice:s3cretpw@127.0.0.1:2283/",
        "http://alice@127.0.0.1:2283",
        "http://:s3cretpw@127.0.0.1:2283/api",
        "https://alice%40home:s3cretpw@example.com/photos",
    ],
)
def test_normalize_rejects_user_info(text: str) -> None:
    with pytest.raises(ServerUrlCredentialsError) as caught:
        normalize_server_url(text)

    assert isinstance(caught.value, InvalidServerUrlError)
    assert "s3cretpw" not in str(caught.value)
    assert "alice" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://alice:s3cretpw@127.0.0.1:2283/", "http://127.0.0.1:2283/"),
        ("https://alice@example.com/photos/api", "https://example.com/photos/api"),
        ("http://127.0.0.1:2283", "http://127.0.0.1:2283"),
    ],
)
def test_remove_user_info(text: str, expected: str) -> None:
    assert remove_user_info(text) == expected


def test_client_rejects_user_info() -> None:
    with pytest.raises(ServerUrlCredentialsError):
        ImmichClient("http://alice:s3cretpw@127.0.0.1:2283", ADMIN_KEY)
