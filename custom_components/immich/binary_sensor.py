"""Binary sensors: whether each job queue is paused (admin keys only)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ImmichConfigEntry, ImmichQueuesCoordinator
from .entity import ImmichQueueEntity, async_add_entities_for_new_keys

# Coordinators fetch the data, so entity updates need no limit.
PARALLEL_UPDATES = 0

QUEUE_PAUSED = BinarySensorEntityDescription(
    key="paused",
    translation_key="queue_paused",
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a paused sensor for every queue the server lists, now and in later polls."""
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
