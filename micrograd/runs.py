"""Saved runs: a run's config, step, weights, optimizer state and metric history as versioned JSON.

A run file is plain JSON (never pickle, nothing that can execute code)::

    {"format": "micrograd-tui-run", "version": 3,
     "config": {"seed": 42, "n": 100, "hidden": [8], "lr": 0.1, "betas": [0.9, 0.95],
                "eps": 1e-08, "weight_decay": 0.0001, "dataset": "taichi", "noise": 0.0,
                "features": ["x", "y"], "activation": "tanh", "optimizer": "adamw",
                "batch_size": null, "split": 0.8},
     "step": 100,
     "params": [...],                      # model.parameters() order, one float each
     "optimizer": {"t": 100, "m": [...], "v": [...]},   # momentum's velocity is m
     "data": null,                         # or the edited training split, [[x, y, class], ...]
     "batch": {"rng": ..., "order": [...], "pos": 0, "epoch": 100},
     "settings": [[0, 0.1, 0.0001, null], [40, 0.2, 0.0001, null]],  # [step, lr, wd, batch]
     "history": [{"step": 1, "train_loss": ..., "train_acc": ...}, ...]}

Floats are written with repr, so they read back bit for bit and a loaded run continues
with exactly the numbers the uninterrupted run would have produced. The dataset and the
model's shape are rebuilt from the config (the training split from "data" if it was
edited); the weights, the optimizer's state and the minibatch RNG's come from the file.
"settings" are the live settings (learning rate, weight decay, batch size) from step 0
and each change with the step after which it applied, so the run can be trained again
from its seed exactly (a rewind to a step before the loaded one). Version 2 files (no
"settings": not known) and version 1 files (taichi, x and y, tanh, AdamW, full batches:
no "data" or "batch") load as they were. A history holds at most MAX_HISTORY records:
saving thins the older ones (History).
save_run() writes atomically: a crash mid-save leaves the old file as it was, and the
next save into that folder removes the temporary file it left. save_new_run() never
replaces another file. load_run() checks everything and reports any problem as one
RunFileError line.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from micrograd.config import MAX_N, MAX_WIDTH, Config, ConfigError, split_ranges
from micrograd.training import Trainer

FORMAT = "micrograd-tui-run"
VERSION = 3
V1_CONFIG = {
    "dataset": "taichi",
    "noise": 0.0,
    "features": ["x", "y"],
    "activation": "tanh",
    "optimizer": "adamw",
    "batch_size": None,
    "split": 0.8,
}
"""What a version 1 file's run had, before these were settings."""
MAX_RUN_BYTES = 100 * 1024 * 1024
"""The largest run file we read, and so write: a model of about 1.5M parameters (each
weight and its two moments take ~66 bytes; 1024,1024 is 1.06M) and the longest history
(MAX_HISTORY records, under 3 MB)."""

MAX_COUNT = 2**53
"""Step and t counters stay below this: beyond it they would not even fit a float."""

LAST_STEP = MAX_COUNT - 1
"""The last step a run can count (and save): training refuses to step past it."""

MAX_HISTORY = 20_000
"""The most history records a run file holds. Saving thins older records (see History)
to stay within it: the first and the newest half are kept whole."""

MAX_OBJECTS = 2 * MAX_HISTORY
"""The most JSON objects a file may hold while it is parsed: a run has one per record,
and three more (the run, its config and optimizer)."""

Record = dict[str, Any]
"""One history entry, like a headless JSON line: {"step": k, "train_loss": ..., ...}."""

T = TypeVar("T")

_REQUIRED_METRICS = ("train_loss", "train_acc")
_METRIC_PAIRS = (("val_loss", "val_acc"), ("val_acc", "val_loss"))
_CONFIG_KEYS_V1 = ("seed", "n", "hidden", "lr", "betas", "eps", "weight_decay")
_CONFIG_KEYS = (*_CONFIG_KEYS_V1, *V1_CONFIG)
_TOP_KEYS_V1 = ("format", "version", "config", "step", "params", "optimizer", "history")
_TOP_KEYS_V2 = (*_TOP_KEYS_V1, "data", "batch")
_TOP_KEYS = (*_TOP_KEYS_V2, "settings")


def _dict_step(record: Record) -> int:
    return record["step"]


def _measured_over_unmeasured(new: Record, kept: Record) -> bool:
    """Of two dict records in one stride, the second, only if it alone has validation."""
    return "val_loss" in new and "val_loss" not in kept


class History(Generic[T]):
    """A run's records in order of step, at most limit of them: the first, the newest
    limit // 2 whole, and the ones between thinned to one per stride of steps (of two
    in one stride, the one `prefer(new, kept)` chooses; for the dict records of a run
    file, one with validation metrics before one without). When the thinned part
    outgrows its share, the stride doubles. So a run of any length takes the memory and
    file size of one of limit steps, and its whole curve stays drawn, old steps more
    coarsely. It reads as a list of the records kept (index, iterate, compare); step(r)
    gives a record's step.
    """

    def __init__(
        self,
        records: Iterable[T] = (),
        limit: int = MAX_HISTORY,
        *,
        step: Callable[[T], int] = _dict_step,  # type: ignore[assignment]
        prefer: Callable[[T, T], bool] = _measured_over_unmeasured,  # type: ignore[assignment]
    ) -> None:
        if limit < 3:
            raise ValueError(f"History: limit must be at least 3, got {limit}")
        self.limit = limit
        self._step = step
        self._prefer = prefer
        self._recent_max = limit // 2
        self._older_max = limit - 1 - self._recent_max
        self._clear()
        for record in records:
            self.append(record)

    def _clear(self) -> None:
        self._first: T | None = None
        self._older: list[T] = []
        self._recent: deque[T] = deque()
        self.stride = 1
        """Steps per record kept between the first and the newest ones."""

    @property
    def records(self) -> list[T]:
        """The records kept, in order of step."""
        first = [] if self._first is None else [self._first]
        return [*first, *self._older, *self._recent]

    def __len__(self) -> int:
        return (self._first is not None) + len(self._older) + len(self._recent)

    def __iter__(self) -> Iterator[T]:
        return iter(self.records)

    def __getitem__(self, index: int) -> T:
        if index == -1 and self._recent:  # the newest: no copy
            return self._recent[-1]
        return self.records[index]

    def __eq__(self, other: object) -> bool:
        """The same records as other, a History or a list."""
        if isinstance(other, History | list):
            return self.records == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setitem__(self, index: int, record: T) -> None:
        """Replace the newest record (index -1) by another of its step."""
        if index != -1 or not len(self):
            raise IndexError("History: only the newest record can be replaced")
        if self._recent:
            self._recent[-1] = record
        else:
            self._first = record

    def insert(self, index: int, record: T) -> None:
        """Put record first (index 0): a step before every one kept."""
        if index != 0:
            raise IndexError("History: records can be inserted first only")
        records = [record, *self.records]
        self._clear()
        self.extend(records)

    def extend(self, records: Iterable[T]) -> None:
        for record in records:
            self.append(record)

    def append(self, record: T) -> None:
        """Keep record, the newest: steps must rise."""
        if self._first is None:
            self._first = record
            return
        self._recent.append(record)
        if len(self._recent) > self._recent_max:
            self._add_older(self._older, self._recent.popleft())
            while len(self._older) > self._older_max:
                self.stride *= 2
                merged: list[T] = []
                for older in self._older:
                    self._add_older(merged, older)
                self._older = merged

    def _add_older(self, kept: list[T], record: T) -> None:
        """Append record to kept, one record per stride of steps: of two in one stride,
        the one prefer chooses."""
        assert self._first is not None
        base, stride, step = self._step(self._first), self.stride, self._step
        if kept and (step(kept[-1]) - base) // stride == (step(record) - base) // stride:
            if self._prefer(record, kept[-1]):
                kept[-1] = record
        else:
            kept.append(record)


class RunFileError(ValueError):
    """A run file that cannot be read or is not a valid run; the message is one line."""


# ----------------------------------------------------------------------------- saving


def settings_of(trainer: Trainer) -> list[tuple[int, float, float, int | None]]:
    """The trainer's live settings' changes (Trainer.settings) ending with its config's
    own: settings set without retune (the config replaced) count from its step."""
    cfg, step = trainer.config, trainer.step_count
    settings = list(trainer.settings)
    live = (cfg.lr, cfg.weight_decay, cfg.batch_size)
    if settings and settings[-1][1:] != live:
        settings = [s for s in settings if s[0] < step] + [(step, *live)]
    return settings


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
            "dataset": cfg.dataset,
            "noise": cfg.noise,
            "features": list(cfg.features),
            "activation": cfg.activation,
            "optimizer": cfg.optimizer,
            "batch_size": cfg.batch_size,
            "split": cfg.split,
        },
        "step": trainer.step_count,
        "params": [float(p.data) for p in trainer.model.parameters()],
        "optimizer": {"t": opt.t, "m": [float(x) for x in opt.m], "v": [float(x) for x in opt.v]},
        "data": (
            [[float(x), float(y), c] for (x, y), c in trainer.train_split]
            if trainer.edited
            else None
        ),
        "batch": {
            "rng": trainer.batch_rng.state,
            "order": list(trainer.batch_order),
            "pos": trainer.batch_pos,
            "epoch": trainer.epoch_count,
        },
        "settings": [list(s) for s in settings_of(trainer)],
        # a metric may be inf (a loss whose probability underflowed): see json_number
        "history": [{k: json_number(v) for k, v in record.items()} for record in history],
    }


INFINITIES = {math.inf: "inf", -math.inf: "-inf"}
"""How a run file and a headless line spell an infinite metric: strict JSON has no inf."""


def json_number(x: Any) -> Any:
    """x as strict JSON holds it: an infinity as "inf" or "-inf" (it loads back as
    such), NaN as null (it loads back as NaN, as does the null older files wrote for
    an infinity)."""
    if isinstance(x, float) and not math.isfinite(x):
        return INFINITIES.get(x)
    return x


NOT_REPLACEABLE = "not a regular file, so not replaced by a run"


def replaceable(path: str | os.PathLike[str]) -> bool:
    """Can save_run write a run at path: nothing there yet, or a regular file (a link to
    one is followed)? Not a device or a pipe, which its rename would replace."""
    return not os.path.exists(path) or os.path.isfile(path)


def save_run(path: str | os.PathLike[str], trainer: Trainer, history: Iterable[Record]) -> Path:
    """Write the run to path atomically and durably; returns the path written.

    The JSON goes to a temporary file in the same folder, is fsynced, then renamed over
    path, so path always holds either the old run or the whole new one. A symbolic link
    is followed (the link stays, the file it names gets the run). The history is thinned
    to MAX_HISTORY records (see History). Raises OSError if the file cannot be written,
    if path is something other than a file (a device, a pipe: the rename would replace
    it), or if the run would be larger than load_run reads; the old file and the folder
    are left as they were.
    """
    path = Path(path)
    if path.is_symlink():
        with contextlib.suppress(FileNotFoundError):  # a dangling link: made where it points
            os.stat(path)  # a link loop: OSError (ELOOP), as for any file not writable
        path = path.resolve()
    if not replaceable(path):
        raise OSError(errno.EINVAL, NOT_REPLACEABLE)
    _write_atomically(path, run_text(trainer, history), replace=True)
    return path


def save_new_run(
    folder: str | os.PathLike[str], stem: str, trainer: Trainer, history: Iterable[Record]
) -> Path:
    """Save the run as folder/stem.json, or stem-2.json, stem-3.json, ... if that name
    holds anything else: a save never replaces another file (the same run at the same
    step is the same bytes, and is left as it is). Returns the path; OSError as save_run.
    """
    folder = Path(folder)
    text = run_text(trainer, history)
    data = text.encode("utf-8")
    for i in range(1, 1000):
        path = folder / (f"{stem}.json" if i == 1 else f"{stem}-{i}.json")
        if _holds(path, data):
            return path
        if not os.path.lexists(path) and _write_atomically(path, text, replace=False):
            return path
        if _holds(path, data):  # written meanwhile by another save of this very run
            return path
    raise OSError(errno.EEXIST, f"{stem}.json to {stem}-999.json are all taken")


def run_text(trainer: Trainer, history: Iterable[Record]) -> str:
    """The run file's text; OSError (EFBIG) if load_run would refuse it as too large."""
    import json  # here, not at the top: the app's first frame does without json

    doc = run_to_json(trainer, History(history).records)
    text = json.dumps(doc, allow_nan=False, separators=(",", ":")) + "\n"
    if len(text) > MAX_RUN_BYTES:  # ASCII only: characters are bytes
        raise OSError(
            errno.EFBIG,
            f"the run would take {len(text)} bytes, over the {MAX_RUN_BYTES} a run file "
            f"may hold (a model of {len(doc['params'])} parameters is too large to save)",
        )
    return text


def _holds(path: Path, data: bytes) -> bool:
    """Is path a regular file (not a link) holding exactly data?"""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read(len(data) + 1) == data
    except OSError:
        return False


TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"\..+?\.(?:(\d+)\.)?[0-9a-f]{12}\.tmp")
"""Our temporary files: ".NAME.PID.RANDOM.tmp", and ".NAME.RANDOM.tmp" (no writer's id:
removed by age alone), as earlier versions of this program named them."""

STALE_AFTER = 3600.0
"""Seconds after which a temporary file of ours is left over even if its writer's process
id is alive (ids are reused): no save takes that long, and each write renews the time."""


def _write_atomically(path: Path, text: str, *, replace: bool) -> bool:
    """Write text to a temporary file beside path, fsync it, then move it to path: over
    what is there if replace, else only if path is still free (False if it was taken).
    Leftover temporary files of ours in that folder (a writer killed mid-save) go first."""
    import secrets  # see run_text

    folder = path.parent
    remove_stale_temp_files(folder)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        elif not _move_if_free(tmp, path):
            return False
    finally:
        with contextlib.suppress(OSError):  # gone already once moved
            os.unlink(tmp)
    _fsync_folder(folder)
    return True


def _move_if_free(tmp: Path, path: Path) -> bool:
    """Give tmp's file the name path unless path exists: a hard link claims the name
    atomically; where links are not supported, an empty file claims it, then is replaced."""
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        return False
    os.replace(tmp, path)
    return True


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[str]:
    """Remove our temporary files left in folder by a save that was killed: those whose
    writer process is gone, and any older than STALE_AFTER. Returns the names removed;
    anything that cannot be looked at or removed is left alone."""
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            pid = match.group(1)
            old = now - info.st_mtime > STALE_AFTER
            if old or (pid is not None and not _process_alive(int(pid))):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def _process_alive(pid: int) -> bool:
    """Is a process with this id running here? (True where we cannot tell.)"""
    if pid == os.getpid():
        return True
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or an id no process can have
    return True


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
    except RunFileError:
        raise  # already one clause of its own
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
        del data  # from here the file is held once, as text
    except UnicodeDecodeError as e:
        raise RunFileError(f"is not UTF-8 text (bad byte at offset {e.start})") from None
    import json  # see run_text

    objects = 0

    def make_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # bound what parsing holds: millions of tiny objects take gigabytes in memory
        nonlocal objects
        objects += 1
        if objects > MAX_OBJECTS:
            raise RunFileError(
                f"is not a run file (over {MAX_OBJECTS} JSON objects; "
                f"a run's history holds at most {MAX_HISTORY} records)"
            )
        return _no_duplicates(pairs)

    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=make_object)
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
    if version < 1:
        raise RunFileError(f"has an unknown format version {version}")
    keys = {1: _TOP_KEYS_V1, 2: _TOP_KEYS_V2}.get(version, _TOP_KEYS)
    _exact_keys(doc, keys, "the run")

    config = _config(doc["config"], version)
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
    data = _data(doc["data"], config) if version >= 2 else None
    batch = _batch(doc["batch"], config, step, data) if version >= 2 else None
    settings = _settings(doc["settings"], config, step) if version >= 3 else []

    trainer = Trainer(config, fast=fast)
    for p, x in zip(trainer.model.parameters(), params):
        p.data = x
    trainer.optimizer.t = t
    trainer.optimizer.m = m
    trainer.optimizer.v = v
    trainer.step_count = step
    if data is not None:
        trainer.train_split = data
        trainer.edited = True
    trainer.settings = settings
    if batch is None:  # a version 1 run: full batches, a step an epoch
        trainer.epoch_count = step
    else:
        trainer.batch_rng.state, trainer.batch_order, trainer.batch_pos, trainer.epoch_count = batch
    return trainer, history


def _data(obj: Any, config: Config) -> list[tuple[list[float], int]] | None:
    """The edited training split: [x, y, class] each, in the plot's square."""
    if obj is None:
        return None
    if not isinstance(obj, list) or len(obj) > MAX_N:
        raise RunFileError(
            f'"data" must be null or a list of at most {MAX_N} points, got {_kind(obj)}'
        )
    points = []
    for i, p in enumerate(obj):
        where = f'"data"[{i}]'
        if not isinstance(p, list) or len(p) != 3:
            raise RunFileError(f"{where} must be a list [x, y, class], got {_kind(p)}")
        x, y = (_number(c, where) for c in p[:2])
        if not (abs(x) <= 2 and abs(y) <= 2):
            raise RunFileError(f"{where} must lie in [-2, 2]², got ({x!r}, {y!r})")
        if not _is_int(p[2]) or not 0 <= p[2] < config.classes:
            raise RunFileError(
                f"{where} has class {_kind(p[2])}; {config.dataset} has classes 0 to "
                f"{config.classes - 1}"
            )
        points.append(([x, y], p[2]))
    return points


def _batch(
    obj: Any, config: Config, step: int, data: list[Any] | None
) -> tuple[int, list[int], int, int]:
    """The minibatch state: the RNG's, this epoch's order of training indices, the
    position in it and the epochs completed."""
    if not isinstance(obj, dict):
        raise RunFileError(f'"batch" must be an object, got {_kind(obj)}')
    _exact_keys(obj, ("rng", "order", "pos", "epoch"), '"batch"')
    state = obj["rng"]
    if not _is_int(state) or not 0 < state < 2**64:
        raise RunFileError(
            f'"batch.rng" must be an integer from 1 to 2**64 - 1, got {_kind(state)}'
        )
    epoch = _counter(obj["epoch"], '"batch.epoch"')
    size = len(data) if data is not None else len(split_ranges(config.n, config.split)[0])
    order = obj["order"]
    if (
        not isinstance(order, list)
        or sorted(order) != list(range(len(order)))
        or (order and len(order) != size)
    ):
        raise RunFileError(
            f'"batch.order" must be empty or an order of the {size} training points, got '
            f"{_kind(order)}"
        )
    pos = obj["pos"]
    if not _is_int(pos) or not 0 <= pos <= len(order):
        raise RunFileError(
            f'"batch.pos" must be an integer from 0 to {len(order)}, got {_kind(pos)}'
        )
    return state, order, pos, epoch


def _settings(obj: Any, config: Config, step: int) -> list[tuple[int, float, float, int | None]]:
    """The live settings' changes, checked: [step, lr, weight decay, batch size] each, the
    first at step 0, steps rising up to the run's, the last the config's own; none if not
    known (a run loaded from a version 2 file, saved again)."""
    where = '"settings"'
    if not isinstance(obj, list) or len(obj) > MAX_HISTORY:
        raise RunFileError(
            f"{where} must be a list of at most {MAX_HISTORY} [step, lr, weight_decay, "
            f"batch_size], got {_kind(obj)}"
        )
    settings = []
    before = -1
    for i, entry in enumerate(obj):
        if not isinstance(entry, list) or len(entry) != 4:
            raise RunFileError(
                f"{where}[{i}] must be [step, lr, weight_decay, batch_size], got {_kind(entry)}"
            )
        k = _counter(entry[0], f"{where}[{i}][0]")
        if k <= before or k > step or (i == 0 and k != 0):
            raise RunFileError(
                f"{where}[{i}] is at step {k}: the first must be at step 0, then rising "
                f"steps up to the run's {step}"
            )
        before = k
        try:
            live = replace(config, lr=entry[1], weight_decay=entry[2], batch_size=entry[3])
        except ConfigError as e:
            raise RunFileError(f"{where}[{i}]: {e}") from None
        settings.append((k, live.lr, live.weight_decay, live.batch_size))
    if settings and settings[-1][1:] != (config.lr, config.weight_decay, config.batch_size):
        raise RunFileError(f"{where} must end with the config's lr, weight_decay and batch_size")
    return settings


def _config(obj: Any, version: int = VERSION) -> Config:
    if not isinstance(obj, dict):
        raise RunFileError(f'"config" must be an object, got {_kind(obj)}')
    _exact_keys(obj, _CONFIG_KEYS if version >= 2 else _CONFIG_KEYS_V1, '"config"')
    if version < 2:
        if obj["hidden"] == []:  # version 1 models have a hidden layer
            raise RunFileError(f'"config.hidden" must be layer sizes from 1 to {MAX_WIDTH}, got []')
        obj = {**obj, **V1_CONFIG}
    for key in ("seed", "n"):
        if not _is_int(obj[key]):
            raise RunFileError(f'"config.{key}" must be an integer, got {_kind(obj[key])}')
    seed = obj["seed"]
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
    for key in ("noise", "split"):
        _number(obj[key], f'"config.{key}"')
    features = obj["features"]
    if not isinstance(features, list):
        raise RunFileError(f'"config.features" must be a list of names, got {_kind(features)}')
    batch_size = obj["batch_size"]
    if batch_size is not None and not _is_int(batch_size):
        raise RunFileError(
            f'"config.batch_size" must be null or an integer, got {_kind(batch_size)}'
        )
    try:
        config = Config(
            seed=seed,
            n=obj["n"],
            hidden=tuple(hidden),
            lr=obj["lr"],
            betas=(betas[0], betas[1]),
            eps=obj["eps"],
            weight_decay=obj["weight_decay"],
            dataset=obj["dataset"],
            noise=obj["noise"],
            features=tuple(features),
            activation=obj["activation"],
            optimizer=obj["optimizer"],
            batch_size=batch_size,
            split=obj["split"],
        )
    except ConfigError as e:
        fields = e.names(lambda field: '"config.' + field + '"')
        raise RunFileError(f"{fields} {e.message}") from None
    return config


def _param_shape(config: Config) -> str:
    return f"for MLP({config.sizes[0]}, {config.sizes[1:]})"


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
    """The records, checked: each has its step and training metrics, validation metrics
    come in pairs, steps rise strictly and end at the run's step, and there are at most
    MAX_HISTORY of them (what save_run keeps)."""
    if not isinstance(obj, list):
        raise RunFileError(f'"history" must be a list, got {_kind(obj)}')
    if len(obj) > MAX_HISTORY:
        raise RunFileError(
            f'"history" has {len(obj)} records; a run file holds at most {MAX_HISTORY}'
        )
    history = []
    before = 0
    for i, record in enumerate(obj):
        where = f'"history"[{i}]'
        if not isinstance(record, dict):
            raise RunFileError(f"{where} must be an object, got {_kind(record)}")
        k = record.get("step")
        if not _is_int(k) or not 1 <= k <= step:
            raise RunFileError(f"{where}.step must be an integer from 1 to {step}, got {_kind(k)}")
        for key, value in record.items():
            if value is not None and (key == "step" or value not in INFINITIES.values()):
                _number(value, f"{where}[{key!r}]")
        for key in _REQUIRED_METRICS:
            if key not in record:
                raise RunFileError(f"{where} (step {k}) has no {key!r}")
        for key, partner in _METRIC_PAIRS:
            if record.get(key) is not None and partner not in record:
                raise RunFileError(f"{where} (step {k}) has {key!r} but no {partner!r}")
        if k <= before:
            raise RunFileError(
                f"{where} is step {k} after step {before}: the records must be in order "
                "of step, each step once"
            )
        before = k
        history.append(dict(record))
    if history and before != step:
        raise RunFileError(f'"history" ends at step {before}, but the run is at step {step}')
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
    "LAST_STEP",
    "MAX_HISTORY",
    "MAX_RUN_BYTES",
    "History",
    "NOT_REPLACEABLE",
    "VERSION",
    "Record",
    "RunFileError",
    "load_run",
    "replaceable",
    "json_number",
    "run_from_json",
    "remove_stale_temp_files",
    "run_text",
    "run_to_json",
    "save_new_run",
    "save_run",
]
