"""Coordinators that poll Immich, one per cadence, and the runtime data that contains them."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    ApiGeneration,
    AssetStatistics,
    ImmichAdminRequiredError,
    ImmichAuthenticationError,
    ImmichClient,
    ImmichError,
    ImmichPermissionError,
    ImmichRateLimitedError,
    ImmichUnsupportedVersionError,
    Queue,
    ServerAbout,
    ServerStatistics,
    ServerStorage,
    ServerVersion,
    User,
    VersionCheck,
)
from .compat import async_get_entry_device, update_failed
from .const import DOMAIN, LOGGER
from .issues import (
    async_create_missing_permission_issue,
    async_create_unsupported_version_issue,
    async_delete_missing_permission_issue,
    async_delete_unsupported_version_issue,
)

if TYPE_CHECKING:
    from .live import ImmichLiveUpdates

# Users who want other timing turn off polling in the entry's system options and call
# `homeassistant.update_entity` themselves, so these intervals are not configurable.
QUEUES_INTERVAL = timedelta(seconds=30)
STATISTICS_INTERVAL = timedelta(minutes=5)
SERVER_INTERVAL = timedelta(hours=6)
LIVE_REFRESH_COOLDOWN = 5.0
"""Seconds between refreshes that live events request: a burst of uploads refreshes the
counts at once and then at most once per cooldown."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImmichServerData:
    """Version and build details of the server."""

    version: ServerVersion
    generation: ApiGeneration
    about: ServerAbout | None
    """None on servers before v1.118, which have no about endpoint."""
    version_check: VersionCheck | None
    """None on servers without a version check endpoint (before v1.134)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImmichStatisticsData:
    """Disk space of the library volume and asset counts."""

    storage: ServerStorage
    server: ServerStatistics | None
    """Server-wide counts and usage per user, for admin keys only."""
    own_assets: AssetStatistics | None
    """Counts of the key's own user, for non-admin keys only."""


@dataclass(kw_only=True, slots=True)
class ImmichRuntimeData:
    """Objects a loaded config entry keeps while it runs."""

    client: ImmichClient
    user: User
    """The Immich user the API key belongs to."""
    server: ImmichServerCoordinator
    """Version, about and version check, every 6 hours."""
    statistics: ImmichStatisticsCoordinator
    """Storage and asset counts, every 5 minutes."""
    queues: ImmichQueuesCoordinator | None
    """Job queues, every 30 seconds, or None for a non-admin key."""
    live: ImmichLiveUpdates | None = None
    """The live connection, which starts once the entities exist."""


type ImmichConfigEntry = ConfigEntry[ImmichRuntimeData]


class ImmichCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Base coordinator that maps client errors to Home Assistant's and reports missing permissions."""

    config_entry: ImmichConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichConfigEntry,
        client: ImmichClient,
        *,
        kind: str,
        update_interval: timedelta,
        retry_interval: timedelta | None = None,
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Immich {kind} of {entry.title}",
            update_interval=update_interval,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=LIVE_REFRESH_COOLDOWN, immediate=True
            ),
            # Unchanged data (an idle queue list, a 304) updates no entity.
            always_update=False,
        )
        self.client = client
        self._poll_interval = update_interval
        self._retry_interval = retry_interval or update_interval
        """Time to the next poll after a failed one."""
        self._missing_permissions: set[str] = set()
        self._auth_failed = False

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Request this coordinator's data from the server."""

    async def _async_update_data(self) -> DataT:
        try:
            data = await self._async_fetch_mapped()
        except (UpdateFailed, ConfigEntryAuthFailed):
            self.update_interval = self._retry_interval
            raise
        self.update_interval = self._poll_interval
        return data

    async def _async_fetch_mapped(self) -> DataT:
        """Fetch this coordinator's data, turning client errors into Home Assistant's."""
        try:
            data = await self._async_fetch()
        except ImmichAuthenticationError as err:
            if self.data is None:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from err
            # Raising ConfigEntryAuthFailed here would stop this coordinator's polling for
            # good, so a proxy's short burst of 401s, or a re-authentication the user
            # dismissed, would leave the entities unavailable until a reload. Polling goes
            # on instead: each failed poll requests re-authentication (Home Assistant keeps
            # one flow), and a poll that succeeds again withdraws the request.
            self._auth_failed = True
            self.config_entry.async_start_reauth(self.hass)
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="invalid_auth") from err
        except ImmichPermissionError as err:
            self._async_report_missing_permission(err.permission)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="missing_permission",
                translation_placeholders={"permission": err.permission},
            ) from err
        except ImmichAdminRequiredError as err:
            await self._async_reload_if_no_longer_admin()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="admin_required",
                translation_placeholders={"error": str(err)},
            ) from err
        except ImmichUnsupportedVersionError as err:
            async_create_unsupported_version_issue(self.hass, self.config_entry, err.version)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="unsupported_version",
                translation_placeholders={"version": err.version or "unknown"},
            ) from err
        except ImmichRateLimitedError as err:
            raise update_failed(
                self._poll_delay_after(err.retry_after),
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"error": str(err)},
            ) from err
        except ImmichError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err

        self._async_clear_missing_permissions()
        if self._auth_failed:
            self._auth_failed = False
            self._async_withdraw_reauth()
        return data

    async def _async_reload_if_no_longer_admin(self) -> None:
        """Reload the entry when its user lost admin rights while it ran.

        Setup chooses admin or own-user requests from the user's role, so a reload makes a
        demoted user's entry stop requesting admin-only routes. A 403 for another reason,
        such as a proxy rule, leaves the entry as it is.
        """
        try:
            user = await self.client.async_get_my_user()
        except ImmichError as err:
            LOGGER.debug("Could not read the user of %s: %s", self.config_entry.title, err)
            return
        if user.is_admin:
            return
        LOGGER.info(
            "The user of %s is no longer an Immich admin; reloading to stop admin-only requests",
            self.config_entry.title,
        )
        self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    def _poll_delay_after(self, retry_after: float | None) -> float | None:
        """Return the seconds until the next poll after a 429: the server's `Retry-After`,
        but never sooner than the usual interval."""
        if retry_after is None:
            return None
        return max(retry_after, self._retry_interval.total_seconds())

    @callback
    def _async_withdraw_reauth(self) -> None:
        """Abort the re-authentication this coordinator asked for: the key works again."""
        async_withdraw_reauth(self.hass, self.config_entry)

    @callback
    def _async_report_missing_permission(self, permission: str) -> None:
        # Requests run in a fixed order and stop at the first error. A permission that an
        # earlier poll reported but that no longer fails first was most likely granted, and
        # if it is still missing, a later poll reports it again.
        for granted in self._missing_permissions - {permission}:
            async_delete_missing_permission_issue(self.hass, self.config_entry, granted)
        self._missing_permissions = {permission}
        async_create_missing_permission_issue(self.hass, self.config_entry, permission)

    @callback
    def _async_clear_missing_permissions(self) -> None:
        for permission in self._missing_permissions:
            async_delete_missing_permission_issue(self.hass, self.config_entry, permission)
        self._missing_permissions.clear()


class ImmichServerCoordinator(ImmichCoordinator[ImmichServerData]):
    """Polls the server's version, build details and latest release."""

    def __init__(self, hass: HomeAssistant, entry: ImmichConfigEntry, client: ImmichClient) -> None:
        # A failed poll is retried on the statistics cadence, so an outage across the 6-hour
        # poll does not leave the update entity unavailable for 6 more hours.
        super().__init__(
            hass,
            entry,
            client,
            kind="server",
            update_interval=SERVER_INTERVAL,
            retry_interval=STATISTICS_INTERVAL,
        )
        self._fetching = False

    @callback
    def async_handle_version_change(self, old: ServerVersion | None, new: ServerVersion) -> None:
        """Refresh at once when another coordinator's request found a new server version."""
        if not self._fetching:
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "immich server version changed"
            )

    async def _async_fetch(self) -> ImmichServerData:
        self._fetching = True
        try:
            generation = await self.client.async_detect_generation()
            assert self.client.version is not None
            data = ImmichServerData(
                version=self.client.version,
                generation=generation,
                about=await self.client.async_get_about(),
                version_check=await self.client.async_get_version_check(),
            )
        finally:
            self._fetching = False
        # Only this coordinator reads the version on every poll, so only it can tell that an
        # unsupported version is gone.
        async_delete_unsupported_version_issue(self.hass, self.config_entry)
        self._async_update_device_version(str(data.version))
        self._async_reload_if_update_entity_changes(data)
        return data

    @callback
    def _async_reload_if_update_entity_changes(self, data: ImmichServerData) -> None:
        """Reload the entry when an upgrade or downgrade adds or removes the version check,
        so that the update entity, which needs it, appears or goes."""
        previous = self.data
        if previous is None or (previous.version_check is None) == (data.version_check is None):
            return
        LOGGER.info(
            "Immich %s %s; reloading %s",
            data.version,
            "has a version check" if data.version_check is not None else "has no version check",
            self.config_entry.title,
        )
        self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    @callback
    def _async_update_device_version(self, version: str) -> None:
        """Write a changed server version to the device, which exists once the platforms are set up."""
        device = async_get_entry_device(self.hass, self.config_entry.entry_id)
        if device is not None and device.sw_version != version:
            dr.async_get(self.hass).async_update_device(device.id, sw_version=version)


@callback
def async_withdraw_reauth(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Abort an entry's open re-authentication flows, because its key works again."""
    for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH}):
        hass.config_entries.flow.async_abort(flow["flow_id"])


class ImmichStatisticsCoordinator(ImmichCoordinator[ImmichStatisticsData]):
    """Polls disk space, and server-wide counts for admins or the user's own counts otherwise."""

    def __init__(
        self, hass: HomeAssistant, entry: ImmichConfigEntry, client: ImmichClient, *, is_admin: bool
    ) -> None:
        super().__init__(
            hass, entry, client, kind="statistics", update_interval=STATISTICS_INTERVAL
        )
        self.is_admin = is_admin

    async def _async_fetch(self) -> ImmichStatisticsData:
        storage = await self.client.async_get_storage()
        if self.is_admin:
            return ImmichStatisticsData(
                storage=storage,
                server=await self.client.async_get_statistics(),
                own_assets=None,
            )
        return ImmichStatisticsData(
            storage=storage,
            server=None,
            own_assets=await self.client.async_get_asset_statistics(),
        )


class ImmichQueuesCoordinator(ImmichCoordinator[dict[str, Queue]]):
    """Polls the job queues by name, which needs an admin's key."""

    def __init__(self, hass: HomeAssistant, entry: ImmichConfigEntry, client: ImmichClient) -> None:
        super().__init__(hass, entry, client, kind="queues", update_interval=QUEUES_INTERVAL)

    async def _async_fetch(self) -> dict[str, Queue]:
        return {queue.name: queue for queue in await self.client.async_get_queues()}
