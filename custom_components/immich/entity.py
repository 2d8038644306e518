"""Base entity of the Immich integration: one service device per config entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Queue
from .const import DOMAIN
from .coordinator import ImmichConfigEntry, ImmichCoordinator, ImmichQueuesCoordinator


def unique_id_prefix(entry: ConfigEntry) -> str:
    """Return the prefix of an entry's unique IDs: the Immich user id, as in the built-in integration."""
    return entry.unique_id or entry.entry_id


def device_info(entry: ImmichConfigEntry) -> DeviceInfo:
    """Return the entry's device, with the identifiers of the built-in integration's device."""
    runtime_data = entry.runtime_data
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer="Immich",
        entry_type=DeviceEntryType.SERVICE,
        sw_version=str(runtime_data.server.data.version),
        configuration_url=runtime_data.client.server_url,
    )


class ImmichEntity[CoordinatorT: ImmichCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity on the entry's device whose unique ID is `<user id>_<key>`."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, key: str) -> None:
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{unique_id_prefix(entry)}_{key}"
        self._attr_device_info = device_info(entry)


# Queue names are camelCase identifiers such as `thumbnailGeneration`. These ones read badly
# when split into words.
QUEUE_DISPLAY_NAMES = {"ocr": "OCR"}


def queue_display_name(name: str) -> str:
    """Return a queue name for entity names: `thumbnailGeneration` becomes `Thumbnail generation`."""
    if name in QUEUE_DISPLAY_NAMES:
        return QUEUE_DISPLAY_NAMES[name]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()
    return words[:1].upper() + words[1:]


class ImmichQueueEntity(ImmichEntity[ImmichQueuesCoordinator]):
    """An entity of one job queue, unavailable while the server no longer lists the queue."""

    def __init__(self, coordinator: ImmichQueuesCoordinator, queue_name: str, key: str) -> None:
        super().__init__(coordinator, f"queue_{queue_name}_{key}")
        self.queue_name = queue_name
        self._attr_translation_placeholders = {"queue": queue_display_name(queue_name)}

    @property
    def available(self) -> bool:
        return super().available and self.queue_name in self.coordinator.data

    @property
    def queue(self) -> Queue:
        return self.coordinator.data[self.queue_name]


@callback
def async_add_entities_for_new_keys(
    entry: ImmichConfigEntry,
    coordinator: ImmichCoordinator[Any],
    current_keys: Callable[[], Iterable[str]],
    create_entities: Callable[[str], Iterable[Entity]],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add entities for each queue or user now, and for new ones that later polls return."""
    known: set[str] = set()

    @callback
    def add_new() -> None:
        new_keys = [key for key in current_keys() if key not in known]
        if not new_keys:
            return
        known.update(new_keys)
        async_add_entities([entity for key in new_keys for entity in create_entities(key)])

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
