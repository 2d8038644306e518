"""Which Immich release the emulator serves in a test run, and marks for release-bound tests.

A run serves v2.7.5 by default, and tests parametrized with `each_profile()` also run on
v3.0.3. `pytest --immich-profile v1.98.2` (or `IMMICH_PROFILE=v1.98.2`) serves that release to
every test: `each_profile()` tests run once on it, tests pinned to other releases are
deselected, and `requires(...)` skips tests whose subject the release lacks.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from immich_emulator import PROFILES, Profile

DEFAULT_PROFILE = "v2.7.5"
DEFAULT_PROFILES = ("v2.7.5", "v3.0.3")

selected_profile: str | None = None
"""The release chosen for the whole run, set by `tests/conftest.py` before collection."""


def run_profile() -> str:
    """Return the release that tests without their own parametrization run on."""
    return selected_profile or DEFAULT_PROFILE


def each_profile() -> pytest.MarkDecorator:
    """Parametrize `emulator_profile` over v2.7.5 and v3.0.3 in a default run, or over the
    run's selected release only."""
    if selected_profile is not None:
        return pytest.mark.parametrize("emulator_profile", [selected_profile])
    return pytest.mark.parametrize("emulator_profile", list(DEFAULT_PROFILES))


def requires(predicate: Callable[[Profile], bool], reason: str) -> pytest.MarkDecorator:
    """Skip a test on releases for which `predicate` is false, naming what they lack."""
    return pytest.mark.immich_requires(predicate, reason=reason)


def profile_lacks(item: pytest.Item) -> str | None:
    """Return why a collected test cannot run on its release, or None when it can."""
    callspec = getattr(item, "callspec", None)
    name = callspec.params.get("emulator_profile") if callspec else None
    profile = PROFILES[name or run_profile()]
    for mark in item.iter_markers("immich_requires"):
        predicate: Callable[[Profile], bool] = mark.args[0]
        if not predicate(profile):
            return f"Immich {profile.name} {mark.kwargs['reason']}"
    return None


def version_at_least(major: int, minor: int, patch: int = 0) -> Callable[[Profile], bool]:
    return lambda profile: profile.version >= (major, minor, patch)


scoped_keys = requires(lambda profile: profile.scoped_keys, "has no scoped API keys")
version_check = requires(version_at_least(1, 134), "has no version check (before v1.134)")
modern_routes = requires(
    version_at_least(2, 4), "serves the routes and shapes of releases before v2.4"
)
"""For tests that name v2.4's routes or compare responses with the v2.7.5 captures."""
plural_paths = requires(
    version_at_least(1, 106), "serves the singular paths of releases before v1.106"
)
has_queues = requires(lambda profile: profile.has_queues, "has no /queues (before v2.4)")
memories_for_day = requires(version_at_least(1, 133), "has no `GET /memories?for=` (before v1.133)")
tag_hierarchy = requires(version_at_least(1, 118), "has no tag hierarchy (before v1.118)")
snapshot_release = requires(
    lambda profile: profile.name == DEFAULT_PROFILE,
    "differs from v2.7.5, the release the snapshots were recorded on",
)
older_than_latest_release = requires(
    lambda profile: profile.version < (2, 8, 1),
    "is not older than v2.8.1, the latest release the emulated version check reports",
)

# Fault patterns that match an endpoint in every generation's route layout.
OWN_USER_ROUTE = r"GET /api/users?/me$"
STORAGE_ROUTE = r"^GET /api/(server/storage|server-info(/storage)?)$"
STATISTICS_ROUTE = r"^GET /api/(server|server-info)/statistics$"


def own_user_request(profile: Profile) -> str:
    """Return the request, as the emulator counts it, that reads the key's own user."""
    return "GET /api/users/me" if profile.version >= (1, 106, 0) else "GET /api/user/me"
