"""Event entity: uploads, updates, trash, restore and deletes in the key's library, live."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import LiveEvent, LiveEventType
from .coordinator import ImmichConfigEntry
from .entity import device_info, unique_id_prefix
from .live import signal_live_event

PARALLEL_UPDATES = 0

ENTITY_EVENT_TYPES = (
    LiveEventType.UPLOADED,
    LiveEventType.UPDATED,
    LiveEventType.TRASHED,
    LiveEventType.RESTORED,
    LiveEventType.DELETED,
)
"""Event types the entity fires; hidden assets, such as a live photo's video, are left out."""

ASSET_EVENT = EventEntityDescription(
    key="new_upload",
    translation_key="new_upload",
    event_types=[event_type.value for event_type in ENTITY_EVENT_TYPES],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([ImmichAssetEventEntity(entry)])


class ImmichAssetEventEntity(EventEntity):
    """Fires `uploaded` for each new asset, and one event type per other change."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description = ASSET_EVENT

    def __init__(self, entry: ImmichConfigEntry) -> None:
        self._entry = entry
        self._attr_unique_id = f"{unique_id_prefix(entry)}_{ASSET_EVENT.key}"
        self._attr_device_info = device_info(entry)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_live_event(self._entry.entry_id), self._async_handle_event
            )
        )

    @callback
    def _async_handle_event(self, event: LiveEvent, data: dict[str, Any]) -> None:
        if event.type not in ENTITY_EVENT_TYPES:
            return
        self._trigger_event(event.type.value, data)
        self.async_write_ha_state()
