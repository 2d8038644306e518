"""Differences between the Home Assistant versions this integration supports (2025.4.4 and newer).

Every difference lives here, so the rest of the code is written against one API.
"""

from __future__ import annotations

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

HA_AWESOME_VERSION = AwesomeVersion(HA_VERSION)


def ha_version_at_least(version: str) -> bool:
    """Return whether the running Home Assistant is this version or newer."""
    return AwesomeVersion(version) <= HA_AWESOME_VERSION


# Home Assistant 2026.3 replaced voluptuous with probatio for schemas it receives (config
# flow forms, service schemas); 2025.4 only has voluptuous. Both offer the same names.
try:
    import probatio as vol
except ImportError:  # Home Assistant before 2026.3
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["HA_VERSION", "ha_version_at_least", "vol"]
