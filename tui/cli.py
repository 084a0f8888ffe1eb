"""Command-line arguments: parse and validate them into a Config, one-line errors, exit 2."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import NoReturn

from micrograd.training import MAX_N, Config

EXIT_USAGE = 2
EXIT_DIVERGED = 3


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def hidden_sizes(text: str) -> tuple[int, ...]:
    parts = text.split(",")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a comma list of layer sizes such as 8 or 16,16, got {text!r}"
        ) from None
    if not sizes or any(not 1 <= s <= 1024 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be from 1 to 1024, got {text!r}")
    return sizes


def build_parser() -> ArgumentParser:
    d = Config()
    p = ArgumentParser(
        prog="micrograd-tui",
        description="Watch micrograd train MLP(2, [8, 3]) on the taichi dataset, step by step.",
        allow_abbrev=False,
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="train without a UI, printing one JSON object per update",
    )
    p.add_argument(
        "--steps", type=positive_int, default=100, help="headless: how many updates (default 100)"
    )
    p.add_argument("--seed", type=positive_int, default=d.seed, help="RNG seed (default 42)")
    p.add_argument(
        "--n", type=positive_int, default=d.n, help=f"dataset size, 3 to {MAX_N} (default 100)"
    )
    p.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=d.hidden,
        help="hidden layer sizes, e.g. 8 or 16,16 (default 8)",
    )
    p.add_argument(
        "--lr", type=finite_float, default=d.lr, help="AdamW learning rate (default 0.1)"
    )
    p.add_argument(
        "--weight-decay",
        type=finite_float,
        default=d.weight_decay,
        help="AdamW weight decay (default 1e-4)",
    )
    p.add_argument(
        "--eval-every",
        type=positive_int,
        default=10,
        help="headless: validation every K updates and at the last (default 10)",
    )
    return p


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Config]:
    """The parsed arguments and the run's Config; exits 2 with one line if any is bad."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.eval_every < 1:
        parser.error(f"argument --eval-every: must be at least 1, got {args.eval_every}")
    if not 3 <= args.n <= MAX_N:
        parser.error(f"argument --n: must be from 3 to {MAX_N}, got {args.n}")
    if args.seed >= 2**64:
        parser.error(f"argument --seed: must be below 2**64, got {args.seed}")
    try:
        config = Config(
            seed=args.seed,
            n=args.n,
            hidden=args.hidden,
            lr=args.lr,
            weight_decay=args.weight_decay,
        )
    except ValueError as e:
        parser.error(str(e))
    return args, config


def fail(message: str, status: int) -> NoReturn:
    """Print one line to stderr and exit."""
    print(f"micrograd-tui: error: {message}", file=sys.stderr)
    raise SystemExit(status)
