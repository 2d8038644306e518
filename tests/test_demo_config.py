"""The configuration that scripts/demo writes for its Home Assistant."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.immich.action_assets import home_assistant_url

# scripts/demo runs the newest Home Assistant only, and its configuration module imports the
# HTTP settings storage that Home Assistant 2025.x does not have.
demo_config = pytest.importorskip("scripts.lib.demo_config", exc_type=ImportError)

DEMO_PORT = 8124


async def test_demo_links_reach_home_assistant(hass: HomeAssistant, tmp_path: Path) -> None:
    """Links in action responses use the address the demo listens on, not the host's own."""
    config_dir = tmp_path / "config"
    demo_config.prepare_config_dir(config_dir, DEMO_PORT)
    configuration = await hass.async_add_executor_job(
        load_yaml_dict, str(config_dir / "configuration.yaml")
    )

    await async_process_ha_core_config(hass, configuration["homeassistant"])

    assert hass.config.internal_url == f"http://127.0.0.1:{DEMO_PORT}"
    assert home_assistant_url(hass) == f"http://127.0.0.1:{DEMO_PORT}"
