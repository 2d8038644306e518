"""Immich release profiles the emulator can serve: version and route layout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """How one Immich release lays out its API."""

    name: str
    version: tuple[int, int, int]
    permissions_spec: str
    """Spec whose `x-immich-permission` values the emulator enforces."""
    has_queues: bool
    """`GET /queues` and `PUT /queues/{name}` exist (v2.4 and later)."""
    has_jobs: bool
    """`GET /jobs` and `PUT /jobs/{name}` exist (every release before v3 removes nothing)."""
    album_assets_inline: bool
    """`GET /albums/{id}` lists the album's assets (before v3)."""
    memories_date_only: bool
    """`GET /memories?for=` rejects anything but `YYYY-MM-DD` (v3.0.3)."""
    has_assets_random: bool
    """The deprecated `GET /assets/random` still answers."""

    @property
    def version_text(self) -> str:
        major, minor, patch = self.version
        return f"v{major}.{minor}.{patch}"


PROFILES: dict[str, Profile] = {
    "v2.7.5": Profile(
        name="v2.7.5",
        version=(2, 7, 5),
        permissions_spec="v2.7.5",
        has_queues=True,
        has_jobs=True,
        album_assets_inline=True,
        memories_date_only=False,
        has_assets_random=True,
    ),
    "v3.0.3": Profile(
        name="v3.0.3",
        version=(3, 0, 3),
        permissions_spec="v3.0.3",
        has_queues=True,
        has_jobs=True,
        album_assets_inline=False,
        memories_date_only=True,
        has_assets_random=False,
    ),
}

DEFAULT_PROFILE = "v2.7.5"
