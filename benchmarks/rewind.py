"""Rewind's bounds: how much memory a long run's States take, and how long a step takes
to come back (micrograd.rewind). Run: python benchmarks/rewind.py [--steps 100000] [--n 100]."""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

from micrograd.rewind import Rewind
from micrograd.run import step_record
from micrograd.training import Config, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--scrubs", type=int, default=200)
    args = parser.parse_args()
    trainer = Trainer(Config(n=args.n))
    tracemalloc.start()
    rewind = Rewind(trainer)
    started = time.perf_counter()
    for _ in range(args.steps):
        record = step_record(trainer)
        assert record is not None
        rewind.note(trainer, record)
    trained = time.perf_counter() - started
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{args.steps} steps at n = {args.n}: {trained:.1f} s, every {rewind.every} steps a State"
    )
    print(f"States: {len(rewind.states)}, ~{rewind.nbytes() / 1e6:.2f} MB (their own count);")
    print(f"  all memory held since the run began (tracemalloc): {held / 1e6:.2f} MB")
    rng = random.Random(1)
    worst, total = 0.0, 0.0
    for step in [rng.randrange(args.steps + 1) for _ in range(args.scrubs)] + [args.steps - 1]:
        t0 = time.perf_counter()
        rewind.state_at(step, trainer)
        took = time.perf_counter() - t0
        worst, total = max(worst, took), total + took
    print(
        f"state_at, {args.scrubs + 1} random steps: mean {total / (args.scrubs + 1) * 1e3:.1f} ms, "
        f"worst {worst * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
