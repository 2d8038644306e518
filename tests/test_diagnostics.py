"""Diagnostics: server generation, routes and polled data, with secrets and personal data redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import paths

from custom_components.immich.api import ApiGeneration, ServerVersion
from immich_emulator import ADMIN_KEY, EmulatorServer
from tests.generations import snapshot_release

from .integration import setup_entry, snapshot_on_newest


async def diagnostics_of(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    await setup_entry(hass, entry)
    data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert isinstance(data, dict)
    return data


async def test_secrets_and_names_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
) -> None:
    data = await diagnostics_of(hass, hass_client, config_entry)

    entry_data = data["entry"]["data"]
    for key in ("api_key", "host", "url"):
        assert entry_data[key] == REDACTED, key
    assert data["entry"]["title"] == REDACTED
    assert data["user"]["name"] == REDACTED
    assert data["user"]["email"] == REDACTED
    usage_by_user = data["statistics"]["server"]["usage_by_user"]
    assert len(usage_by_user) == len(emulator.library.users)
    assert all(usage["user_name"] == REDACTED for usage in usage_by_user)

    text = json.dumps(data)
    assert ADMIN_KEY not in text
    assert "127.0.0.1" not in text
    for user in emulator.library.users.values():
        assert user["email"] not in text
        assert user["name"] not in text


async def test_server_details(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
) -> None:
    data = await diagnostics_of(hass, hass_client, config_entry)

    assert data["server"]["version"] == emulator.profile.version_text
    generation = ApiGeneration.for_version(ServerVersion(*emulator.profile.version))
    storage_routes = {
        ApiGeneration.V1_89: "GET /server-info",
        ApiGeneration.V1_106: "GET /server-info/storage",
    }
    assert data["server"]["generation"] == generation.name
    assert data["server"]["chosen_routes"]["storage"] == storage_routes.get(
        generation, "GET /server/storage"
    )
    assert data["server"]["chosen_routes"]["queues"] == (
        "GET /queues" if emulator.profile.has_queues else "GET /jobs"
    )
    assert set(data["queues"]) == set(emulator.queues)
    assert data["statistics"]["storage"]["disk_size_raw"] == emulator.library.storage["diskSizeRaw"]


@snapshot_on_newest
@snapshot_release
async def test_snapshot(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    data = await diagnostics_of(hass, hass_client, config_entry)

    unstable = ("entry_id", "created_at", "modified_at", "data.port")
    assert data == snapshot(exclude=paths(*(f"entry.{field}" for field in unstable)))
