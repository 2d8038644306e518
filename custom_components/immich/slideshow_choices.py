"""Albums, people and tags a slideshow can pick from, read from the server with display labels."""

from __future__ import annotations

from dataclasses import dataclass
import logging

from .api import Album, ImmichClient, Person, Tag
from .slideshow.settings import Source

# NOTE: the list shows at most 20 pages of 500 people. In a library with more recognised
# people (unnamed faces count too), the rest are missing from the list, which is logged once
# per server.
MAX_PEOPLE_PAGES = 20
PEOPLE_PAGE_SIZE = 500
MAX_NAMES_IN_TITLE = 3

_LOGGER = logging.getLogger(__name__)
_people_truncation_logged: set[str] = set()


@dataclass(frozen=True, slots=True)
class Choice:
    """One album, person or tag: its id, its name for titles, and its label in the list."""

    id: str
    name: str
    label: str


async def async_load_choices(
    client: ImmichClient, source: Source, own_user_id: str | None
) -> list[Choice]:
    """Return the albums, people or tags of the key's user, sorted for display.

    Raises the client's ImmichError subclasses, for example ImmichPermissionError when the
    key lacks `album.read`, `person.read` or `tag.read`.
    """
    if source is Source.ALBUMS:
        albums = await client.async_get_albums()
        return sorted(
            (_album_choice(album, own_user_id) for album in albums),
            key=lambda choice: (choice.name.casefold(), choice.id),
        )
    if source is Source.PEOPLE:
        return _people_choices(await _async_get_all_people(client))
    if source is Source.TAGS:
        tags = await client.async_get_tags()
        return sorted(
            (_tag_choice(tag) for tag in tags),
            key=lambda choice: (choice.name.casefold(), choice.id),
        )
    return []


def _album_choice(album: Album, own_user_id: str | None) -> Choice:
    name = album.name or "Untitled album"
    count = f"{album.asset_count} item" if album.asset_count == 1 else f"{album.asset_count} items"
    if own_user_id and album.owner_id and album.owner_id != own_user_id:
        owner = album.owner_name or "another user"
        return Choice(album.id, name, f"{name} ({count}, shared by {owner})")
    return Choice(album.id, name, f"{name} ({count})")


async def _async_get_all_people(client: ImmichClient) -> list[Person]:
    people: list[Person] = []
    for page in range(1, MAX_PEOPLE_PAGES + 1):
        result = await client.async_get_people(page=page, size=PEOPLE_PAGE_SIZE)
        people.extend(result.people)
        if not result.has_next_page:
            return people

    if client.server_url not in _people_truncation_logged:
        _people_truncation_logged.add(client.server_url)
        _LOGGER.info(
            "The people list of %s shows only the first %d people of the server",
            client.server_url,
            len(people),
        )
    return people


def _people_choices(people: list[Person]) -> list[Choice]:
    """Return named people by name, then people without a name under a neutral label.

    An unnamed person's label ends in the first 8 characters of their id, which the address
    of the person's page in Immich contains, so two of them can be distinguished.
    """
    named = sorted(
        (person for person in people if person.name),
        key=lambda person: (person.name.casefold(), person.id),
    )
    unnamed = sorted((person for person in people if not person.name), key=lambda p: p.id)
    choices = [Choice(person.id, person.name, person.name) for person in named]
    for person in unnamed:
        label = f"Unnamed person ({person.id[:8]})"
        choices.append(Choice(person.id, label, label))
    return choices


def _tag_choice(tag: Tag) -> Choice:
    return Choice(tag.id, tag.value, tag.value)


def slideshow_title(source: Source, names: list[str]) -> str:
    """Return a subentry title: the names of the albums, people or tags, or the source's name."""
    if not names:
        return SOURCE_TITLES[source]
    if len(names) <= MAX_NAMES_IN_TITLE:
        return ", ".join(names)
    first_names = ", ".join(names[:MAX_NAMES_IN_TITLE])
    return f"{first_names} and {len(names) - MAX_NAMES_IN_TITLE} more"


SOURCE_TITLES = {
    Source.RANDOM: "Random",
    Source.FAVORITES: "Favorites",
    Source.MEMORIES: "Memories",
    Source.ALBUMS: "Albums",
    Source.PEOPLE: "People",
    Source.TAGS: "Tags",
}
