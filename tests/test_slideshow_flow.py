"""Slideshow subentry flows: add, reconfigure and remove, against the emulated server."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import DOMAIN
from custom_components.immich.slideshow.settings import (
    SUBENTRY_TYPE_SLIDESHOW,
    Order,
    Orientation,
    SlideshowSettings,
    Source,
)
from immich_emulator import (
    ADMIN_USER_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    EmulatorServer,
)
from immich_emulator.library import PERSON_IDS, SCOPED_PERMISSIONS, TAG_IDS

from .conftest import entry_data_for
from .test_image import image_entity, setup_slideshows, slideshow_entity_id

UNNAMED_PERSON_ID = "0a0a0000-0000-4000-8000-00000000000a"
SETTINGS = {
    "interval": 30,
    "order": "sequential",
    "orientation": "landscape",
    "include_archived": False,
}


async def start_flow(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SLIDESHOW), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def configure(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    return dict(await hass.config_entries.subentries.async_configure(flow_id, user_input))


def options_of(result: dict[str, Any]) -> dict[str, str]:
    """Return the values and labels of the multi-select on an albums, people or tags step."""
    for key, selector in result["data_schema"].schema.items():
        if key == "ids":
            return {option["value"]: option["label"] for option in selector.config["options"]}
    raise AssertionError("the form has no ids field")


def default_of(result: dict[str, Any], field: str) -> Any:
    for key in result["data_schema"].schema:
        if key == field:
            return key.default()
    raise AssertionError(f"the form has no field {field}")


def album_label(emulator: EmulatorServer, album_id: str, owner_note: str = "") -> str:
    library = emulator.library
    album = library.albums[album_id]
    count = sum(
        1
        for asset_id in album.asset_ids
        if asset_id in library.assets and not library.assets[asset_id].get("isTrashed")
    )
    items = "1 item" if count == 1 else f"{count} items"
    return f"{album.data['albumName']} ({items}{owner_note})"


def slideshow_subentries(entry: MockConfigEntry) -> dict[str, Any]:
    return {
        subentry.title: subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE_SLIDESHOW
    }


def unloaded_entry(
    hass: HomeAssistant, emulator: EmulatorServer, api_key: str, user_id: str
) -> MockConfigEntry:
    """Add an entry without setting it up; the flow then builds its own client."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test (127.0.0.1)",
        unique_id=user_id,
        data=entry_data_for(emulator, api_key),
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.mark.parametrize("emulator_profile", ["v2.7.5", "v3.0.3"])
async def test_add_album_slideshow(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "albums"})
    assert result["step_id"] == "albums"
    options = options_of(result)
    admin_albums = {album.data["id"] for album in emulator.library.albums_for(ADMIN_USER_ID)}
    assert set(options) == admin_albums
    assert len(options) == len(admin_albums)
    assert options[HOLIDAYS_ALBUM_ID] == album_label(emulator, HOLIDAYS_ALBUM_ID)

    result = await configure(hass, result["flow_id"], {"ids": [HOLIDAYS_ALBUM_ID]})
    assert result["step_id"] == "settings"
    result = await configure(
        hass, result["flow_id"], {**SETTINGS, "date_from": "2020-01-01", "date_to": "2030-12-31"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    album_name = emulator.library.albums[HOLIDAYS_ALBUM_ID].data["albumName"]
    assert result["title"] == album_name
    subentry = slideshow_subentries(entry)[album_name]
    settings = SlideshowSettings.from_data(subentry.data)
    assert settings.source is Source.ALBUMS
    assert settings.ids == (HOLIDAYS_ALBUM_ID,)
    assert settings.interval == 30
    assert settings.order is Order.SEQUENTIAL
    assert settings.orientation is Orientation.LANDSCAPE
    assert str(settings.date_from) == "2020-01-01"
    assert str(settings.date_to) == "2030-12-31"

    assert entry.state is ConfigEntryState.LOADED
    entity_id = slideshow_entity_id(hass, entry, album_name)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["asset_id"] in emulator.library.albums[HOLIDAYS_ALBUM_ID].asset_ids
    assert image_entity(hass, entity_id).settings == settings


async def test_shared_album_labelled_with_owner(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = unloaded_entry(hass, emulator, USER_KEY, SECOND_USER_ID)
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "albums"})

    owner = emulator.library.users[ADMIN_USER_ID]["name"]
    assert options_of(result) == {
        WINTER_ALBUM_ID: album_label(emulator, WINTER_ALBUM_ID, f", shared by {owner}")
    }


async def test_source_without_ids_skips_list(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "favorites"})
    assert result["step_id"] == "settings"
    result = await configure(hass, result["flow_id"], SETTINGS)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Favorites"
    assert SlideshowSettings.from_data(result["data"]).source is Source.FAVORITES
    state = hass.states.get(slideshow_entity_id(hass, entry, "Favorites"))
    assert state is not None
    assert state.attributes["favorite"] is True


async def test_people_list_names_unnamed(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    library = emulator.library
    library.people[UNNAMED_PERSON_ID] = {**library.people[PERSON_IDS["Alice"]], "name": ""}
    library.people[UNNAMED_PERSON_ID]["id"] = UNNAMED_PERSON_ID
    some_asset = next(a for a in library.assets.values() if a["ownerId"] == ADMIN_USER_ID)
    some_asset["people"] = [*(some_asset.get("people") or []), library.people[UNNAMED_PERSON_ID]]
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "people"})

    assert result["step_id"] == "people"
    assert list(options_of(result).items()) == [
        (PERSON_IDS["Alice"], "Alice"),
        (PERSON_IDS["Bob"], "Bob"),
        (UNNAMED_PERSON_ID, f"Unnamed person ({UNNAMED_PERSON_ID[:8]})"),
    ]
    result = await configure(
        hass, result["flow_id"], {"ids": [PERSON_IDS["Bob"], PERSON_IDS["Alice"]]}
    )
    result = await configure(hass, result["flow_id"], SETTINGS)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice, Bob"


async def test_tags_list_full_paths(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "tags"})

    assert options_of(result) == {tag_id: value for value, tag_id in TAG_IDS.items()}
    result = await configure(hass, result["flow_id"], {"ids": [TAG_IDS["Travel/Portugal"]]})
    result = await configure(hass, result["flow_id"], SETTINGS)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["title"] == "Travel/Portugal"
    assert SlideshowSettings.from_data(result["data"]).ids == (TAG_IDS["Travel/Portugal"],)


@pytest.mark.parametrize(
    ("source", "permission"),
    [("albums", "album.read"), ("people", "person.read"), ("tags", "tag.read")],
)
async def test_missing_permission_named(
    hass: HomeAssistant, emulator: EmulatorServer, source: str, permission: str
) -> None:
    emulator.library.keys[SCOPED_KEY].permissions = SCOPED_PERMISSIONS - {"album.read"}
    entry = unloaded_entry(hass, emulator, SCOPED_KEY, SECOND_USER_ID)
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": source})

    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "missing_permission"}
    assert result["description_placeholders"] == {"permission": permission}


async def test_album_deleted_before_saving(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)
    result = await configure(hass, result["flow_id"], {"source": "albums"})
    result = await configure(hass, result["flow_id"], {"ids": [HOLIDAYS_ALBUM_ID, WINTER_ALBUM_ID]})
    assert result["step_id"] == "settings"
    album_name = emulator.library.albums[HOLIDAYS_ALBUM_ID].data["albumName"]

    del emulator.library.albums[HOLIDAYS_ALBUM_ID]
    result = await configure(hass, result["flow_id"], SETTINGS)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "albums"
    assert result["errors"] == {"ids": "album_not_found"}
    assert result["description_placeholders"] == {"album": album_name}
    assert HOLIDAYS_ALBUM_ID not in options_of(result)
    assert default_of(result, "ids") == [WINTER_ALBUM_ID]
    assert len(slideshow_subentries(entry)) == 1


async def test_album_deleted_before_choosing(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)
    result = await configure(hass, result["flow_id"], {"source": "albums"})

    del emulator.library.albums[HOLIDAYS_ALBUM_ID]
    result = await configure(hass, result["flow_id"], {"ids": [HOLIDAYS_ALBUM_ID]})

    assert result["step_id"] == "albums"
    assert result["errors"] == {"ids": "album_not_found"}


async def test_empty_selection_rejected(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)
    result = await configure(hass, result["flow_id"], {"source": "albums"})

    result = await configure(hass, result["flow_id"], {"ids": []})

    assert result["step_id"] == "albums"
    assert result["errors"] == {"ids": "nothing_selected"}


async def test_source_without_items(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    emulator.library.albums.clear()
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)

    result = await configure(hass, result["flow_id"], {"source": "albums"})

    assert result["step_id"] == "user"
    assert result["errors"] == {"source": "no_albums"}


async def test_date_range_inverted(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)
    result = await configure(hass, result["flow_id"], {"source": "random"})

    result = await configure(
        hass, result["flow_id"], {**SETTINGS, "date_from": "2024-06-02", "date_to": "2024-06-01"}
    )

    assert result["step_id"] == "settings"
    assert result["errors"] == {"date_to": "date_range_inverted"}


@pytest.mark.parametrize("interval", [9, 86401])
async def test_interval_out_of_range(
    hass: HomeAssistant, emulator: EmulatorServer, interval: int
) -> None:
    entry = await setup_slideshows(hass, emulator, ("Random", SlideshowSettings(Source.RANDOM)))
    result = await start_flow(hass, entry)
    result = await configure(hass, result["flow_id"], {"source": "random"})

    with pytest.raises(InvalidData):
        await configure(hass, result["flow_id"], {**SETTINGS, "interval": interval})


async def test_reconfigure_changes_album(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    holidays = SlideshowSettings(Source.ALBUMS, ids=(HOLIDAYS_ALBUM_ID,), interval=45)
    entry = await setup_slideshows(hass, emulator, ("Holidays", holidays))
    entity_id = slideshow_entity_id(hass, entry, "Holidays")
    subentry = slideshow_subentries(entry)["Holidays"]

    result = dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_TYPE_SLIDESHOW),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
        )
    )
    assert result["step_id"] == "reconfigure"
    assert default_of(result, "source") == "albums"
    result = await configure(hass, result["flow_id"], {"source": "albums"})
    assert default_of(result, "ids") == [HOLIDAYS_ALBUM_ID]
    result = await configure(hass, result["flow_id"], {"ids": [WINTER_ALBUM_ID]})
    assert default_of(result, "interval") == 45
    result = await configure(hass, result["flow_id"], {**SETTINGS, "interval": 120})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    winter = emulator.library.albums[WINTER_ALBUM_ID]
    updated = entry.subentries[subentry.subentry_id]
    assert updated.title == winter.data["albumName"]
    assert SlideshowSettings.from_data(updated.data).ids == (WINTER_ALBUM_ID,)
    # The entry reloaded, so the same entity now shows the other album.
    assert entry.state is ConfigEntryState.LOADED
    entity = image_entity(hass, entity_id)
    assert entity.settings.interval == 120
    assert entity.settings.ids == (WINTER_ALBUM_ID,)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["asset_id"] in winter.asset_ids
    assert state.attributes["album"] == winter.data["albumName"]


async def test_reconfigure_keeps_title(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    entry = await setup_slideshows(
        hass, emulator, ("Living room", SlideshowSettings(Source.FAVORITES))
    )
    subentry = slideshow_subentries(entry)["Living room"]

    result = dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_TYPE_SLIDESHOW),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
        )
    )
    result = await configure(hass, result["flow_id"], {"source": "favorites"})
    result = await configure(hass, result["flow_id"], {**SETTINGS, "orientation": "portrait"})
    await hass.async_block_till_done(wait_background_tasks=True)

    updated = entry.subentries[subentry.subentry_id]
    assert updated.title == "Living room"
    assert SlideshowSettings.from_data(updated.data).orientation is Orientation.PORTRAIT
    entity_id = slideshow_entity_id(hass, entry, "Living room")
    assert image_entity(hass, entity_id).settings.orientation is Orientation.PORTRAIT


async def test_remove_slideshow_removes_entity(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    entry = await setup_slideshows(
        hass,
        emulator,
        ("Random", SlideshowSettings(Source.RANDOM)),
        ("Favorites", SlideshowSettings(Source.FAVORITES)),
    )
    removed_entity_id = slideshow_entity_id(hass, entry, "Favorites")
    remaining_entity_id = slideshow_entity_id(hass, entry, "Random")

    assert hass.config_entries.async_remove_subentry(
        entry, slideshow_subentries(entry)["Favorites"].subentry_id
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert er.async_get(hass).async_get(removed_entity_id) is None
    assert hass.states.get(removed_entity_id) is None
    assert entry.state is ConfigEntryState.LOADED
    remaining = hass.states.get(remaining_entity_id)
    assert remaining is not None
    assert remaining.attributes["status"] == "showing"
