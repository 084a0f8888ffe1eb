"""Command-line arguments: parse and validate them into a Config, one-line errors, exit 2."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from typing import NoReturn

from micrograd.config import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    MAX_LAYERS,
    MAX_N,
    MAX_NEURON_POINTS,
    MAX_NOISE,
    MAX_PARAM_POINTS,
    MAX_PARAMS,
    MAX_SPLIT,
    MAX_WIDTH,
    MIN_N,
    MIN_SPLIT,
    OPTIMIZERS,
    Config,
    ConfigError,
)
from micrograd.runs import NOT_REPLACEABLE, replaceable

EXIT_USAGE = 2
EXIT_DIVERGED = 3


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def whole_number(text: str, what: str = "a whole number") -> int:
    """text as an int, or the one-line error that it is not what was expected."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
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


def port_number(text: str) -> int:
    value = whole_number(text, "a port number")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {value}")
    return value


def session_count(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def hidden_sizes(text: str) -> tuple[int, ...]:
    if text.strip() == "0":  # no hidden layer: a linear model of the features
        return ()
    parts = text.split(",")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a comma list of layer sizes such as 8 or 16,16, got {text!r}"
        ) from None
    return sizes


def feature_names(text: str) -> tuple[str, ...]:
    """A comma list of features as given; Config says what is wrong with it."""
    return tuple(part.strip() for part in text.split(","))


def batch_size(text: str) -> int | str:
    """A number of points per step, or "full" (the whole training split: None in the
    Config, once parse_args has seen it was given)."""
    if text.strip() == "full":
        return "full"
    return whole_number(text, 'a number of points or "full"')


def build_parser() -> ArgumentParser:
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
        "--serve",
        action="store_true",
        help="serve the app as a web page (textual-serve): each browser tab runs its own app",
    )
    p.add_argument(
        "--host",
        help="serve: the address to listen on (default 127.0.0.1, this machine only)",
    )
    p.add_argument("--port", type=port_number, help="serve: the port to listen on (default 8000)")
    p.add_argument(
        "--max-sessions",
        type=session_count,
        help="serve: at most this many tabs at once, each an app process (default 4)",
    )
    p.add_argument("--steps", type=positive_int, help="headless: how many updates (default 100)")
    p.add_argument("--seed", type=positive_int, help="RNG seed, 1 to 2**64 - 1 (default 42)")
    p.add_argument("--n", type=positive_int, help=f"dataset size, {MIN_N} to {MAX_N} (default 100)")
    p.add_argument(
        "--hidden",
        type=hidden_sizes,
        help=f"hidden layer sizes, e.g. 8 or 16,16, or 0 for none (default 8): at most "
        f"{MAX_LAYERS} layers of "
        f"1 to {MAX_WIDTH} neurons and {MAX_PARAMS:,} parameters; with --n at most "
        f"{MAX_PARAM_POINTS // 10**6} million parameters x points and "
        f"{MAX_NEURON_POINTS // 10**6} million neurons x points (what trains here in a few "
        "GB; 6 layers of 32 fit --n 20000)",
    )
    p.add_argument("--dataset", help=f"the data: {', '.join(DATASETS)} (default taichi)")
    p.add_argument(
        "--noise",
        type=finite_float,
        help=f"the data's noise, the sd of each coordinate's jitter, 0 to {MAX_NOISE:g} "
        "(default 0)",
    )
    p.add_argument(
        "--split",
        type=finite_float,
        help=f"the training fraction of --n, {MIN_SPLIT:g} to {MAX_SPLIT:g}; validation and "
        "test share the rest (default 0.8)",
    )
    p.add_argument(
        "--features",
        type=feature_names,
        help=f"the model's inputs, a comma list of {','.join(FEATURES)} (default x,y)",
    )
    p.add_argument(
        "--activation",
        help=f"the hidden neurons' nonlinearity: {', '.join(ACTIVATIONS)} (default tanh)",
    )
    p.add_argument(
        "--optimizer",
        help=f"the update rule: {', '.join(OPTIMIZERS)} (SGD with momentum 0.9) (default adamw)",
    )
    p.add_argument("--lr", type=finite_float, help="learning rate (default 0.1)")
    p.add_argument(
        "--weight-decay",
        type=finite_float,
        help="weight decay (default 1e-4)",
    )
    p.add_argument(
        "--batch-size",
        type=batch_size,
        help="points per step, drawn with the seeded RNG, an epoch a pass over the training "
        'split; or "full" (the default): every training point each step',
    )
    p.add_argument(
        "--eval-every",
        type=positive_int,
        help="headless: validation every K updates and at the last (default 10)",
    )
    p.add_argument(
        "--load",
        metavar="FILE",
        help="resume a saved run: --steps then counts further updates; the run fixes "
        "--seed, --n and --hidden (giving them is an error); --lr and --weight-decay, "
        "if given, replace the saved values from here on",
    )
    p.add_argument(
        "--save-dir",
        metavar="DIR",
        default=".",
        help="an existing folder where the app's w key saves runs (default: the current one)",
    )
    p.add_argument(
        "--save",
        metavar="FILE",
        help="headless: save the run to FILE at the end (also when stopped by a signal or "
        "divergence: then the last completed step), atomically",
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="headless: also write the JSON lines to FILE (replaced), flushed per line; "
        "not the --load or --save file",
    )
    return p


RUN_FIXED = (
    "seed",
    "n",
    "hidden",
    "dataset",
    "noise",
    "split",
    "features",
    "activation",
    "optimizer",
)
"""Flags a saved run fixes: they conflict with --load."""

TUNABLE = ("lr", "weight_decay", "batch_size")
"""Flags that, with --load, replace the saved run's value."""

HEADLESS_ONLY = {"steps": 100, "eval_every": 10}
"""Flags only a headless run reads, and their defaults."""

SERVE_ONLY = {"host": "127.0.0.1", "port": 8000, "max_sessions": 4}
"""Flags only --serve reads, and their defaults."""


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Config]:
    """The parsed arguments and the run's Config; exits 2 with one line if any is bad."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # which run-defining flags were given: None means "not on the command line"
    args.explicit = {k for k in (*RUN_FIXED, *TUNABLE) if getattr(args, k) is not None}
    if args.batch_size == "full":
        args.batch_size = None
    defaults = Config()
    for key in (*RUN_FIXED, *TUNABLE):
        if key not in args.explicit:
            setattr(args, key, getattr(defaults, key))
    if args.serve and args.headless:
        parser.error("argument --serve: not allowed with --headless (it serves the app)")
    for only, flags in (("headless", HEADLESS_ONLY), ("serve", SERVE_ONLY)):
        for flag, default in flags.items():  # the app would ignore them: say so
            if getattr(args, flag) is None:
                setattr(args, flag, default)
            elif not getattr(args, only):
                parser.error(f"argument --{flag.replace('_', '-')}: works only with --{only}")
    if args.serve:
        check_host(parser, args)
    if args.eval_every < 1:
        parser.error(f"argument --eval-every: must be at least 1, got {args.eval_every}")
    check_files(parser, args)
    try:
        config = Config(**{key: getattr(args, key) for key in (*RUN_FIXED, *TUNABLE)})
    except ConfigError as e:
        plural = "s" if "," in e.field else ""
        parser.error(
            f"argument{plural} {e.names(lambda f: '--' + f.replace('_', '-'))}: {e.message}"
        )
    return args, config


def check_host(parser: ArgumentParser, args: argparse.Namespace) -> None:
    """--host names an address this machine can listen on (a name that resolves)."""
    import socket

    if not args.host or "\0" in args.host or args.host != args.host.strip():
        parser.error(f"argument --host: expected an address or a host name, got {args.host!r}")
    try:
        socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        why = getattr(e, "strerror", None) or e
        parser.error(f"argument --host: cannot resolve {args.host!r}: {why}")


def check_files(parser: ArgumentParser, args: argparse.Namespace) -> None:
    """The file and folder flags: present where they must be, usable where they point."""
    if args.load is not None:
        if not args.load:
            parser.error("argument --load: expected a file name")
        for key in RUN_FIXED:
            if key in args.explicit:
                parser.error(
                    f"argument --{key}: not allowed with --load (the saved run fixes "
                    "--seed, --n, --hidden and the data, features, activation and optimizer)"
                )
    for flag in ("save", "log"):
        target = getattr(args, flag)
        if target is None:
            continue
        if not args.headless:
            parser.error(f"argument --{flag}: works only with --headless")
        problem = writable_file_problem(target)
        if flag == "save" and not problem and not replaceable(target):
            problem = f"{NOT_REPLACEABLE}: {target!r}"
        if problem:
            parser.error(f"argument --{flag}: {problem}")
    # the log is opened (emptied) first and the run saved last: either would destroy
    # the other's file; --load and --save may name one file (the run continues in place)
    for flag, other in (("log", "save"), ("log", "load")):
        a, b = getattr(args, flag), getattr(args, other)
        if a is not None and b is not None and same_file(a, b):
            parser.error(f"argument --{flag}: must not be the --{other} file")
    if not os.path.isdir(args.save_dir):
        parser.error(f"argument --save-dir: not an existing folder: {args.save_dir!r}")
    if not os.access(args.save_dir, os.W_OK | os.X_OK):
        parser.error(f"argument --save-dir: the folder is not writable: {args.save_dir!r}")


def writable_file_problem(path: str) -> str | None:
    """Why a file could not be written at path, or None."""
    if not path:
        return "expected a file name"
    if "\0" in path:
        return "the file name holds a NUL byte"
    try:
        info = os.stat(path)  # follows links: what a save or the log would write to
    except FileNotFoundError:
        info = None
    except OSError as e:  # a link loop, a path through a file, ...
        return f"cannot use {path!r}: {e.strerror or e}"
    if info is not None and stat.S_ISDIR(info.st_mode):
        return f"is a folder, not a file: {path!r}"
    if os.path.islink(path):  # the file is made where the link points
        path = os.path.realpath(path)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return f"no such folder: {folder!r}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder is not writable: {folder!r}"
    if info is None or stat.S_ISREG(info.st_mode):
        # a save writes a temporary file beside its target: try one (a read-only or
        # virtual file system such as /proc refuses it, whatever access() says)
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".micrograd-tui-", suffix=".probe")
        except OSError as e:
            return f"cannot write in the folder {folder!r}: {e.strerror or e}"
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return None


def same_file(a: str, b: str) -> bool:
    """Do a and b name one file: through a link, a hard link or another spelling?"""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def fail(message: str, status: int) -> NoReturn:
    """Print one line to stderr (if it is open) and exit."""
    if sys.stderr is not None:  # print(file=None) would write to stdout
        print(f"micrograd-tui: error: {message}", file=sys.stderr)
    raise SystemExit(status)
