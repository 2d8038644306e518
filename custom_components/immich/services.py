"""The `immich.upload_file` action: upload a local photo or video, optionally into an album."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import mimetypes
import os
from pathlib import Path
import stat
from typing import BinaryIO

from homeassistant.components.media_source import async_resolve_media
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .action_helpers import async_get_album_for_action, entry_for_action, service_error
from .api import (
    ImmichBadRequestError,
    ImmichClient,
    ImmichError,
    ImmichPermissionError,
    UploadResult,
)
from .compat import local_media_path, media_selector_schema, vol
from .const import DOMAIN, LOGGER

SERVICE_UPLOAD_FILE = "upload_file"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_FILE = "file"
ATTR_ALBUM_ID = "album_id"
ACCEPTED_MEDIA = ["image/*", "video/*"]

UPLOAD_FILE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): str,
        vol.Required(ATTR_FILE): media_selector_schema(ACCEPTED_MEDIA),
        vol.Optional(ATTR_ALBUM_ID): str,
    }
)
# The error `PUT /albums/{id}/assets` returns for an asset already in the album; no failure here.
ALREADY_IN_ALBUM = "duplicate"


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_UPLOAD_FILE,
        _async_upload_file,
        schema=UPLOAD_FILE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


@dataclass(slots=True)
class LocalFile:
    """A local file opened for upload, with what Immich needs to know about it."""

    file: BinaryIO
    name: str
    size: int
    modified_at: datetime
    mime_type: str | None


def _open_local_file(path: Path) -> LocalFile:
    """Open a regular file and read its metadata; blocking, so it runs in an executor."""
    file = path.open("rb")
    try:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
    except OSError:
        file.close()
        raise
    return LocalFile(
        file=file,
        name=path.name,
        size=status.st_size,
        modified_at=datetime.fromtimestamp(status.st_mtime, UTC),
        mime_type=mimetypes.guess_type(path.name)[0],
    )


async def _async_upload_file(call: ServiceCall) -> ServiceResponse:
    """Upload the file, add it to the album if one is given, and return its asset id."""
    hass = call.hass
    entry = entry_for_action(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    client = entry.runtime_data.client
    album_id = (call.data.get(ATTR_ALBUM_ID) or "").strip() or None
    if album_id is not None:
        await _async_check_album(client, album_id)

    path = await _async_local_path(hass, call.data[ATTR_FILE]["media_content_id"])
    try:
        local_file = await hass.async_add_executor_job(_open_local_file, path)
    except OSError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_readable",
            translation_placeholders={"path": str(path), "error": err.strerror or str(err)},
        ) from err

    try:
        result = await _async_upload(client, local_file, path)
    finally:
        await hass.async_add_executor_job(local_file.file.close)

    if result.duplicate:
        LOGGER.info("%s is already in Immich as asset %s; nothing was uploaded", path, result.id)
    else:
        LOGGER.debug("Uploaded %s to Immich as asset %s", path, result.id)
    if album_id is not None:
        await _async_add_to_album(client, album_id, result.id, path)

    if not call.return_response:
        return None
    return {"asset_id": result.id, "duplicate": result.duplicate}


async def _async_check_album(client: ImmichClient, album_id: str) -> None:
    """Reject an album id that is malformed or unknown before anything is uploaded."""
    try:
        await async_get_album_for_action(client, album_id)
    except ImmichPermissionError as err:
        raise service_error(err) from err
    except ImmichError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="album_lookup_failed",
            translation_placeholders={"album_id": album_id, "error": str(err)},
        ) from err


async def _async_local_path(hass: HomeAssistant, media_content_id: str) -> Path:
    try:
        media = await async_resolve_media(hass, media_content_id, None)
    except HomeAssistantError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_not_resolvable",
            translation_placeholders={"media_content_id": media_content_id, "error": str(err)},
        ) from err
    path = local_media_path(hass, media_content_id, media)
    if path is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="only_local_media_supported",
            translation_placeholders={"media_content_id": media_content_id},
        )
    return path


async def _async_upload(client: ImmichClient, local_file: LocalFile, path: Path) -> UploadResult:
    try:
        return await client.async_upload_asset(
            local_file.file,
            local_file.name,
            created_at=local_file.modified_at,
            modified_at=local_file.modified_at,
            device_asset_id=f"{local_file.name}-{local_file.size}",
            content_type=local_file.mime_type,
        )
    except ImmichPermissionError as err:
        raise service_error(err) from err
    except ImmichBadRequestError as err:
        # Immich rejected the file itself, for example a type it does not store.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="upload_failed",
            translation_placeholders={"path": str(path), "error": err.server_message or str(err)},
        ) from err
    except ImmichError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="upload_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err


async def _async_add_to_album(
    client: ImmichClient, album_id: str, asset_id: str, path: Path
) -> None:
    try:
        results = await client.async_add_assets_to_album(album_id, [asset_id])
    except ImmichPermissionError as err:
        raise service_error(err) from err
    except ImmichError as err:
        reason = str(err)
    else:
        failed = [r for r in results if not r.success and r.error != ALREADY_IN_ALBUM]
        if not failed:
            return
        reason = failed[0].error or "unknown"
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="add_to_album_failed",
        translation_placeholders={
            "path": str(path),
            "asset_id": asset_id,
            "album_id": album_id,
            "error": reason,
        },
    )
