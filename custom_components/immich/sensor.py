"""Sensors: disk space, asset counts, usage per user and job queue counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import Queue, UserUsage
from .coordinator import (
    ImmichConfigEntry,
    ImmichQueuesCoordinator,
    ImmichStatisticsCoordinator,
    ImmichStatisticsData,
)
from .entity import ImmichEntity, ImmichQueueEntity, async_add_entities_for_new_keys

# Coordinators fetch the data, so entity updates need no limit.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ImmichStatisticsSensorEntityDescription(SensorEntityDescription):
    """A sensor of the statistics coordinator's data."""

    value: Callable[[ImmichStatisticsData], StateType]
    is_suitable: Callable[[ImmichStatisticsData], bool] = lambda _: True
    """Whether the server and key provide this sensor's value, judged on the first poll."""


@dataclass(frozen=True, kw_only=True)
class ImmichQueueSensorEntityDescription(SensorEntityDescription):
    """A job count of one queue."""

    value: Callable[[Queue], int]


# The first eight keys, units and enabled-by-default choices are those of Home Assistant's
# built-in Immich integration, so entities of adopted entries keep their meaning and history.
STATISTICS_SENSORS: tuple[ImmichStatisticsSensorEntityDescription, ...] = (
    ImmichStatisticsSensorEntityDescription(
        key="disk_size",
        translation_key="disk_size",
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.storage.disk_size_raw,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="disk_available",
        translation_key="disk_available",
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.storage.disk_available_raw,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="disk_use",
        translation_key="disk_use",
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda data: data.storage.disk_use_raw,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="disk_usage",
        translation_key="disk_usage",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda data: data.storage.disk_usage_percentage,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="photos_count",
        translation_key="photos_count",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.server.photos if data.server else None,
        is_suitable=lambda data: data.server is not None,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="videos_count",
        translation_key="videos_count",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.server.videos if data.server else None,
        is_suitable=lambda data: data.server is not None,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="usage_by_photos",
        translation_key="usage_by_photos",
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda data: data.server.usage_photos if data.server else None,
        is_suitable=lambda data: data.server is not None,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="usage_by_videos",
        translation_key="usage_by_videos",
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda data: data.server.usage_videos if data.server else None,
        is_suitable=lambda data: data.server is not None,
    ),
    # A non-admin key cannot read server-wide counts. Its own counts get their own keys,
    # so that `photos_count` and `videos_count` always mean the whole server.
    ImmichStatisticsSensorEntityDescription(
        key="own_photos_count",
        translation_key="own_photos_count",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.own_assets.images if data.own_assets else None,
        is_suitable=lambda data: data.own_assets is not None,
    ),
    ImmichStatisticsSensorEntityDescription(
        key="own_videos_count",
        translation_key="own_videos_count",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda data: data.own_assets.videos if data.own_assets else None,
        is_suitable=lambda data: data.own_assets is not None,
    ),
)

USER_USAGE_SENSOR = SensorEntityDescription(
    key="user_usage",
    translation_key="user_usage",
    native_unit_of_measurement=UnitOfInformation.BYTES,
    suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
    suggested_display_precision=1,
    device_class=SensorDeviceClass.DATA_SIZE,
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)

QUEUE_SENSORS: tuple[ImmichQueueSensorEntityDescription, ...] = (
    ImmichQueueSensorEntityDescription(
        key="active",
        translation_key="queue_active",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda queue: queue.active,
    ),
    ImmichQueueSensorEntityDescription(
        key="waiting",
        translation_key="queue_waiting",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda queue: queue.waiting,
    ),
    ImmichQueueSensorEntityDescription(
        key="failed",
        translation_key="queue_failed",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda queue: queue.failed,
    ),
)

PENDING_JOBS_SENSOR = SensorEntityDescription(
    key="jobs_pending",
    translation_key="jobs_pending",
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImmichConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the statistics sensors, and for admin keys the per-user and queue sensors."""
    statistics = entry.runtime_data.statistics
    async_add_entities(
        ImmichStatisticsSensor(statistics, description)
        for description in STATISTICS_SENSORS
        if description.is_suitable(statistics.data)
    )

    if statistics.data.server is not None:

        def usage_by_user() -> dict[str, UserUsage]:
            server = statistics.data.server
            return {usage.user_id: usage for usage in server.usage_by_user} if server else {}

        async_add_entities_for_new_keys(
            entry,
            statistics,
            lambda: usage_by_user().keys(),
            lambda user_id: [
                ImmichUserUsageSensor(statistics, user_id, usage_by_user()[user_id].user_name)
            ],
            async_add_entities,
        )

    if (queues := entry.runtime_data.queues) is not None:
        async_add_entities([ImmichPendingJobsSensor(queues)])
        async_add_entities_for_new_keys(
            entry,
            queues,
            lambda: queues.data.keys(),
            lambda name: [
                ImmichQueueSensor(queues, name, description) for description in QUEUE_SENSORS
            ],
            async_add_entities,
        )


class ImmichStatisticsSensor(ImmichEntity[ImmichStatisticsCoordinator], SensorEntity):
    """Disk space or an asset count."""

    entity_description: ImmichStatisticsSensorEntityDescription

    def __init__(
        self,
        coordinator: ImmichStatisticsCoordinator,
        description: ImmichStatisticsSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value(self.coordinator.data)


class ImmichUserUsageSensor(ImmichEntity[ImmichStatisticsCoordinator], SensorEntity):
    """Bytes that one Immich user's assets take, unavailable once the server no longer lists the user."""

    entity_description = USER_USAGE_SENSOR

    def __init__(
        self, coordinator: ImmichStatisticsCoordinator, user_id: str, user_name: str
    ) -> None:
        super().__init__(coordinator, f"user_{user_id}_usage")
        self.user_id = user_id
        self._attr_translation_placeholders = {"user": user_name}

    def _usage(self) -> UserUsage | None:
        server = self.coordinator.data.server
        if server is None:
            return None
        return next((u for u in server.usage_by_user if u.user_id == self.user_id), None)

    @property
    def available(self) -> bool:
        return super().available and self._usage() is not None

    @property
    def native_value(self) -> int | None:
        usage = self._usage()
        return usage.usage if usage else None


class ImmichQueueSensor(ImmichQueueEntity, SensorEntity):
    """Active, waiting or failed jobs of one queue."""

    entity_description: ImmichQueueSensorEntityDescription

    def __init__(
        self,
        coordinator: ImmichQueuesCoordinator,
        queue_name: str,
        description: ImmichQueueSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, queue_name, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> int:
        return self.entity_description.value(self.queue)


class ImmichPendingJobsSensor(ImmichEntity[ImmichQueuesCoordinator], SensorEntity):
    """Jobs not yet finished across every queue: active, waiting, delayed and paused."""

    entity_description = PENDING_JOBS_SENSOR

    def __init__(self, coordinator: ImmichQueuesCoordinator) -> None:
        super().__init__(coordinator, PENDING_JOBS_SENSOR.key)

    @property
    def native_value(self) -> int:
        return sum(queue.pending for queue in self.coordinator.data.values())
