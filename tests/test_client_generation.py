"""Version detection, route probing and re-detection after a server upgrade or downgrade."""

from __future__ import annotations

from collections.abc import AsyncIterator
import dataclasses

import pytest

from custom_components.immich.api import (
    ApiGeneration,
    ImmichClient,
    ImmichEndpointMissingError,
    ImmichNotFoundError,
    ImmichUnsupportedVersionError,
    Operation,
    ServerVersion,
    client as client_module,
)
from custom_components.immich.api.generation import ROUTE_TABLE, routes_for
from immich_emulator import ADMIN_KEY, HOLIDAYS_ALBUM_ID, EmulatorServer
from tests.generations import each_profile, has_queues, plural_paths

BOTH_PROFILES = each_profile()
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


@pytest.mark.parametrize(
    ("emulator_profile", "expected"),
    [("v2.7.5", ApiGeneration.V2_4), ("v3.0.3", ApiGeneration.V3)],
)
async def test_profile_generation_detected(
    emulator: EmulatorServer, client: ImmichClient, expected: ApiGeneration
) -> None:
    generation = await client.async_detect_generation()

    assert generation is expected
    assert client.generation is expected
    assert client.version == ServerVersion(*emulator.profile.version)
    assert emulator.stats.requests["GET /api/server/version"] == 1
    assert "GET /api/server-info/version" not in emulator.stats.requests


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ((1, 89, 0), ApiGeneration.V1_89),
        ((1, 105, 9), ApiGeneration.V1_89),
        ((1, 106, 0), ApiGeneration.V1_106),
        ((1, 117, 3), ApiGeneration.V1_106),
        ((1, 118, 0), ApiGeneration.V1_118),
        ((2, 3, 1), ApiGeneration.V1_118),
        ((2, 4, 0), ApiGeneration.V2_4),
        ((3, 0, 0), ApiGeneration.V3),
    ],
)
async def test_reported_version_generation(
    emulator: EmulatorServer,
    client: ImmichClient,
    version: tuple[int, int, int],
    expected: ApiGeneration,
) -> None:
    emulator.reported_version = version

    assert await client.async_detect_generation() is expected
    assert client.version == ServerVersion(*version)


@BOTH_PROFILES
async def test_version_falls_back_to_server_info(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.profile = dataclasses.replace(emulator.profile, has_server_info_version=True)
    emulator.add_fault("missing_route", r"GET /api/server/version$")
    emulator.reported_version = (1, 106, 1)

    generation = await client.async_detect_generation()

    assert generation is ApiGeneration.V1_106
    assert client.version == ServerVersion(1, 106, 1)
    assert emulator.stats.requests["GET /api/server/version"] == 1
    assert emulator.stats.requests["GET /api/server-info/version"] == 1


@BOTH_PROFILES
async def test_version_below_minimum_unsupported(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.reported_version = (1, 88, 2)

    with pytest.raises(ImmichUnsupportedVersionError) as caught:
        await client.async_detect_generation()

    assert caught.value.version == "v1.88.2"
    assert "v1.88.2" in str(caught.value)
    assert client.generation is None


@BOTH_PROFILES
async def test_no_version_endpoint_unsupported(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.add_fault("missing_route", r"/version$")

    with pytest.raises(ImmichUnsupportedVersionError) as caught:
        await client.async_get_my_user()

    assert caught.value.version is None
    assert emulator.stats.requests["GET /api/server/version"] == 1
    assert emulator.stats.requests["GET /api/server-info/version"] == 1
    assert "GET /api/users/me" not in emulator.stats.requests


async def test_old_generation_skips_about(emulator: EmulatorServer, client: ImmichClient) -> None:
    emulator.reported_version = (1, 106, 1)

    assert await client.async_get_about() is None
    assert await client.async_get_version_check() is None
    assert "GET /api/server/about" not in emulator.stats.requests
    assert "GET /api/server/version-check" not in emulator.stats.requests


def test_v2_4_queues_have_two_candidates() -> None:
    """The probing tests below rely on this entry of the route table."""
    assert routes_for(Operation.QUEUES, ApiGeneration.V2_4) == ("GET /queues", "GET /jobs")
    assert routes_for(Operation.QUEUES, ApiGeneration.V3) == ("GET /queues",)
    assert all(candidates for _, candidates in ROUTE_TABLE[Operation.QUEUES])


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_missing_route_falls_back_and_is_remembered(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.add_fault("missing_route", r"GET /api/queues$")

    first = await client.async_get_queues()
    second = await client.async_get_queues()

    assert client.chosen_routes[Operation.QUEUES] == "GET /jobs"
    assert {queue.name for queue in first} == set(emulator.library.queues)
    assert {queue.name for queue in second} == set(emulator.library.queues)
    assert emulator.stats.requests["GET /api/queues"] == 1
    assert emulator.stats.requests["GET /api/jobs"] == 2
    assert emulator.stats.requests["GET /api/server/version"] == 1


@BOTH_PROFILES
@has_queues
async def test_first_candidate_chosen_when_present(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    queues = await client.async_get_queues()

    assert client.chosen_routes[Operation.QUEUES] == "GET /queues"
    assert {queue.name for queue in queues} == set(emulator.library.queues)
    assert "GET /api/jobs" not in emulator.stats.requests


def _album_candidates(first: str, second: str) -> object:
    """Return a `routes_for` that offers two routes for one album, other operations unchanged."""

    def patched(operation: Operation, generation: ApiGeneration) -> tuple[str, ...]:
        if operation is Operation.ALBUM:
            return (first, second)
        return routes_for(operation, generation)

    return patched


@BOTH_PROFILES
@plural_paths
async def test_album_fallback_control(
    emulator: EmulatorServer, client: ImmichClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Show that the patched route table falls back when its first route is missing."""
    monkeypatch.setattr(
        client_module, "routes_for", _album_candidates("GET /album/{id}", "GET /albums/{id}")
    )

    album = await client.async_get_album(HOLIDAYS_ALBUM_ID)

    assert album.id == HOLIDAYS_ALBUM_ID
    assert client.chosen_routes[Operation.ALBUM] == "GET /albums/{id}"
    assert emulator.stats.requests[f"GET /api/album/{HOLIDAYS_ALBUM_ID}"] == 1


@BOTH_PROFILES
@plural_paths
async def test_id_error_never_falls_back(
    emulator: EmulatorServer,
    client: ImmichClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        client_module, "routes_for", _album_candidates("GET /albums/{id}", "GET /album/{id}")
    )

    with pytest.raises(ImmichNotFoundError) as caught:
        await client.async_get_album(UNKNOWN_ID)

    assert caught.value.status == 400
    assert emulator.stats.requests[f"GET /api/albums/{UNKNOWN_ID}"] == 1
    assert f"GET /api/album/{UNKNOWN_ID}" not in emulator.stats.requests
    assert emulator.stats.requests["GET /api/server/version"] == 1
    assert Operation.ALBUM not in client.chosen_routes


@BOTH_PROFILES
async def test_malformed_id_never_sent(emulator: EmulatorServer, client: ImmichClient) -> None:
    with pytest.raises(ImmichNotFoundError) as caught:
        await client.async_get_album("not-a-uuid")

    assert caught.value.status is None
    assert emulator.stats.total == 0
    assert Operation.ALBUM not in client.chosen_routes


@BOTH_PROFILES
@plural_paths
async def test_404_about_id_never_falls_back(
    emulator: EmulatorServer, client: ImmichClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        client_module, "routes_for", _album_candidates("GET /albums/{id}", "GET /album/{id}")
    )
    emulator.add_fault("server_error", r"GET /api/albums/", status=404, message="Album not found")

    with pytest.raises(ImmichNotFoundError) as caught:
        await client.async_get_album(UNKNOWN_ID)

    assert caught.value.status == 404
    assert caught.value.server_message == "Album not found"
    assert f"GET /api/album/{UNKNOWN_ID}" not in emulator.stats.requests
    assert emulator.stats.requests["GET /api/server/version"] == 1


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_downgrade_redetects_and_reselects(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    await client.async_get_queues()
    assert client.chosen_routes[Operation.QUEUES] == "GET /queues"

    # The server is replaced by v2.3, which has no /queues yet.
    emulator.reported_version = (2, 3, 0)
    emulator.add_fault("missing_route", r"GET /api/queues$")
    queues = await client.async_get_queues()

    assert {queue.name for queue in queues} == set(emulator.library.queues)
    assert client.version == ServerVersion(2, 3, 0)
    assert client.generation is ApiGeneration.V1_118
    assert client.chosen_routes[Operation.QUEUES] == "GET /jobs"
    assert emulator.stats.requests["GET /api/server/version"] == 2


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_upgrade_redetects_and_reselects(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    emulator.reported_version = (2, 3, 0)
    await client.async_get_queues()
    await client.async_get_my_user()
    assert client.generation is ApiGeneration.V1_118
    assert client.chosen_routes[Operation.QUEUES] == "GET /jobs"

    # An upgrade to a release without the deprecated /jobs.
    emulator.set_profile("v3.0.3")
    emulator.reported_version = None
    emulator.add_fault("missing_route", r"GET /api/jobs$")
    queues = await client.async_get_queues()

    assert {queue.name for queue in queues} == set(emulator.library.queues)
    assert client.generation is ApiGeneration.V3
    assert client.version == ServerVersion(3, 0, 3)
    assert client.chosen_routes == {Operation.QUEUES: "GET /queues"}
    assert emulator.stats.requests["GET /api/queues"] == 1


@pytest.mark.parametrize("emulator_profile", ["v2.7.5"])
async def test_remembered_route_gone_same_version(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    await client.async_get_queues()
    emulator.add_fault("missing_route", r"GET /api/queues$")

    queues = await client.async_get_queues()

    assert {queue.name for queue in queues} == set(emulator.library.queues)
    assert client.chosen_routes[Operation.QUEUES] == "GET /jobs"
    assert emulator.stats.requests["GET /api/server/version"] == 2
    assert emulator.stats.requests["GET /api/jobs"] == 1


@BOTH_PROFILES
@has_queues
async def test_every_route_gone_same_version(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    await client.async_get_queues()
    emulator.add_fault("missing_route", r"GET /api/(queues|jobs)$")

    with pytest.raises(ImmichEndpointMissingError) as caught:
        await client.async_get_queues()

    assert caught.value.status == 404
    assert Operation.QUEUES not in client.chosen_routes
    # One re-detection, then one more pass over the candidates, and no loop.
    assert emulator.stats.requests["GET /api/server/version"] == 2
    assert emulator.stats.requests["GET /api/queues"] == 3
