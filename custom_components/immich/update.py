"""Update entity: the installed Immich version and the latest release the server found."""

from __future__ import annotations

from homeassistant.components.update import UpdateEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ImmichConfigEntry, ImmichServerCoordinator
from .entity import ImmichEntity

# Coordinators fetch the data, so entity updates need no limit.
PARALLEL_UPDATES = 0

RELEASE_URL = "https://github.com/immich-app/immich/releases/tag/{version}"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the update entity on servers that have a version check (v1.134 and later)."""
    server = entry.runtime_data.server
    if server.data.version_check is not None:
        async_add_entities([ImmichUpdateEntity(server)])


class ImmichUpdateEntity(ImmichEntity[ImmichServerCoordinator], UpdateEntity):
    """The server's version. The latest one is unknown while the server's check is disabled."""

    _attr_translation_key = "update"
    _attr_title = "Immich"

    def __init__(self, coordinator: ImmichServerCoordinator) -> None:
        # The built-in integration's unique ID, so adopted entries keep this entity.
        super().__init__(coordinator, "update")

    @property
    def installed_version(self) -> str:
        return str(self.coordinator.data.version)

    @property
    def latest_version(self) -> str | None:
        version_check = self.coordinator.data.version_check
        return version_check.release_version if version_check else None

    @property
    def release_url(self) -> str | None:
        if (latest := self.latest_version) is None:
            return None
        return RELEASE_URL.format(version=latest)
