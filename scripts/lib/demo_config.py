"""The demo's Home Assistant configuration folder, written before every start of hass.

Besides configuration.yaml, an empty automations.yaml (when there is none) and the link to
the integration, scripts/demo writes two files of Home Assistant's own storage. It builds
them from the installed Home Assistant's constants and schema, so that they follow that
version's format:

- `.storage/http`: since Home Assistant 2026.x the HTTP settings live in storage. An `http:`
  section in YAML is migrated once into an unconfirmed ("pending") config that Home Assistant
  reverts after 5 minutes and then restarts with its defaults, which listen on every
  interface. Writing the confirmed ("stable") config keeps the server on 127.0.0.1.
- `.storage/onboarding`, on an empty folder only: it marks every onboarding step but the
  user step as done. The core configuration step would otherwise set up integrations that
  reach the internet (met, radio_browser, google_translate) and analytics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from homeassistant.components.http import config as http_config
from homeassistant.components.onboarding import (
    STORAGE_KEY as ONBOARDING_STORAGE_KEY,
    STORAGE_VERSION as ONBOARDING_STORAGE_VERSION,
)
from homeassistant.components.onboarding.const import STEP_USER, STEPS
from homeassistant.util import dt as dt_util

LOOPBACK = "127.0.0.1"
INTEGRATION_LINK_TARGET = Path("..", "..", "..", "custom_components", "immich")
"""Relative, so that it resolves on the host and in the chroot, where the project is /work."""

INTEGRATIONS = (
    "frontend",
    "config",
    "diagnostics",
    "history",
    "logbook",
    "media_source",
    "image",
    "person",
    "system_health",
)
"""Built-in integrations that configuration.yaml sets up, beside Home Assistant's defaults."""

CONFIGURATION_YAML = """\
# Written by scripts/demo on every start (see scripts/lib/demo_config.py), so edits are lost.
# A small set of integrations instead of default_config: default_config also loads cloud,
# zeroconf, ssdp, bluetooth and others that search the network or reach the internet.
# The HTTP server's address (127.0.0.1) is in .storage/http, which scripts/demo writes too.
homeassistant:
  # Links that the integration builds from Home Assistant's own address, such as the photo
  # actions' `absolute_url`, would otherwise use the machine's network address, where
  # nothing listens. Because of this key, Settings > System > General shows the core
  # settings (location, time zone, units) as set in YAML, and so read-only.
  internal_url: http://127.0.0.1:{port}
  auth_providers:
    # From this machine the login page is skipped: Home Assistant listens on 127.0.0.1 only.
    - type: trusted_networks
      trusted_networks:
        - 127.0.0.1/32
      allow_bypass_login: true
    - type: homeassistant

{integrations}# The automation editor and /api/config/automation/config save automations here.
automation: !include automations.yaml

logger:
  default: warning
  logs:
    custom_components.immich: debug
"""


class ConfigFolderError(Exception):
    """The configuration folder contains something that scripts/demo must not overwrite."""


def _storage_document(key: str, version: int, minor_version: int, data: Any) -> str:
    document = {"version": version, "minor_version": minor_version, "key": key, "data": data}
    return json.dumps(document, indent=2)


def http_storage(port: int) -> str:
    """Return `.storage/http` with a confirmed config that listens on 127.0.0.1:`port`."""
    stable = http_config.HTTP_STORAGE_SCHEMA({"server_host": [LOOPBACK], "server_port": port})
    stable[http_config.HTTP_CONFIG_CREATED_AT] = dt_util.utcnow().isoformat()
    stable[http_config.HTTP_CONFIG_ERROR] = None
    stable[http_config.HTTP_CONFIG_ERROR_MESSAGE] = None
    data = {
        http_config.KEY_STABLE: stable,
        http_config.KEY_PENDING: None,
        http_config.KEY_YAML_MIGRATION_DONE: True,
    }
    return _storage_document(
        http_config.STORAGE_KEY,
        http_config.STORAGE_VERSION,
        http_config.STORAGE_MINOR_VERSION,
        data,
    )


def onboarding_storage() -> str:
    """Return `.storage/onboarding` with every step but the user step marked done."""
    done = [step for step in STEPS if step != STEP_USER]
    return _storage_document(ONBOARDING_STORAGE_KEY, ONBOARDING_STORAGE_VERSION, 1, {"done": done})


def write_private(path: Path, text: str) -> None:
    """Write a file that only its owner may read, replacing the old one in one step."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)


def prepare_config_dir(config_dir: Path, hass_port: int) -> None:
    """Write the configuration, link the integration and set the storage files described above."""
    custom_components = config_dir / "custom_components"
    custom_components.mkdir(parents=True, exist_ok=True)
    integrations = "".join(f"{domain}:\n" for domain in INTEGRATIONS)
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION_YAML.format(port=hass_port, integrations=integrations)
    )

    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n")

    link = custom_components / "immich"
    if link.is_symlink() and Path(os.readlink(link)) == INTEGRATION_LINK_TARGET:
        pass
    elif link.is_symlink() or link.exists():
        raise ConfigFolderError(f"{link} exists but is not a link to {INTEGRATION_LINK_TARGET}")
    else:
        link.symlink_to(INTEGRATION_LINK_TARGET, target_is_directory=True)

    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    write_private(storage / "http", http_storage(hass_port))
    if not (storage / "onboarding").exists() and not (storage / "auth").exists():
        write_private(storage / "onboarding", onboarding_storage())
