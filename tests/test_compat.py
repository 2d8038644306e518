"""The compatibility module picks the right API on each supported Home Assistant version."""

from __future__ import annotations

from custom_components.immich import compat


def test_schema_library_matches_version() -> None:
    expected = "probatio" if compat.ha_version_at_least("2026.3.0") else "voluptuous"

    assert compat.vol.__name__ == expected


def test_schema_library_validates() -> None:
    schema = compat.vol.Schema({compat.vol.Required("interval", default=60): int})

    assert schema({}) == {"interval": 60}
    assert schema({"interval": 10}) == {"interval": 10}
