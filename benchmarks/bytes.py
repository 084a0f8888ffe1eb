"""Bytes the app writes to its terminal per second while training, by terminal size.

    .venv/bin/python benchmarks/bytes.py [--n 1000] [--seconds 10] [--sizes 80x24,200x60]
    .venv/bin/python benchmarks/bytes.py --root /path/to/another/checkout   # its code

(--root runs that checkout's code with this python: its dependencies must be installed.)

Runs `python -m tui --n N` under a pseudo-terminal of each size (TERM=xterm-256color,
COLORTERM unset: the 256 colours a default ssh session gets), waits for the first frame
and the plots (the output goes quiet), presses space, and counts every byte the app
writes over the next `--seconds` seconds of training; then q q ends it. Prints the
bytes per second beside their targets (README's performance section), and how much of
them is colour codes (SGR sequences, `ESC [ ... m`). The terminal's status and cursor
queries are answered as a terminal would. It prints and asserts nothing; not part of the tests.
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


@dataclass
class Result:
    size: tuple[int, int]
    seconds: float
    total: int
    sgr: int
    per_second: list[int]

    @property
    def rate(self) -> float:
        return self.total / self.seconds


def spawn(root: Path, n: int, cols: int, rows: int) -> tuple[subprocess.Popen[bytes], int]:
    """The app under a new pty of this size; returns the process and the master fd."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env.update(
        TERM="xterm-256color",
        LANG="C.UTF-8",
        PYTHONPATH=str(root),
        COLUMNS=str(cols),
        LINES=str(rows),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "--n", str(n)],
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


def measure(root: Path, n: int, cols: int, rows: int, seconds: float) -> Result | None:
    proc, master = spawn(root, n, cols, rows)
    try:
        started = time.monotonic()
        last = started
        seen = b""
        while time.monotonic() - started < START_LIMIT:  # the first frame, then quiet
            data = pump(master, 0.1)
            now = time.monotonic()
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
        per_second = [0]
        sgr = 0
        begin = time.monotonic()
        while (now := time.monotonic()) - begin < seconds:
            data = pump(master, min(0.1, begin + seconds - now))
            second = int(time.monotonic() - begin)
            while len(per_second) <= second:
                per_second.append(0)
            per_second[min(second, len(per_second) - 1)] += len(data)
            sgr += sum(len(m) for m in SGR.findall(data))
        elapsed = time.monotonic() - begin
        per_second = per_second[: int(seconds)]
        return Result((cols, rows), elapsed, sum(per_second), sgr, per_second)
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
    print(f"while training n = {n}, TERM=xterm-256color (256 colours), bytes written:")
    print(f"{'size':>8} {'bytes/s':>10} {'target':>10} {'':>4} {'colour codes':>13}  per second")
    for r in results:
        cols, rows = r.size
        target = TARGETS.get(r.size)
        verdict = "" if target is None else ("ok" if r.rate <= target else "over")
        print(
            f"{cols:>4}x{rows:<3} {r.rate / 1000:>8.1f} K "
            f"{'' if target is None else f'<= {target / 1000:.0f} K':>10} {verdict:>4} "
            f"{100 * r.sgr / max(r.total, 1):>12.0f}%  "
            + " ".join(f"{b / 1000:.1f}" for b in r.per_second)
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="points (default 1000)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds counted (default 10)")
    p.add_argument(
        "--sizes",
        default="80x24,200x60",
        type=lambda s: [tuple(int(v) for v in size.split("x")) for size in s.split(",")],
        help="terminal sizes, comma separated (default 80x24,200x60)",
    )
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app runs")
    args = p.parse_args(argv)
    if not (args.root / "tui" / "__main__.py").exists():
        print(f"bytes.py: no app in {args.root}", file=sys.stderr)
        return 2
    results = [measure(args.root, args.n, c, r, args.seconds) for c, r in args.sizes]
    report([r for r in results if r is not None], args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
