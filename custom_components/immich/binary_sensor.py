"""Binary sensors: whether live updates are connected, and whether each job queue is paused
(admin keys only)."""

from __future__ import annotations

# Home Assistant 2025.4 defines the device classes in the package itself. Later releases
# move them to `const` and import them back, and mypy does not count that as an export.
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ImmichConfigEntry, ImmichQueuesCoordinator
from .entity import (
    ImmichQueueEntity,
    async_add_entities_for_new_keys,
    device_info,
    unique_id_prefix,
)
from .live import ImmichLiveUpdates, signal_live_state

# Coordinators fetch the data, so entity updates need no limit.
PARALLEL_UPDATES = 0

QUEUE_PAUSED = BinarySensorEntityDescription(
    key="paused",
    translation_key="queue_paused",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)
LIVE_UPDATES = BinarySensorEntityDescription(
    key="live_updates",
    translation_key="live_updates",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the live updates sensor, and a paused sensor for every queue the server lists,
    now and in later polls."""
    if (live := entry.runtime_data.live) is not None:
        async_add_entities([ImmichLiveUpdatesBinarySensor(entry, live)])
    if (queues := entry.runtime_data.queues) is None:
        return
    async_add_entities_for_new_keys(
        entry,
        queues,
        lambda: queues.data.keys(),
        lambda name: [ImmichQueuePausedBinarySensor(queues, name)],
        async_add_entities,
    )


class ImmichQueuePausedBinarySensor(ImmichQueueEntity, BinarySensorEntity):
    """On while an admin has paused the queue."""

    entity_description = QUEUE_PAUSED

    def __init__(self, coordinator: ImmichQueuesCoordinator, queue_name: str) -> None:
        super().__init__(coordinator, queue_name, QUEUE_PAUSED.key)

    @property
    def is_on(self) -> bool:
        return self.queue.is_paused


class ImmichLiveUpdatesBinarySensor(BinarySensorEntity):
    """On while the live connection to the server is open; polling goes on either way."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description = LIVE_UPDATES

    def __init__(self, entry: ImmichConfigEntry, live: ImmichLiveUpdates) -> None:
        self._entry = entry
        self._live = live
        self._attr_unique_id = f"{unique_id_prefix(entry)}_{LIVE_UPDATES.key}"
        self._attr_device_info = device_info(entry)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_live_state(self._entry.entry_id), self._async_state_changed
            )
        )

    @property
    def is_on(self) -> bool:
        return self._live.connected

    @callback
    def _async_state_changed(self) -> None:
        self.async_write_ha_state()
