"""Actions: stepping slideshows, random photos and memories with signed URLs, queue commands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
import jwt
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.immich.api import ImmichClient, QueueCommand
from custom_components.immich.compat import vol
from custom_components.immich.const import DOMAIN
from custom_components.immich.slideshow.settings import Order, SlideshowSettings, Source
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, HOLIDAYS_ALBUM_ID, EmulatorServer

from .integration import setup_entry, user_config_entry
from .test_image import setup_slideshows, slideshow_entity_id, visible_image_ids

MISSING_ALBUM_ID = "00000000-0000-4000-8000-000000000000"
FROZEN_NOW = "2026-12-04T08:00:00+00:00"


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


def album_images_in_order(emulator: EmulatorServer, album_id: str) -> list[str]:
    library = emulator.library
    assets = sorted(
        (library.assets[i] for i in library.albums[album_id].asset_ids),
        key=lambda asset: asset["fileCreatedAt"],
    )
    return [asset["id"] for asset in assets if asset["type"] == "IMAGE"]


def shown_asset(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return str(state.attributes["asset_id"])


def requests_matching(emulator: EmulatorServer, prefix: str) -> list[str]:
    return [line for line in emulator.stats.log if line.startswith(prefix)]


# Slideshow actions


async def setup_holidays_in_order(
    hass: HomeAssistant, emulator: EmulatorServer
) -> tuple[MockConfigEntry, str]:
    settings = SlideshowSettings(Source.ALBUMS, ids=(HOLIDAYS_ALBUM_ID,), order=Order.SEQUENTIAL)
    entry = await setup_slideshows(
        hass, emulator, ("Holidays", settings), ("Random", SlideshowSettings(Source.RANDOM))
    )
    return entry, slideshow_entity_id(hass, entry, "Holidays")


async def test_next_and_previous_image(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    in_order = album_images_in_order(emulator, HOLIDAYS_ALBUM_ID)
    _, entity_id = await setup_holidays_in_order(hass, emulator)
    assert shown_asset(hass, entity_id) == in_order[0]

    await call(hass, "next_image", {"entity_id": entity_id})
    assert shown_asset(hass, entity_id) == in_order[1]
    await call(hass, "next_image", {"entity_id": entity_id})
    assert shown_asset(hass, entity_id) == in_order[2]

    await call(hass, "previous_image", {"entity_id": entity_id})
    assert shown_asset(hass, entity_id) == in_order[1]


async def test_next_image_by_device(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    in_order = album_images_in_order(emulator, HOLIDAYS_ALBUM_ID)
    _, entity_id = await setup_holidays_in_order(hass, emulator)
    registry_entry = er.async_get(hass).async_get(entity_id)
    assert registry_entry is not None
    assert registry_entry.device_id is not None

    await call(hass, "next_image", {"device_id": registry_entry.device_id})

    assert shown_asset(hass, entity_id) == in_order[1]


async def test_refresh_sources_reads_album_again(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    in_order = album_images_in_order(emulator, HOLIDAYS_ALBUM_ID)
    _, entity_id = await setup_holidays_in_order(hass, emulator)
    await call(hass, "next_image", {"entity_id": entity_id})
    await call(hass, "next_image", {"entity_id": entity_id})
    emulator.stats.reset()

    await call(hass, "refresh_sources", {"entity_id": entity_id})

    assert requests_matching(emulator, "GET /api/albums")
    assert shown_asset(hass, entity_id) == in_order[0]


async def test_slideshow_action_rejects_other_entity(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry, _ = await setup_holidays_in_order(hass, emulator)
    sensor_id = next(
        registry_entry.entity_id
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registry_entry.domain == "sensor"
    )

    with pytest.raises(ServiceValidationError) as not_slideshow:
        await call(hass, "next_image", {"entity_id": sensor_id})
    with pytest.raises(ServiceValidationError) as unknown:
        await call(hass, "previous_image", {"entity_id": "image.no_such_frame"})

    assert not_slideshow.value.translation_key == "not_a_slideshow"
    assert not_slideshow.value.translation_placeholders == {"entity_id": sensor_id}
    assert unknown.value.translation_key == "entity_not_found"


async def test_slideshow_action_target_without_slideshow(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry, _ = await setup_holidays_in_order(hass, emulator)
    server_device_id = next(
        registry_entry.device_id
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registry_entry.domain == "sensor"
    )

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "refresh_sources", {"device_id": server_device_id})

    assert err.value.translation_key == "no_slideshow_targeted"


async def test_slideshow_action_reports_failure(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    _, entity_id = await setup_holidays_in_order(hass, emulator)
    emulator.add_fault("html_error", r"/api/", status=502)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "refresh_sources", {"entity_id": entity_id})

    placeholders = err.value.translation_placeholders
    assert err.value.translation_key == "slideshow_unavailable"
    assert placeholders is not None
    assert placeholders["entity_id"] == entity_id
    assert "HTTP 502" in placeholders["reason"]


# Random photos and memories


async def fetch(client_factory: ClientSessionGenerator, url: str) -> tuple[int, str, bytes]:
    client = await client_factory()
    response = await client.get(url)
    return response.status, response.headers.get("Content-Type", ""), await response.read()


def signature_expiry(url: str) -> datetime:
    token = URL(url).query["authSig"]
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(claims["exp"], UTC)


async def test_random_assets_response(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(FROZEN_NOW)
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    response = await call(
        hass, "get_random_assets", {"config_entry_id": entry.entry_id, "count": 3}, response=True
    )

    assets = response["assets"]
    assert len(assets) == 3
    assert len({asset["asset_id"] for asset in assets}) == 3
    expires_at = datetime.fromisoformat(FROZEN_NOW) + timedelta(days=1)
    assert response["url_expires_at"] == expires_at.isoformat()
    for asset in assets:
        emulated = emulator.library.assets[asset["asset_id"]]
        assert asset["asset_id"] in visible_image_ids(emulator)
        assert asset["file_name"] == emulated["originalFileName"]
        assert asset["favorite"] == emulated["isFavorite"]
        assert asset["immich_url"] == f"{emulator.url}/photos/{asset['asset_id']}"
        assert ADMIN_KEY not in str(asset)
        assert signature_expiry(asset["url"]) == expires_at

    status, content_type, body = await fetch(hass_client_no_auth, assets[0]["url"])
    assert status == HTTPStatus.OK
    assert content_type == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff"


async def test_signed_url_tied_to_asset(
    hass: HomeAssistant, emulator: EmulatorServer, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    response = await call(
        hass, "get_random_assets", {"config_entry_id": entry.entry_id, "count": 2}, response=True
    )
    first, second = response["assets"]
    signature = URL(first["url"]).query["authSig"]
    other_path = URL(second["url"]).path

    status, _, _ = await fetch(hass_client_no_auth, f"{other_path}?authSig={signature}")

    assert status == HTTPStatus.UNAUTHORIZED


async def test_url_lifetime_parameter(
    hass: HomeAssistant, emulator: EmulatorServer, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(FROZEN_NOW)
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    response = await call(
        hass,
        "get_random_assets",
        {"config_entry_id": entry.entry_id, "url_expires_in": {"hours": 2}},
        response=True,
    )

    expires_at = datetime.fromisoformat(FROZEN_NOW) + timedelta(hours=2)
    assert response["url_expires_at"] == expires_at.isoformat()
    assert signature_expiry(response["assets"][0]["url"]) == expires_at
    with pytest.raises(vol.Invalid, match="at most"):
        await call(
            hass,
            "get_random_assets",
            {"config_entry_id": entry.entry_id, "url_expires_in": {"days": 8}},
            response=True,
        )


async def test_random_assets_from_album(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    album = emulator.library.albums[HOLIDAYS_ALBUM_ID]
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    response = await call(
        hass,
        "get_random_assets",
        {"config_entry_id": entry.entry_id, "count": 10, "album_id": HOLIDAYS_ALBUM_ID},
        response=True,
    )

    assert response["assets"]
    for asset in response["assets"]:
        assert asset["asset_id"] in album.asset_ids
        assert asset["album"] == album.data["albumName"]


@pytest.mark.parametrize(
    ("album_id", "translation_key"),
    [(MISSING_ALBUM_ID, "album_not_found"), ("holidays", "invalid_album_id")],
)
async def test_random_assets_unknown_album(
    hass: HomeAssistant, emulator: EmulatorServer, album_id: str, translation_key: str
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "get_random_assets",
            {"config_entry_id": entry.entry_id, "album_id": album_id},
            response=True,
        )

    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders == {"album_id": album_id}
    assert not requests_matching(emulator, "POST /api/search/random")


async def test_random_assets_missing_permission(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    emulator.library.keys[ADMIN_KEY].permissions = frozenset({"user.read", "album.read"})

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_random_assets", {"config_entry_id": entry.entry_id}, response=True)

    assert err.value.translation_key == "missing_permission"
    assert err.value.translation_placeholders == {"permission": "asset.read"}


async def test_asset_actions_unknown_entry(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    for service in ("get_random_assets", "get_memories", "run_queue_command"):
        data: dict[str, Any] = {"config_entry_id": "no-such-entry"}
        if service == "run_queue_command":
            data |= {"queue": "thumbnailGeneration", "command": "pause"}
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, data, response=service != "run_queue_command")
        assert err.value.translation_key == "config_entry_not_found"


def memory_assets(emulator: EmulatorServer, day: date) -> list[tuple[str, int]]:
    """Return (asset id, year) of the photos of a day's memories, newest year first."""
    memories = emulator.library.memories_for(ADMIN_USER_ID, day)
    return [
        (asset["id"], memory["data"]["year"])
        for memory in sorted(memories, key=lambda m: m["data"]["year"], reverse=True)
        for asset in memory["assets"]
        if asset["type"] == "IMAGE"
    ]


async def test_memories_response(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to(FROZEN_NOW)
    today = datetime.fromisoformat(FROZEN_NOW).date()
    expected = memory_assets(emulator, today)
    assert len(expected) > 1, "the emulator has memories for this day"
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    response = await call(hass, "get_memories", {"config_entry_id": entry.entry_id}, response=True)

    assert response["date"] == today.isoformat()
    assert response["total"] == len(expected)
    assert [(a["asset_id"], a["memory_year"]) for a in response["assets"]] == expected
    for asset in response["assets"]:
        emulated = emulator.library.assets[asset["asset_id"]]
        assert asset["years_ago"] == today.year - asset["memory_year"]
        assert asset["file_name"] == emulated["originalFileName"]
        assert asset["city"] == (emulated.get("exifInfo") or {}).get("city")
    status, content_type, _ = await fetch(hass_client_no_auth, response["assets"][0]["url"])
    assert status == HTTPStatus.OK
    assert content_type.startswith("image/")


async def test_memories_of_given_day_limited(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    day = date(2026, 12, 4)
    expected = memory_assets(emulator, day)
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    emulator.stats.reset()

    response = await call(
        hass,
        "get_memories",
        {"config_entry_id": entry.entry_id, "date": day.isoformat(), "limit": 1},
        response=True,
    )

    # v2.7.5's `for` is a date-time: the day's UTC midnight stands for the calendar day.
    assert requests_matching(emulator, "GET /api/memories") == [
        f"GET /api/memories?for={day.isoformat()}T00:00:00.000Z"
    ]
    assert response["total"] == len(expected)
    assert [asset["asset_id"] for asset in response["assets"]] == [expected[0][0]]


async def test_memories_fall_back_to_search(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    day = date(2026, 12, 4)
    emulator.library.memories_enabled = False
    on_this_day = {
        asset["id"]: int(asset["localDateTime"][:4])
        for asset in emulator.library.assets.values()
        if asset["ownerId"] == ADMIN_USER_ID
        and asset["type"] == "IMAGE"
        and asset["localDateTime"][5:10] == "12-04"
        and int(asset["localDateTime"][:4]) < day.year
    }
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))

    response = await call(
        hass,
        "get_memories",
        {"config_entry_id": entry.entry_id, "date": day.isoformat()},
        response=True,
    )

    assert {a["asset_id"]: a["memory_year"] for a in response["assets"]} == on_this_day


# Queue commands


async def run_queue_command(
    hass: HomeAssistant, entry: MockConfigEntry, queue: str, command: str
) -> dict[str, Any]:
    response = await call(
        hass,
        "run_queue_command",
        {"config_entry_id": entry.entry_id, "queue": queue, "command": command},
        response=True,
    )
    assert isinstance(response, dict)
    return response


@pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
async def test_pause_and_resume_queue(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    queues = emulator.library.queues
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    paused = await run_queue_command(hass, entry, "thumbnailGeneration", "pause")

    assert queues["thumbnailGeneration"]["isPaused"] is True
    assert paused["name"] == "thumbnailGeneration"
    assert paused["is_paused"] is True
    assert requests_matching(emulator, "PUT /api/") == ["PUT /api/queues/thumbnailGeneration"]
    assert entry.runtime_data.queues.data["thumbnailGeneration"].is_paused is True

    resumed = await run_queue_command(hass, entry, "thumbnailGeneration", "resume")

    assert queues["thumbnailGeneration"]["isPaused"] is False
    assert resumed["is_paused"] is False


async def test_pause_queue_before_v2_4(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.reported_version = (2, 3, 0)
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    paused = await run_queue_command(hass, entry, "metadataExtraction", "pause")

    assert requests_matching(emulator, "PUT /api/") == ["PUT /api/jobs/metadataExtraction"]
    assert emulator.library.queues["metadataExtraction"]["isPaused"] is True
    assert paused["is_paused"] is True


@pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
async def test_start_and_clear_failed(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    statistics = emulator.library.queues["metadataExtraction"]["statistics"]
    assert statistics["failed"] > 0
    waiting = statistics["waiting"]
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    cleared = await run_queue_command(hass, entry, "metadataExtraction", "clear_failed")
    started = await run_queue_command(hass, entry, "metadataExtraction", "start")

    assert statistics["failed"] == 0
    assert cleared["failed"] == 0
    assert statistics["waiting"] == waiting + 1
    assert started["waiting"] == waiting + 1
    assert requests_matching(emulator, "PUT /api/") == [
        "PUT /api/jobs/metadataExtraction",
        "PUT /api/jobs/metadataExtraction",
    ]


async def test_queue_refuses_pause(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator)

    with pytest.raises(ServiceValidationError) as err:
        await run_queue_command(hass, entry, "backgroundTask", "pause")

    assert err.value.translation_key == "queue_command_rejected"
    assert err.value.translation_placeholders == {
        "queue": "backgroundTask",
        "command": "pause",
        "error": "The BackgroundTask queue cannot be paused",
    }
    assert emulator.library.queues["backgroundTask"]["isPaused"] is False


async def test_queue_command_needs_admin(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = user_config_entry(emulator)
    await setup_entry(hass, entry)
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as err:
        await run_queue_command(hass, entry, "thumbnailGeneration", "pause")

    assert err.value.translation_key == "queue_command_needs_admin"
    assert not requests_matching(emulator, "PUT /api/")


async def test_queue_command_needs_ha_admin(
    hass: HomeAssistant, emulator: EmulatorServer, hass_read_only_user: MockUser
) -> None:
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "run_queue_command",
            {"config_entry_id": entry.entry_id, "queue": "thumbnailGeneration", "command": "pause"},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )

    assert not requests_matching(emulator, "PUT /api/")
    assert emulator.library.queues["thumbnailGeneration"]["isPaused"] is False


async def test_queue_command_admin_revoked(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator)
    emulator.library.users[ADMIN_USER_ID]["isAdmin"] = False

    with pytest.raises(HomeAssistantError) as err:
        await run_queue_command(hass, entry, "thumbnailGeneration", "pause")

    assert err.value.translation_key == "admin_required"


async def test_queue_command_missing_permission(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = await setup_slideshows(hass, emulator)
    emulator.library.keys[ADMIN_KEY].permissions = frozenset({"user.read", "queue.read"})

    with pytest.raises(HomeAssistantError) as err:
        await run_queue_command(hass, entry, "thumbnailGeneration", "pause")

    assert err.value.translation_key == "missing_permission"
    assert err.value.translation_placeholders == {"permission": "queue.update"}


async def test_queue_command_unknown_queue(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as err:
        await run_queue_command(hass, entry, "../assets", "pause")

    assert err.value.translation_key == "unknown_queue"
    assert err.value.translation_placeholders["queue"] == "../assets"
    assert "thumbnailGeneration" in err.value.translation_placeholders["queues"]
    assert not requests_matching(emulator, "PUT /api/")


async def test_client_rejects_malformed_queue_name(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, ADMIN_KEY) as client:
        await client.async_detect_generation()
        emulator.stats.reset()

        with pytest.raises(ValueError, match="not an Immich queue name"):
            await client.async_run_queue_command("../assets", QueueCommand.PAUSE)

    assert emulator.stats.total == 0


async def test_queue_command_empty_name(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator)
    emulator.stats.reset()

    with pytest.raises(vol.Invalid):
        await run_queue_command(hass, entry, "  ", "pause")

    assert not requests_matching(emulator, "PUT /api/")


async def test_absolute_url_uses_configured_address(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    without = await call(
        hass, "get_random_assets", {"config_entry_id": entry.entry_id, "count": 1}, response=True
    )
    await hass.config.async_update(external_url="https://home.example.org")

    response = await call(
        hass, "get_random_assets", {"config_entry_id": entry.entry_id, "count": 1}, response=True
    )

    asset = response["assets"][0]
    assert asset["absolute_url"] == f"https://home.example.org{asset['url']}"
    assert asset["url"].startswith("/")
    first = without["assets"][0]
    assert first["absolute_url"] is None or first["absolute_url"].endswith(first["url"])
