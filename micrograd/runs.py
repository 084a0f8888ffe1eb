"""Saved runs: a run's config, step, weights, optimizer state and metric history as versioned JSON.

A run file is plain JSON (never pickle, nothing that can execute code)::

    {"format": "micrograd-tui-run", "version": 1,
     "config": {"seed": 42, "n": 100, "hidden": [8], "lr": 0.1, "betas": [0.9, 0.95],
                "eps": 1e-08, "weight_decay": 0.0001},
     "step": 100,
     "params": [...],                      # model.parameters() order, one float each
     "optimizer": {"t": 100, "m": [...], "v": [...]},
     "history": [{"step": 1, "train_loss": ..., "train_acc": ...}, ...]}

Floats are written with repr, so they read back bit for bit and a loaded run continues
with exactly the numbers the uninterrupted run would have produced. The dataset and the
model's shape are rebuilt from the config; the weights and AdamW's state come from the
file. save_run() writes atomically: a crash mid-save leaves the old file as it was.
load_run() checks everything and reports any problem as one RunFileError line.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from micrograd.data import MASK64
from micrograd.training import Config, Trainer

FORMAT = "micrograd-tui-run"
VERSION = 1
MAX_RUN_BYTES = 50 * 1024 * 1024
"""The largest run file we read: far above any real run (1M weights take about 60 MB)."""

MAX_COUNT = 2**53
"""Step and t counters stay below this: beyond it they would not even fit a float."""

Record = dict[str, Any]
"""One history entry, like a headless JSON line: {"step": k, "train_loss": ..., ...}."""

_CONFIG_KEYS = ("seed", "n", "hidden", "lr", "betas", "eps", "weight_decay")
_TOP_KEYS = ("format", "version", "config", "step", "params", "optimizer", "history")


class RunFileError(ValueError):
    """A run file that cannot be read or is not a valid run; the message is one line."""


# ----------------------------------------------------------------------------- saving


def run_to_json(trainer: Trainer, history: list[Record]) -> dict[str, Any]:
    """The run as a JSON-ready object (see the module docstring)."""
    cfg = trainer.config
    opt = trainer.optimizer
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": {
            "seed": cfg.seed,
            "n": cfg.n,
            "hidden": list(cfg.hidden),
            "lr": cfg.lr,
            "betas": list(cfg.betas),
            "eps": cfg.eps,
            "weight_decay": cfg.weight_decay,
        },
        "step": trainer.step_count,
        "params": [float(p.data) for p in trainer.model.parameters()],
        "optimizer": {"t": opt.t, "m": [float(x) for x in opt.m], "v": [float(x) for x in opt.v]},
        # a metric may be inf (a loss whose probability underflowed): strict JSON says null
        "history": [{k: _json_metric(v) for k, v in record.items()} for record in history],
    }


def _json_metric(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


NOT_REPLACEABLE = "not a regular file, so not replaced by a run"


def replaceable(path: str | os.PathLike[str]) -> bool:
    """Can save_run write a run at path: nothing there yet, or a regular file (a link to
    one is followed)? Not a device or a pipe, which its rename would replace."""
    return not os.path.exists(path) or os.path.isfile(path)


def save_run(path: str | os.PathLike[str], trainer: Trainer, history: list[Record]) -> Path:
    """Write the run to path atomically and durably; returns the path written.

    The JSON goes to a temporary file in the same folder, is fsynced, then renamed over
    path, so path always holds either the old run or the whole new one. A symbolic link
    is followed (the link stays, the file it names gets the run). Raises OSError if the
    file cannot be written, or if path is something other than a file (a device, a
    pipe: the rename would replace it); the old file and the folder are left as they were.
    """
    import json  # here, not at the top: the app's first frame does without json and
    import secrets  # secrets (~7 ms of imports)

    path = Path(path)
    if path.is_symlink():
        with contextlib.suppress(FileNotFoundError):  # a dangling link: made where it points
            os.stat(path)  # a link loop: OSError (ELOOP), as for any file not writable
        path = path.resolve()
    if not replaceable(path):
        raise OSError(errno.EINVAL, NOT_REPLACEABLE)
    text = json.dumps(run_to_json(trainer, history), allow_nan=False, separators=(",", ":"))
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- loading


def load_run(path: str | os.PathLike[str], fast: bool = True) -> tuple[Trainer, list[Record]]:
    """The Trainer and history saved in path, ready to continue exactly where they were.

    Raises RunFileError, with a one-line message naming the file and the problem, if
    the file is missing, unreadable, too large, not JSON, not our format, a newer
    version, or has a wrong type, shape or value anywhere.
    """
    name = _show(path)
    try:
        doc = _read_json(path)
        return run_from_json(doc, fast=fast)
    except RunFileError as e:
        raise RunFileError(f"{name}: {e}") from None


def _show(path: str | os.PathLike[str]) -> str:
    """The path for a one-line message: quoted if it holds anything unprintable."""
    try:
        text = os.fsdecode(path)
    except (TypeError, ValueError):
        return repr(path)
    return text if text.isprintable() and text else repr(text)


def _read_json(path: str | os.PathLike[str]) -> Any:
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise RunFileError("is a folder, not a run file")
        if not stat.S_ISREG(info.st_mode):
            raise RunFileError("is not a regular file")
        if info.st_size > MAX_RUN_BYTES:
            raise RunFileError(f"is too large ({info.st_size} bytes; the limit is {MAX_RUN_BYTES})")
        with open(path, "rb") as f:
            data = f.read(MAX_RUN_BYTES + 1)
    except FileNotFoundError:
        raise RunFileError("no such file") from None
    except OSError as e:
        raise RunFileError(f"cannot read it ({e.strerror or type(e).__name__})") from None
    except ValueError as e:  # e.g. an embedded NUL byte in the path
        raise RunFileError(f"cannot read it ({e})") from None
    if len(data) > MAX_RUN_BYTES:
        raise RunFileError(f"is too large (over {MAX_RUN_BYTES} bytes)")
    if not data.strip():
        raise RunFileError("is empty, not a run file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RunFileError(f"is not UTF-8 text (bad byte at offset {e.start})") from None
    import json  # see save_run

    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise RunFileError(
            f"is not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); "
            "it may be truncated or damaged"
        ) from None
    except RunFileError:
        raise
    except RecursionError:
        raise RunFileError("is not a run file (JSON nested too deeply)") from None
    except (ValueError, MemoryError) as e:  # e.g. an integer with too many digits
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RunFileError(f"is not valid JSON ({message})") from None


def _reject_constant(name: str) -> Any:
    raise RunFileError(f"holds {name}, which a run file never contains")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RunFileError(f"has the key {key!r} twice in one object")
            seen.add(key)
    return obj


def run_from_json(doc: Any, fast: bool = True) -> tuple[Trainer, list[Record]]:
    """The Trainer and history described by a parsed run file; RunFileError if invalid."""
    if not isinstance(doc, dict):
        raise RunFileError(f"is not a micrograd-tui run (the top level is {_kind(doc)})")
    if doc.get("format") != FORMAT:
        raise RunFileError(f'is not a micrograd-tui run (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not _is_int(version):
        raise RunFileError(f'"version" must be an integer, got {_kind(version)}')
    if version > VERSION:
        raise RunFileError(
            f"was saved by a newer micrograd-tui (format version {version}; "
            f"this one reads version {VERSION}); please upgrade"
        )
    if version < VERSION:
        raise RunFileError(f"has an unknown format version {version}")
    _exact_keys(doc, _TOP_KEYS, "the run")

    config = _config(doc["config"])
    step = _counter(doc["step"], '"step"')
    count = sum((nin + 1) * nout for nin, nout in zip(config.sizes, config.sizes[1:]))
    params = _floats(doc["params"], '"params"', count, _param_shape(config))
    opt = doc["optimizer"]
    if not isinstance(opt, dict):
        raise RunFileError(f'"optimizer" must be an object, got {_kind(opt)}')
    _exact_keys(opt, ("t", "m", "v"), '"optimizer"')
    t = _counter(opt["t"], '"optimizer.t"')
    m = _floats(opt["m"], '"optimizer.m"', count, "one per parameter")
    v = _floats(opt["v"], '"optimizer.v"', count, "one per parameter")
    for i, x in enumerate(v):
        if x < 0:
            raise RunFileError(f'"optimizer.v"[{i}] is a second moment and must be >= 0, got {x!r}')
    history = _history(doc["history"], step)

    trainer = Trainer(config, fast=fast)
    for p, x in zip(trainer.model.parameters(), params):
        p.data = x
    trainer.optimizer.t = t
    trainer.optimizer.m = m
    trainer.optimizer.v = v
    trainer.step_count = step
    return trainer, history


def _config(obj: Any) -> Config:
    if not isinstance(obj, dict):
        raise RunFileError(f'"config" must be an object, got {_kind(obj)}')
    _exact_keys(obj, _CONFIG_KEYS, '"config"')
    for key in ("seed", "n"):
        if not _is_int(obj[key]):
            raise RunFileError(f'"config.{key}" must be an integer, got {_kind(obj[key])}')
    seed = obj["seed"]
    if not 0 <= seed <= MASK64 or seed & MASK64 == 0:
        raise RunFileError(f'"config.seed" must be from 1 to 2**64 - 1, got {seed}')
    hidden = obj["hidden"]
    if not isinstance(hidden, list) or not all(_is_int(h) for h in hidden):
        raise RunFileError(f'"config.hidden" must be a list of integers, got {_kind(hidden)}')
    for key in ("lr", "eps", "weight_decay"):
        _number(obj[key], f'"config.{key}"')
    betas = obj["betas"]
    if not isinstance(betas, list) or len(betas) != 2:
        raise RunFileError(f'"config.betas" must be a list of two numbers, got {_kind(betas)}')
    for i, b in enumerate(betas):
        _number(b, f'"config.betas"[{i}]')
    try:
        return Config(
            seed=seed,
            n=obj["n"],
            hidden=tuple(hidden),
            lr=obj["lr"],
            betas=(betas[0], betas[1]),
            eps=obj["eps"],
            weight_decay=obj["weight_decay"],
        )
    except ValueError as e:
        raise RunFileError(f'"config": {e}') from None


def _param_shape(config: Config) -> str:
    return f"for MLP(2, {[*config.hidden, config.sizes[-1]]})"


def _floats(obj: Any, where: str, count: int, why: str) -> list[float]:
    if not isinstance(obj, list):
        raise RunFileError(f"{where} must be a list of numbers, got {_kind(obj)}")
    if len(obj) != count:
        raise RunFileError(f"{where} has {len(obj)} numbers; expected {count} {why}")
    return [_number(x, f"{where}[{i}]") for i, x in enumerate(obj)]


def _number(x: Any, where: str) -> float:
    """x as a finite float, or RunFileError."""
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise RunFileError(f"{where} must be a number, got {_kind(x)}")
    try:
        value = float(x)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise RunFileError(f"{where} must be a finite number, got {_kind(x)}")
    return value


def _counter(x: Any, where: str) -> int:
    if not _is_int(x) or not 0 <= x < MAX_COUNT:
        raise RunFileError(f"{where} must be an integer from 0 to 2**53 - 1, got {_kind(x)}")
    return x


def _history(obj: Any, step: int) -> list[Record]:
    if not isinstance(obj, list):
        raise RunFileError(f'"history" must be a list, got {_kind(obj)}')
    history = []
    for i, record in enumerate(obj):
        where = f'"history"[{i}]'
        if not isinstance(record, dict):
            raise RunFileError(f"{where} must be an object, got {_kind(record)}")
        k = record.get("step")
        if not _is_int(k) or not 1 <= k <= step:
            raise RunFileError(f"{where}.step must be an integer from 1 to {step}, got {_kind(k)}")
        for key, value in record.items():
            if value is not None:
                _number(value, f"{where}[{key!r}]")
        history.append(dict(record))
    return history


def _exact_keys(obj: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in obj]
    if missing:
        raise RunFileError(f"{where} has no {', '.join(repr(k) for k in missing)}")
    extra = sorted(k for k in obj if k not in keys)
    if extra:
        shown = ", ".join(repr(k)[:40] for k in extra[:3])
        raise RunFileError(f"{where} has an unexpected key {shown}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _kind(x: Any) -> str:
    """A short description of a JSON value for an error message."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        text = repr(x)
        return text if len(text) <= 24 else f"a {len(text)}-digit number"
    if isinstance(x, str):
        return f"the string {x[:20]!r}" + ("..." if len(x) > 20 else "")
    if isinstance(x, list):
        return f"a list of {len(x)}"
    if isinstance(x, dict):
        return "an object"
    return type(x).__name__


__all__ = [
    "FORMAT",
    "MAX_RUN_BYTES",
    "NOT_REPLACEABLE",
    "VERSION",
    "Record",
    "RunFileError",
    "load_run",
    "replaceable",
    "run_from_json",
    "run_to_json",
    "save_run",
]
