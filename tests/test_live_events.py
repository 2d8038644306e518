"""Parsing of Immich's socket.io events, from the frames a real Immich v2.7.5 server sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.immich.api import LiveEventType, ServerVersion, parse_live_event
from immich_emulator.captures import CAPTURES_DIR

CAPTURE = CAPTURES_DIR / "v2.7.5" / "websocket_events.json"
"""The frames captured from a real Immich v2.7.5 server, bundled with the emulator."""
ASSET_ID = "ed51354f-ca02-4638-b535-5bd0efd05b34"


def captured_events() -> dict[str, Any]:
    """Return the payload of each event frame in the capture, by event name."""
    frames = json.loads(CAPTURE.read_text(encoding="utf-8"))["frames"]
    events: dict[str, Any] = {}
    for frame in frames:
        text = frame.get("frame", "")
        if text.startswith("42"):
            name, payload = json.loads(text[2:])
            events[name] = payload
    return events


@pytest.fixture(scope="module")
def events() -> dict[str, Any]:
    return captured_events()


def test_upload_carries_the_asset(events: dict[str, Any]) -> None:
    event = parse_live_event("on_upload_success", events["on_upload_success"])

    assert event is not None
    assert event.type is LiveEventType.UPLOADED
    assert event.asset_ids == (ASSET_ID,)
    assert event.asset is not None
    assert event.asset.original_file_name == "event-capture.jpg"
    assert event.asset.taken_at is not None
    assert event.asset.taken_at.isoformat() == "2026-12-04T20:30:00+00:00"


def test_update_carries_the_new_favorite_flag(events: dict[str, Any]) -> None:
    event = parse_live_event("on_asset_update", events["on_asset_update"])

    assert event is not None
    assert event.type is LiveEventType.UPDATED
    assert event.asset is not None
    assert event.asset.is_favorite is True


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("on_asset_trash", LiveEventType.TRASHED),
        ("on_asset_restore", LiveEventType.RESTORED),
        ("on_asset_delete", LiveEventType.DELETED),
    ],
)
def test_removals_name_asset_ids(
    events: dict[str, Any], name: str, event_type: LiveEventType
) -> None:
    event = parse_live_event(name, events[name])

    assert event is not None
    assert event.type is event_type
    assert event.asset_ids == (ASSET_ID,)
    assert event.asset is None


def test_server_version(events: dict[str, Any]) -> None:
    event = parse_live_event("on_server_version", events["on_server_version"])

    assert event is not None
    assert event.version == ServerVersion(2, 7, 5)


def test_upload_ready_duplicate_is_ignored(events: dict[str, Any]) -> None:
    assert parse_live_event("AssetUploadReadyV1", events["AssetUploadReadyV1"]) is None


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("on_asset_trash", "not a list"),
        ("on_asset_trash", ["../../etc/passwd", 5]),
        ("on_asset_delete", None),
        ("on_upload_success", {"id": "not-a-uuid"}),
        ("on_upload_success", []),
        ("on_server_version", {"major": "two"}),
        ("on_person_thumbnail", "a1b2"),
    ],
)
def test_unexpected_payloads_are_ignored(name: str, payload: Any) -> None:
    assert parse_live_event(name, payload) is None


def test_ids_are_sent_lowercase() -> None:
    event = parse_live_event("on_asset_trash", [ASSET_ID.upper()])

    assert event is not None
    assert event.asset_ids == (ASSET_ID,)
