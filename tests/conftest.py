"""Every test sees colour as a terminal without NO_COLOR would (tests that want it set it).
`-n auto` starts three test workers a core for the default run (its app tests mostly wait
on the app's event loop, not on the CPU) and one a core for `-m slow` (floods that do)."""

import os

import pytest

MAX_WORKERS = 8


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    cores = os.cpu_count() or 1
    if config.getoption("markexpr") == "slow":
        return cores
    return min(MAX_WORKERS, 3 * cores)


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
