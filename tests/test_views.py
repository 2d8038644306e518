"""Media view: video ranges, image renditions, fullsize fallback, authentication and id checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.immich.api import (
    ImmichClient,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichTimeoutError,
)
from custom_components.immich.const import DOMAIN
from custom_components.immich.media_urls import async_sign_media_path
from immich_emulator import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    EmulatorServer,
)
from immich_emulator.library import PERSON_IDS, VIDEO_ASSET_ID
from immich_emulator.media import render
from immich_emulator.originals import sample_video

from .conftest import entry_data_for, setup_with_media_source

BOTH_PROFILES = pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
VIDEO_PATH = f"/immich/{ADMIN_USER_ID}/{VIDEO_ASSET_ID}/fullsize/video/mp4"
PHOTO_ID = "0b7ed609-432e-47ff-8c9d-b464ea4470ce"
VIDEO_SIZE = 45677
WINTER_ALBUM_ID = "c9792264-4004-4886-b8b5-faa5788ef38e"
UPLOAD_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def rendition(emulator: EmulatorServer, asset_id: str, size: str) -> tuple[bytes, str]:
    asset = emulator.library.assets[asset_id]
    return render(
        asset_id,
        asset["originalFileName"],
        size,
        int(asset.get("width") or 1600),
        int(asset.get("height") or 1200),
    )


async def scoped_entry(hass: HomeAssistant, emulator: EmulatorServer) -> MockConfigEntry:
    """Load an entry whose key lacks `person.read` and `asset.download`."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Second User (127.0.0.1)",
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, SCOPED_KEY),
        version=1,
        minor_version=2,
    )
    return await setup_with_media_source(hass, entry)


# Video


@BOTH_PROFILES
async def test_video_whole_file(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, media_entry: MockConfigEntry
) -> None:
    client = await hass_client()

    response = await client.get(VIDEO_PATH)

    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(VIDEO_SIZE)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response.headers
    assert await response.read() == sample_video()
    assert len(sample_video()) == VIDEO_SIZE


@BOTH_PROFILES
@pytest.mark.parametrize(
    ("byte_range", "start", "end"),
    [
        ("bytes=0-1023", 0, 1023),
        ("bytes=40000-45000", 40000, 45000),
        ("bytes=45000-", 45000, VIDEO_SIZE - 1),
        ("bytes=-677", VIDEO_SIZE - 677, VIDEO_SIZE - 1),
        ("bytes=45000-99999", 45000, VIDEO_SIZE - 1),
    ],
)
async def test_video_range(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    media_entry: MockConfigEntry,
    byte_range: str,
    start: int,
    end: int,
) -> None:
    client = await hass_client()

    response = await client.get(VIDEO_PATH, headers={"Range": byte_range})

    assert response.status == HTTPStatus.PARTIAL_CONTENT
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{VIDEO_SIZE}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert await response.read() == sample_video()[start : end + 1]


async def test_video_range_sent_upstream(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    client = await hass_client()
    etag = (await client.get(VIDEO_PATH)).headers["Etag"]

    matching = await client.get(VIDEO_PATH, headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = await client.get(VIDEO_PATH, headers={"Range": "bytes=0-9", "If-Range": '"old"'})

    assert matching.status == HTTPStatus.PARTIAL_CONTENT
    assert await matching.read() == sample_video()[:10]
    # The server ignores a range for another version of the file, as the proxy must let it.
    assert stale.status == HTTPStatus.OK
    assert len(await stale.read()) == VIDEO_SIZE


async def test_video_range_not_satisfiable(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, media_entry: MockConfigEntry
) -> None:
    client = await hass_client()

    response = await client.get(VIDEO_PATH, headers={"Range": "bytes=50000-"})

    assert response.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    assert response.headers["Content-Range"] == f"bytes */{VIDEO_SIZE}"


async def test_video_head(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, media_entry: MockConfigEntry
) -> None:
    client = await hass_client()

    response = await client.head(VIDEO_PATH, headers={"Range": "bytes=0-99"})

    assert response.status == HTTPStatus.PARTIAL_CONTENT
    assert response.headers["Content-Range"] == f"bytes 0-99/{VIDEO_SIZE}"
    assert await response.read() == b""


async def test_video_of_unknown_asset(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, media_entry: MockConfigEntry
) -> None:
    client = await hass_client()

    response = await client.get(
        f"/immich/{ADMIN_USER_ID}/00000000-0000-4000-8000-000000000000/fullsize/video/mp4"
    )

    assert response.status == HTTPStatus.NOT_FOUND


async def test_uploaded_video_streams_its_bytes(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    content = bytes(range(256)) * 40
    result = await media_entry.runtime_data.client.async_upload_asset(
        content,
        "clip.mp4",
        created_at=UPLOAD_TIME,
        modified_at=UPLOAD_TIME,
        device_asset_id=f"clip.mp4-{len(content)}",
        content_type="video/mp4",
    )
    client = await hass_client()

    response = await client.get(
        f"/immich/{ADMIN_USER_ID}/{result.id}/fullsize/video/mp4",
        headers={"Range": "bytes=1000-1999"},
    )

    assert not result.duplicate
    assert response.status == HTTPStatus.PARTIAL_CONTENT
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(content)}"
    assert await response.read() == content[1000:2000]


# Images


@BOTH_PROFILES
@pytest.mark.parametrize("size", ["thumbnail", "preview"])
async def test_image_rendition_with_server_content_type(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    size: str,
) -> None:
    content, content_type = rendition(emulator, PHOTO_ID, size)
    client = await hass_client()

    # The path's MIME type is what the built-in integration wrote; the server's type wins.
    response = await client.get(f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/{size}/image/png")

    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == content_type
    assert await response.read() == content


@BOTH_PROFILES
async def test_fullsize_falls_back_to_preview(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    preview, _ = rendition(emulator, PHOTO_ID, "preview")
    emulator.stats.reset()
    client = await hass_client()

    response = await client.get(f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/fullsize/image/jpeg")

    assert response.status == HTTPStatus.OK
    assert await response.read() == preview
    assert emulator.stats.requests[f"GET /api/assets/{PHOTO_ID}/thumbnail"] == 2
    assert emulator.stats.requests[f"GET /api/assets/{PHOTO_ID}/original"] == 0


async def test_fullsize_without_download_permission(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
) -> None:
    await scoped_entry(hass, emulator)
    winter_photo = emulator.library.albums[WINTER_ALBUM_ID].asset_ids[0]
    preview, _ = rendition(emulator, winter_photo, "preview")
    client = await hass_client()

    response = await client.get(f"/immich/{SECOND_USER_ID}/{winter_photo}/fullsize/image/jpeg")

    assert response.status == HTTPStatus.OK
    assert await response.read() == preview


async def test_redirect_goes_to_original(emulator: EmulatorServer) -> None:
    """The emulator redirects as Immich does; following it needs `asset.download`."""
    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        raw = await client.transport.request(
            "GET",
            f"assets/{PHOTO_ID}/thumbnail",
            params={"size": "fullsize"},
            allow_redirects=False,
        )
    winter_photo = emulator.library.albums[WINTER_ALBUM_ID].asset_ids[0]
    async with ImmichClient(emulator.url, SCOPED_KEY) as scoped:
        with pytest.raises(ImmichPermissionError) as raised:
            await scoped.transport.request("GET", f"assets/{winter_photo}/original")

    assert raw.status == HTTPStatus.FOUND
    assert raw.headers["Location"] == "original?"
    assert raised.value.permission == "asset.download"


async def test_person_thumbnail(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    alice = PERSON_IDS["Alice"]
    expected, content_type = render(alice, "Alice", "thumbnail", 250, 250)
    client = await hass_client()

    response = await client.get(f"/immich/{ADMIN_USER_ID}/{alice}/person/image/jpeg")

    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == content_type
    assert await response.read() == expected


async def test_missing_permission_is_403_and_logged_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await scoped_entry(hass, emulator)
    client = await hass_client()
    path = f"/immich/{SECOND_USER_ID}/{PERSON_IDS['Alice']}/person/image/jpeg"

    first = await client.get(path)
    second = await client.get(path)

    assert first.status == HTTPStatus.FORBIDDEN
    assert second.status == HTTPStatus.FORBIDDEN
    assert caplog.text.count("lacks the permission person.read") == 1


async def test_server_error_is_bad_gateway(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    emulator.add_fault("server_error", r"/thumbnail$", status=500)
    client = await hass_client()

    response = await client.get(f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/preview/image/jpeg")

    assert response.status == HTTPStatus.BAD_GATEWAY


# Paths and authentication


@pytest.mark.parametrize(
    ("location", "status"),
    [
        ("not-a-uuid/preview/image/jpeg", HTTPStatus.BAD_REQUEST),
        ("..%2F..%2Fserver%2Fstatistics/preview/image/jpeg", HTTPStatus.BAD_REQUEST),
        (f"{PHOTO_ID}/original/image/jpeg", HTTPStatus.NOT_FOUND),
        (f"{PHOTO_ID}/preview/jpeg", HTTPStatus.NOT_FOUND),
        (f"{PHOTO_ID}/preview/image/", HTTPStatus.NOT_FOUND),
        (f"{PHOTO_ID}/preview/image/jpeg/extra", HTTPStatus.NOT_FOUND),
    ],
)
async def test_rejects_malformed_paths_before_requests(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    location: str,
    status: HTTPStatus,
) -> None:
    client = await hass_client()
    emulator.stats.reset()

    response = await client.get(f"/immich/{ADMIN_USER_ID}/{location}")

    assert response.status == status
    assert emulator.stats.total == 0


async def test_unknown_account(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    client = await hass_client()
    emulator.stats.reset()

    response = await client.get(f"/immich/{SECOND_USER_ID}/{PHOTO_ID}/preview/image/jpeg")

    assert response.status == HTTPStatus.NOT_FOUND
    assert emulator.stats.total == 0


async def test_requires_authentication(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    client = await hass_client_no_auth()
    emulator.stats.reset()

    response = await client.get(VIDEO_PATH)

    assert response.status == HTTPStatus.UNAUTHORIZED
    assert emulator.stats.total == 0


async def test_resolved_url_is_signed(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    media_entry: MockConfigEntry,
) -> None:
    websocket = await hass_ws_client(hass)
    await websocket.send_json(
        {
            "id": 1,
            "type": "media_source/resolve_media",
            "media_content_id": (
                f"media-source://{DOMAIN}/{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|"
                f"{VIDEO_ASSET_ID}|VID_2024_12_04.mp4|video/mp4"
            ),
        }
    )
    message = await websocket.receive_json()
    assert message["success"], message
    url = message["result"]["url"]
    client = await hass_client_no_auth()

    signed = await client.get(url, headers={"Range": "bytes=0-1023"})
    tampered = await client.get(url.replace("fullsize", "preview"))

    assert url.startswith(VIDEO_PATH + "?authSig=")
    assert message["result"]["mime_type"] == "video/mp4"
    assert signed.status == HTTPStatus.PARTIAL_CONTENT
    assert await signed.read() == sample_video()[:1024]
    assert tampered.status == HTTPStatus.UNAUTHORIZED


async def test_signed_path_for_actions(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
) -> None:
    path = f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/preview/image/jpeg"
    preview, _ = rendition(emulator, PHOTO_ID, "preview")
    client = await hass_client_no_auth()

    valid = await client.get(async_sign_media_path(hass, path, timedelta(minutes=5)))
    expired = await client.get(async_sign_media_path(hass, path, timedelta(seconds=-1)))

    assert valid.status == HTTPStatus.OK
    assert await valid.read() == preview
    assert expired.status == HTTPStatus.UNAUTHORIZED


async def test_api_key_never_exposed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.add_fault("server_error", r"/thumbnail$", status=500, remaining=1)
    websocket = await hass_ws_client(hass)
    client = await hass_client()

    responses = [
        await client.get(f"/immich/{ADMIN_USER_ID}/{PHOTO_ID}/preview/image/jpeg"),
        await client.get(VIDEO_PATH, headers={"Range": "bytes=0-1"}),
    ]
    await websocket.send_json(
        {
            "id": 1,
            "type": "media_source/browse_media",
            "media_content_id": f"media-source://{DOMAIN}/{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}",
        }
    )
    browsed = await websocket.receive_json()

    assert browsed["success"]
    assert ADMIN_KEY not in str(browsed)
    for response in responses:
        assert ADMIN_KEY not in str(response.headers)
        assert ADMIN_KEY.encode() not in await response.read()
    assert ADMIN_KEY not in caplog.text


# Client streaming


async def test_stream_reads_in_chunks(emulator: EmulatorServer) -> None:
    async with (
        ImmichClient(emulator.url, ADMIN_KEY) as client,
        client.async_stream_video(VIDEO_ASSET_ID, byte_range="bytes=100-") as stream,
    ):
        chunks = [chunk async for chunk in stream.iter_chunks(4096)]

    assert stream.status == HTTPStatus.PARTIAL_CONTENT
    assert stream.headers["Content-Range"] == f"bytes 100-{VIDEO_SIZE - 1}/{VIDEO_SIZE}"
    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= 4096
    assert b"".join(chunks) == sample_video()[100:]


async def test_stream_closed_early(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        async with client.async_stream_video(VIDEO_ASSET_ID) as stream:
            first = await anext(stream.iter_chunks(1024))
        # The connection of the abandoned stream is closed; the next request still works.
        async with client.async_stream_video(VIDEO_ASSET_ID, byte_range="bytes=0-9") as again:
            rest = b"".join([chunk async for chunk in again.iter_chunks()])

    assert first == sample_video()[:1024]
    assert rest == sample_video()[:10]


async def test_stream_errors_are_mapped(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        with pytest.raises(ImmichNotFoundError):
            async with client.async_stream_video("00000000-0000-4000-8000-000000000000"):
                pass


async def test_stream_times_out_waiting_for_headers(emulator: EmulatorServer) -> None:
    emulator.add_fault("hang", r"/video/playback$", seconds=5)

    async with ImmichClient(emulator.url, ADMIN_KEY, request_timeout=0.2) as client:
        with pytest.raises(ImmichTimeoutError) as raised:
            async with client.async_stream_video(VIDEO_ASSET_ID):
                pass

    assert "timed out after 0.2 s" in str(raised.value)
