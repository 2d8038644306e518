"""Fixtures of the benchmarks: Home Assistant's test harness, tuned for timing, and options."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import logging

import pytest

# Imported before the `hass` fixture runs, so that Home Assistant finds this repository's
# custom_components and not the test package's own testing_config.
import custom_components.immich  # noqa: F401

from .bench_slideshow import ASSET_COUNT, SCENARIOS
from .report import RESULTS_KEY, print_table, write_results


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--advances",
        type=int,
        default=200,
        help="advances measured per album scenario; Random and Memories run half (default 200)",
    )
    parser.addoption(
        "--no-write",
        action="store_true",
        help="print the table only, leaving benchmarks/RESULTS.md as it is",
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load this repository's `immich`, because without it Home Assistant 2026 loads its own."""


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Keep asyncio's debug mode off: the harness turns it on, and it slows every callback."""
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture(autouse=True)
def quiet_access_log() -> Iterator[None]:
    """Drop the test HTTP server's access log, which Home Assistant's own server does not write.

    pytest keeps every log record of a test, so one line per GET would count as held memory.
    """
    logger = logging.getLogger("aiohttp.access")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the results table; after a run of every scenario, rewrite RESULTS.md as well.

    Other benchmarks share this folder, so a run that finished no slideshow scenario prints
    nothing here.
    """
    if RESULTS_KEY not in config.stash:
        return
    results = config.stash[RESULTS_KEY]
    print_table(results, terminalreporter.write_line)
    if len(results) == len(SCENARIOS) and not config.getoption("--no-write"):
        write_results(results, ASSET_COUNT, config.getoption("--advances"))
        terminalreporter.write_line("wrote benchmarks/RESULTS.md")
