"""The upload_file action: uploads with the file's dates, albums, duplicates and every error."""

from __future__ import annotations

from datetime import UTC, datetime
import io
import logging
import os
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import DOMAIN
from immich_emulator import (
    ADMIN_USER_ID,
    EMPTY_ALBUM_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    EmulatorServer,
)
from immich_emulator.library import SCOPED_PERMISSIONS, VIDEO_ASSET_ID
from immich_emulator.originals import sample_video

from .conftest import entry_data_for, setup_with_media_source

BOTH_PROFILES = pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
FILE_TIME = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
UPLOAD_KEY = "upload-without-album-key-0123456789"


@pytest.fixture
def media_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A local media folder `local` for the media source."""
    hass.config.media_dirs = {"local": str(tmp_path)}
    return tmp_path


@pytest.fixture
async def upload_entry(
    hass: HomeAssistant, media_folder: Path, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The admin's entry, loaded after the media folder is configured."""
    return await setup_with_media_source(hass, config_entry)


def write_photo(folder: Path, name: str = "photo.jpg", colour: str = "teal") -> bytes:
    """Write a real JPEG dated FILE_TIME and return its bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG")
    path = folder / name
    path.write_bytes(buffer.getvalue())
    os.utime(path, (FILE_TIME.timestamp(), FILE_TIME.timestamp()))
    return buffer.getvalue()


def local_media(name: str, content_type: str = "image/jpeg") -> dict[str, str]:
    return {
        "media_content_id": f"media-source://media_source/local/{name}",
        "media_content_type": content_type,
    }


async def upload(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "upload_file",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )


async def second_user_entry(
    hass: HomeAssistant, emulator: EmulatorServer, api_key: str
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Second User (127.0.0.1)",
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, api_key),
        version=1,
        minor_version=2,
    )
    return await setup_with_media_source(hass, entry)


@BOTH_PROFILES
async def test_upload_into_album(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    upload_entry: MockConfigEntry,
    media_folder: Path,
    emulator_profile: str,
) -> None:
    content = write_photo(media_folder)

    response = await upload(
        hass, upload_entry, file=local_media("photo.jpg"), album_id=HOLIDAYS_ALBUM_ID
    )

    asset_id = response["asset_id"]
    assert response == {"asset_id": asset_id, "duplicate": False}
    asset = emulator.library.assets[asset_id]
    assert asset["ownerId"] == ADMIN_USER_ID
    assert asset["originalFileName"] == "photo.jpg"
    assert asset["type"] == "IMAGE"
    assert asset["fileCreatedAt"] == "2021-03-04T05:06:07.000Z"
    assert asset["fileModifiedAt"] == "2021-03-04T05:06:07.000Z"
    assert emulator.library.originals[asset_id] == content
    assert asset_id in emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids
    if emulator_profile == "v2.7.5":
        assert asset["deviceAssetId"] == f"photo.jpg-{len(content)}"
        assert asset["deviceId"] == "home-assistant"


async def test_upload_video_without_album(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    upload_entry: MockConfigEntry,
    media_folder: Path,
) -> None:
    (media_folder / "clip.mp4").write_bytes(sample_video()[:-1] + b"\x01")
    albums_before = {k: list(v.asset_ids) for k, v in emulator.library.albums.items()}

    response = await upload(hass, upload_entry, file=local_media("clip.mp4", "video/mp4"))

    asset = emulator.library.assets[response["asset_id"]]
    assert asset["type"] == "VIDEO"
    assert asset["originalMimeType"] == "video/mp4"
    assert {k: v.asset_ids for k, v in emulator.library.albums.items()} == albums_before


@BOTH_PROFILES
async def test_duplicate_reports_existing_asset(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    upload_entry: MockConfigEntry,
    media_folder: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "custom_components.immich")
    write_photo(media_folder)
    first = await upload(hass, upload_entry, file=local_media("photo.jpg"), album_id=EMPTY_ALBUM_ID)
    write_photo(media_folder, "copy.jpg")
    asset_count = len(emulator.library.assets)

    second = await upload(hass, upload_entry, file=local_media("copy.jpg"), album_id=EMPTY_ALBUM_ID)

    assert second == {"asset_id": first["asset_id"], "duplicate": True}
    assert len(emulator.library.assets) == asset_count
    assert emulator.library.albums[EMPTY_ALBUM_ID].asset_ids == [first["asset_id"]]
    assert f"already in Immich as asset {first['asset_id']}" in caplog.text


async def test_upload_without_response(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    upload_entry: MockConfigEntry,
    media_folder: Path,
) -> None:
    write_photo(media_folder)
    asset_count = len(emulator.library.assets)

    result = await hass.services.async_call(
        DOMAIN,
        "upload_file",
        {"config_entry_id": upload_entry.entry_id, "file": local_media("photo.jpg")},
        blocking=True,
    )

    assert result is None
    assert len(emulator.library.assets) == asset_count + 1


# Errors


async def test_media_that_is_not_a_local_file(
    hass: HomeAssistant, emulator: EmulatorServer, upload_entry: MockConfigEntry
) -> None:
    immich_item = {
        "media_content_id": (
            f"media-source://{DOMAIN}/{ADMIN_USER_ID}|albums|{HOLIDAYS_ALBUM_ID}|"
            f"{VIDEO_ASSET_ID}|VID_2024_12_04.mp4|video/mp4"
        ),
        "media_content_type": "video/mp4",
    }
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=immich_item)

    assert raised.value.translation_key == "only_local_media_supported"
    assert emulator.stats.requests["POST /api/assets"] == 0


async def test_media_that_cannot_be_resolved(
    hass: HomeAssistant, upload_entry: MockConfigEntry, media_folder: Path
) -> None:
    missing_folder = {
        "media_content_id": "media-source://media_source/elsewhere/photo.jpg",
        "media_content_type": "image/jpeg",
    }

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=missing_folder)

    assert raised.value.translation_key == "media_not_resolvable"


async def test_missing_file(
    hass: HomeAssistant, emulator: EmulatorServer, upload_entry: MockConfigEntry, media_folder: Path
) -> None:
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=local_media("absent.jpg"))

    assert raised.value.translation_key == "file_not_readable"
    assert raised.value.translation_placeholders["path"] == str(media_folder / "absent.jpg")
    assert emulator.stats.requests["POST /api/assets"] == 0


@pytest.mark.parametrize(
    ("album_id", "translation_key"),
    [
        ("00000000-0000-4000-8000-000000000000", "album_not_found"),
        ("Holidays", "invalid_album_id"),
    ],
)
async def test_album_rejected_before_upload(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    upload_entry: MockConfigEntry,
    media_folder: Path,
    album_id: str,
    translation_key: str,
) -> None:
    write_photo(media_folder)
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=local_media("photo.jpg"), album_id=album_id)

    assert raised.value.translation_key == translation_key
    assert raised.value.translation_placeholders == {"album_id": album_id}
    assert emulator.stats.requests["POST /api/assets"] == 0


async def test_album_of_another_user(
    hass: HomeAssistant, emulator: EmulatorServer, media_folder: Path
) -> None:
    entry = await second_user_entry(hass, emulator, SCOPED_KEY)
    write_photo(media_folder)

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, entry, file=local_media("photo.jpg"), album_id=HOLIDAYS_ALBUM_ID)

    assert raised.value.translation_key == "album_not_found"


async def test_missing_upload_permission(
    hass: HomeAssistant, emulator: EmulatorServer, media_folder: Path
) -> None:
    entry = await second_user_entry(hass, emulator, SCOPED_KEY)
    write_photo(media_folder)
    asset_count = len(emulator.library.assets)

    with pytest.raises(HomeAssistantError) as raised:
        await upload(hass, entry, file=local_media("photo.jpg"))

    assert raised.value.translation_key == "missing_permission"
    assert raised.value.translation_placeholders == {"permission": "asset.upload"}
    assert len(emulator.library.assets) == asset_count


async def test_missing_album_permission(
    hass: HomeAssistant, emulator: EmulatorServer, media_folder: Path
) -> None:
    emulator.library.add_key(UPLOAD_KEY, SECOND_USER_ID, SCOPED_PERMISSIONS | {"asset.upload"})
    entry = await second_user_entry(hass, emulator, UPLOAD_KEY)
    write_photo(media_folder)
    winter = "c9792264-4004-4886-b8b5-faa5788ef38e"
    before = list(emulator.library.albums[winter].asset_ids)

    with pytest.raises(HomeAssistantError) as raised:
        await upload(hass, entry, file=local_media("photo.jpg"), album_id=winter)

    assert raised.value.translation_key == "missing_permission"
    assert raised.value.translation_placeholders == {"permission": "albumAsset.create"}
    assert emulator.library.albums[winter].asset_ids == before


async def test_upload_server_error(
    hass: HomeAssistant, emulator: EmulatorServer, upload_entry: MockConfigEntry, media_folder: Path
) -> None:
    write_photo(media_folder)
    emulator.add_fault("server_error", r"POST /api/assets$", status=500)

    with pytest.raises(HomeAssistantError) as raised:
        await upload(hass, upload_entry, file=local_media("photo.jpg"))

    assert raised.value.translation_key == "upload_failed"
    assert "HTTP 500" in raised.value.translation_placeholders["error"]


async def test_unknown_entry(hass: HomeAssistant, upload_entry: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "upload_file",
            {"config_entry_id": "no-such-entry", "file": local_media("photo.jpg")},
            blocking=True,
        )

    assert raised.value.translation_key == "config_entry_not_found"


async def test_entry_not_loaded(hass: HomeAssistant, upload_entry: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(upload_entry.entry_id)

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=local_media("photo.jpg"))

    assert raised.value.translation_key == "config_entry_not_loaded"


async def test_album_lookup_server_error(
    hass: HomeAssistant, emulator: EmulatorServer, upload_entry: MockConfigEntry, media_folder: Path
) -> None:
    write_photo(media_folder)
    emulator.add_fault("server_error", rf"GET /api/albums/{HOLIDAYS_ALBUM_ID}$", status=500)
    emulator.stats.reset()

    with pytest.raises(HomeAssistantError) as raised:
        await upload(hass, upload_entry, file=local_media("photo.jpg"), album_id=HOLIDAYS_ALBUM_ID)

    assert raised.value.translation_key == "album_lookup_failed"
    assert "HTTP 500" in raised.value.translation_placeholders["error"]
    assert emulator.stats.requests["POST /api/assets"] == 0


async def test_file_type_rejected_by_server(
    hass: HomeAssistant, emulator: EmulatorServer, upload_entry: MockConfigEntry, media_folder: Path
) -> None:
    (media_folder / "notes.txt").write_text("not a photo")

    with pytest.raises(ServiceValidationError) as raised:
        await upload(hass, upload_entry, file=local_media("notes.txt", "text/plain"))

    assert raised.value.translation_key == "upload_failed"
    assert "notes.txt" in raised.value.translation_placeholders["error"]
