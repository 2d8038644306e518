"""pytest plugin of the live updates benchmark: its options, its table and LIVE.md.

`scripts/bench-live` loads it with `-p benchmarks.live_plugin`. Without it, `bench_live.py`
runs with the default counts and prints no table.
"""

from __future__ import annotations

import pytest

from .live_report import (
    DEFAULT_BURST,
    DEFAULT_UPLOADS,
    LIVE_RESULTS_KEY,
    print_summary,
    write_live,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("live updates benchmark")
    group.addoption(
        "--uploads",
        type=int,
        default=DEFAULT_UPLOADS,
        help=f"uploads timed one at a time (default {DEFAULT_UPLOADS})",
    )
    group.addoption(
        "--burst",
        type=int,
        default=DEFAULT_BURST,
        help=f"uploads in each of the two bursts, at once and back to back (default {DEFAULT_BURST})",
    )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the results; when every part ran, rewrite LIVE.md unless `--no-write` is given."""
    results = config.stash.get(LIVE_RESULTS_KEY, None)
    if results is None:
        return
    print_summary(results, terminalreporter.write_line)
    if results.complete and not config.getoption("--no-write", default=False):
        write_live(results)
        terminalreporter.write_line("wrote benchmarks/LIVE.md")
