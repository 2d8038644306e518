"""Ids and names from users and from the server never reach a request path, a header or a URL raw."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import copy
from http import HTTPStatus
import re
from typing import Any

from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    Unresolvable,
    async_browse_media,
    async_resolve_media,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich.action_helpers import service_error
from custom_components.immich.api import (
    AssetSearchFilter,
    ImmichClient,
    ImmichInvalidIdError,
    ImmichNotFoundError,
)
from custom_components.immich.const import DOMAIN
from custom_components.immich.media_identifier import MediaIdentifier
from immich_emulator import ADMIN_KEY, ADMIN_USER_ID, WINTER_ALBUM_ID, EmulatorServer
from immich_emulator.library import PERSON_IDS, TAG_IDS, VIDEO_ASSET_ID, EmulatedAlbum

ROOT = f"media-source://{DOMAIN}"
INVALID_IDS = [
    "../../server/about",
    "a/b",
    "%2e%2e",
    "x?y=1",
    "abc#frag",
    "",
    f"{WINTER_ALBUM_ID}\n",
    f" {WINTER_ALBUM_ID}",
    f"{WINTER_ALBUM_ID[:-1]}g",
]
VALID_ASSET_ID = VIDEO_ASSET_ID
# Home Assistant's media source URI pattern drops a trailing newline before the integration
# receives the identifier, so identifiers are tested without it.
INVALID_IDENTIFIER_IDS = [i for i in INVALID_IDS if not i.endswith("\n")]
HOSTILE_FILE_NAME = "../../etc/passwd\r\nX-Injected: 1"
HOSTILE_VIDEO_NAME = "..\\..\\video\r\nSet-Cookie: a=b.mp4"
SCRIPT_ALBUM_NAME = "<script>alert(1)</script>"
HOSTILE_ALBUM_ID = "../../server/about"
HOSTILE_ASSET_ID = "a/b"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

type ClientCall = Callable[[ImmichClient, str], Awaitable[Any]]


async def _stream_video(client: ImmichClient, asset_id: str) -> None:
    async with client.async_stream_video(asset_id):
        pass


CLIENT_CALLS: dict[str, tuple[str, ClientCall]] = {
    "get_asset": ("asset", lambda c, i: c.async_get_asset(i)),
    "get_thumbnail": ("asset", lambda c, i: c.async_get_thumbnail(i)),
    "get_fullsize": ("asset", lambda c, i: c.async_get_fullsize(i)),
    "stream_video": ("asset", _stream_video),
    "get_album": ("album", lambda c, i: c.async_get_album(i)),
    "add_to_album": ("album", lambda c, i: c.async_add_assets_to_album(i, [VALID_ASSET_ID])),
    "add_asset": ("asset", lambda c, i: c.async_add_assets_to_album(WINTER_ALBUM_ID, [i])),
    "get_person": ("person", lambda c, i: c.async_get_person(i)),
    "get_person_face": ("person", lambda c, i: c.async_get_person_thumbnail(i)),
    "get_tag": ("tag", lambda c, i: c.async_get_tag(i)),
    "search_album": (
        "album",
        lambda c, i: c.async_search_metadata(AssetSearchFilter(album_ids=(i,))),
    ),
    "random_person": (
        "person",
        lambda c, i: c.async_get_random_assets(5, AssetSearchFilter(person_ids=(i,))),
    ),
    "smart_search_tag": (
        "tag",
        lambda c, i: c.async_smart_search("beach", AssetSearchFilter(tag_ids=(i,))),
    ),
}


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    async with ImmichClient(emulator.url, ADMIN_KEY) as immich:
        yield immich


# Ids at the client boundary


@pytest.mark.parametrize("invalid_id", INVALID_IDS)
@pytest.mark.parametrize("call", list(CLIENT_CALLS))
async def test_client_rejects_invalid_id(
    emulator: EmulatorServer, client: ImmichClient, call: str, invalid_id: str
) -> None:
    kind, send = CLIENT_CALLS[call]

    with pytest.raises(ImmichInvalidIdError) as raised:
        await send(client, invalid_id)

    assert raised.value.what == kind
    assert raised.value.value == invalid_id
    assert isinstance(raised.value, ImmichNotFoundError)
    assert repr(invalid_id) in str(raised.value)
    # Not even the version detection of a new client's first request went out.
    assert emulator.stats.total == 0


@pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
async def test_uppercase_uuid_is_sent_lowercase(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    album = await client.async_get_album(WINTER_ALBUM_ID.upper())
    person = await client.async_get_person(PERSON_IDS["Alice"].upper())

    assert album.id == WINTER_ALBUM_ID
    assert person.id == PERSON_IDS["Alice"]
    assert emulator.stats.requests[f"GET /api/albums/{WINTER_ALBUM_ID}"] == 1
    assert emulator.stats.requests[f"GET /api/people/{PERSON_IDS['Alice']}"] == 1


async def test_uppercase_filter_ids_are_sent_lowercase(
    emulator: EmulatorServer, client: ImmichClient
) -> None:
    tag_id = next(iter(TAG_IDS.values()))
    upper = await client.async_search_metadata(
        AssetSearchFilter(album_ids=(WINTER_ALBUM_ID.upper(),), tag_ids=(tag_id.upper(),))
    )
    lower = await client.async_search_metadata(
        AssetSearchFilter(album_ids=(WINTER_ALBUM_ID,), tag_ids=(tag_id,))
    )

    assert [asset.id for asset in upper.assets] == [asset.id for asset in lower.assets]


# Ids from Home Assistant: media identifiers, view paths and actions


@pytest.mark.parametrize("invalid_id", [i for i in INVALID_IDENTIFIER_IDS if i])
@pytest.mark.parametrize("collection", ["albums", "people", "tags"])
async def test_browse_rejects_invalid_folder_id(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    collection: str,
    invalid_id: str,
) -> None:
    emulator.stats.reset()

    with pytest.raises(BrowseError) as raised:
        await async_browse_media(hass, f"{ROOT}/{ADMIN_USER_ID}|{collection}|{invalid_id}")

    assert raised.value.translation_key == "invalid_media_identifier"
    assert emulator.stats.total == 0


@pytest.mark.parametrize("invalid_id", INVALID_IDENTIFIER_IDS)
async def test_resolve_rejects_invalid_asset_id(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry, invalid_id: str
) -> None:
    emulator.stats.reset()
    identifier = f"{ADMIN_USER_ID}|albums|{WINTER_ALBUM_ID}|{invalid_id}|x.jpg|image/jpeg"

    with pytest.raises(Unresolvable) as raised:
        await async_resolve_media(hass, f"{ROOT}/{identifier}", None)

    assert raised.value.translation_key == "invalid_media_identifier"
    assert emulator.stats.total == 0


@pytest.mark.parametrize(
    ("path_id", "expected_status"),
    [
        ("not-a-uuid", HTTPStatus.BAD_REQUEST),
        ("x%3Fy=1", HTTPStatus.BAD_REQUEST),
        ("abc%23frag", HTTPStatus.BAD_REQUEST),
        ("%252e%252e", HTTPStatus.BAD_REQUEST),
        ("..%2F..%2Fserver%2Fabout", HTTPStatus.BAD_REQUEST),
        ("..", HTTPStatus.NOT_FOUND),
        (f"{WINTER_ALBUM_ID[:-1]}g", HTTPStatus.BAD_REQUEST),
    ],
)
async def test_view_rejects_invalid_id(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    media_entry: MockConfigEntry,
    path_id: str,
    expected_status: HTTPStatus,
) -> None:
    http = await hass_client()
    emulator.stats.reset()

    response = await http.get(f"/immich/{ADMIN_USER_ID}/{path_id}/preview/image/jpeg")

    assert response.status == expected_status
    assert emulator.stats.total == 0


@pytest.mark.parametrize("invalid_id", [i for i in INVALID_IDS if i.strip()])
async def test_random_assets_action_rejects_invalid_album_id(
    hass: HomeAssistant, emulator: EmulatorServer, media_entry: MockConfigEntry, invalid_id: str
) -> None:
    emulator.stats.reset()

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "get_random_assets",
            {"config_entry_id": media_entry.entry_id, "album_id": invalid_id},
            blocking=True,
            return_response=True,
        )

    assert raised.value.translation_key == "invalid_album_id"
    assert emulator.stats.total == 0


def test_action_error_for_invalid_id() -> None:
    error = service_error(ImmichInvalidIdError("Invalid asset id 'a/b'", what="asset", value="a/b"))

    assert isinstance(error, ServiceValidationError)
    assert error.translation_key == "invalid_id"
    assert error.translation_placeholders == {"kind": "asset", "id": "a/b"}


# Names and ids from the server


def _first_image_id(emulator: EmulatorServer, album_id: str) -> str:
    library = emulator.library
    return next(
        asset_id
        for asset_id in library.albums[album_id].asset_ids
        if library.assets[asset_id]["type"] == "IMAGE"
    )


@pytest.fixture
def hostile_library(emulator: EmulatorServer) -> str:
    """Give the library names and ids a compromised or buggy server could send.

    Returns the id of the Winter album's photo renamed to a path with a header injection.
    """
    library = emulator.library
    photo_id = _first_image_id(emulator, WINTER_ALBUM_ID)
    library.assets[photo_id]["originalFileName"] = HOSTILE_FILE_NAME
    library.assets[VIDEO_ASSET_ID]["originalFileName"] = HOSTILE_VIDEO_NAME

    hostile_asset = copy.deepcopy(library.assets[photo_id])
    hostile_asset["id"] = HOSTILE_ASSET_ID
    library.assets[HOSTILE_ASSET_ID] = hostile_asset

    winter = library.albums[WINTER_ALBUM_ID]
    library.albums[HOSTILE_ALBUM_ID] = EmulatedAlbum(
        {**copy.deepcopy(winter.data), "id": HOSTILE_ALBUM_ID, "albumName": "Hostile id"},
        list(winter.asset_ids),
    )
    winter.asset_ids.append(HOSTILE_ASSET_ID)
    winter.data = {
        **winter.data,
        "albumName": SCRIPT_ALBUM_NAME,
        "albumThumbnailAssetId": HOSTILE_ASSET_ID,
    }
    return photo_id


def _children(node: BrowseMediaSource) -> list[BrowseMediaSource]:
    assert node.children is not None
    return node.children


async def test_album_names_stay_plain_text(
    hass: HomeAssistant, hostile_library: str, media_entry: MockConfigEntry
) -> None:
    node = await async_browse_media(hass, f"{ROOT}/{ADMIN_USER_ID}|albums")
    children = {child.title: child for child in _children(node)}

    assert SCRIPT_ALBUM_NAME in children
    assert children[SCRIPT_ALBUM_NAME].thumbnail is None
    assert "Hostile id" not in children
    assert not [c for c in _children(node) if HOSTILE_ALBUM_ID in c.media_content_id]


async def test_file_names_stay_plain_text(
    hass: HomeAssistant, hostile_library: str, media_entry: MockConfigEntry
) -> None:
    node = await async_browse_media(hass, f"{ROOT}/{ADMIN_USER_ID}|albums|{WINTER_ALBUM_ID}")
    assets = [child for child in _children(node) if not child.can_expand]
    renamed = [child for child in assets if child.title == HOSTILE_FILE_NAME]

    assert node.title == SCRIPT_ALBUM_NAME
    assert len(renamed) == 1
    identifier = MediaIdentifier.parse(renamed[0].media_content_id.removeprefix(f"{ROOT}/"))
    assert identifier.asset_id == hostile_library
    assert identifier.file_name == HOSTILE_FILE_NAME
    assert renamed[0].thumbnail == f"/immich/{ADMIN_USER_ID}/{hostile_library}/thumbnail/image/webp"
    for child in assets:
        assert child.thumbnail is not None
        assert re.fullmatch(
            rf"/immich/{ADMIN_USER_ID}/{UUID}/thumbnail/image/webp", child.thumbnail
        )
    assert not [c for c in assets if f"|{HOSTILE_ASSET_ID}|" in c.media_content_id]


@pytest.mark.parametrize("size", ["thumbnail", "preview", "fullsize"])
async def test_file_name_never_reaches_image_headers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    hostile_library: str,
    media_entry: MockConfigEntry,
    size: str,
) -> None:
    http = await hass_client()

    response = await http.get(f"/immich/{ADMIN_USER_ID}/{hostile_library}/{size}/image/jpeg")

    assert response.status == HTTPStatus.OK
    assert "Content-Disposition" not in response.headers
    assert "X-Injected" not in response.headers
    for value in response.headers.values():
        assert "passwd" not in value


async def test_file_name_never_reaches_video_headers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hostile_library: str,
    media_entry: MockConfigEntry,
) -> None:
    http = await hass_client()

    response = await http.get(f"/immich/{ADMIN_USER_ID}/{VIDEO_ASSET_ID}/fullsize/video/mp4")

    assert response.status == HTTPStatus.OK
    assert "Content-Disposition" not in response.headers
    assert "Set-Cookie" not in response.headers
    for value in response.headers.values():
        assert "a=b" not in value


async def test_random_assets_action_leaves_out_invalid_ids(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    hostile_library: str,
    media_entry: MockConfigEntry,
) -> None:
    emulator.library.random_asset_ids = [HOSTILE_ASSET_ID, hostile_library]

    response = await hass.services.async_call(
        DOMAIN,
        "get_random_assets",
        {"config_entry_id": media_entry.entry_id, "count": 2},
        blocking=True,
        return_response=True,
    )

    assert response is not None
    assets: list[dict[str, Any]] = response["assets"]  # type: ignore[assignment]
    assert [asset["asset_id"] for asset in assets] == [hostile_library]
    assert assets[0]["file_name"] == HOSTILE_FILE_NAME
    assert assets[0]["url"].startswith(
        f"/immich/{ADMIN_USER_ID}/{hostile_library}/preview/image/jpeg?authSig="
    )
    assert assets[0]["immich_url"] == f"{emulator.url}/photos/{hostile_library}"
