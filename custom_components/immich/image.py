"""Image entities: one photo-frame slideshow per config subentry."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.components.image import ImageEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import (
    REMOVAL_EVENT_TYPES,
    ImmichAuthenticationError,
    ImmichError,
    ImmichPermissionError,
    LiveEvent,
    LiveEventType,
)
from .const import DOMAIN, LOGGER
from .coordinator import ImmichConfigEntry, async_withdraw_reauth
from .issues import async_create_missing_permission_issue, async_delete_missing_permission_issue
from .live import signal_live_event
from .slideshow.attributes import ATTR_STATUS, SLIDE_ATTRIBUTES, empty_state_svg, slide_attributes
from .slideshow.build import async_build_feed
from .slideshow.player import PlayerStatus, SlideshowPlayer
from .slideshow.settings import SUBENTRY_TYPE_SLIDESHOW, SlideshowSettings
from .slideshow_reload import async_reload_on_slideshow_change

PARALLEL_UPDATES = 0
SVG_CONTENT_TYPE = "image/svg+xml"
FIRST_PERMISSION_RETRY = timedelta(minutes=5)
"""Wait after a missing permission before the slideshow requests photos again. The wait
doubles with each failed retry up to MAX_PERMISSION_RETRY. A reload of the entry retries at once."""
MAX_PERMISSION_RETRY = timedelta(hours=1)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one image entity for each slideshow subentry."""
    entry.async_on_unload(async_reload_on_slideshow_change(hass, entry))
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_TYPE_SLIDESHOW:
            continue
        async_add_entities(
            [ImmichSlideshowImage(hass, entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


def local_today() -> date:
    """Return today's date in Home Assistant's configured time zone."""
    return dt_util.now().date()


class ImmichSlideshowImage(ImageEntity):
    """A photo frame: shows one photo and moves on every interval or on request."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _unrecorded_attributes = SLIDE_ATTRIBUTES

    def __init__(
        self, hass: HomeAssistant, entry: ImmichConfigEntry, subentry: ConfigSubentry
    ) -> None:
        super().__init__(hass)
        self._entry = entry
        self._settings = SlideshowSettings.from_data(subentry.data)
        self._title = subentry.title
        # The slideshow is its device's main feature, so the entity takes the device's name
        # and its id reads `image.immich_memories`.
        self._attr_name = None
        self._attr_unique_id = f"{entry.unique_id}_slideshow_{subentry.subentry_id}"
        # A device belongs to one subentry (Home Assistant 2026.10 removes the entities of a
        # subentry whose device moves to another), so each slideshow has its own device.
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
            name=f"Immich {subentry.title}",
            manufacturer="Immich",
            model="Slideshow",
            entry_type=DeviceEntryType.SERVICE,
        )
        self._player: SlideshowPlayer | None = None
        self._advance_lock = asyncio.Lock()
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._problem_logged = False
        self.problem: str | None = None
        """Reason the slideshow is unavailable, shown in the actions' errors, or None while it is
        available."""
        self._reauth_requested = False
        self._empty_logged = False
        self._missing_permission: str | None = None
        self._permission_retry_at: datetime | None = None
        self._permission_retry_delay = FIRST_PERMISSION_RETRY
        self._status = "loading"
        """What the frame shows: `loading`, `showing` a photo, or `empty` (nothing to show)."""
        self._attr_content_type = SVG_CONTENT_TYPE

    @property
    def settings(self) -> SlideshowSettings:
        return self._settings

    @property
    def player(self) -> SlideshowPlayer | None:
        return self._player

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._async_start_timer()
        self.async_on_remove(self._async_stop_timer)
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_live_event(self._entry.entry_id), self._async_handle_live_event
            )
        )
        self._entry.async_create_background_task(
            self.hass,
            self._async_step(forward=True),
            name=f"immich slideshow {self.entity_id} first photo",
        )

    async def async_will_remove_from_hass(self) -> None:
        if self._player is not None:
            self._player.close()
        await super().async_will_remove_from_hass()

    @callback
    def _async_handle_live_event(self, event: LiveEvent, data: dict[str, Any]) -> None:
        """Drop removed assets at once, and let the feed see new and changed ones."""
        player = self._player
        if player is None:
            return
        on_show = False
        if event.type in REMOVAL_EVENT_TYPES:
            on_show = player.forget(set(event.asset_ids))
        elif event.type is LiveEventType.UPDATED and event.asset is not None:
            on_show = player.note_update(event.asset)
        elif event.type in (LiveEventType.UPLOADED, LiveEventType.RESTORED):
            player.note_new_assets(event.asset_ids)
        if on_show:
            # A photo frame should not go on showing a photo its owner just deleted.
            self._entry.async_create_background_task(
                self.hass, self.async_next(), name=f"immich slideshow {self.entity_id} removed"
            )

    @callback
    def _async_start_timer(self) -> None:
        self._cancel_timer = async_track_time_interval(
            self.hass,
            self._async_interval_elapsed,
            timedelta(seconds=self._settings.interval),
            name=f"immich slideshow {self.entity_id}",
        )

    @callback
    def _async_stop_timer(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    @callback
    def _async_interval_elapsed(self, now: datetime) -> None:
        if self._advance_lock.locked():
            return
        self._entry.async_create_background_task(
            self.hass,
            self._async_step(forward=True),
            name=f"immich slideshow {self.entity_id} advance",
        )

    async def async_next(self) -> None:
        """Show the next photo; the next automatic advance waits a full interval from now."""
        self._async_restart_timer()
        await self._async_step(forward=True)

    async def async_previous(self) -> None:
        """Show the photo shown before; the next automatic advance waits a full interval."""
        self._async_restart_timer()
        await self._async_step(forward=False)

    @callback
    def _async_restart_timer(self) -> None:
        # A tap on a wall panel should show the chosen photo for a whole interval.
        if self._cancel_timer is not None:
            self._async_stop_timer()
            self._async_start_timer()

    async def async_refresh_source(self) -> None:
        """Read the source again (albums, memories) and show a photo from it."""
        if self._player is not None:
            self._player.close()
            self._player = None
        await self.async_next()

    async def _async_step(self, forward: bool) -> None:
        async with self._advance_lock:
            if self._waiting_for_permission():
                return
            loaded_before = self._player.loaded if self._player is not None else -1
            try:
                await self._async_step_locked(forward)
            except ImmichAuthenticationError:
                self._mark_problem("the API key was rejected")
                self._reauth_requested = True
                self._entry.async_start_reauth(self.hass)
            except ImmichPermissionError as err:
                self._mark_problem(f"the API key lacks the permission {err.permission}")
                self._async_wait_for_permission(err.permission)
            except ImmichError as err:
                self._mark_problem(str(err))
            except Exception:
                # A bug must not turn into a traceback at every interval: log it once.
                if not self._problem_logged:
                    LOGGER.exception("Slideshow %s failed unexpectedly", self.entity_id)
                self._mark_problem("unexpected error")
            else:
                # A step can show a photo kept in memory, so only a request that succeeded
                # shows that the server works again.
                player = self._player
                if not self.available and player is not None and player.loaded == loaded_before:
                    self.async_write_ha_state()
                    return
                self._mark_recovered()
                self._async_permission_granted()
                if self._reauth_requested:
                    self._reauth_requested = False
                    async_withdraw_reauth(self.hass, self._entry)
            self.async_write_ha_state()

    def _waiting_for_permission(self) -> bool:
        """Return whether a missing permission still pauses the slideshow's requests."""
        return (
            self._permission_retry_at is not None and dt_util.utcnow() < self._permission_retry_at
        )

    @callback
    def _async_wait_for_permission(self, permission: str) -> None:
        """Report a missing permission and stop requesting photos for a while, because
        every photo would fail the same way."""
        if permission != self._missing_permission:
            if self._missing_permission is not None:
                async_delete_missing_permission_issue(
                    self.hass, self._entry, self._missing_permission
                )
            self._missing_permission = permission
            self._permission_retry_delay = FIRST_PERMISSION_RETRY
        async_create_missing_permission_issue(self.hass, self._entry, permission)
        self._permission_retry_at = dt_util.utcnow() + self._permission_retry_delay
        retry_time = dt_util.as_local(self._permission_retry_at).strftime("%H:%M:%S")
        self.problem = (
            f"the API key lacks the permission {permission}, so requests resume at "
            f"{retry_time} or when the integration is reloaded"
        )
        self._permission_retry_delay = min(self._permission_retry_delay * 2, MAX_PERMISSION_RETRY)

    @callback
    def _async_permission_granted(self) -> None:
        if self._missing_permission is None:
            return
        async_delete_missing_permission_issue(self.hass, self._entry, self._missing_permission)
        self._missing_permission = None
        self._permission_retry_at = None
        self._permission_retry_delay = FIRST_PERMISSION_RETRY

    async def _async_step_locked(self, forward: bool) -> None:
        player = self._player
        if player is None:
            feed = await async_build_feed(
                self._entry.runtime_data.client, self._settings, local_today
            )
            if feed is None:
                self._mark_empty("none of its albums exists any more")
                return
            player = self._player = SlideshowPlayer(
                self._entry.runtime_data.client,
                feed,
                self._settings.orientation,
                create_task=lambda coroutine, name: self._entry.async_create_background_task(
                    self.hass, coroutine, name
                ),
            )
        elif player.status is PlayerStatus.EMPTY:
            player.reset()

        previous = player.current
        slide = await player.async_advance() if forward else await player.async_previous()
        if slide is None or slide.image is None:
            self._mark_empty("its source has no photos that match")
            return
        self._empty_logged = False
        if slide is not previous or self._status != "showing":
            self._status = "showing"
            self._attr_content_type = slide.image.content_type
            self._attr_image_last_updated = dt_util.utcnow()

    def _mark_empty(self, reason: str) -> None:
        if not self._empty_logged:
            LOGGER.warning("Slideshow %s has nothing to show: %s", self.entity_id, reason)
            self._empty_logged = True
        if self._status != "empty":
            self._status = "empty"
            self._attr_content_type = SVG_CONTENT_TYPE
            self._attr_image_last_updated = dt_util.utcnow()

    def _mark_problem(self, reason: str) -> None:
        self.problem = reason
        if not self._problem_logged:
            LOGGER.warning("Slideshow %s cannot load photos: %s", self.entity_id, reason)
            self._problem_logged = True
        self._attr_available = False

    def _mark_recovered(self) -> None:
        self.problem = None
        if self._problem_logged:
            LOGGER.info("Slideshow %s is loading photos again", self.entity_id)
            self._problem_logged = False
        self._attr_available = True

    async def async_image(self) -> bytes | None:
        """Return the bytes already in memory; fetching happened when the photo advanced."""
        slide = self._player.current if self._player else None
        if self._status == "showing" and slide is not None and slide.image is not None:
            return slide.image.content
        message = "Loading photos…" if self._status == "loading" else "No photos to show"
        return empty_state_svg(self._title, message)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        slide = self._player.current if self._player else None
        if self._status != "showing" or slide is None:
            return {ATTR_STATUS: self._status}
        return {
            ATTR_STATUS: self._status,
            **slide_attributes(slide, self._entry.runtime_data.client.server_url, local_today()),
        }
