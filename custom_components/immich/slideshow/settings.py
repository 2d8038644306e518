"""Settings of one slideshow, stored as the data of a config subentry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

SUBENTRY_TYPE_SLIDESHOW: Final = "slideshow"

CONF_SOURCE: Final = "source"
CONF_IDS: Final = "ids"
CONF_INTERVAL: Final = "interval"
CONF_ORDER: Final = "order"
CONF_ORIENTATION: Final = "orientation"
CONF_INCLUDE_ARCHIVED: Final = "include_archived"
CONF_DATE_FROM: Final = "date_from"
CONF_DATE_TO: Final = "date_to"

DEFAULT_INTERVAL: Final = 60
MIN_INTERVAL: Final = 10
MAX_INTERVAL: Final = 24 * 60 * 60


class Source(StrEnum):
    """Source of a slideshow's photos."""

    RANDOM = "random"
    FAVORITES = "favorites"
    MEMORIES = "memories"
    ALBUMS = "albums"
    PEOPLE = "people"
    TAGS = "tags"

    @property
    def needs_ids(self) -> bool:
        return self in (Source.ALBUMS, Source.PEOPLE, Source.TAGS)


class Order(StrEnum):
    SHUFFLE = "shuffle"
    SEQUENTIAL = "sequential"


class Orientation(StrEnum):
    ANY = "any"
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


@dataclass(frozen=True, slots=True)
class SlideshowSettings:
    """Settings of one slideshow: its source, filters and interval."""

    source: Source
    ids: tuple[str, ...] = ()
    """Album, person or tag ids for those sources; empty otherwise."""
    interval: int = DEFAULT_INTERVAL
    """Seconds between photos."""
    order: Order = Order.SHUFFLE
    orientation: Orientation = Orientation.ANY
    include_archived: bool = False
    date_from: date | None = None
    date_to: date | None = None
    """Last day included, in the photos' own local time."""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SlideshowSettings:
        """Read subentry data leniently: unknown values fall back to defaults."""
        interval = int(data.get(CONF_INTERVAL, DEFAULT_INTERVAL))
        return cls(
            source=Source(data[CONF_SOURCE]),
            ids=tuple(str(item) for item in data.get(CONF_IDS) or ()),
            interval=min(max(interval, MIN_INTERVAL), MAX_INTERVAL),
            order=Order(data.get(CONF_ORDER, Order.SHUFFLE)),
            orientation=Orientation(data.get(CONF_ORIENTATION, Orientation.ANY)),
            include_archived=bool(data.get(CONF_INCLUDE_ARCHIVED, False)),
            date_from=_parse_date(data.get(CONF_DATE_FROM)),
            date_to=_parse_date(data.get(CONF_DATE_TO)),
        )

    def as_data(self) -> dict[str, Any]:
        """Return subentry data; the inverse of `from_data`."""
        data: dict[str, Any] = {
            CONF_SOURCE: self.source.value,
            CONF_IDS: list(self.ids),
            CONF_INTERVAL: self.interval,
            CONF_ORDER: self.order.value,
            CONF_ORIENTATION: self.orientation.value,
            CONF_INCLUDE_ARCHIVED: self.include_archived,
        }
        if self.date_from:
            data[CONF_DATE_FROM] = self.date_from.isoformat()
        if self.date_to:
            data[CONF_DATE_TO] = self.date_to.isoformat()
        return data


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


DEFAULT_SLIDESHOWS: Final = (
    ("Random", SlideshowSettings(Source.RANDOM)),
    ("Favorites", SlideshowSettings(Source.FAVORITES)),
    ("Memories", SlideshowSettings(Source.MEMORIES)),
)
"""Slideshows a new server entry starts with, so a first dashboard card works at once."""
