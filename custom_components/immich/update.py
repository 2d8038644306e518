"""Update entity: the installed Immich version and the latest release the server found."""

from __future__ import annotations

from homeassistant.components.update import DOMAIN as UPDATE_DOMAIN, UpdateEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import ImmichConfigEntry, ImmichServerCoordinator
from .entity import ImmichEntity, unique_id_prefix

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
        return

    # After a downgrade below v1.134 the entity would stay behind as "unavailable"; remove it.
    registry = er.async_get(hass)
    unique_id = f"{unique_id_prefix(entry)}_update"
    if entity_id := registry.async_get_entity_id(UPDATE_DOMAIN, DOMAIN, unique_id):
        registry.async_remove(entity_id)


class ImmichUpdateEntity(ImmichEntity[ImmichServerCoordinator], UpdateEntity):
    """The server's version. The latest one is unknown while the server's check is disabled."""

    _attr_translation_key = "update"
    _attr_title = "Immich"

    def __init__(self, coordinator: ImmichServerCoordinator) -> None:
        # The built-in integration's unique ID, so adopted entries keep this entity.
        super().__init__(coordinator, "update")

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        # The version is polled every 6 hours; the statistics poll notices an outage sooner.
        statistics = self.coordinator.config_entry.runtime_data.statistics
        self.async_on_remove(statistics.async_add_listener(self._handle_coordinator_update))

    @property
    def available(self) -> bool:
        statistics = self.coordinator.config_entry.runtime_data.statistics
        return super().available and statistics.last_update_success

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
