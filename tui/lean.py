"""Send only the cells that changed: Textual's output applied to a shadow of the screen
and re-encoded lean (the terminal driver the app runs under, and its encoder).

Textual rewrites each changed line of a widget from its left edge to its right edge and
gives every colour run its full style, then a reset. The encoder keeps two screens: the
one Textual means to show (its output applied: cursor moves, colours, text) and the one
the terminal shows (what the encoder has sent). After each write it sends only the cells
where they differ: a cursor move, then each cell's text, with an SGR sequence only where
the style changes, naming only what changes (no background the terminal already has).

What it does not understand it passes through unchanged and at once, in order (queries
such as `ESC[6n`, modes such as sync output or the cursor's visibility); a sequence that
may change the screen behind its back (a clear, the alternate screen, a resize, an
unknown one) makes it forget what the terminal shows, so the next frame is sent whole.
So is a frame that rewrites every cell of the screen: a deliberate full repaint (after a
suspend, or when a shell wrote over the screen) reaches the terminal whole.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any, NamedTuple

from rich.cells import cell_len
from textual.drivers.linux_driver import LinuxDriver


class Style(NamedTuple):
    """A cell's look: foreground and background (SGR codes, None for the terminal's
    default) and the other attributes that are on (their SGR codes)."""

    fg: str | None = None
    bg: str | None = None
    attrs: frozenset[str] = frozenset()


DEFAULT = Style()

OFF = {
    "1": "22",
    "2": "22",
    "3": "23",
    "4": "24",
    "21": "24",
    "5": "25",
    "6": "25",
    "7": "27",
    "8": "28",
    "9": "29",
    "53": "55",
    "58": "59",
}
"""The SGR code that turns an attribute off (some turn off two: 22 is bold and dim)."""

OFF_CLEARS = {off: {on for on, o in OFF.items() if o == off} for off in set(OFF.values())}

TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~]))"
    r"|(?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(?P<esc>\x1b[^\[\]])"
    r"|(?P<partial>\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?\Z)"  # unfinished: kept
    r"|(?P<other>\x1b)"  # a malformed sequence: passed on
    r"|(?P<ctl>[\x00-\x1a\x1c-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)",
    re.DOTALL,
)

SCREEN_MODES = {"47", "1047", "1049"}
"""Private modes that switch screens: what the terminal then shows is not ours."""


def _base(code: str) -> str:
    return code.split(":", 1)[0].split(";", 1)[0]


def apply_sgr(pen: Style, params: str) -> Style:
    """The style after `ESC [ params m` from pen."""
    fg, bg, attrs = pen
    on = set(attrs)
    codes = params.split(";") if params else ["0"]
    i = 0
    while i < len(codes):
        code = codes[i] or "0"
        i += 1
        base = _base(code)
        if base in ("38", "48", "58") and ":" not in code:  # 38;5;n or 38;2;r;g;b
            take = 2 if codes[i : i + 1] == ["5"] else 4 if codes[i : i + 1] == ["2"] else 0
            code = ";".join([code, *codes[i : i + take]])
            i += take
        if base == "0":
            fg, bg, on = None, None, set()
        elif base == "38" or base in {str(n) for n in (*range(30, 38), *range(90, 98))}:
            fg = code
        elif base == "39":
            fg = None
        elif base == "48" or base in {str(n) for n in (*range(40, 48), *range(100, 108))}:
            bg = code
        elif base == "49":
            bg = None
        elif base in OFF_CLEARS:
            on = {a for a in on if OFF.get(_base(a)) != base}
        elif code == "4:0":
            on = {a for a in on if OFF.get(_base(a)) != "24"}
        else:
            if base in OFF:  # one underline style replaces another
                on = {a for a in on if _base(a) != base}
            on.add(code)
    return Style(fg, bg, frozenset(on))


def _codes(style: Style) -> list[str]:
    return [*sorted(style.attrs), *(c for c in (style.fg, style.bg) if c is not None)]


def sgr(pen: Style | None, style: Style) -> str:
    """The shortest SGR sequence that takes the terminal from pen (None: unknown) to
    style: only what changes, or a reset and the whole style if that is shorter."""
    if pen == style:
        return ""
    full = "\x1b[" + ";".join(["0", *_codes(style)]) + "m" if style != DEFAULT else "\x1b[m"
    if pen is None:
        return full
    removed = pen.attrs - style.attrs
    offs = set()
    for attr in removed:
        off = OFF.get(_base(attr))
        if off is None:  # only a reset turns it off
            return full
        offs.add(off)
    cleared = {a for a in pen.attrs & style.attrs if OFF.get(_base(a)) in offs}
    parts = [*sorted(offs), *sorted((style.attrs - pen.attrs) | cleared)]
    if style.fg != pen.fg:
        parts.append(style.fg or "39")
    if style.bg != pen.bg:
        parts.append(style.bg or "49")
    lean = "\x1b[" + ";".join(parts) + "m"
    return lean if len(lean) <= len(full) else full


BLANK = (" ", DEFAULT)
GAP = 3
"""Unchanged cells between two changed ones that are sent again rather than skipped
(when they need no style change): up to 3 cells cost no more than a cursor move."""


class LeanEncoder:
    """Textual's output in, the least the terminal needs to show the same out."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.target: list[list[tuple[str, Style]]] = []
        """The screen Textual means to show: (text, style) a cell, "" right of a wide one."""
        self.shown: list[list[tuple[str, Style] | None]] = []
        """The screen the terminal shows, as far as is known (None: unknown)."""
        self.dirty: set[int] = set()
        """Rows Textual wrote to since the last send."""
        self.covered = bytearray()
        """The cells the current write covers: a write that covers all is a repaint."""
        self.at: tuple[int, int] | None = None  # the terminal's cursor (x, y), if known
        self.resize(width, height)
        self.x = self.y = 0  # Textual's cursor
        self.pen = DEFAULT  # Textual's current style
        self.ink: Style | None = None  # the terminal's current style, if known
        self.cursor_shown = True
        self.drawing = True
        """Has Textual drawn since it last switched screens? Until it has, its cursor
        position means nothing on the screen now shown (the shell's, after leaving)."""
        self.carry = ""
        self._widths: dict[str, int] = {}

    def resize(self, width: int, height: int) -> None:
        """A terminal of a new size: its content unknown, Textual's to be drawn anew."""
        self.width, self.height = width, height
        self.target = [[BLANK] * width for _ in range(height)]
        self.shown = [[None] * width for _ in range(height)]
        self.covered = bytearray(width * height)
        self.dirty = set()
        self.at = None

    def forget(self, everything: bool = True) -> None:
        """The terminal's screen (and with everything, its cursor and style) is no longer
        known: what Textual draws next is sent whole. Nothing is sent until it draws (the
        terminal may be showing the shell's screen again)."""
        self.shown = [[None] * self.width for _ in range(self.height)]
        if everything:
            self.at = None
            self.ink = None

    # ------------------------------------------------------------------ reading

    def feed(self, data: str) -> str:
        """What to write to the terminal for Textual's data."""
        data, self.carry = self.carry + data, ""
        out: list[str] = []
        self.covered = bytearray(self.width * self.height)
        for m in TOKEN.finditer(data):
            kind = m.lastgroup
            if kind == "text":
                self._text(m.group())
            elif kind == "csi":
                self._csi(m, out)
            elif kind == "partial":
                self.carry = m.group()
            elif kind == "ctl":
                c = m.group()
                if c == "\r":
                    self.x = 0
                elif c == "\n":
                    if self.y == self.height - 1:
                        self._scroll()
                    self.y = min(self.y + 1, self.height - 1)
                elif c == "\b":
                    self.x = max(self.x - 1, 0)
                else:
                    self._through(c, out, harmless=c == "\x07")
            else:  # OSC (a title, the clipboard) or another escape
                self._through(m.group(), out, harmless=kind == "osc")
        if b"\x00" not in self.covered:  # a full repaint: send it whole
            self.forget(everything=False)
        self._send(out)
        return "".join(out)

    def _scroll(self) -> None:
        """A line feed on the bottom row: the screen scrolls up a line, sent as it is."""
        self.target = [*self.target[1:], [BLANK] * self.width]
        self.forget(everything=False)
        self.dirty = set(range(self.height))

    def _csi(self, m: re.Match[str], out: list[str]) -> None:
        params, inter, final = m.group("params", "inter", "final")
        private = params[:1] in ("?", ">", "<", "=")
        if not private and not inter and final in "HfmABCDGd":
            nums = [int(p) if p.isdigit() else 0 for p in params.split(";")]
            n = max(nums[0], 1)
            if final == "m":
                self.pen = apply_sgr(self.pen, params)
            elif final in "Hf":
                row, col = (nums + [0])[:2]
                self.y, self.x = max(row, 1) - 1, max(col, 1) - 1
            elif final == "A":
                self.y -= n
            elif final == "B":
                self.y += n
            elif final == "C":
                self.x += n
            elif final == "D":
                self.x -= n
            elif final == "G":
                self.x = n - 1
            elif final == "d":
                self.y = n - 1
            self.x = min(max(self.x, 0), self.width - 1)
            self.y = min(max(self.y, 0), self.height - 1)
            return
        seq = m.group()
        if not private and not inter and final in "JK" and params in ("", "0", "1", "2", "3"):
            self._erase(final, int(params or 0), seq, out)
        elif params[:1] == "?" and final in "hl" and not inter:
            modes = set(params[1:].split(";"))
            if modes & SCREEN_MODES:
                self._send(out)
                out.append(seq)
                self.forget()
                self.drawing = False
                return
            if "25" in modes:
                self.cursor_shown = final == "h"
                if self.cursor_shown and self.drawing:
                    self._send(out)
                    self._move(self.x, self.y, out)
            self._through(seq, out, harmless=True)
        elif final == "n" and not inter:  # a status or cursor query: its answer is true
            self._send(out)
            if self.drawing:
                self._move(self.x, self.y, out)
            out.append(seq)
        else:  # DECRQM, device attributes, the kitty keyboard: no change to the screen
            harmless = (final == "p" and inter == "$") or final in "cu" or final == "q"
            self._through(seq, out, harmless=harmless)

    def _erase(self, final: str, mode: int, seq: str, out: list[str]) -> None:
        """Erase in display (J) or line (K), passed on: the cells become blanks of the
        current background (as xterm erases) on both screens."""
        self._send(out)
        self._move(self.x, self.y, out)
        blank = (" ", Style(bg=self.pen.bg))
        if self.ink != blank[1]:
            out.append(sgr(self.ink, blank[1]))
            self.ink = blank[1]
        out.append(seq)
        w, x, y = self.width, self.x, self.y
        spans = []  # (row, start, end)
        if final == "K":
            spans.append((y, *((x, w), (0, x + 1), (0, w))[min(mode, 2)]))
        elif mode == 0:
            spans += [(y, x, w), *((r, 0, w) for r in range(y + 1, self.height))]
        elif mode == 1:
            spans += [*((r, 0, w) for r in range(y)), (y, 0, x + 1)]
        else:
            spans += [(r, 0, w) for r in range(self.height)]
        for row, start, end in spans:
            self.target[row][start:end] = [blank] * (end - start)
            self.shown[row][start:end] = [blank] * (end - start)

    def _through(self, seq: str, out: list[str], harmless: bool) -> None:
        """Pass seq on after what is pending; an unknown one may have changed anything
        (and may act where the cursor is: it is put where Textual's is)."""
        self._send(out)
        if not harmless:
            self._move(self.x, self.y, out)
        out.append(seq)
        if not harmless:
            self.forget()

    def _width(self, char: str) -> int:
        width = self._widths.get(char)
        if width is None:
            width = self._widths[char] = cell_len(char)
        return width

    def _text(self, text: str) -> None:
        y, x, row, pen, w = self.y, self.x, self.target[self.y], self.pen, self.width
        start = x
        if x > 0 and row[x][0] == "":  # the right half of a wide character: its left goes
            row[x - 1] = (" ", row[x - 1][1])
        if text.isascii():
            n = min(len(text), w - x)
            row[x : x + n] = [(c, pen) for c in text[:n]]
            x += n
        else:
            for char in text:
                width = self._width(char)
                if width == 0:
                    if x > 0:  # a combining mark joins the character before it
                        head = x - 1 if row[x - 1][0] or x < 2 else x - 2
                        row[head] = (row[head][0] + char, row[head][1])
                    continue
                if x + width > w:
                    break
                row[x] = (char, pen)
                if width == 2:
                    row[x + 1] = ("", pen)
                x += width
        if x < w and row[x][0] == "":  # the left half of a wide character went
            row[x] = (" ", row[x][1])
        self.covered[y * w + start : y * w + x] = b"\x01" * (x - start)
        self.drawing = True
        self.x = min(x, w - 1)
        self.dirty.add(y)

    # ------------------------------------------------------------------ writing

    def _move(self, x: int, y: int, out: list[str]) -> None:
        """Put the terminal's cursor at (x, y), as cheaply as is sure."""
        if self.at == (x, y):
            return
        if self.at is not None and self.at[1] == y and x > self.at[0]:
            n = x - self.at[0]
            out.append("\x1b[C" if n == 1 else f"\x1b[{n}C")
        elif x == 0:
            out.append("\x1b[H" if y == 0 else f"\x1b[{y + 1}H")
        else:
            out.append(f"\x1b[{y + 1};{x + 1}H")
        self.at = (x, y)

    def _send(self, out: list[str]) -> None:
        """Send the cells where Textual's screen and the terminal's differ."""
        w = self.width
        for y in sorted(self.dirty):
            want, have = self.target[y], self.shown[y]
            if want == have:
                continue
            x = 0
            while x < w:
                if want[x] == have[x]:
                    x += 1
                    continue
                start = x - 1 if x > 0 and want[x][0] == "" else x
                end = x + 1
                k = end
                while k < w and k - end <= GAP:
                    if want[k] != have[k]:
                        end = k + 1
                    elif want[k][1] != want[end - 1][1]:
                        break  # reaching past it would cost a style change
                    k += 1
                if end < w and want[end][0] == "":
                    end += 1
                self._run(y, start, end, out)
                x = end
        self.dirty = set()
        if self.cursor_shown and self.drawing:
            self._move(self.x, self.y, out)

    def _run(self, y: int, start: int, end: int, out: list[str]) -> None:
        want = self.target[y]
        self._move(start, y, out)
        x = start
        for char, style in want[start:end]:
            if char == "":
                continue
            if style != self.ink:
                out.append(sgr(self.ink, style))
                self.ink = style
            out.append(char)
            x += max(self._width(char), 1) if not char.isascii() else 1
        self.shown[y][start:end] = want[start:end]
        self.at = (x, y) if x < self.width else None  # past the edge: a pending wrap


class Resize(NamedTuple):
    """The size the frames after it are drawn at (queued in order with them)."""

    width: int
    height: int


class LeanFile:
    """The terminal's stream as Textual's writer thread writes to it: each write goes
    through a LeanEncoder first, on that thread, so the event loop does not wait for it."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.encoder: LeanEncoder | None = None

    def write(self, data: str | Resize) -> int:
        if isinstance(data, Resize):
            if self.encoder is None:
                self.encoder = LeanEncoder(*data)
            elif data != (self.encoder.width, self.encoder.height):
                self.encoder.resize(*data)
            return 0
        out = data if self.encoder is None else self.encoder.feed(data)
        return self._file.write(out) if out else 0

    def __getattr__(self, name: str) -> Any:  # flush, fileno, ...: the stream's own
        return getattr(self._file, name)


class LeanDriver(LinuxDriver):
    """Textual's Linux driver, writing through a LeanEncoder in its writer thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._file = LeanFile(self._file)
        self._drawn_at: Resize | None = None

    def write(self, data: str) -> None:
        size = Resize(*self._app.size)
        if size != self._drawn_at:
            self._drawn_at = size
            super().write(size)  # type: ignore[arg-type]  # LeanFile takes it
        super().write(data)


def lean_driver(driver_class: type) -> type:
    """The driver to run under in place of driver_class: LeanDriver for Textual's Linux
    terminal driver; any other (the web driver of --serve, one chosen by TEXTUAL_DRIVER)
    as it is."""
    if os.environ.get("TEXTUAL_DRIVER") or driver_class is not LinuxDriver:
        return driver_class
    return LeanDriver


__all__ = [
    "DEFAULT",
    "LeanDriver",
    "LeanEncoder",
    "LeanFile",
    "Style",
    "apply_sgr",
    "lean_driver",
    "sgr",
]
