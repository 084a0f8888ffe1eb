"""Big runs: the training thread's share of evaluation, the boundary's
redraw time, and the memory the kept history takes. Prints; asserts nothing.

    .venv/bin/python benchmarks/bigruns.py [--steps 5] [--records 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd.config import Config  # noqa: E402
from micrograd.run import Record  # noqa: E402
from micrograd.training import Trainer  # noqa: E402


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def training_thread(steps: int) -> None:
    """n = 20,000, hidden 16,16: what a step of the app's loop costs, and its parts."""
    from tui.session import ClassSnapshot  # what the class view costs

    trainer = Trainer(Config(n=20_000, hidden=(16, 16)))
    trainer.step()  # the graph is built once
    step = median_time(trainer.step, steps)
    evaluate = median_time(lambda: trainer.evaluate(trainer.val_split), steps)
    classes = median_time(lambda: ClassSnapshot.of(trainer), steps)
    print(
        f"n = 20,000 hidden 16,16: step {step * 1e3:.1f} ms, Trainer.evaluate(val) "
        f"{evaluate * 1e3:.1f} ms, ClassSnapshot.of after it {classes * 1e3:.1f} ms"
    )
    validation = evaluate + classes  # the record's pass and the class view's
    if hasattr(trainer, "evaluation"):

        def fresh() -> None:
            trainer._last_evaluation = None  # not the kept one: computed again
            trainer.evaluation(trainer.val_split)

        fast = median_time(fresh, steps)
        print(f"  Trainer.evaluation(val) (numpy, with counts) {fast * 1e3:.2f} ms")
        validation = fast + classes  # one pass; the class view reuses its counts
    loop = step + validation
    print(
        f"  a step with validation and class counts: {loop * 1e3:.1f} ms, "
        f"{1 / loop:.2f} steps/s; validation and counts {100 * validation / loop:.1f}% of it"
    )


def drawing_thread(repeats: int) -> None:
    """The boundary's redraw at n = 20,000 for the plot sizes of 80x24 and 200x60."""
    import numpy as np
    from rich.style import Style

    from tui.widgets import boundary
    from tui.widgets.plotting import PlotTheme

    trainer = Trainer(Config(n=20_000, hidden=(16, 16)))
    points = trainer.train_split
    xy = np.array([x for x, _ in points], dtype=float)
    labels = np.array([y for _, y in points], dtype=int)
    weights = trainer.layers()
    theme = PlotTheme((30, 30, 30), (220, 220, 220))
    for width, height in ((53, 21), (133, 56)):  # the plot's widget at 80x24, 200x60
        canvas = boundary.Canvas(width, height, theme, False, Style())
        plot = getattr(boundary, "PlotPoints", None)
        args = (xy, labels) if plot is None else (plot(points),)
        boundary.draw(canvas, weights, *args)  # axes and caches made once
        t = median_time(lambda: boundary.draw(canvas, weights, *args), repeats)  # noqa: B023
        print(f"boundary redraw {width}x{height}, 16,000 points: {t * 1e3:.1f} ms")


def history_memory(records: int, bounded: bool) -> None:
    """Bytes kept for `records` steps by the session's history and the app's, the same
    Record objects in both: as lists (before) or as the bounded histories (after)."""
    from micrograd.run import record_history
    from tui.widgets.loss_curve import HISTORY_LIMIT

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    session = record_history() if bounded else []
    app = record_history(limit=HISTORY_LIMIT) if bounded else []
    for k in range(records):
        record = Record(k, 1.0 / (k + 1), 0.5, 1.1 / (k + 1), 0.5)
        session.append(record)
        app.append(record)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    kind = "bounded" if bounded else "lists"
    print(
        f"history after {records:,} steps ({kind}): {(after - before) / 1e6:.2f} MB, "
        f"{len(session):,} + {len(app):,} records kept"
    )
    del session, app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    training_thread(args.steps)
    drawing_thread(args.repeats)
    for records in (args.records, 5 * args.records, 900_000):  # 900,000: an hour at n = 100
        for bounded in (False, True):
            with contextlib.suppress(ImportError):  # a commit before record_history
                history_memory(records, bounded)


if __name__ == "__main__":
    main()
