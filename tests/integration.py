"""Helpers for tests of the polled entities: setup, polls, entity lookup and expected values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.immich.compat import ha_version_at_least
from custom_components.immich.const import DOMAIN
from immich_emulator import SECOND_USER_ID, USER_KEY, EmulatorServer, Library
from immich_emulator.routes import asset_size

from .conftest import entry_data_for

# Registry entries and states carry fields that differ between Home Assistant versions, so
# the stored snapshots match only the newest version the tests run on.
snapshot_on_newest = pytest.mark.skipif(
    not ha_version_at_least("2026.10.0"), reason="snapshots are recorded on Home Assistant 2026.10"
)


def integration_records(
    caplog: pytest.LogCaptureFixture, level: int = logging.WARNING
) -> list[logging.LogRecord]:
    """Return the integration's own records at `level` or above."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.immich") and record.levelno >= level
    ]


def user_config_entry(emulator: EmulatorServer) -> MockConfigEntry:
    """Return an entry for the emulator's non-admin user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Second User (127.0.0.1)",
        unique_id=SECOND_USER_ID,
        data=entry_data_for(emulator, USER_KEY),
        version=1,
        minor_version=2,
    )


async def setup_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    expected_state: ConfigEntryState = ConfigEntryState.LOADED,
) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is expected_state


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, interval: timedelta) -> None:
    """Move the clock on by an interval and let the coordinators that are due poll."""
    freezer.tick(interval)
    async_fire_time_changed(hass)
    # Coordinators poll in background tasks, which block_till_done skips unless asked.
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id_for(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity ID registered for a unique ID, and fail when there is none."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, f"no {platform} entity with unique ID {unique_id}"
    return entity_id


def state_of(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    state = hass.states.get(entity_id_for(hass, platform, unique_id))
    assert state is not None, f"no state for {platform} {unique_id}"
    return state.state


def gib(size_in_bytes: int) -> float:
    return size_in_bytes / 1024**3


@dataclass(frozen=True, slots=True)
class UserTotals:
    """One user's non-trashed assets as the emulator counts them for statistics."""

    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int


def user_totals(library: Library, user_id: str) -> UserTotals:
    owned = [
        asset
        for asset in library.assets.values()
        if asset["ownerId"] == user_id and not asset.get("isTrashed")
    ]
    photos = [asset for asset in owned if asset["type"] == "IMAGE"]
    videos = [asset for asset in owned if asset["type"] == "VIDEO"]
    return UserTotals(
        photos=len(photos),
        videos=len(videos),
        usage=sum(map(asset_size, owned)),
        usage_photos=sum(map(asset_size, photos)),
        usage_videos=sum(map(asset_size, videos)),
    )


def server_totals(library: Library) -> UserTotals:
    per_user = [user_totals(library, user_id) for user_id in library.users]
    return UserTotals(
        photos=sum(totals.photos for totals in per_user),
        videos=sum(totals.videos for totals in per_user),
        usage=sum(totals.usage for totals in per_user),
        usage_photos=sum(totals.usage_photos for totals in per_user),
        usage_videos=sum(totals.usage_videos for totals in per_user),
    )
