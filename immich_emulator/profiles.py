"""Immich release profiles the emulator can serve: version and route layout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """Route layout and behaviour of one Immich release's API."""

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
    """The deprecated `GET /assets/random` still exists."""
    albums_filter_by_ownership: bool
    """`GET /albums` lists every album the user can see and filters with `isOwned` and
    `isShared` (v3). Before v3 it lists only owned albums unless `shared` is given."""
    has_server_info_version: bool = False
    """`GET /server-info/version` exists, as on releases before v1.118. Tests switch it on
    with `dataclasses.replace` to exercise the client's fallback."""
    scoped_keys: bool = True
    """API keys carry permissions. False: every key may do what its user may do, and only
    admin-only endpoints return 403 (releases before scoped keys, which v1.106.1 lacks)."""
    has_search_metadata: bool = True
    """`POST /search/metadata` and `POST /search/smart` exist; v1.89 has neither."""
    memory_lane_timestamp: bool = False
    """The memory lane reads `timestamp` instead of `day` and `month` (the v1.89 profile)."""
    search_by_album: bool = True
    """Search bodies take `albumIds` (the v2.7.5 spec; not v1.106.1's). `tagIds` arrives
    with the v1.118 layout in this emulator, see `legacy_shapes.TAG_SEARCH_SINCE`."""
    statistics_usage_split: bool = True
    """Statistics report `usagePhotos` and `usageVideos` (the v2.7.5 spec; not v1.106.1's)."""

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
        albums_filter_by_ownership=False,
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
        albums_filter_by_ownership=True,
    ),
}


def _legacy_profile(
    version: tuple[int, int, int],
    *,
    has_assets_random: bool = True,
    has_server_info_version: bool = False,
    has_search_metadata: bool = True,
    memory_lane_timestamp: bool = False,
    search_by_album: bool = False,
    statistics_usage_split: bool = False,
) -> Profile:
    """Return a release before v2.4: queues only through `/jobs`, album details list their
    assets, and no scoped keys. `legacy_shapes` derives its route layout from the version."""
    major, minor, patch = version
    return Profile(
        name=f"v{major}.{minor}.{patch}",
        version=version,
        permissions_spec="v2.7.5",
        has_queues=False,
        has_jobs=True,
        album_assets_inline=True,
        memories_date_only=False,
        has_assets_random=has_assets_random,
        albums_filter_by_ownership=False,
        has_server_info_version=has_server_info_version,
        scoped_keys=False,
        has_search_metadata=has_search_metadata,
        memory_lane_timestamp=memory_lane_timestamp,
        search_by_album=search_by_album,
        statistics_usage_split=statistics_usage_split,
    )


# NOTE: no spec between v1.106.1 and v2.7.5 pins when `albumIds`, `usagePhotos` and scoped
# keys arrived. v1.120.0 models the first two as absent and v1.135.0 as present, and both lack
# scoped keys. The v1.89 memory lane's `timestamp` is what Immich's web client sent
# before `day` and `month`; the v1.89 endpoint list names no parameters.
LEGACY_PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        _legacy_profile(
            (1, 89, 0),
            has_assets_random=False,
            has_server_info_version=True,
            has_search_metadata=False,
            memory_lane_timestamp=True,
        ),
        _legacy_profile((1, 98, 2), has_assets_random=False, has_server_info_version=True),
        _legacy_profile((1, 106, 1), has_server_info_version=True),
        _legacy_profile((1, 120, 0)),
        _legacy_profile((1, 135, 0), search_by_album=True, statistics_usage_split=True),
    )
}
PROFILES.update(LEGACY_PROFILES)

DEFAULT_PROFILE = "v2.7.5"
