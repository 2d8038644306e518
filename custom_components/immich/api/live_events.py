"""Typed events from Immich's socket.io endpoint, parsed from the frames' names and payloads.

Immich sends each event to the sockets of the user it concerns, so a key receives the
events of its own user's library. Payload shapes follow the frames captured from Immich
v2.7.5: a whole asset for uploads and updates, a list of ids for trash and restore, and one
id for a delete or a hidden asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import logging
from typing import Any

from .ids import is_uuid
from .models import Asset, ServerVersion
from .parsing import describe_shape_error

_LOGGER = logging.getLogger(__name__)


class LiveEventType(StrEnum):
    """Kind of change, with the names the integration's event entity uses as event types."""

    UPLOADED = "uploaded"
    UPDATED = "updated"
    TRASHED = "trashed"
    RESTORED = "restored"
    DELETED = "deleted"
    HIDDEN = "hidden"
    SERVER_VERSION = "server_version"
    NEW_RELEASE = "new_release"
    CONFIG_UPDATED = "config_updated"


ASSET_EVENT_TYPES = frozenset(
    {
        LiveEventType.UPLOADED,
        LiveEventType.UPDATED,
        LiveEventType.TRASHED,
        LiveEventType.RESTORED,
        LiveEventType.DELETED,
        LiveEventType.HIDDEN,
    }
)
REMOVAL_EVENT_TYPES = frozenset(
    {LiveEventType.TRASHED, LiveEventType.DELETED, LiveEventType.HIDDEN}
)
"""Events after which the assets no longer belong in a slideshow."""

# `AssetUploadReadyV1` repeats `on_upload_success` for Immich's newer mobile sync, and the
# person, stack, user and session events change nothing the integration shows.
_EVENT_TYPES = {
    "on_upload_success": LiveEventType.UPLOADED,
    "on_asset_update": LiveEventType.UPDATED,
    "on_asset_trash": LiveEventType.TRASHED,
    "on_asset_restore": LiveEventType.RESTORED,
    "on_asset_delete": LiveEventType.DELETED,
    "on_asset_hidden": LiveEventType.HIDDEN,
    "on_server_version": LiveEventType.SERVER_VERSION,
    "on_new_release": LiveEventType.NEW_RELEASE,
    "on_config_update": LiveEventType.CONFIG_UPDATED,
}


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event: its type, the assets it names, and the asset or version it carries."""

    type: LiveEventType
    asset_ids: tuple[str, ...] = ()
    asset: Asset | None = None
    """The whole asset, for uploads and updates."""
    version: ServerVersion | None = None
    """The server's version, for `server_version`."""


def parse_live_event(name: str, payload: Any) -> LiveEvent | None:
    """Return the event a frame carries, or None for an event the integration ignores or a
    payload of an unexpected shape (logged at debug level)."""
    event_type = _EVENT_TYPES.get(name)
    if event_type is None:
        return None
    try:
        return _parse(event_type, payload)
    except (KeyError, TypeError, ValueError) as err:
        _LOGGER.debug("Ignoring Immich event %s: %s", name, describe_shape_error(err))
        return None


def _parse(event_type: LiveEventType, payload: Any) -> LiveEvent | None:
    if event_type in (LiveEventType.UPLOADED, LiveEventType.UPDATED):
        asset = Asset.from_dict(payload)
        if not is_uuid(asset.id):
            raise ValueError(f"asset id {asset.id!r} is not a UUID")
        return LiveEvent(event_type, asset_ids=(asset.id.lower(),), asset=asset)

    if event_type in (LiveEventType.TRASHED, LiveEventType.RESTORED):
        return _with_ids(event_type, payload)

    if event_type in (LiveEventType.DELETED, LiveEventType.HIDDEN):
        return _with_ids(event_type, [payload])

    if event_type is LiveEventType.SERVER_VERSION:
        return LiveEvent(event_type, version=ServerVersion.from_dict(payload))

    return LiveEvent(event_type)


def _with_ids(event_type: LiveEventType, ids: Any) -> LiveEvent | None:
    if not isinstance(ids, list):
        raise TypeError(f"expected a list of asset ids, got {type(ids).__name__}")
    valid = tuple(item.lower() for item in ids if isinstance(item, str) and is_uuid(item))
    if not valid:
        raise ValueError("no asset id is a UUID")
    return LiveEvent(event_type, asset_ids=valid)
