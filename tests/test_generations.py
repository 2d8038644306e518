"""Routes, probes and response shapes of the Immich generations before v2.4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
import re

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.api import (
    ApiGeneration,
    AssetSearchFilter,
    AssetType,
    ImmichAdminRequiredError,
    ImmichClient,
    ImmichNotFoundError,
    Operation,
    QueueCommand,
    ServerVersion,
)
from custom_components.immich.const import DOMAIN
from custom_components.immich.issues import unsupported_version_issue_id
from immich_emulator import (
    ADMIN_KEY,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    EmulatorServer,
)

from .integration import setup_entry

MEMORY_DAY = date(2026, 12, 4)
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ALL_ASSETS = 500

# The route that serves each operation on each release, once the client has probed it.
EXPECTED_ROUTES: dict[str, dict[Operation, str]] = {
    "v1.89.0": {
        Operation.OWN_USER: "GET /user/me",
        Operation.STORAGE: "GET /server-info",
        Operation.STATISTICS: "GET /server-info/statistics",
        Operation.FEATURES: "GET /server-info/features",
        Operation.QUEUES: "GET /jobs",
        Operation.ASSET: "GET /asset/assetById/{id}",
        Operation.RANDOM: "GET /asset/random",
        Operation.MEMORIES: "GET /asset/memory-lane",
        Operation.METADATA_SEARCH: "GET /assets",
        Operation.ALBUMS: "GET /album",
        Operation.PEOPLE: "GET /person",
        Operation.TAGS: "GET /tag",
        Operation.THUMBNAIL: "GET /asset/thumbnail/{id}",
    },
    "v1.98.2": {
        Operation.OWN_USER: "GET /user/me",
        Operation.STORAGE: "GET /server-info",
        Operation.STATISTICS: "GET /server-info/statistics",
        Operation.FEATURES: "GET /server-info/features",
        Operation.QUEUES: "GET /jobs",
        Operation.ASSET: "GET /asset/{id}",
        Operation.RANDOM: "GET /asset/random",
        Operation.MEMORIES: "GET /asset/memory-lane",
        Operation.METADATA_SEARCH: "POST /search/metadata",
        Operation.ALBUMS: "GET /album",
        Operation.PEOPLE: "GET /person",
        Operation.TAGS: "GET /tag",
        Operation.THUMBNAIL: "GET /asset/thumbnail/{id}",
    },
    "v1.106.1": {
        Operation.OWN_USER: "GET /users/me",
        Operation.STORAGE: "GET /server-info/storage",
        Operation.STATISTICS: "GET /server-info/statistics",
        Operation.FEATURES: "GET /server-info/features",
        Operation.QUEUES: "GET /jobs",
        Operation.ASSET: "GET /assets/{id}",
        Operation.RANDOM: "GET /assets/random",
        Operation.MEMORIES: "GET /assets/memory-lane",
        Operation.METADATA_SEARCH: "POST /search/metadata",
        Operation.ALBUMS: "GET /albums",
        Operation.PEOPLE: "GET /people",
        Operation.TAGS: "GET /tags",
        Operation.THUMBNAIL: "GET /assets/{id}/thumbnail",
    },
    "v1.120.0": {
        Operation.OWN_USER: "GET /users/me",
        Operation.STORAGE: "GET /server/storage",
        Operation.STATISTICS: "GET /server/statistics",
        Operation.FEATURES: "GET /server/features",
        Operation.QUEUES: "GET /jobs",
        Operation.ASSET: "GET /assets/{id}",
        Operation.RANDOM: "POST /search/random",
        Operation.MEMORIES: "GET /assets/memory-lane",
        Operation.METADATA_SEARCH: "POST /search/metadata",
        Operation.ALBUMS: "GET /albums",
        Operation.PEOPLE: "GET /people",
        Operation.TAGS: "GET /tags",
        Operation.THUMBNAIL: "GET /assets/{id}/thumbnail",
        Operation.ABOUT: "GET /server/about",
    },
    "v1.135.0": {
        Operation.OWN_USER: "GET /users/me",
        Operation.STORAGE: "GET /server/storage",
        Operation.STATISTICS: "GET /server/statistics",
        Operation.FEATURES: "GET /server/features",
        Operation.QUEUES: "GET /jobs",
        Operation.ASSET: "GET /assets/{id}",
        Operation.RANDOM: "POST /search/random",
        Operation.MEMORIES: "GET /memories",
        Operation.METADATA_SEARCH: "POST /search/metadata",
        Operation.ALBUMS: "GET /albums",
        Operation.PEOPLE: "GET /people",
        Operation.TAGS: "GET /tags",
        Operation.THUMBNAIL: "GET /assets/{id}/thumbnail",
        Operation.ABOUT: "GET /server/about",
        Operation.VERSION_CHECK: "GET /server/version-check",
    },
}
EXPECTED_GENERATIONS = {
    "v1.89.0": ApiGeneration.V1_89,
    "v1.98.2": ApiGeneration.V1_89,
    "v1.106.1": ApiGeneration.V1_106,
    "v1.120.0": ApiGeneration.V1_118,
    "v1.135.0": ApiGeneration.V1_118,
}
LEGACY = pytest.mark.parametrize("emulator_profile", list(EXPECTED_ROUTES))


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


def first_image_id(emulator: EmulatorServer) -> str:
    return next(
        asset_id
        for asset_id, asset in emulator.library.assets.items()
        if asset["type"] == "IMAGE" and asset["ownerId"] != SECOND_USER_ID
    )


async def call_every_operation(client: ImmichClient, emulator: EmulatorServer) -> None:
    """Run each read the integration makes, so that the client picks a route for each."""
    await client.async_get_my_user()
    await client.async_get_storage()
    await client.async_get_statistics()
    await client.async_get_features()
    await client.async_get_queues()
    await client.async_get_about()
    await client.async_get_version_check()
    await client.async_get_asset(first_image_id(emulator))
    await client.async_get_thumbnail(first_image_id(emulator))
    await client.async_get_random_assets(3)
    await client.async_get_memories(MEMORY_DAY)
    await client.async_search_metadata(size=5)
    await client.async_get_albums()
    await client.async_get_people()
    await client.async_get_tags()


@LEGACY
async def test_generation_of_each_release(emulator: EmulatorServer, client: ImmichClient) -> None:
    generation = await client.async_detect_generation()

    assert generation is EXPECTED_GENERATIONS[emulator.profile.name]
    assert client.version == ServerVersion(*emulator.profile.version)


@LEGACY
async def test_routes_chosen_per_release(emulator: EmulatorServer, client: ImmichClient) -> None:
    await call_every_operation(client, emulator)

    assert client.chosen_routes == EXPECTED_ROUTES[emulator.profile.name]


def route_pattern(route: str) -> re.Pattern[str]:
    """Return a pattern for the requests, as the emulator logs them, that a route describes."""
    method, template = route.split(" ", 1)
    path = re.sub(r"\\\{[a-z]+\\\}", "[^/?]+", re.escape(template))
    return re.compile(rf"{method} /api{path}(\?.*)?$")


@LEGACY
async def test_probes_remembered(emulator: EmulatorServer, client: ImmichClient) -> None:
    await call_every_operation(client, emulator)
    emulator.stats.reset()

    await call_every_operation(client, emulator)

    # The second round sends each request to its chosen route: no probe, no detection.
    patterns = [route_pattern(route) for route in client.chosen_routes.values()]
    assert emulator.stats.log
    for request in emulator.stats.log:
        assert any(pattern.match(request) for pattern in patterns), request


@pytest.mark.parametrize("emulator_profile", ["v1.98.2"])
async def test_asset_probe_falls_back_once(emulator: EmulatorServer, client: ImmichClient) -> None:
    asset_id = first_image_id(emulator)

    first = await client.async_get_asset(asset_id)
    second = await client.async_get_asset(asset_id)

    assert first.id == second.id == asset_id
    assert emulator.stats.requests[f"GET /api/asset/assetById/{asset_id}"] == 1
    assert emulator.stats.requests[f"GET /api/asset/{asset_id}"] == 2


@pytest.mark.parametrize("emulator_profile", ["v1.89.0"])
async def test_asset_by_id_on_v1_89(emulator: EmulatorServer, client: ImmichClient) -> None:
    asset_id = first_image_id(emulator)

    asset = await client.async_get_asset(asset_id)

    assert asset.original_file_name == emulator.library.assets[asset_id]["originalFileName"]
    # `/asset/{id}` lists a device's assets on v1.89, so the client never reads it.
    assert f"GET /api/asset/{asset_id}" not in emulator.stats.requests


def version_requests(emulator: EmulatorServer) -> int:
    return sum(count for key, count in emulator.stats.requests.items() if key.endswith("/version"))


@LEGACY
async def test_id_error_on_old_route_no_fallback(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    await client.async_get_albums()
    detections = version_requests(emulator)

    with pytest.raises(ImmichNotFoundError) as caught:
        await client.async_get_album(UNKNOWN_ID)

    assert caught.value.status == 400
    assert "album" in (caught.value.server_message or "")
    # No re-detection, and no route is remembered for an album that does not exist.
    assert version_requests(emulator) == detections
    assert Operation.ALBUM not in client.chosen_routes


@pytest.mark.parametrize("emulator_profile", ["v1.106.1"])
async def test_random_probe_before_v1_116(emulator: EmulatorServer, client: ImmichClient) -> None:
    first = await client.async_get_random_assets(2)
    second = await client.async_get_random_assets(2)

    assert len(first) == len(second) == 2
    assert all(asset.type is AssetType.IMAGE for asset in first + second)
    assert emulator.stats.requests["POST /api/search/random"] == 1
    assert emulator.stats.requests["GET /api/assets/random"] == 2
    assert client.chosen_routes[Operation.RANDOM] == "GET /assets/random"


@pytest.mark.parametrize(
    ("emulator_profile", "memory_lane_request"),
    [("v1.120.0", "GET /api/assets/memory-lane"), ("v1.135.0", "GET /api/assets/memory-lane")],
)
async def test_memories_probe_around_v1_133(
    emulator: EmulatorServer, client: ImmichClient, memory_lane_request: str
) -> None:
    await client.async_get_memories(MEMORY_DAY)
    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == [2018, 2019, 2021, 2023, 2024, 2025]
    if emulator.profile.version < (1, 133, 0):
        # `/memories` exists but ignores `for`, so the client reads the memory lane.
        assert emulator.stats.requests[memory_lane_request] == 2
        assert "GET /api/memories" not in emulator.stats.requests
    else:
        # From v1.133 the version picks `/memories`, where the memory lane reads as an asset id.
        assert memory_lane_request not in emulator.stats.requests
        assert emulator.stats.requests["GET /api/memories"] == 2


@pytest.mark.parametrize(
    ("emulator_profile", "expected_query"),
    [
        ("v1.89.0", "timestamp=2026-12-04T00:00:00.000Z"),
        ("v1.98.2", "day=4&month=12"),
        ("v1.106.1", "day=4&month=12"),
    ],
)
async def test_memory_lane_of_each_era(
    emulator: EmulatorServer, client: ImmichClient, expected_query: str
) -> None:
    memories = await client.async_get_memories(MEMORY_DAY)

    assert [memory.year for memory in memories] == [2018, 2019, 2021, 2023, 2024, 2025]
    for memory in memories:
        assert memory.id is None
        assert all(asset.local_date_time for asset in memory.assets)
        assert all(
            (asset.local_date_time.month, asset.local_date_time.day) == (12, 4)
            for asset in memory.assets
            if asset.local_date_time
        )
    lane = next(entry for entry in emulator.stats.log if "memory-lane" in entry)
    assert expected_query in lane


@LEGACY
@pytest.mark.parametrize("album_id", [HOLIDAYS_ALBUM_ID, WINTER_ALBUM_ID])
async def test_album_filter_from_album_detail(
    emulator: EmulatorServer, client: ImmichClient, album_id: str
) -> None:
    members = set(emulator.library.albums[album_id].asset_ids)
    search_filter = AssetSearchFilter(album_ids=(album_id,), asset_type=None)

    page = await client.async_search_metadata(search_filter, size=ALL_ASSETS)
    drawn = await client.async_get_random_assets(ALL_ASSETS, search_filter)

    assert {asset.id for asset in page.assets} == members
    assert {asset.id for asset in drawn} == members
    detail = "album" if emulator.profile.version < (1, 106, 0) else "albums"
    assert emulator.stats.requests[f"GET /api/{detail}/{album_id}"] == 2


@pytest.mark.parametrize(
    ("emulator_profile", "tag_list_request"),
    [
        ("v1.98.2", "GET /api/tag/{id}/assets"),
        ("v1.106.1", "GET /api/tags/{id}/assets"),
        ("v1.120.0", "GET /api/tags/{id}/assets"),
    ],
)
async def test_tag_filter_probe(
    emulator: EmulatorServer, client: ImmichClient, tag_list_request: str
) -> None:
    tag_id = next(
        t for t, tag in emulator.library.tags.items() if tag["value"] == "Travel/Portugal"
    )
    expected = {
        asset_id
        for asset_id, asset in emulator.library.assets.items()
        if any(t["value"] == "Travel/Portugal" for t in asset.get("tags") or [])
    }
    search_filter = AssetSearchFilter(tag_ids=(tag_id,))

    first = await client.async_get_random_assets(ALL_ASSETS, search_filter)
    second = await client.async_search_metadata(search_filter)

    assert {asset.id for asset in first} == expected
    assert {asset.id for asset in second.assets} == expected
    tag_list = tag_list_request.replace("{id}", tag_id)
    if emulator.profile.version < (1, 118, 0):
        assert emulator.stats.requests[tag_list] == 2
    else:
        # The list is gone, so the client probed it once and searched by tag since.
        assert emulator.stats.requests[tag_list] == 1
        assert emulator.stats.requests["POST /api/search/random"] == 1
        assert emulator.stats.requests["POST /api/search/metadata"] == 1


@pytest.mark.parametrize("emulator_profile", ["v1.89.0"])
async def test_v1_89_search_pages(emulator: EmulatorServer, client: ImmichClient) -> None:
    images = [
        asset
        for asset_id, asset in emulator.library.assets.items()
        if asset_id in emulator.library.visible_asset_ids(client_user(emulator))
        and asset["type"] == "IMAGE"
    ]
    size = 6

    pages = []
    page_number = 1
    while len(pages) <= len(images):
        page = await client.async_search_metadata(page=page_number, size=size)
        pages.append(page)
        if page.next_page is None:
            break
        page_number = int(page.next_page)

    ids = [asset.id for page in pages for asset in page.assets]
    expected = sorted(images, key=lambda a: a["fileCreatedAt"], reverse=True)
    assert ids == [asset["id"] for asset in expected]
    assert len(pages) == -(-len(images) // size)
    assert "POST /api/search/metadata" in emulator.stats.requests
    assert emulator.stats.requests["POST /api/search/metadata"] == 1


def client_user(emulator: EmulatorServer) -> str:
    return emulator.library.keys[ADMIN_KEY].user_id


@pytest.mark.parametrize(
    ("emulator_profile", "size", "path", "content_type"),
    [
        ("v1.98.2", "preview", "format=JPEG", "image/jpeg"),
        ("v1.98.2", "thumbnail", "format=WEBP", "image/webp"),
        ("v1.106.1", "preview", "size=preview", "image/jpeg"),
    ],
)
async def test_thumbnail_of_each_era(
    emulator: EmulatorServer, client: ImmichClient, size: str, path: str, content_type: str
) -> None:
    media = await client.async_get_thumbnail(first_image_id(emulator), size)

    assert media.content_type == content_type
    assert any(path in entry for entry in emulator.stats.log if "thumbnail" in entry)


@LEGACY
async def test_old_shapes_parsed(emulator: EmulatorServer, client: ImmichClient) -> None:
    statistics = await client.async_get_statistics()
    storage = await client.async_get_storage()
    tags = await client.async_get_tags()
    people = await client.async_get_people()

    assert storage.disk_size_raw == emulator.library.storage["diskSizeRaw"]
    if emulator.profile.statistics_usage_split:
        assert statistics.usage_photos is not None
    else:
        assert statistics.usage_photos is None
        assert statistics.usage_videos is None
    assert statistics.photos == sum(usage.photos for usage in statistics.usage_by_user)
    assert {tag.value for tag in tags} == {t["value"] for t in emulator.library.tags.values()}
    assert {person.id for person in people.people} == set(emulator.library.people)
    assert not people.has_next_page


@LEGACY
async def test_archived_excluded_before_visibility(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    archived_id = first_image_id(emulator)
    emulator.library.assets[archived_id].update(isArchived=True, visibility="archive")

    default = await client.async_search_metadata(size=ALL_ASSETS)
    with_archived = await client.async_search_metadata(
        AssetSearchFilter(include_archived=True), size=ALL_ASSETS
    )

    assert archived_id not in {asset.id for asset in default.assets}
    archived = next(asset for asset in with_archived.assets if asset.id == archived_id)
    assert archived.is_archived


@LEGACY
async def test_keys_unscoped_before_scoped_keys(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, SCOPED_KEY) as scoped:
        tags = await scoped.async_get_tags()
        people = await scoped.async_get_people()
    async with ImmichClient(emulator.url, USER_KEY) as user:
        with pytest.raises(ImmichAdminRequiredError) as statistics_error:
            await user.async_get_statistics()
        with pytest.raises(ImmichAdminRequiredError) as queues_error:
            await user.async_get_queues()

    # The scoped key's permissions lack `tag.read` and `person.read`, which old releases
    # do not check; only admin-only endpoints refuse a non-admin key.
    assert {tag.id for tag in tags} == set(emulator.library.tags)
    assert people.total >= 0
    assert statistics_error.value.server_message == "Forbidden"
    assert queues_error.value.server_message == "Forbidden"


@LEGACY
async def test_queue_commands_through_jobs(emulator: EmulatorServer, client: ImmichClient) -> None:
    paused = await client.async_run_queue_command("smartSearch", QueueCommand.PAUSE)
    assert paused.is_paused
    assert emulator.library.queues["smartSearch"]["isPaused"]

    resumed = await client.async_run_queue_command("smartSearch", QueueCommand.RESUME)
    cleared = await client.async_run_queue_command("metadataExtraction", QueueCommand.CLEAR_FAILED)

    assert not resumed.is_paused
    assert cleared.failed == 0
    assert emulator.stats.requests["PUT /api/jobs/smartSearch"] == 2
    assert "PUT /api/queues/smartSearch" not in emulator.stats.requests


@LEGACY
async def test_queues_of_old_release(emulator: EmulatorServer, client: ImmichClient) -> None:
    queues = await client.async_get_queues()

    names = {queue.name for queue in queues}
    assert names == set(emulator.queues)
    assert "ocr" not in names
    assert {"thumbnailGeneration", "metadataExtraction"} <= names


@pytest.mark.parametrize("emulator_profile", ["v1.98.2"])
async def test_unsupported_version_at_setup(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    emulator.reported_version = (1, 88, 2)
    await setup_entry(hass, config_entry, ConfigEntryState.SETUP_ERROR)

    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, unsupported_version_issue_id(config_entry.entry_id)
    )
    assert issue is not None
    assert issue.translation_key == "unsupported_version"
    assert issue.translation_placeholders == {"version": "v1.88.2", "title": config_entry.title}

    emulator.reported_version = None
    await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, unsupported_version_issue_id(config_entry.entry_id)
        )
        is None
    )


@pytest.mark.parametrize("emulator_profile", ["v1.98.2"])
async def test_no_version_endpoint_at_setup(
    hass: HomeAssistant, emulator: EmulatorServer, config_entry: MockConfigEntry
) -> None:
    emulator.add_fault("missing_route", r"/version$")
    await setup_entry(hass, config_entry, ConfigEntryState.SETUP_ERROR)

    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, unsupported_version_issue_id(config_entry.entry_id)
    )
    assert issue is not None
    assert issue.translation_key == "no_version"
    assert emulator.stats.requests["GET /api/server-info/version"] == 1
    assert emulator.stats.requests["GET /api/server/version"] == 1
