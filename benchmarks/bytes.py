"""Bytes the app writes to its terminal per second while training, by terminal size and
colour mode, beside the changed-cells ideal.

    .venv/bin/python benchmarks/bytes.py [--n 1000] [--seconds 10] [--sizes 80x24,200x60]
        [--modes 256,16,none]
    .venv/bin/python benchmarks/bytes.py --root /path/to/another/checkout   # its code

(--root runs that checkout's code with this python: its dependencies must be installed.
The ideal needs pyte, a terminal emulator: `pip install pyte`, or the test extra.)

Runs `python -m tui --n N` under a pseudo-terminal of each size and colour mode (256:
TERM=xterm-256color, COLORTERM unset, what a default ssh session gets; 16: TERM=xterm;
none: NO_COLOR=1), waits for the first frame and the plots (the output goes quiet),
presses space, and counts every byte the app writes over the next `--seconds` seconds of
training; then q q ends it. Prints the bytes per second beside their targets (README's
performance section), how
much of them is colour codes (SGR sequences, `ESC [ ... m`), and the ideal: everything
the app wrote replayed through pyte, and between each read of its output and the next,
what sending only the cells that changed would cost (a cursor move to each run of
changed cells, then their text, with SGR codes naming only what changes from one cell
to the next). The terminal's status and cursor queries are answered as a terminal would.
It prints and asserts nothing; not part of the tests.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {(80, 24): 10_000, (200, 60): 25_000}
"""The targets, bytes per second while training n = 1000 (README's performance section)."""

SGR = re.compile(rb"\x1b\[[0-9;:]*m")
"""A colour/style sequence."""

ANSWERS = {b"\x1b[5n": b"\x1b[0n", b"\x1b[6n": b"\x1b[1;1R", b"\x1b[c": b"\x1b[?62;22c"}
"""Queries a terminal answers (status, cursor position, device attributes)."""

QUIET = 1.0
"""Seconds without output after which the app counts as started (its plots drawn)."""

START_LIMIT = 30.0


MODES = {
    "256": {"TERM": "xterm-256color"},
    "16": {"TERM": "xterm"},
    "none": {"TERM": "xterm-256color", "NO_COLOR": "1"},
}
"""Colour modes: the environment each runs the app with."""


@dataclass
class Result:
    size: tuple[int, int]
    mode: str
    seconds: float
    total: int
    sgr: int
    per_second: list[int]
    ideal: int | None

    @property
    def rate(self) -> float:
        return self.total / self.seconds


class Ideal:
    """The app's output replayed through pyte; the cost of sending only changed cells."""

    def __init__(self, cols: int, rows: int) -> None:
        import pyte

        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.shown = self._cells()
        self.counting = False
        self.total = 0
        self.pen = None  # the terminal's style: it lasts from one write to the next
        self._index = {hex: i for i, hex in reversed(list(enumerate(pyte.graphics.FG_BG_256)))}
        self._names = {
            name: code
            for table in (pyte.graphics.FG, pyte.graphics.FG_AIXTERM)
            for code, name in table.items()
        }

    def _cells(self) -> list[list[tuple]]:
        buffer, cols = self.screen.buffer, self.screen.columns
        return [[tuple(buffer[y][x]) for x in range(cols)] for y in range(self.screen.lines)]

    def _colour(self, value: str, background: bool) -> str | None:
        if value == "default":
            return None
        if value in self._names:
            return str(self._names[value] + (10 if background else 0))
        lead = "48" if background else "38"
        if value in self._index:
            return f"{lead};5;{self._index[value]}"
        return f"{lead};2;{int(value[:2], 16)};{int(value[2:4], 16)};{int(value[4:], 16)}"

    def _style(self, cell: tuple):
        from tui.lean import Style

        _, fg, bg, bold, italics, underscore, strike, reverse, blink = cell
        on = (bold, italics, underscore, strike, reverse, blink)
        attrs = [code for code, is_on in zip(("1", "3", "4", "9", "7", "5"), on) if is_on]
        return Style(self._colour(fg, False), self._colour(bg, True), frozenset(attrs))

    def feed(self, data: bytes) -> None:
        """The terminal shows data; while counting, add what its changed cells cost."""
        from tui.lean import sgr

        self.stream.feed(data)
        now = self._cells()
        if self.counting:
            cost, pen = 0, self.pen
            for y, (row, before) in enumerate(zip(now, self.shown)):
                if row == before:
                    continue
                x, cols = 0, len(row)
                while x < cols:
                    if row[x] == before[x]:
                        x += 1
                        continue
                    cost += len(f"\x1b[{y + 1};{x + 1}H")
                    while x < cols and row[x] != before[x]:
                        style = self._style(row[x])
                        cost += len(sgr(pen, style)) + len(row[x][0].encode())
                        pen = style
                        x += 1
            self.total += cost
            self.pen = pen
        self.shown = now


def spawn(
    root: Path, args: list[str], cols: int, rows: int, mode: str
) -> tuple[subprocess.Popen[bytes], int]:
    """`python -m tui` with args under a new pty of this size and colour mode (of MODES);
    returns the process and the master fd."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env.update(
        MODES[mode],
        LANG="C.UTF-8",
        PYTHONPATH=str(root),
        COLUMNS=str(cols),
        LINES=str(rows),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=root,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return proc, master


def pump(master: int, timeout: float) -> bytes:
    """What the app wrote within timeout seconds (b"" if nothing); answers its queries."""
    ready, _, _ = select.select([master], [], [], timeout)
    if not ready:
        return b""
    try:
        data = os.read(master, 65536)
    except OSError:  # the app closed its side
        return b""
    for query, answer in ANSWERS.items():
        for _ in range(data.count(query)):
            os.write(master, answer)
    return data


def measure(root: Path, n: int, cols: int, rows: int, mode: str, seconds: float) -> Result | None:
    proc, master = spawn(root, ["--n", str(n)], cols, rows, mode)
    try:
        ideal = Ideal(cols, rows)
    except ImportError:  # no pyte: no ideal
        ideal = None
    try:
        started = time.monotonic()
        last = started
        seen = b""
        while time.monotonic() - started < START_LIMIT:  # the first frame, then quiet
            data = pump(master, 0.1)
            now = time.monotonic()
            if ideal is not None:
                ideal.feed(data)
            if data:
                seen = (seen + data)[-2000:]
                last = now
            elif len(seen) > 1000 and now - last > QUIET:
                break
            if proc.poll() is not None:
                said = re.sub(rb"\x1b\[[0-?]*[ -/]*[@-~]", b"", seen).decode(errors="replace")
                print(f"  {cols}x{rows}: the app ended before training ({proc.returncode}):")
                print("  " + "\n  ".join(said.strip().splitlines()[-3:]))
                return None
        os.write(master, b" ")
        if ideal is not None:
            ideal.counting = True
        per_second = [0]
        sgr = 0
        begin = time.monotonic()
        while (now := time.monotonic()) - begin < seconds:
            data = pump(master, min(0.1, begin + seconds - now))
            if ideal is not None:
                ideal.feed(data)
            second = int(time.monotonic() - begin)
            while len(per_second) <= second:
                per_second.append(0)
            per_second[min(second, len(per_second) - 1)] += len(data)
            sgr += sum(len(m) for m in SGR.findall(data))
        elapsed = time.monotonic() - begin
        per_second = per_second[: int(seconds)]
        ideal_rate = None if ideal is None else ideal.total
        return Result((cols, rows), mode, elapsed, sum(per_second), sgr, per_second, ideal_rate)
    finally:
        os.write(master, b" qq")  # pause; q says steps are unsaved, q again quits
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            pump(master, 0.1)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        os.close(master)


def report(results: list[Result], n: int) -> None:
    print(
        f"while training n = {n}, bytes written (colours: 256, 16 = TERM=xterm, none = NO_COLOR=1):"
    )
    print(
        f"{'size':>8} {'colours':>7} {'bytes/s':>10} {'target':>10} {'':>4} "
        f"{'ideal':>9} {'colour codes':>13}  per second"
    )
    for r in results:
        cols, rows = r.size
        target = TARGETS.get(r.size) if r.mode == "256" else None
        verdict = "" if target is None else ("ok" if r.rate <= target else "over")
        ideal = "" if r.ideal is None else f"{r.ideal / r.seconds / 1000:.1f} K"
        print(
            f"{cols:>4}x{rows:<3} {r.mode:>7} {r.rate / 1000:>8.1f} K "
            f"{'' if target is None else f'<= {target / 1000:.0f} K':>10} {verdict:>4} "
            f"{ideal:>9} {100 * r.sgr / max(r.total, 1):>12.0f}%  "
            + " ".join(f"{b / 1000:.1f}" for b in r.per_second)
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="points (default 1000)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds counted (default 10)")
    p.add_argument(
        "--sizes",
        default="80x24,120x40,200x60",
        type=lambda s: [tuple(int(v) for v in size.split("x")) for size in s.split(",")],
        help="terminal sizes, comma separated (default 80x24,120x40,200x60)",
    )
    p.add_argument(
        "--modes",
        default="256,16,none",
        type=lambda s: s.split(","),
        help="colour modes, comma separated: 256, 16, none (default all three)",
    )
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app runs")
    args = p.parse_args(argv)
    if not (args.root / "tui" / "__main__.py").exists():
        print(f"bytes.py: no app in {args.root}", file=sys.stderr)
        return 2
    unknown = [m for m in args.modes if m not in MODES]
    if unknown:
        print(f"bytes.py: unknown colour mode {unknown[0]!r} (256, 16, none)", file=sys.stderr)
        return 2
    results = [
        measure(args.root, args.n, c, r, mode, args.seconds)
        for c, r in args.sizes
        for mode in args.modes
    ]
    report([r for r in results if r is not None], args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
