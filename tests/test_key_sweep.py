"""The key sweep (tests/key_sweep.py) finds a planted API key in each place it searches.

The planted key belongs to no emulated user and no config entry, so the sweep that runs around
these tests ignores it. Each test searches for it with the sweep's own functions.
"""

from __future__ import annotations

from datetime import timedelta
import logging
import os
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich.const import DOMAIN
from custom_components.immich.media_urls import async_sign_media_path
from immich_emulator import ADMIN_KEY

from .integration import setup_entry
from .key_sweep import (
    Capture,
    KeySweep,
    capture_records,
    find_exposures,
    hass_texts,
)

PLANTED_KEY = "planted-key-0123456789abcdef"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def places(texts: list[tuple[str, str]]) -> list[str]:
    return [exposure.where for exposure in find_exposures(texts, [PLANTED_KEY])]


def sweep_plugin(pytestconfig: pytest.Config) -> KeySweep:
    plugin = pytestconfig.pluginmanager.get_plugin("immich_key_sweep")
    assert isinstance(plugin, KeySweep)
    return plugin


def test_sweep_finds_key_in_log_message() -> None:
    capture = Capture()

    with capture_records(capture):
        logging.getLogger("custom_components.immich").debug("Sending key %s", PLANTED_KEY)

    assert places(capture.texts) == ["log record of custom_components.immich at DEBUG"]


def test_sweep_finds_key_in_traceback() -> None:
    capture = Capture()

    with capture_records(capture):
        try:
            raise ValueError(f"rejected {PLANTED_KEY}")
        except ValueError:
            logging.getLogger("custom_components.immich.api").exception("Request failed")

    assert places(capture.texts) == ["log record of custom_components.immich.api at ERROR"]


async def test_sweep_finds_key_in_state_attribute(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.planted", "on", {"url": f"https://x/?apiKey={PLANTED_KEY}"})

    assert places(list(hass_texts(hass))) == ["state of sensor.planted"]


async def test_sweep_finds_key_in_repair_issue(hass: HomeAssistant) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        "planted",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="missing_permission",
        translation_placeholders={"permission": PLANTED_KEY},
    )

    assert places(list(hass_texts(hass))) == [f"repair issue {DOMAIN}.planted"]


async def test_sweep_finds_key_in_diagnostics(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, config_entry)

    async def leaky_diagnostics(hass: HomeAssistant, entry: Any) -> dict[str, Any]:
        return {"entry": {"api_key": PLANTED_KEY}}

    with patch("tests.key_sweep.async_get_config_entry_diagnostics", leaky_diagnostics):
        found = places(list(hass_texts(hass)))

    assert found == [f"diagnostics of entry {config_entry.title}"]


async def test_sweep_finds_key_in_entry_title(hass: HomeAssistant) -> None:
    MockConfigEntry(domain=DOMAIN, title=f"Immich {PLANTED_KEY}", data={}).add_to_hass(hass)

    found = places(list(hass_texts(hass)))

    assert len(found) == 1
    assert found[0].endswith(" title")


async def test_sweep_finds_key_in_signed_path(
    hass: HomeAssistant, pytestconfig: pytest.Config
) -> None:
    assert await async_setup_component(hass, "http", {})
    plugin = sweep_plugin(pytestconfig)

    async_sign_media_path(hass, f"/immich/source/{PLANTED_KEY}/thumbnail", timedelta(minutes=1))

    assert places(plugin.capture.texts) == ["signed path"]


async def test_sweep_finds_key_in_action_response(
    hass: HomeAssistant, pytestconfig: pytest.Config
) -> None:
    plugin = sweep_plugin(pytestconfig)

    async def leaky_action(call: ServiceCall) -> dict[str, Any]:
        return {"url": f"https://immich.example/api/assets?key={PLANTED_KEY}"}

    hass.services.async_register(
        "test", "leak", leaky_action, supports_response=SupportsResponse.ONLY
    )
    await hass.services.async_call("test", "leak", blocking=True, return_response=True)

    assert places(plugin.capture.texts) == ["action response"]


def test_sweep_ignores_short_key() -> None:
    assert find_exposures([("log record", "key x")], ["x"]) == []


LEAKY_TEST = f'''
import logging


def test_leaks_key():
    logging.getLogger("custom_components.immich").debug("key %s", "{ADMIN_KEY}")


def test_keeps_key():
    logging.getLogger("custom_components.immich").debug("key %s", "**REDACTED**")
'''

# The settings of pyproject.toml that pytest-homeassistant-custom-component's fixtures need.
SWEEP_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

SWEEP_CONFTEST = """
from tests.key_sweep import KeySweep


def pytest_configure(config):
    config.pluginmanager.register(KeySweep(), "immich_key_sweep")
"""


def test_sweep_fails_leaking_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(SWEEP_INI)
    pytester.makeconftest(SWEEP_CONFTEST)
    pytester.makepyfile(test_leak=LEAKY_TEST)
    environment = {"PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}

    with patch.dict(os.environ, environment):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*an Immich API key shows in 1 places:*",
            "*log record of custom_components.immich at DEBUG: key *",
            "*Immich API keys exposed*",
            "test_leak.py::test_leaks_key",
        ]
    )
