"""Run the soak run (benchmarks/soak_run.py) with pytest and report its results.

`python -m benchmarks.soak [--updates N] [--advances N] [--seed N] [--no-write]`, or
`scripts/soak` with the same options. See benchmarks/SOAK.md for what it measures.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

import pytest

from .soak_report import (
    DEFAULT_ADVANCES,
    DEFAULT_SEED,
    DEFAULT_UPDATES,
    SoakOptions,
    SoakResult,
    print_summary,
    write_soak_page,
)

RUN_MODULE = Path(__file__).with_name("soak_run.py")


class SoakPlugin:
    """Hands the options to the run and keeps its result."""

    def __init__(self, options: SoakOptions) -> None:
        self.options = options
        self.results: list[SoakResult] = []

    @pytest.fixture(name="soak_options")
    def soak_options_fixture(self) -> SoakOptions:
        return self.options

    @pytest.fixture(name="soak_results")
    def soak_results_fixture(self) -> list[SoakResult]:
        return self.results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak",
        description="Poll and advance the slideshow against a failing emulated Immich server.",
    )
    parser.add_argument(
        "--updates",
        type=int,
        default=DEFAULT_UPDATES,
        help=f"coordinator updates (default {DEFAULT_UPDATES})",
    )
    parser.add_argument(
        "--advances",
        type=int,
        default=DEFAULT_ADVANCES,
        help=f"slideshow advances (default {DEFAULT_ADVANCES})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the faults (default {DEFAULT_SEED})",
    )
    parser.add_argument("--no-write", action="store_true", help="leave benchmarks/SOAK.md as it is")
    args = parser.parse_args(argv)
    options = SoakOptions(updates=args.updates, advances=args.advances, seed=args.seed)

    plugin = SoakPlugin(options)
    # -p no:logging: pytest would keep every log record of the run, which counts as held memory.
    exit_code = pytest.main(
        ["-p", "no:cacheprovider", "-p", "no:logging", "-q", str(RUN_MODULE)], plugins=[plugin]
    )
    if not plugin.results:
        print("the soak run did not finish", file=sys.stderr)
        return 1

    result = plugin.results[0]
    print_summary(result, print)
    full_run = options.updates == DEFAULT_UPDATES and options.advances == DEFAULT_ADVANCES
    if full_run and not args.no_write:
        write_soak_page(result)
        print("wrote benchmarks/SOAK.md")
    return 0 if result.passed and exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
