"""Every test sees colour as a terminal without NO_COLOR would (tests that want it set it)."""

import pytest


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
