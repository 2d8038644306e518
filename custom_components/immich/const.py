"""Constants for the Immich integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "immich"
LOGGER = logging.getLogger(__package__)

CONF_URL: Final = "url"
"""The server's normalised web address, sub-path included (entry data, minor version 2)."""

# Config entries of Home Assistant's built-in Immich integration store the server as
# host, port and ssl (config entry version 1.1). This integration keeps writing those keys
# beside `url`, so a user can switch back to the built-in integration without re-adding.
CONFIG_ENTRY_VERSION: Final = 1
CONFIG_ENTRY_MINOR_VERSION: Final = 2

DEFAULT_VERIFY_SSL: Final = True
REQUEST_TIMEOUT: Final = 10.0
"""Seconds one request to Immich may take, body included."""
STARTUP_SETUP_TIMEOUT: Final = 5.0
"""Seconds the requests of a setup may take together while Home Assistant starts. A server
that has not responded to them by then is retried in the background, so the start does not wait
for it."""
