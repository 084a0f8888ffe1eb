"""The app's lean driver on real output: Textual's bytes from a real run, recorded under a
pty, show the same screen in a terminal emulator (pyte) as the encoder's; and the app run
under the driver draws its screen with a fraction of the bytes."""

from __future__ import annotations

import os
import random
import time

import pytest

from tests.functional.test_terminal import Pty
from tests.unit.test_lean import Terminal
from tui.lean import LeanEncoder

PLAIN = {"TEXTUAL_DRIVER": "textual.drivers.linux_driver:LinuxDriver"}
"""Textual's own driver: what Textual writes, before the encoder."""

MODES = {
    "256 colours": {},
    "16 colours": {"TERM": "xterm"},
    "no colour": {"NO_COLOR": "1"},
    "ascii": {"PYTHONIOENCODING": "ascii"},
}


def record(env: dict[str, str], seconds: float = 2.0) -> tuple[bytes, int]:
    """Everything the app writes from its start through seconds of training n = 200,
    and the offset in it where training starts."""
    term = Pty("-m", "tui", "--n", "200", env=env)
    try:
        term.wait_for(b"paused")
        time.sleep(0.5)  # the plots drawn
        mark = len(term.output)
        os.write(term.master, b" ")
        term.wait_for(b"running", since=mark)
        time.sleep(seconds)
        os.write(term.master, b" ")
        time.sleep(0.5)
        return bytes(term.output), mark
    finally:
        term.close()


def replay(text: str, seed: int) -> None:
    """text fed to one terminal as it is and to another through the encoder, in chunks
    of random sizes (a sequence may be split between two writes): the screens agree
    after every chunk."""
    rng = random.Random(seed)
    plain, lean = Terminal(80, 24), Terminal(80, 24)
    encoder = LeanEncoder(80, 24)
    at = 0
    while at < len(text):
        chunk = text[at : at + rng.randrange(1, 4000)]
        at += len(chunk)
        plain.feed(chunk)
        lean.feed(encoder.feed(chunk))
        assert lean.cells() == plain.cells(), at
        assert lean.cursor() == plain.cursor(), at


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES, ids=list(MODES))
def test_textuals_output_through_the_encoder_shows_the_same_screen(mode: str) -> None:
    env = {**PLAIN, **MODES[mode]}
    output, _ = record(env)
    text = output.decode(env.get("PYTHONIOENCODING", "utf-8"))
    assert "decision boundary" in text
    replay(text, seed=len(MODES[mode]))


@pytest.mark.slow
def test_the_app_draws_the_same_screen_in_fewer_bytes_under_the_driver() -> None:
    """The plain app's screen and the lean one's, each fed to a terminal: after a pause
    both show the same step (the run is seeded: the same numbers)."""
    screens, sizes = {}, {}
    for name, env in (("plain", PLAIN), ("lean", {})):
        output, mark = record(env, seconds=1.5)
        term = Terminal(80, 24)
        term.feed(output.decode())
        screens[name] = term.screen.display
        sizes[name] = len(output) - mark
    assert "decision boundary" in "\n".join(screens["lean"])
    assert "paused" in "\n".join(screens["lean"])
    # the frames differ in the step shown, but not in their layout: every line of the
    # footer and the plots' titles is the same
    assert screens["lean"][-1] == screens["plain"][-1]
    assert sizes["lean"] < sizes["plain"] / 2, sizes
