"""Step time of the tutorial's engine (baseline) vs ours, textbook and default; the grid; the app.

Run from the repository root:

    .venv/bin/python benchmarks/bench.py --quick        # about a minute
    .venv/bin/python benchmarks/bench.py                # more repeats
    .venv/bin/python benchmarks/bench.py --quick --app  # plus the app in tmux, and its bytes

The three engines step in turn, round by round (baseline, textbook, default, repeat),
each in its own process, so machine noise hits all of them alike and no engine's heap
slows another; the ratios come from the medians of one run.
Not part of the test run, and asserts nothing: it prints.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import baseline  # benchmarks/baseline.py: the tutorial's engine, used only here
import numpy as np

from micrograd import RNG, Config, Trainer, taichi
from micrograd.training import predict_grid

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {100: (4, 50), 1000: (4, 200)}
"""n -> (baseline/textbook, baseline/default): the least speed-ups over the tutorial's
engine that the README promises. The textbook engine is written to be read (4x comes from
having no reference cycles); the default, fused path is the fast one."""

GRID_TARGET_MS = 5.0
STARTUP_TARGET_S = 0.5


# ------------------------------------------------------------------ machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_lines() -> list[str]:
    now = datetime.datetime.now().astimezone()
    return [
        f"date     {now:%Y-%m-%d %H:%M %Z}",
        f"machine  {platform.machine()}, {cpu_model()}, {os.cpu_count()} cores",
        f"python   {platform.python_implementation()} {platform.python_version()}",
        f"load     {load_average()} (1, 5, 15 min) at start",
    ]


# ------------------------------------------------------------------ formatting


def fmt_time(seconds: float) -> str:
    """3 significant digits in s, ms or µs."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            v = seconds / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    raise AssertionError


def verdict(value: float, target: float) -> str:
    return "ok" if value >= target else "MISS"


# ------------------------------------------------------------------ training steps


@dataclass
class StepTimes:
    """Per-step wall times of the three engines for one n, in the order they ran."""

    n: int
    warmup: int
    baseline: list[float] = field(default_factory=list)
    textbook: list[float] = field(default_factory=list)
    default: list[float] = field(default_factory=list)
    first_losses: tuple[float, float, float] = (0.0, 0.0, 0.0)
    round_ratios: list[tuple[float, float]] = field(default_factory=list)
    """Per round: its baseline step over its textbook and its default turn's medians."""

    def medians(self) -> tuple[float, float, float]:
        return (
            statistics.median(self.baseline),
            statistics.median(self.textbook),
            statistics.median(self.default),
        )


ENGINES = ("baseline", "textbook", "default")


def make_stepper(engine: str, n: int) -> Callable[[], float]:
    """One training step of engine at dataset size n, as a function returning the loss.

    The baseline runs as the tutorial runs it: the seed's data, its own weights drawn
    from the same RNG after the dataset, the cyclic collector left on. The Trainers
    pause the collector inside their own steps.
    """
    cfg = Config(n=n)
    if engine == "baseline":
        rng = RNG(cfg.seed)
        train, _, _ = taichi(rng, n)
        model = baseline.MLP(2, [*cfg.hidden, 3], rng)
        optimizer = baseline.AdamW(
            model.parameters(), cfg.lr, cfg.betas, cfg.eps, weight_decay=cfg.weight_decay
        )
        return lambda: baseline.train_step(model, optimizer, train)
    trainer = Trainer(cfg, fast=engine == "default")

    def step() -> float:
        result = trainer.step()
        assert result is not None
        return result.train_loss

    return step


def serve(engine: str, n: int) -> None:
    """The child side: read a count k, take k consecutive steps, write back each step's
    seconds and the last loss on one line."""
    step = make_stepper(engine, n)
    print("ready", flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            t0 = time.perf_counter()
            loss = step()
            times.append(time.perf_counter() - t0)
        print(*map(repr, times), repr(loss), flush=True)


class EngineProcess:
    """An engine in its own Python process, stepping when asked.

    One process per engine, so that one engine's heap cannot slow another: measured
    in one process, the default path's step ran ~2x slower after a few textbook steps
    (their ~90,000 freed nodes leave the allocator's free lists scattered), and every
    Trainer's live nodes added to the work of the baseline's cyclic collector.
    """

    def __init__(self, engine: str, n: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", engine, str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        if self.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {engine} engine did not start")
        self.block = 1  # consecutive steps per turn

    def steps(self) -> tuple[list[float], float]:
        """Each step's seconds (timed inside the engine's process) for one turn of
        self.block consecutive steps, and the last step's loss."""
        self.stdin.write(f"{self.block}\n")
        self.stdin.flush()
        *times, loss = map(float, self.stdout.readline().split())
        return times, loss

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait(timeout=30)


BLOCK_S = 0.05
"""An engine's turn lasts at least this long: a fast engine takes several consecutive
steps per turn, as it does when it trains, rather than one step with caches that the
other engines' long steps have just emptied."""


def time_steps(n: int, rounds: int | None, quick: bool) -> StepTimes:
    """Interleaved steps of baseline, textbook and default at dataset size n.

    Each engine steps in its own process (see EngineProcess), one engine at a time, in
    turn: baseline, textbook, default, repeat; a turn is one step, or as many
    consecutive steps as fill BLOCK_S. rounds=None picks a count from the cost of the
    warm-up rounds.
    """
    engines = [EngineProcess(engine, n) for engine in ENGINES]
    try:

        def one_round(out: StepTimes | None) -> tuple[float, float, float, float]:
            turns = [e.steps() for e in engines]
            if out is not None:
                out.baseline += turns[0][0]
                out.textbook += turns[1][0]
                out.default += turns[2][0]
                b, t, d = (statistics.median(times) for times, _ in turns)
                out.round_ratios.append((b / t, b / d))
            (b, lb), (t, lt), (d, ld) = turns
            return lb, lt, ld, sum(b) + sum(t) + sum(d)

        warmup = 2 if n <= 300 else 1
        *first, cost = one_round(None)
        for _ in range(warmup - 1):
            cost = one_round(None)[-1]
        for e in engines:  # from the last warm-up turn's step time
            e.block = max(1, int(BLOCK_S / e.steps()[0][-1]))
        if rounds is None:
            budget, least, most = (8.0, 5, 15) if quick else (30.0, 9, 41)
            rounds = max(least, min(most, int(budget / cost)))
            rounds |= 1  # odd
        times = StepTimes(n, warmup, first_losses=tuple(first))
        for _ in range(rounds):
            one_round(times)
        return times
    finally:
        for e in engines:
            e.close()


def print_steps(all_times: list[StepTimes]) -> None:
    print()
    print("Per-step medians (one full-batch AdamW update on 80% of n points), interleaved")
    print("round by round: baseline, textbook, default, each in its own process, a turn being")
    print("one step or as many consecutive steps as fill 50 ms; after the warm-up rounds.")
    print()
    head = (
        f"{'n':>6} {'train':>5} {'rounds':>6}  {'baseline':>9} {'textbook':>9} {'default':>9}"
        f"  {'base/textbook':>19}  {'base/default':>20}"
    )
    print(head)
    print("-" * len(head))
    for t in all_times:
        b, tb, d = t.medians()
        r_tb, r_d = b / tb, b / d
        target = TARGETS.get(t.n)
        if target:
            c_tb = f"{r_tb:6.1f}x >={target[0]:>3}x {verdict(r_tb, target[0]):>4}"
            c_d = f"{r_d:6.1f}x >={target[1]:>3}x {verdict(r_d, target[1]):>4}"
        else:
            c_tb, c_d = f"{r_tb:6.1f}x", f"{r_d:6.1f}x"
        print(
            f"{t.n:>6} {int(0.8 * t.n):>5} {len(t.baseline):>6}"
            f"  {fmt_time(b):>9} {fmt_time(tb):>9} {fmt_time(d):>9}  {c_tb:>19}  {c_d:>20}"
        )
    print()
    print("Spread (fastest .. slowest step) and first-step losses (the same numbers?):")
    for t in all_times:
        spread = "  ".join(
            f"{name} {fmt_time(min(xs))} .. {fmt_time(max(xs))}"
            for name, xs in (
                ("baseline", t.baseline),
                ("textbook", t.textbook),
                ("default", t.default),
            )
        )
        lb, lt, ld = t.first_losses
        rel = max(abs(lb - lt), abs(lb - ld), abs(lt - ld)) / abs(lt)
        print(f"  n={t.n}: {spread}")
        if t.round_ratios:
            r_tb = statistics.median(r for r, _ in t.round_ratios)
            r_d = statistics.median(r for _, r in t.round_ratios)
            print(
                f"  n={t.n}: median of each round's own ratios: textbook {r_tb:.1f}x,"
                f" default {r_d:.1f}x"
            )
        print(f"  n={t.n}: first loss {lt:.15f}, largest relative difference {rel:.1e}")


# ------------------------------------------------------------------ boundary grid


def time_grid(runs: int) -> tuple[float, float, float]:
    """Median and p95 of weights() + predict_grid for 200 x 60 cells, and the grid alone."""
    trainer = Trainer(Config(n=100))
    for _ in range(5):
        trainer.step()
    xs, ys = np.linspace(-2.0, 2.0, 200), np.linspace(-2.0, 2.0, 60)
    with_weights, alone = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        weights = trainer.weights()
        t1 = time.perf_counter()
        grid = predict_grid(weights, xs, ys)
        t2 = time.perf_counter()
        with_weights.append(t2 - t0)
        alone.append(t2 - t1)
    assert grid.shape == (60, 200)
    with_weights.sort()
    return (
        statistics.median(with_weights),
        with_weights[int(0.95 * (len(with_weights) - 1))],
        statistics.median(alone),
    )


def print_grid(runs: int) -> None:
    median, p95, alone = time_grid(runs)
    print()
    print(f"Boundary grid, 200 x 60 cells (numpy), median of {runs} runs:")
    ok = "ok" if median < GRID_TARGET_MS / 1e3 else "MISS"
    print(
        f"  weights() + predict_grid  median {fmt_time(median)} (target < {GRID_TARGET_MS:g} ms:"
        f" {ok}), p95 {fmt_time(p95)}"
    )
    print(f"  predict_grid alone        median {fmt_time(alone)}")


# ------------------------------------------------------------------ start-up


def time_headless_startup(runs: int) -> float | None:
    """Median wall time of `micrograd-tui --headless --steps 0` in a fresh process."""
    exe = Path(sys.executable).parent / "micrograd-tui"
    if not exe.exists():
        return None
    from app_latency import warm_bytecode

    warm_bytecode()  # as after the first run, whatever PYTHONDONTWRITEBYTECODE says
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [str(exe), "--headless", "--steps", "0"], check=True, capture_output=True, cwd=ROOT
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def print_startup(runs: int) -> None:
    t = time_headless_startup(runs)
    print()
    if t is None:
        print("Start-up: micrograd-tui is not installed next to this python; skipped.")
        return
    ok = "ok" if t < STARTUP_TARGET_S else "MISS"
    print(
        f"Start-up, `micrograd-tui --headless --steps 0`, median of {runs}: "
        f"{fmt_time(t)} (target < {STARTUP_TARGET_S:g} s: {ok})"
    )


# ------------------------------------------------------------------ main


PLAYGROUND = Config(dataset="spiral", n=500, hidden=(16, 16))
"""Issue 18's playground case: a spiral of 400 training points, hidden 16,16."""

PLAYGROUND_TARGET = 60.0
"""Steps/s the playground case must reach in the app on 2 cores."""


def steps_per_second(config: Config, seconds: float, numpy_from: int | None = None) -> float:
    """Run.step (a step and its validation, as the app's session takes them) per second,
    over about seconds; numpy_from overrides where the fused path goes numpy."""
    import micrograd.fused
    from micrograd.run import Run

    saved = micrograd.fused.NUMPY_FROM
    if numpy_from is not None:
        micrograd.fused.NUMPY_FROM = numpy_from
    try:
        run = Run(Trainer(config), history=None)
        run.step()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            run.step()
            count += 1
        return count / (time.perf_counter() - start)
    finally:
        micrograd.fused.NUMPY_FROM = saved


def print_playground(seconds: float) -> None:
    """The playground case beside the tutorial's run, both as the app's session steps."""
    print()
    print(f"Steps/s of Run.step (the app's session's step and validation), ~{seconds:g} s each:")
    tutorial = steps_per_second(Config(), seconds)
    numpy = steps_per_second(PLAYGROUND, seconds)
    lists = steps_per_second(PLAYGROUND, seconds, numpy_from=10**9)
    print(f"  tutorial (taichi n 100, 8)       {tutorial:7.0f}")
    print(
        f"  spiral n 500, 16,16 (numpy)      {numpy:7.0f}   target {PLAYGROUND_TARGET:g} in "
        f"the app: {verdict(numpy, PLAYGROUND_TARGET)}"
    )
    print(f"  spiral n 500, 16,16 (lists only) {lists:7.0f}")


def session_steps_per_second(config: Config, seconds: float, views: frozenset) -> float:
    """Steps/s of the app's training worker (TrainingSession.run, no Textual) with these
    inside views open: their snapshots are made at the session's own cadence."""
    import threading

    from tui.session import TrainingSession
    from tui.snapshots import Sample

    trainer = Trainer(config)
    (x, y), label = trainer.train_split[0]
    session = TrainingSession(trainer, [], Sample((x, y), label, 0), lambda news: None)
    session.open_views = views
    session.play()
    worker = threading.Thread(target=session.run, args=("train", 0, lambda: False))
    start = time.perf_counter()
    worker.start()
    time.sleep(seconds)
    session.pause()
    worker.join()
    return trainer.step_count / (time.perf_counter() - start)


def print_views(seconds: float, rounds: int = 3) -> None:
    """Steps/s of the training worker alone (no Textual: what making the snapshots costs)
    with the neurons view open against closed, alternating, in one run. What the view
    costs in the real app, drawing and sending included, is benchmarks/views.py's."""
    print()
    print(
        f"Steps/s of the training worker alone (no Textual; the real app: views.py), "
        f"neurons view closed vs open, {rounds} x ~{seconds:g} s:"
    )
    for name, config in (
        ("tutorial (taichi n 100, 8)", Config()),
        ("spiral n 500, 16,16", PLAYGROUND),
        ("taichi n 1000, 6 x 32", Config(n=1000, hidden=(32,) * 6)),
    ):
        closed, opened = [], []
        for _ in range(rounds):
            closed.append(session_steps_per_second(config, seconds, frozenset()))
            opened.append(session_steps_per_second(config, seconds, frozenset({"neurons"})))
        c, o = statistics.median(closed), statistics.median(opened)
        print(f"  {name:<30} closed {c:6.1f}  open {o:6.1f}  open/closed {o / c:5.1%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    p.add_argument("--app", action="store_true", help="also drive the app in tmux")
    p.add_argument(
        "--n",
        default="100,1000",
        type=lambda s: [int(x) for x in s.split(",")],
        help="dataset sizes, comma separated (default 100,1000)",
    )
    p.add_argument("--rounds", type=int, default=None, help="rounds per n (default: by cost)")
    p.add_argument(
        "--views-only",
        action="store_true",
        help="only the neurons view's cost to the training worker alone (no Textual)",
    )
    p.add_argument("--serve", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:  # a child of time_steps
        serve(args.serve[0], int(args.serve[1]))
        return 0

    print("micrograd-tui benchmark" + (" --quick" if args.quick else ""))
    for line in machine_lines():
        print(line)
    if args.views_only:
        print_views(2.0 if args.quick else 5.0)
        return 0
    started = time.perf_counter()

    all_times = [time_steps(n, args.rounds, args.quick) for n in args.n]
    print_steps(all_times)
    print_grid(200 if args.quick else 1000)
    print_startup(3 if args.quick else 7)
    print_playground(2.0 if args.quick else 5.0)
    print_views(2.0 if args.quick else 5.0)

    if args.app:
        import app_latency

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still clean up tmux
        app_latency.print_report(app_latency.measure(quick=args.quick))

        import bytes as byte_counter  # benchmarks/bytes.py

        print()
        byte_counter.main(["--modes", "256"])

    print()
    print(f"load     {load_average()} at the end; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
