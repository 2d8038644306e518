"""Reload a server entry when its slideshows change, so the image entities follow.

Home Assistant adds, changes and removes subentries without reloading the entry. An update
listener would reload it, but from 2026.10 `async_update_reload_and_abort`, which the
reauth and reconfigure flows use, reports entries that have one. So this listens to the
config entry change signal, which fires for subentry changes in 2025.4 and 2026.10 alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import LOGGER
from .slideshow.settings import SUBENTRY_TYPE_SLIDESHOW

type SlideshowSnapshot = dict[str, tuple[str, Mapping[str, Any]]]


def _slideshows(entry: ConfigEntry) -> SlideshowSnapshot:
    """Return each slideshow subentry's title and data, by subentry id."""
    return {
        subentry_id: (subentry.title, dict(subentry.data))
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_TYPE_SLIDESHOW
    }


@callback
def async_reload_on_slideshow_change(hass: HomeAssistant, entry: ConfigEntry) -> CALLBACK_TYPE:
    """Schedule a reload of the entry when a slideshow is added, changed or removed.

    Returns the function that stops listening; call it when the entry unloads.
    """
    snapshot = _slideshows(entry)

    @callback
    def _async_entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        nonlocal snapshot
        if change is not ConfigEntryChange.UPDATED or changed.entry_id != entry.entry_id:
            return
        current = _slideshows(changed)
        if current == snapshot:
            return
        snapshot = current
        LOGGER.debug("Slideshows of %s changed; reloading the entry", entry.title)
        hass.config_entries.async_schedule_reload(entry.entry_id)

    return async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _async_entry_changed)
