"""Actions for automations: step slideshows, read random photos and memories, command queues."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import asdict, replace
from datetime import date
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, ENTITY_MATCH_ALL, Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv

from .action_assets import (
    DEFAULT_URL_LIFETIME,
    MAX_URL_LIFETIME,
    MIN_URL_LIFETIME,
    assets_response,
    async_with_details,
)
from .action_helpers import async_get_album_for_action, entry_for_action, service_error
from .api import (
    ImmichBadRequestError,
    ImmichClient,
    ImmichError,
    QueueCommand,
)
from .compat import async_target_entity_ids, vol
from .const import DOMAIN, LOGGER
from .image import ImmichSlideshowImage, local_today
from .slideshow.build import base_filter
from .slideshow.feeds import Candidate, MemoriesFeed
from .slideshow.settings import SlideshowSettings, Source

SERVICE_NEXT_IMAGE = "next_image"
SERVICE_PREVIOUS_IMAGE = "previous_image"
SERVICE_REFRESH_SOURCES = "refresh_sources"
SERVICE_GET_RANDOM_ASSETS = "get_random_assets"
SERVICE_GET_MEMORIES = "get_memories"
SERVICE_RUN_QUEUE_COMMAND = "run_queue_command"

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_COUNT = "count"
ATTR_ALBUM_ID = "album_id"
ATTR_DATE = "date"
ATTR_LIMIT = "limit"
ATTR_URL_EXPIRES_IN = "url_expires_in"
ATTR_QUEUE = "queue"
ATTR_COMMAND = "command"

MAX_ASSETS = 100
DEFAULT_MEMORY_LIMIT = 20

QUEUE_COMMANDS = {
    "pause": QueueCommand.PAUSE,
    "resume": QueueCommand.RESUME,
    "start": QueueCommand.START,
    "clear_failed": QueueCommand.CLEAR_FAILED,
}

URL_LIFETIME_SCHEMA = vol.All(cv.time_period, vol.Range(min=MIN_URL_LIFETIME, max=MAX_URL_LIFETIME))
ASSET_COUNT_SCHEMA = vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_ASSETS))

SLIDESHOW_SCHEMA = cv.make_entity_service_schema({})
GET_RANDOM_ASSETS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_COUNT, default=1): ASSET_COUNT_SCHEMA,
        vol.Optional(ATTR_ALBUM_ID): cv.string,
        vol.Optional(ATTR_URL_EXPIRES_IN, default=DEFAULT_URL_LIFETIME): URL_LIFETIME_SCHEMA,
    }
)
GET_MEMORIES_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DATE): cv.date,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_MEMORY_LIMIT): ASSET_COUNT_SCHEMA,
        vol.Optional(ATTR_URL_EXPIRES_IN, default=DEFAULT_URL_LIFETIME): URL_LIFETIME_SCHEMA,
    }
)
RUN_QUEUE_COMMAND_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_QUEUE): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
        vol.Required(ATTR_COMMAND): vol.In(list(QUEUE_COMMANDS)),
    }
)

type SlideshowMethod = Callable[[ImmichSlideshowImage], Coroutine[Any, Any, None]]

SLIDESHOW_METHODS: dict[str, SlideshowMethod] = {
    SERVICE_NEXT_IMAGE: ImmichSlideshowImage.async_next,
    SERVICE_PREVIOUS_IMAGE: ImmichSlideshowImage.async_previous,
    SERVICE_REFRESH_SOURCES: ImmichSlideshowImage.async_refresh_source,
}


@callback
def async_setup_actions(hass: HomeAssistant) -> None:
    """Register the slideshow, asset and queue actions."""
    for service in SLIDESHOW_METHODS:
        hass.services.async_register(
            DOMAIN, service, _async_handle_slideshow_action, schema=SLIDESHOW_SCHEMA
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_RANDOM_ASSETS,
        _async_get_random_assets,
        schema=GET_RANDOM_ASSETS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_MEMORIES,
        _async_get_memories,
        schema=GET_MEMORIES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_QUEUE_COMMAND,
        _async_run_queue_command,
        schema=RUN_QUEUE_COMMAND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


# Slideshows


async def _async_handle_slideshow_action(call: ServiceCall) -> None:
    """Step or refresh every targeted slideshow, and raise when one could not load a photo."""
    slideshows = await _async_targeted_slideshows(call)
    method = SLIDESHOW_METHODS[call.service]
    await asyncio.gather(*(method(slideshow) for slideshow in slideshows))

    failed = sorted(
        (slideshow for slideshow in slideshows if not slideshow.available),
        key=lambda slideshow: slideshow.entity_id,
    )
    if failed:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="slideshow_unavailable",
            translation_placeholders={
                "entity_id": ", ".join(slideshow.entity_id for slideshow in failed),
                "reason": "; ".join(slideshow.problem or "unknown error" for slideshow in failed),
            },
        )


async def _async_targeted_slideshows(call: ServiceCall) -> list[ImmichSlideshowImage]:
    """Return the slideshows a call targets.

    An entity named in `entity_id` must be an Immich slideshow. Areas, devices and labels
    may contain other entities too, which are left out, but must contain at least one
    slideshow.
    """
    hass = call.hass
    component = hass.data.get(Platform.IMAGE)
    known: dict[str, ImmichSlideshowImage] = {
        entity.entity_id: entity
        for entity in (component.entities if component is not None else [])
        if isinstance(entity, ImmichSlideshowImage)
    }
    if call.data.get(ATTR_ENTITY_ID) == ENTITY_MATCH_ALL:
        targeted = set(known)
    else:
        for entity_id in call.data.get(ATTR_ENTITY_ID) or []:
            if entity_id in known:
                continue
            key = "entity_not_found" if hass.states.get(entity_id) is None else "not_a_slideshow"
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"entity_id": entity_id},
            )
        targeted = await async_target_entity_ids(call)

    slideshows = [known[entity_id] for entity_id in sorted(targeted) if entity_id in known]
    if not slideshows:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_slideshow_targeted"
        )
    return slideshows


# Random assets and memories


async def _async_get_random_assets(call: ServiceCall) -> ServiceResponse:
    """Return random photos of the entry's user, optionally from one album."""
    entry = entry_for_action(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    client = entry.runtime_data.client
    search_filter = base_filter(SlideshowSettings(Source.RANDOM))
    album_name: str | None = None
    if album_id := call.data.get(ATTR_ALBUM_ID):
        # NOTE: servers before v1.116 serve random requests through `GET /assets/random`,
        # which has no album filter, so there the photos can come from outside the album.
        album_name = await _async_album_name(client, album_id)
        search_filter = replace(search_filter, album_ids=(album_id,))

    try:
        assets = await client.async_get_random_assets(call.data[ATTR_COUNT], search_filter)
    except ImmichError as err:
        raise service_error(err) from err
    candidates = [Candidate(asset, album_name=album_name) for asset in assets]
    return assets_response(
        call.hass, entry, client, candidates, local_today(), call.data[ATTR_URL_EXPIRES_IN]
    )


async def _async_album_name(client: ImmichClient, album_id: str) -> str:
    """Return an album's name, or raise ServiceValidationError when the album is unknown."""
    try:
        album = await async_get_album_for_action(client, album_id)
    except ImmichError as err:
        raise service_error(err) from err
    return album.name


async def _async_get_memories(call: ServiceCall) -> ServiceResponse:
    """Return the photos of a day's memories, newest year first, at most `limit` of them.

    A server that has not built the day's memories yet gets a search for photos taken on
    that date in earlier years, as the Memories slideshow does.
    """
    entry = entry_for_action(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    client = entry.runtime_data.client
    day: date = call.data.get(ATTR_DATE) or local_today()
    feed = MemoriesFeed(
        client, base_filter(SlideshowSettings(Source.MEMORIES)), lambda: day, shuffle=False
    )
    try:
        candidates = await feed.async_candidates_for(day)
        total = len(candidates)
        candidates = await async_with_details(client, candidates[: call.data[ATTR_LIMIT]])
    except ImmichError as err:
        raise service_error(err) from err

    response = assets_response(
        call.hass, entry, client, candidates, day, call.data[ATTR_URL_EXPIRES_IN]
    )
    response[ATTR_DATE] = day.isoformat()
    response["total"] = total
    return response


# Queues


async def _async_run_queue_command(call: ServiceCall) -> ServiceResponse:
    """Send a command to a job queue and return the queue's counts after it.

    Only Home Assistant admins may call it, and only with the key of an Immich admin.
    """
    await _async_check_admin_user(call)
    entry = entry_for_action(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    runtime_data = entry.runtime_data
    name: str = call.data[ATTR_QUEUE].strip()
    command = QUEUE_COMMANDS[call.data[ATTR_COMMAND]]
    if not runtime_data.user.is_admin:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="queue_command_needs_admin",
            translation_placeholders={"title": entry.title, "user": runtime_data.user.name},
        )
    known = runtime_data.queues.data if runtime_data.queues is not None else None
    if known and name not in known:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_queue",
            translation_placeholders={"queue": name, "queues": ", ".join(sorted(known))},
        )

    try:
        queue = await runtime_data.client.async_run_queue_command(name, command)
    except ValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_queue_name",
            translation_placeholders={"queue": name},
        ) from err
    except ImmichBadRequestError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="queue_command_rejected",
            translation_placeholders={
                "queue": name,
                "command": call.data[ATTR_COMMAND],
                "error": err.server_message or str(err),
            },
        ) from err
    except ImmichError as err:
        raise service_error(err) from err

    LOGGER.debug("Sent %s to Immich queue %s of %s", command.value, name, entry.title)
    if runtime_data.queues is not None and known is not None:
        runtime_data.queues.async_set_updated_data({**known, queue.name: queue})
    if not call.return_response:
        return None
    return asdict(queue)


async def _async_check_admin_user(call: ServiceCall) -> None:
    """Raise Unauthorized when a Home Assistant user who is no admin made the call.

    Calls without a user, such as those of automations, pass.
    """
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context, user_id=call.context.user_id)
    if not user.is_admin:
        raise Unauthorized(context=call.context)
