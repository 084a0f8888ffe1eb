"""Drive the real app in tmux: key-to-screen latency, event-loop heartbeat, resident memory.

    .venv/bin/python benchmarks/app_latency.py [--quick] [--n 1000] [--presses 40]

Runs `micrograd-tui` in a private tmux server (its own socket, killed at the end) at
80x24, starts training with space, then presses space again and again (pause, train,
pause, ...) and polls `tmux capture-pane -p` every ~2 ms until the run state shown on
screen changes: that is the key press to visible change latency, measured from just
before `tmux send-keys` to the capture that shows the change (an upper bound). The first
frame (a run state on screen) and the boundary plot drawn are timed from the launch,
polling every 10 ms (START_POLL).

The project's bytecode cache is written first (see warm_bytecode): launches time the
app as it starts after its first run. The first frame of the default launch
(`micrograd-tui`) is also timed on its own, a few launches in turn with the smallest
Textual app (benchmarks/hello_textual.py, one label): the floor that Textual itself
sets on this machine, measured side by side.

The heartbeat needs the app's help: with MICROGRAD_TUI_HEARTBEAT_LOG=path set, the app
writes one line per tick of a timer on its event loop, starting with time.monotonic()
(the same clock as ours on Linux). Without the file, that part is skipped.

Resident memory: a second run trains (n=100 by default) while VmRSS of the app's
process is sampled from /proc and the step counter is read off the screen.

Training under keys, at --n and at n = 100, each in a launch of its
own: the time from space to step 1 on screen (after `r`, a few times), then steps/s read
off the metrics panel's step counter over windows of training with no keys and with an
arrow key every 100 ms (left, right, ...: the probe stays put), in turn. Both windows
make the same tmux calls at the same pace (without keys, a `display-message`), so the
harness costs the machine alike. With --exe (once or more) only this part runs,
with the space presses at --n, against each app in turn, round by round:

    .venv/bin/python benchmarks/app_latency.py --rounds 3 \
        --exe before=../bench-before/.venv/bin/micrograd-tui --exe after=.venv/bin/micrograd-tui
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HEARTBEAT_ENV = "MICROGRAD_TUI_HEARTBEAT_LOG"
HELLO = Path(__file__).resolve().parent / "hello_textual.py"

STATE_WORDS = re.compile(r"\b(paused|running|stepping|training|diverged|resetting)\b", re.I)
"""Words that say the run state; a press of space must change which of them are shown."""

STEP = re.compile(r"\bstep\s+(\d[\d,]*)", re.I)
"""The step counter on screen: the first `step <number>`."""

PLOT_DRAWN = "-2┤"
"""On screen once the boundary plot is drawn: its lowest y tick (the loss curve has none)."""

START_POLL = 0.01
"""Seconds between captures while the app starts. Each capture is a tmux process: polling
every 2 ms took most of a core from the starting app on a 2-core machine (its first frame
came ~0.2 s later under load), for at most 10 ms less rounding."""

LATENCY_TARGET_MS = 50.0
KEEP_TARGET = 0.70
"""Training's steps/s with an arrow key every KEY_EVERY s, over its steps/s with none."""
KEY_EVERY = 0.1
FRAME_MS = 1000 / 60
"""One frame of Textual's (60 frames a second at most)."""
HEARTBEAT_TARGET_HZ = 50.0
RSS_TARGET_MB = 10.0


def app_command() -> Path | None:
    """The installed console script next to this python, if the app module exists."""
    root = Path(__file__).resolve().parent.parent
    exe = Path(sys.executable).parent / "micrograd-tui"
    if not exe.exists() or not (root / "tui" / "app.py").exists():
        return None
    return exe


def warm_bytecode(exe: Path | None = None) -> None:
    """Write the project's bytecode cache (__pycache__), as a user's first launch does
    (of this checkout, or of the one exe runs).

    Launches after the first load it instead of compiling micrograd/ and tui/ again
    (~60 ms here). An environment with PYTHONDONTWRITEBYTECODE set, as on the machines
    this project is built on, never writes it, and every launch would compile."""
    root = Path(__file__).resolve().parent.parent if exe is None else tree_of(exe)
    python = sys.executable if exe is None else str(exe.parent / "python")
    subprocess.run(
        [python, "-m", "compileall", "-q", str(root / "micrograd"), str(root / "tui")],
        check=True,
        capture_output=True,
    )


def percentile(xs: list[float], q: float) -> float:
    """The q-quantile by the nearest rank (no interpolation): a value that was measured."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


# ------------------------------------------------------------------ tmux


class AppDied(RuntimeError):
    """The app's process ended; the message holds the last screen (its traceback)."""


class Tmux:
    """One app in a private tmux server of its own: start, read the screen, press keys, kill."""

    def __init__(self, argv: list[str], env: dict[str, str], width: int = 80, height: int = 24):
        self.socket = f"mgbench-{os.getpid()}-{secrets.token_hex(3)}"
        self.target = "app"
        assigns = [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        command = "exec env " + " ".join([*assigns, *map(shlex.quote, argv)])
        tmpdir = os.environ.get("TMUX_TMPDIR", "/tmp")
        self.socket_path = f"{tmpdir}/tmux-{os.getuid()}/{self.socket}"
        self.started = time.monotonic()
        try:
            self._tmux(
                "new-session", "-d", "-s", self.target, "-x", str(width), "-y", str(height),
                command, ";", "set-option", "-t", self.target, "remain-on-exit", "on",
            )  # fmt: skip
            self.socket_path = self._tmux("display-message", "-p", "#{socket_path}").strip()
        except BaseException:
            self.close()
            raise
        self.capture_times: list[float] = []

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def close(self) -> None:
        """Kill our server (the app gets SIGHUP) and remove its socket file."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if self.socket_path.endswith(self.socket):
            Path(self.socket_path).unlink(missing_ok=True)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def capture(self) -> str:
        t0 = time.perf_counter()
        screen = self._tmux("capture-pane", "-p", "-t", self.target)
        self.capture_times.append(time.perf_counter() - t0)
        return screen

    def send(self, key: str) -> None:
        self._tmux("send-keys", "-t", self.target, key)

    def query(self) -> None:
        """A tmux call that sends the app nothing: as costly for the machine as send()."""
        self._tmux("display-message", "-p", "-t", self.target, "#{pane_pid}")

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.target, "#{pane_pid}"))

    def check_alive(self) -> None:
        dead = self._tmux("display-message", "-p", "-t", self.target, "#{pane_dead}").strip()
        if dead == "1":
            raise AppDied("the app exited:\n" + self.capture().rstrip()[-1500:])

    def wait_for(
        self, done: Callable[[str], bool], timeout: float, poll: float = 0.002
    ) -> tuple[float, str] | None:
        """Capture every ~poll s until done(screen); (seconds waited, screen) or None."""
        t0 = time.monotonic()
        while True:
            started = time.monotonic()
            screen = self.capture()
            now = time.monotonic()
            if done(screen):
                return now - t0, screen
            if now - t0 > timeout:
                self.check_alive()
                return None
            time.sleep(max(0.0, poll - (now - started)))


def state_of(screen: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in STATE_WORDS.findall(screen))


def step_of(screen: str) -> int | None:
    m = STEP.search(screen)
    return int(m.group(1).replace(",", "")) if m else None


# ------------------------------------------------------------------ the measurements


@dataclass
class Result:
    """Everything measured; a part left None was skipped, with the reason in notes."""

    n: int
    first_frame_s: float | None = None
    default_frames_s: list[float] = field(default_factory=list)  # `micrograd-tui`, no args
    hello_frames_s: list[float] = field(default_factory=list)  # the smallest Textual app
    plots_s: float | None = None
    latencies_ms: list[tuple[str, float]] = field(default_factory=list)
    timeouts: int = 0
    capture_ms: float | None = None
    floor_ms: float | None = None
    heartbeat: dict[str, float] | None = None
    rss: dict[str, float] | None = None
    keys_runs: list[KeysRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def start_training(app: Tmux, timeout: float = 5.0) -> None:
    """Press space and wait until the step counter moves."""
    before = app.capture()
    app.send("Space")
    if app.wait_for(lambda s: state_of(s) != state_of(before), timeout) is None:
        raise RuntimeError("space did not change the run state on screen")
    first = step_of(app.capture()) or 0
    if app.wait_for(lambda s: (step_of(s) or 0) > first, timeout) is None:
        raise RuntimeError("the step counter did not move after space")


def measure_presses(app: Tmux, result: Result, presses: int, rng: random.Random) -> None:
    """Press space presses times, a random 150-350 ms apart; time each visible change."""
    running = True
    for _ in range(presses):
        time.sleep(rng.uniform(0.15, 0.35))  # so a pause lands at a random point of a step
        before = state_of(app.capture())
        t0 = time.monotonic()
        app.send("Space")
        seen = app.wait_for(lambda s, before=before: state_of(s) != before, timeout=2.0)
        kind = "pause" if running else "train"
        running = not running
        if seen is None:
            result.timeouts += 1
            continue
        result.latencies_ms.append((kind, (time.monotonic() - t0) * 1e3))
        # time.monotonic() after wait_for returned: the capture that showed the change


def read_heartbeat(path: Path, t0: float, t1: float) -> dict[str, float] | None:
    """Tick rate and gaps of the heartbeat lines stamped within [t0, t1]."""
    try:
        text = path.read_text()
    except OSError:
        return None
    ticks = []
    for line in text.splitlines():
        try:
            ticks.append(float(line.split()[0]))
        except (ValueError, IndexError):
            continue
    window = [t for t in ticks if t0 <= t <= t1]
    if len(window) < 3:
        return {"ticks": float(len(window)), "seconds": t1 - t0}
    gaps = [(b - a) * 1e3 for a, b in zip(window, window[1:])]
    return {
        "ticks": float(len(window)),
        "seconds": t1 - t0,
        "hz": len(window) / (t1 - t0),
        "gap_p50_ms": statistics.median(gaps),
        "gap_p95_ms": percentile(gaps, 0.95),
        "gap_max_ms": max(gaps),
    }


def measure_floor(result: Result, presses: int = 10) -> None:
    """The harness's own floor: send-keys to capture-pane with `cat` echoing the key."""
    with Tmux(["cat"], {}) as echo:
        times = []
        for i in range(presses):
            mark = f"k{i}"
            t0 = time.monotonic()
            echo.send(mark)
            if echo.wait_for(lambda s, mark=mark: mark in s, timeout=2.0) is not None:
                times.append((time.monotonic() - t0) * 1e3)
            echo.send("Enter")
            time.sleep(0.05)
    if times:
        result.floor_ms = statistics.median(times)


def whole_first_frame(screen: str) -> bool:
    """Our first frame, all of it but the plots (drawn by a thread): the run state in the
    training panel and the footer's keys."""
    return bool(state_of(screen)) and "q Quit" in screen


def measure_first_frames(exe: Path, launches: int, result: Result) -> None:
    """The default launch's first frame and the smallest Textual app's, launched in turn
    (ours, hello, ours, ...) so that the machine's swings hit both alike."""
    for _ in range(launches):
        for argv, out, shown in (
            ([str(exe)], result.default_frames_s, whole_first_frame),
            ([sys.executable, str(HELLO)], result.hello_frames_s, lambda s: bool(state_of(s))),
        ):
            with Tmux(argv, {}) as app:
                if app.wait_for(shown, timeout=10.0, poll=START_POLL):
                    out.append(time.monotonic() - app.started)
            time.sleep(0.2)


def measure_latency_run(exe: Path, n: int, presses: int, quiet: float, result: Result) -> None:
    """The first frame, the heartbeat over quiet s of training, then the key presses."""
    with tempfile.TemporaryDirectory(prefix="mgbench-") as tmp:
        beat = Path(tmp) / "heartbeat.log"
        with Tmux([str(exe), "--n", str(n)], {HEARTBEAT_ENV: str(beat)}) as app:
            frame = app.wait_for(lambda s: bool(state_of(s)), timeout=10.0, poll=START_POLL)
            if frame is None:
                raise RuntimeError("no frame with a run state within 10 s")
            result.first_frame_s = time.monotonic() - app.started
            if app.wait_for(lambda s: PLOT_DRAWN in s, timeout=10.0, poll=START_POLL):
                result.plots_s = time.monotonic() - app.started
            time.sleep(0.5)
            start_training(app)
            t0 = time.monotonic()
            time.sleep(quiet)
            t1 = time.monotonic()
            app.check_alive()
            measure_presses(app, result, presses, random.Random(4))
            app.check_alive()
            captures = app.capture_times
            result.capture_ms = statistics.median(captures) * 1e3
            result.heartbeat = read_heartbeat(beat, t0, t1)
            if result.heartbeat is None:
                result.notes.append(
                    f"heartbeat: skipped, the app wrote no {HEARTBEAT_ENV} file (hook missing)"
                )


def vm_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def measure_rss_run(exe: Path, n: int, steps: int, timeout: float, result: Result) -> None:
    """Train for steps steps (or timeout s), sampling VmRSS; growth after a warm-up."""
    with Tmux([str(exe), "--n", str(n)], {}) as app:
        if app.wait_for(lambda s: bool(state_of(s)), timeout=10.0) is None:
            raise RuntimeError("no frame with a run state within 10 s")
        pid = app.pid()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"micrograd-tui" not in f.read():
                raise RuntimeError(f"pane process {pid} is not micrograd-tui")
        at_frame = vm_rss_mb(pid)
        start_training(app)
        warm = max(10, min(200, steps // 20))
        samples: list[tuple[float, int, float]] = []  # (time, step, rss)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            step = step_of(app.capture())
            rss = vm_rss_mb(pid)
            if step is not None:
                samples.append((time.monotonic(), step, rss))
                if step >= steps:
                    break
            app.check_alive()
            time.sleep(0.5)
    after_warm = [s for s in samples if s[1] >= warm]
    if len(after_warm) < 2:
        result.notes.append(f"memory: fewer than 2 samples after step {warm}; skipped")
        return
    (ta, sa, ra), (tb, sb, rb) = after_warm[0], after_warm[-1]
    result.rss = {
        "n": float(n),
        "at_frame_mb": at_frame,
        "warm_step": float(sa),
        "warm_mb": ra,
        "last_step": float(sb),
        "last_mb": rb,
        "peak_mb": max(s[2] for s in after_warm),
        "growth_mb": rb - ra,
        "steps_per_s": (sb - sa) / (tb - ta),
    }
    if sb < steps:
        result.notes.append(f"memory: stopped at step {sb} of {steps} after {timeout:g} s")


# ------------------------------------------------------------------ training under keys


@dataclass
class KeysRun:
    """One launch of one app: space to step 1, steps/s without and with keys, space presses."""

    label: str
    n: int
    state_ms: list[float] = field(default_factory=list)  # space -> the run state changed
    first_step_ms: list[float] = field(default_factory=list)  # space -> step 1 on screen
    quiet: list[float] = field(default_factory=list)  # steps/s of each window with no keys
    keyed: list[float] = field(default_factory=list)  # ... with an arrow every KEY_EVERY s
    latencies_ms: list[tuple[str, float]] = field(default_factory=list)
    timeouts: int = 0
    notes: list[str] = field(default_factory=list)

    def keep(self) -> float | None:
        """Mean steps/s with keys over mean steps/s without."""
        if not self.quiet or not self.keyed:
            return None
        return statistics.fmean(self.keyed) / statistics.fmean(self.quiet)


def step_edge(app: Tmux, timeout: float = 2.0) -> tuple[float, int]:
    """Capture until the step counter on screen changes: (the time of that capture, the
    step it shows). The counter is redrawn a few times a second, so a window measured from
    edge to edge counts its steps whole at both ends."""
    shown = step_of(app.capture())
    seen = app.wait_for(lambda s: step_of(s) not in (None, shown), timeout)
    if seen is None:
        raise RuntimeError(f"the step counter stayed at {shown} for {timeout:g} s")
    at = time.monotonic()
    step = step_of(seen[1])
    assert step is not None
    return at, step


def steps_per_s(app: Tmux, seconds: float, keys: bool) -> float:
    """Training's steps/s over about seconds s, with an arrow key every KEY_EVERY s (left,
    right, left, ...) or, without keys, a tmux call that sends the app nothing as often."""
    t0, s0 = step_edge(app)
    ticks = 0
    while time.monotonic() - t0 < seconds:
        if keys:
            app.send(("Left", "Right")[ticks % 2])
        else:
            app.query()
        ticks += 1
        time.sleep(max(0.0, t0 + ticks * KEY_EVERY - time.monotonic()))
    if ticks % 2:
        app.send("Right")  # the probe back where it was (counted in neither window)
    t1, s1 = step_edge(app)
    return (s1 - s0) / (t1 - t0)


def time_first_steps(app: Tmux, run: KeysRun, presses: int, rng: random.Random) -> None:
    """Reset with r, then press space: time the run state's change and step 1 on screen."""
    for _ in range(presses):
        app.send("r")
        if app.wait_for(lambda s: step_of(s) == 0 and "paused" in state_of(s), 5.0) is None:
            raise RuntimeError("r did not show step 0, paused")
        time.sleep(rng.uniform(0.2, 0.4))
        before = state_of(app.capture())
        changed: list[float] = []

        def shown(
            screen: str, before: tuple[str, ...] = before, changed: list[float] = changed
        ) -> bool:
            if not changed and state_of(screen) != before:
                changed.append(time.monotonic())
            return (step_of(screen) or 0) >= 1

        t0 = time.monotonic()
        app.send("Space")
        if app.wait_for(shown, timeout=2.0) is None:
            run.timeouts += 1
            continue
        run.first_step_ms.append((time.monotonic() - t0) * 1e3)
        if changed:
            run.state_ms.append((changed[0] - t0) * 1e3)


def measure_keys_run(
    exe: Path,
    n: int,
    label: str = "",
    windows: int = 3,
    window_s: float = 3.0,
    first_steps: int = 6,
    presses: int = 0,
) -> KeysRun:
    """Launch `exe --n n` in tmux at 80x24: space to step 1 (first_steps times), then
    windows pairs of steps/s windows (no keys, keys, no keys, ...), then presses space
    presses (the key latency while training); a part that fails leaves a note."""
    run = KeysRun(label, n)
    with Tmux([str(exe), "--n", str(n)], {}) as app:
        try:
            if app.wait_for(lambda s: PLOT_DRAWN in s, timeout=15.0, poll=START_POLL) is None:
                raise RuntimeError("no boundary plot within 15 s")
            time.sleep(0.5)
            time_first_steps(app, run, first_steps, random.Random(7))
            app.send("r")
            app.wait_for(lambda s: step_of(s) == 0 and "paused" in state_of(s), 5.0)
            start_training(app)
            time.sleep(1.0)  # past the first steps' extra drawing
            for _ in range(windows):
                run.quiet.append(steps_per_s(app, window_s, keys=False))
                run.keyed.append(steps_per_s(app, window_s, keys=True))
            if "running" not in state_of(app.capture()):
                run.notes.append("the run state was no longer `running` after the windows")
            if presses:
                presses_run = Result(n)
                measure_presses(app, presses_run, presses, random.Random(4))
                run.latencies_ms, run.timeouts = presses_run.latencies_ms, presses_run.timeouts
            app.check_alive()
        except (RuntimeError, subprocess.CalledProcessError) as e:
            run.notes.append(f"failed: {e}")
    return run


def tree_of(exe: Path) -> Path:
    """The checkout whose `tui` the python beside exe imports."""
    where = subprocess.run(
        [
            str(exe.parent / "python"),
            "-c",
            "import tui, pathlib; print(pathlib.Path(tui.__file__).parent.parent)",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(where.stdout.strip())


def compare(exes: list[tuple[str, Path]], n: int, rounds: int, presses: int) -> list[KeysRun]:
    """Each app in turn at n and at 100, round by round, the order reversed every other
    round (A B, B A, A B...), so the machine's phases hit all alike."""
    for _, exe in exes:
        warm_bytecode(exe)
    runs = []
    for r in range(rounds):
        order = exes if r % 2 == 0 else exes[::-1]
        for label, exe in order:
            for size in dict.fromkeys((n, 100)):
                runs.append(measure_keys_run(exe, size, label, presses=presses if size == n else 0))
                time.sleep(0.5)
    return runs


def measure(
    n: int = 1000,
    presses: int | None = None,
    quick: bool = False,
    rss_n: int = 100,
    rss_steps: int | None = None,
    rss_timeout: float | None = None,
) -> Result:
    """All the app measurements; parts that cannot run are skipped with a note."""
    result = Result(n)
    exe = app_command()
    if exe is None:
        result.notes.append("app: tui/app.py or the micrograd-tui script is missing; skipped")
        return result
    warm_bytecode()
    presses = presses or (20 if quick else 40)
    rss_steps = rss_steps or (2000 if quick else 10_000)
    rss_timeout = rss_timeout or (60.0 if quick else 600.0)
    try:
        measure_first_frames(exe, 3 if quick else 7, result)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        result.notes.append(f"first frames: failed: {e}")
    try:
        measure_floor(result)
        measure_latency_run(exe, n, presses, 3.0 if quick else 5.0, result)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        result.notes.append(f"latency: failed: {e}")
    try:
        measure_rss_run(exe, rss_n, rss_steps, rss_timeout, result)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        result.notes.append(f"memory: failed: {e}")
    for size in dict.fromkeys((n, 100)):
        result.keys_runs.append(measure_keys_run(exe, size, windows=2 if quick else 3))
    return result


# ------------------------------------------------------------------ report


def ok(good: bool) -> str:
    return "ok" if good else "MISS"


def print_report(r: Result) -> None:
    print()
    if r.default_frames_s:
        ms = statistics.median(r.default_frames_s) * 1e3
        print(
            f"First frame of `micrograd-tui` (the default run; its panels and footer) in tmux,"
            f" median of {len(r.default_frames_s)} launches: {ms:.0f} ms"
            f" (target < 500 ms: {ok(ms < 500)})"
        )
    if r.hello_frames_s:
        hello = statistics.median(r.hello_frames_s) * 1e3
        more = ""
        if r.default_frames_s:
            ours = statistics.median(r.default_frames_s) * 1e3
            more = f"; ours takes {ours - hello:+.0f} ms more"
        print(f"  the smallest Textual app (one label), launched in turn: {hello:.0f} ms{more}")
    print()
    print(f"The app in tmux (80x24), `micrograd-tui --n {r.n}`, training:")
    if r.first_frame_s is not None:
        plots = "" if r.plots_s is None else f", the boundary drawn at {r.plots_s * 1e3:.0f} ms"
        print(
            f"  first frame (run state on screen)  {r.first_frame_s * 1e3:.0f} ms after launch"
            f"{plots}"
        )
    if r.latencies_ms:
        all_ms = [ms for _, ms in r.latencies_ms]
        p95 = percentile(all_ms, 0.95)
        print(
            f"  space -> visible change, {len(all_ms)} presses: p50 "
            f"{statistics.median(all_ms):.1f} ms, p95 {p95:.1f} ms, max {max(all_ms):.1f} ms"
            f"  (target p95 < {LATENCY_TARGET_MS:g} ms: {ok(p95 < LATENCY_TARGET_MS)})"
        )
        for kind in ("pause", "train"):
            xs = [ms for k, ms in r.latencies_ms if k == kind]
            if xs:
                print(
                    f"    {kind:>5} presses ({len(xs)}): p50 {statistics.median(xs):.1f} ms, "
                    f"p95 {percentile(xs, 0.95):.1f} ms"
                )
        floor = f"; the harness alone (cat echoing) p50 {r.floor_ms:.1f} ms" if r.floor_ms else ""
        print(f"    capture-pane takes {r.capture_ms:.1f} ms (median){floor}")
    if r.timeouts:
        print(f"  {r.timeouts} presses showed no change within 2 s")
    hb = r.heartbeat
    if hb is not None and "hz" in hb:
        print(
            f"  heartbeat over {hb['seconds']:.1f} s of training: {hb['hz']:.1f} Hz"
            f" (target >= {HEARTBEAT_TARGET_HZ:g}: {ok(hb['hz'] >= HEARTBEAT_TARGET_HZ)}),"
            f" gaps p50 {hb['gap_p50_ms']:.1f} ms, p95 {hb['gap_p95_ms']:.1f} ms,"
            f" max {hb['gap_max_ms']:.1f} ms"
        )
    elif hb is not None:
        print(f"  heartbeat: only {hb['ticks']:.0f} ticks in {hb['seconds']:.1f} s of training")
    m = r.rss
    if m is not None:
        print(
            f"  memory, --n {m['n']:.0f}: VmRSS {m['warm_mb']:.1f} MB at step {m['warm_step']:.0f}"
            f" -> {m['last_mb']:.1f} MB at step {m['last_step']:.0f}, growth"
            f" {m['growth_mb']:+.1f} MB (target < {RSS_TARGET_MB:g} MB over 10,000 steps:"
            f" {ok(m['growth_mb'] < RSS_TARGET_MB)}); peak {m['peak_mb']:.1f} MB,"
            f" {m['at_frame_mb']:.1f} MB at the first frame; {m['steps_per_s']:.0f} steps/s,"
            f" {1000 * m['growth_mb'] / max(1.0, m['last_step'] - m['warm_step']):+.2f} MB"
            " per 1000 steps"
        )
    for note in r.notes:
        print(f"  {note}")
    if r.keys_runs:
        print()
        print("Training under keys, in tmux at 80x24:")
        for run in r.keys_runs:
            print_keys_run(run)


def latency_line(latencies: list[tuple[str, float]], timeouts: int) -> str:
    all_ms = [ms for _, ms in latencies]
    p95 = percentile(all_ms, 0.95)
    missed = f", {timeouts} showed nothing within 2 s" if timeouts else ""
    return (
        f"space -> visible change while training, {len(all_ms)} presses: p50"
        f" {statistics.median(all_ms):.1f} ms, p95 {p95:.1f} ms, max {max(all_ms):.1f} ms"
        f" (target p95 < {LATENCY_TARGET_MS:g} ms: {ok(p95 < LATENCY_TARGET_MS)}){missed}"
    )


def print_keys_run(run: KeysRun) -> None:
    label = f"[{run.label}] " if run.label else ""
    print(f"  {label}`micrograd-tui --n {run.n}`:")
    if run.first_step_ms:
        late = ""
        if run.state_ms:
            gap = statistics.median(b - a for a, b in zip(run.state_ms, run.first_step_ms))
            late = f"; {gap:.0f} ms after the run state (one frame: {FRAME_MS:.1f} ms)"
        print(
            f"    space -> step 1 on screen, {len(run.first_step_ms)} presses: p50"
            f" {statistics.median(run.first_step_ms):.0f} ms, max {max(run.first_step_ms):.0f}"
            f" ms{late}"
        )
    keep = run.keep()
    if keep is not None:
        quiet = ", ".join(f"{x:.0f}" for x in run.quiet)
        keyed = ", ".join(f"{x:.0f}" for x in run.keyed)
        print(
            f"    steps/s with no keys {quiet}; with an arrow every {KEY_EVERY * 1e3:.0f} ms"
            f" {keyed}: kept {keep:.0%} (target >= {KEEP_TARGET:.0%}: {ok(keep >= KEEP_TARGET)})"
        )
    if run.latencies_ms:
        print(f"    {latency_line(run.latencies_ms, run.timeouts)}")
    for note in run.notes:
        print(f"    {note}")


def print_comparison(runs: list[KeysRun]) -> None:
    """Every run, then each app's runs at each n together."""
    print("Training under keys, in tmux at 80x24, the apps in turn:")
    for run in runs:
        print_keys_run(run)
    print()
    print("Together, per app and n (each run's number, in the order run):")
    for label, n in dict.fromkeys((run.label, run.n) for run in runs):
        mine = [run for run in runs if (run.label, run.n) == (label, n)]
        keeps = [k for run in mine if (k := run.keep()) is not None]
        firsts = [statistics.median(run.first_step_ms) for run in mine if run.first_step_ms]
        quiet = [statistics.fmean(run.quiet) for run in mine if run.quiet]
        keyed = [statistics.fmean(run.keyed) for run in mine if run.keyed]
        p95s = [
            percentile([ms for _, ms in run.latencies_ms], 0.95) for run in mine if run.latencies_ms
        ]
        print(f"  [{label}] n = {n}:")
        print(
            "    steps/s no keys " + ", ".join(f"{x:.0f}" for x in quiet)
            + "; with arrows " + ", ".join(f"{x:.0f}" for x in keyed)
            + "; kept " + ", ".join(f"{k:.0%}" for k in keeps)
            + f" (target >= {KEEP_TARGET:.0%})"
        )  # fmt: skip
        print("    space -> step 1, p50 of each run: " + ", ".join(f"{x:.0f} ms" for x in firsts))
        if p95s:
            print(
                "    space -> visible change p95: " + ", ".join(f"{x:.1f} ms" for x in p95s)
                + f" (target < {LATENCY_TARGET_MS:g} ms)"
            )  # fmt: skip


def parse_exe(text: str) -> tuple[str, Path]:
    label, _, path = text.rpartition("=")
    exe = Path(path).absolute()
    return label or exe.parent.parent.parent.name, exe


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer presses, a shorter memory run")
    p.add_argument("--n", type=int, default=1000, help="dataset size for the latency run")
    p.add_argument("--presses", type=int, default=None, help="key presses (default 40)")
    p.add_argument("--rss-n", type=int, default=100, help="dataset size for the memory run")
    p.add_argument("--rss-steps", type=int, default=None, help="memory run steps (10,000)")
    p.add_argument("--rss-timeout", type=float, default=None, help="memory run limit, s")
    p.add_argument(
        "--exe",
        action="append",
        type=parse_exe,
        metavar="[LABEL=]PATH",
        help="a micrograd-tui script, repeatable: then only training under keys, the apps in turn",
    )
    p.add_argument("--rounds", type=int, default=2, help="rounds of the --exe comparison")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still clean up tmux
    if args.exe:
        print_comparison(compare(args.exe, args.n, args.rounds, args.presses or 20))
        return 0
    print_report(
        measure(args.n, args.presses, args.quick, args.rss_n, args.rss_steps, args.rss_timeout)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
