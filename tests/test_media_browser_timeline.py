"""The media browser offers the timeline only on servers that have its buckets (v2.4 and later)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from immich_emulator import ADMIN_USER_ID

from .test_media_source import browse, child_ids

TIMELINE = f"{ADMIN_USER_ID}|timeline"


@pytest.mark.parametrize(
    ("emulator_profile", "listed"),
    [("v1.89.0", False), ("v1.135.0", False), ("v2.7.5", True), ("v3.0.3", True)],
)
async def test_timeline_listed_from_v2_4(
    hass: HomeAssistant, media_entry: MockConfigEntry, listed: bool
) -> None:
    root = await browse(hass, ADMIN_USER_ID)

    assert (TIMELINE in child_ids(root)) is listed
    assert f"{ADMIN_USER_ID}|albums" in child_ids(root)
