"""The slideshow scenarios of `bench_slideshow.py`, rerun by `scripts/compare`.

The test and its fixtures are imported, so pytest collects them here as well. `results`
stores this run's scenarios apart from those of `scripts/bench`, so RESULTS.md stays as it
is.
"""

from __future__ import annotations

import pytest

from .bench_slideshow import (  # noqa: F401  (collected and used by pytest from here)
    control_session,
    emulator_url,
    test_slideshow,
)
from .compare_report import (  # noqa: F401  (an autouse fixture: registers the reporter)
    SLIDESHOW_KEY,
    compare_reporter,
)
from .report import ScenarioResult


@pytest.fixture
def results(request: pytest.FixtureRequest) -> list[ScenarioResult]:
    return request.config.stash.setdefault(SLIDESHOW_KEY, [])
