"""The lean encoder on hand-made frames: it sends only changed cells, with lean colour
codes, and a terminal emulator (pyte) shows the same screen as with Textual's output."""

from __future__ import annotations

import random

import pyte
import pytest
from rich.cells import cell_len

from tui.lean import DEFAULT, LeanEncoder, Style, apply_sgr, lean_driver, sgr

HIDE = "\x1b[?25l"


def encoder(width: int = 20, height: int = 4) -> LeanEncoder:
    """An encoder whose terminal shows a blank screen without a cursor."""
    e = LeanEncoder(width, height)
    e.feed(HIDE + "".join(f"\x1b[{y + 1};1H" + " " * width for y in range(height)))
    return e


class Terminal:
    """A pyte screen fed a stream."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def cells(self) -> list[list[tuple]]:
        """Each cell's text and attributes. Half of a wide character written over leaves
        a blank in its other half, as xterm shows it (pyte keeps that half)."""
        s = self.screen
        rows = [[tuple(s.buffer[y][x]) for x in range(s.columns)] for y in range(s.lines)]
        for row in rows:
            for x, cell in enumerate(row):
                wide = cell_len(cell[0]) == 2
                if (wide and (x + 1 == len(row) or row[x + 1][0] != "")) or (
                    cell[0] == "" and (x == 0 or cell_len(row[x - 1][0]) != 2)
                ):
                    row[x] = (" ", *cell[1:])
        return rows

    def cursor(self) -> tuple[int, int] | None:
        c = self.screen.cursor  # past the last column (a pending wrap) it shows in it
        return None if c.hidden else (min(c.x, self.screen.columns - 1), c.y)


def test_an_unchanged_frame_writes_nothing():
    e = encoder()
    frame = "\x1b[2;3H\x1b[31;44mloss\x1b[0m\x1b[44m 0.25\x1b[0m"
    assert "loss" in e.feed(frame)
    assert e.feed(frame) == ""


def test_a_changed_cell_in_a_line_writes_only_that_cell():
    e = encoder(18, 4)
    e.feed("\x1b[2;1H\x1b[38;5;208;48;5;17mstep 41 of the run\x1b[0m")
    out = e.feed("\x1b[2;1H\x1b[38;5;208;48;5;17mstep 42 of the run\x1b[0m")
    assert out == "\x1b[2;7H2"  # where, then the cell: its style is the terminal's already


def test_cells_changed_far_apart_are_sent_apart_and_near_ones_together():
    e = encoder(40, 2)
    e.feed("\x1b[1;1H" + "a" * 40)
    assert e.feed("\x1b[1;1H" + "b" + "a" * 30 + "b" + "a" * 8) == "\x1b[Hb\x1b[30Cb"
    assert e.feed("\x1b[1;1Hcac" + "a" * 28 + "b" + "a" * 8) == "\x1b[Hcac"  # a reprinted


def test_a_colour_change_names_only_what_changes():
    e = encoder()
    e.feed("\x1b[1;1H\x1b[31;44mab\x1b[0m")
    assert e.feed("\x1b[1;2H\x1b[32;44mb\x1b[0m") == "\x1b[1;2H\x1b[32mb"  # no background


@pytest.mark.parametrize(
    ("pen", "style", "sent"),
    [
        (Style("31", "44"), Style("32", "44"), "\x1b[32m"),
        (Style("31", "44"), Style("31", None), "\x1b[49m"),
        (Style("31", "44"), DEFAULT, "\x1b[m"),
        (DEFAULT, Style("38;5;208", "48;5;17"), "\x1b[38;5;208;48;5;17m"),
        (Style(attrs=frozenset({"1"})), Style(attrs=frozenset({"1", "3"})), "\x1b[3m"),
        (
            Style("31", attrs=frozenset({"1", "2"})),
            Style("31", attrs=frozenset({"2"})),
            "\x1b[22;2m",
        ),
        (Style("31", attrs=frozenset({"7"})), Style("31"), "\x1b[27m"),
        (None, Style("31"), "\x1b[0;31m"),
        (Style("31", attrs=frozenset({"1", "3", "4"})), Style("32"), "\x1b[0;32m"),  # shorter
    ],
)
def test_sgr_takes_the_pen_to_the_style_by_the_shortest_codes(pen, style, sent):
    assert sgr(pen, style) == sent


@pytest.mark.parametrize(
    ("params", "style"),
    [
        ("", DEFAULT),
        ("1;38;5;208;48;2;1;2;3", Style("38;5;208", "48;2;1;2;3", frozenset({"1"}))),
        ("31;44;1;2;22", Style("31", "44")),
        ("91;39;104;49", DEFAULT),
        ("4;7;24", Style(attrs=frozenset({"7"}))),
    ],
)
def test_apply_sgr_reads_what_textual_writes(params, style):
    assert apply_sgr(DEFAULT, params) == style


def test_a_query_passes_at_once_in_order_with_the_cursor_where_textual_put_it():
    e = encoder()
    out = e.feed("\x1b[1;1Hab\x1b[3;5H\x1b[6n")
    assert out == "\x1b[Hab\x1b[3;5H\x1b[6n"
    assert e.feed("\x1b[1;2Hc") == "\x1b[1;2Hc"


def test_modes_pass_through_and_a_shown_cursor_is_put_where_textual_put_it():
    e = encoder()
    assert e.feed("\x1b[?2026h\x1b[1;1Hab\x1b[2;4H\x1b[?2026l") == (
        "\x1b[?2026h\x1b[Hab\x1b[?2026l"
    )
    assert e.feed("\x1b[?25h") == "\x1b[2;4H\x1b[?25h"


def test_leaving_the_screen_leaves_the_shells_cursor_where_it_was():
    e = encoder()
    e.feed("\x1b[?1049h\x1b[3;4Hab")
    assert e.feed("\x1b[?1049l\x1b[?25h") == "\x1b[?1049l\x1b[?25h"  # no move: not ours


def test_a_frame_over_the_whole_screen_is_sent_whole_as_a_repaint_asks():
    e = encoder(3, 2)
    frame = "\x1b[1;1Habc\x1b[2;1Hdef"
    e.feed(frame)
    assert e.feed(frame) == "\x1b[Habc\x1b[2Hdef"
    assert e.feed("\x1b[1;1Habc") == ""


@pytest.mark.parametrize("seq", ["\x1b[?1049h", "\x1b[?1049l", "\x1b7", "\x1b[1;24r"])
def test_a_sequence_that_may_change_the_screen_makes_the_next_frame_whole(seq):
    e = encoder()
    frame = "\x1b[2;1H\x1b[31mab\x1b[0m"
    e.feed(frame)
    assert e.feed(seq) == seq
    assert e.feed(frame) == "\x1b[2H\x1b[0;31mab\x1b[m" + " " * 18


def test_an_erase_passes_on_with_textuals_background_and_cursor():
    e = encoder()
    e.feed("\x1b[2;1H\x1b[31mab\x1b[0m")
    assert e.feed("\x1b[44m\x1b[1;3H\x1b[2J") == "\x1b[1;3H\x1b[0;44m\x1b[2J"
    assert e.feed("\x1b[44m\x1b[2;1H  ") == ""  # the terminal shows those blanks already


def test_a_resize_sends_the_next_frame_whole():
    e = encoder()
    frame = "\x1b[1;1Hab"
    e.feed(frame)
    e.resize(30, 5)
    assert e.feed(frame) == "\x1b[Hab" + " " * 28


def test_a_sequence_split_between_writes_is_kept_until_it_is_whole():
    e = encoder()
    assert e.feed("\x1b[2;") == ""
    assert e.feed("3H\x1b[3") == ""
    assert e.feed("1mx") == "\x1b[2;3H\x1b[31mx"


def test_lean_driver_replaces_only_textuals_terminal_driver(monkeypatch):
    from textual.drivers.linux_driver import LinuxDriver
    from textual.drivers.web_driver import WebDriver

    from tui.lean import LeanDriver

    assert lean_driver(LinuxDriver) is LeanDriver
    assert lean_driver(WebDriver) is WebDriver
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.linux_driver:LinuxDriver")
    assert lean_driver(LinuxDriver) is LinuxDriver  # a driver chosen is kept


GRAPHEMES = ["a", "b", " ", "─", "│", "⣿", "é", "日", "本"]
STYLES = ["0", "31", "1", "2", "22", "7", "27", "38;5;208", "48;5;17", "48;2;1;2;3", "39;49", ""]


def random_frame(rng: random.Random, width: int, height: int) -> str:
    """Moves, styles and text as Textual writes them: never past the right edge."""
    parts = []
    for _ in range(rng.randrange(1, 6)):
        x = rng.randrange(width)
        parts.append(f"\x1b[{rng.randrange(1, height + 1)};{x + 1}H")
        for _ in range(rng.randrange(1, 4)):
            parts.append(f"\x1b[{rng.choice(STYLES)}m")
            pool = GRAPHEMES[:5] if rng.random() < 0.7 else GRAPHEMES
            for _ in range(rng.randrange(1, 8)):
                g = rng.choice(pool)
                if x + (2 if g in "日本" else 1) > width:
                    break
                parts.append(g)
                x += 2 if g in "日本" else 1
        if rng.random() < 0.1:
            parts.append(rng.choice(["\x1b[2A", "\x1b[5G", "\x1b[2d", "\r\n"]))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(6))
def test_a_terminal_shows_the_same_screen_with_and_without_the_encoder(seed):
    rng = random.Random(seed)
    width, height = 12, 4
    plain, lean = Terminal(width, height), Terminal(width, height)
    e = LeanEncoder(width, height)
    for i in range(150):
        frame = random_frame(rng, width, height)
        if i % 37 == 5:
            frame += rng.choice(
                ["\x1b[?25l", "\x1b[?25h", "\x1b[6n", "\x1b[0m\x1b[2J", "\x1b[0m\x1b[2;5H\x1b[K"]
            )
        plain.feed(frame)
        lean.feed(e.feed(frame))
        assert lean.cells() == plain.cells(), (i, frame)
        assert lean.cursor() == plain.cursor(), (i, frame)


def test_the_writer_threads_stream_encodes_at_the_size_queued_before_each_frame():
    import io

    from tui.lean import LeanFile, Resize

    terminal = io.StringIO()
    stream = LeanFile(terminal)
    stream.write(Resize(10, 2))
    stream.write(HIDE + "\x1b[1;1Hab")
    stream.write("\x1b[1;1Hab")  # nothing new
    stream.write(Resize(12, 3))
    stream.write("\x1b[1;1Hab")  # a new size: the terminal's screen is not known
    assert terminal.getvalue() == HIDE + "\x1b[H\x1b[mab" + " " * 8 + "\x1b[Hab" + " " * 10
    assert stream.fileno == terminal.fileno  # the rest is the stream's own
