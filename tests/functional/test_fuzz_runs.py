"""Deterministic fuzzing: mutated run files and random command lines end cleanly, no traceback."""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from micrograd import Config, Diverged, RunFileError, Trainer, load_run, save_run
from tui.__main__ import main

SEED = 20261129
FILE_CASES = 360
ARGV_CASES = 160
SUBPROCESS_CASES = 24


# ------------------------------------------------------------ mutated files


def base_runs(folder: Path) -> list[bytes]:
    """Valid run files to mutate: small models so that every successful load is cheap."""
    blobs = []
    for config, steps in ((Config(n=30, hidden=(3,)), 2), (Config(seed=5, n=12, hidden=(2, 2)), 0)):
        trainer = Trainer(config)
        history = []
        for _ in range(steps):
            r = trainer.step()
            history.append({"step": r.step, "train_loss": r.train_loss, "train_acc": r.train_acc})
        save_run(folder / "base.json", trainer, history)
        blobs.append((folder / "base.json").read_bytes())
    return blobs


def paths(doc: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (a tuple of keys and indices) into a JSON document, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


def get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: leaves of every type, some of them nasty, nested a little."""
    choice = rng.randrange(12 if depth < 3 else 8)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 2**31, -(2**63), 2**64, 10**30])
    if choice == 3:
        return rng.choice([0.0, -0.0, 1e-308, 5e-324, 1.7e308, -1.7e308, 0.5, 3.0])
    if choice == 4:
        return rng.choice(["", "0.1", "NaN", "micrograd-tui-run", "\x00", "é" * 50])
    if choice == 5:
        return "__NAN__"  # replaced by a bare NaN / Infinity literal
    if choice == 6:
        return "__HUGE__"  # replaced by a number too large for a float
    if choice == 7:
        return []
    if choice in (8, 9):
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["step", "t", "m", "x", "hidden"]): junk(rng, depth + 1) for _ in range(3)}


def mutate_doc(rng: random.Random, doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        every = list(paths(doc))
        path = rng.choice(every)
        kind = rng.randrange(6)
        if not path:
            if kind == 0:
                return junk(rng)
            continue
        parent, key = get(doc, path[:-1]), path[-1]
        if kind in (0, 1):  # swap a value for another type (or a nasty one)
            parent[key] = junk(rng)
        elif kind == 2:  # delete a key or an element
            del parent[key]
        elif kind == 3:  # an extra key or element
            if isinstance(parent, dict):
                parent[rng.choice(["extra", "step", "v", "\n"])] = junk(rng)
            else:
                parent.insert(key, junk(rng))
        elif kind == 4:  # a number nudged, scaled or negated
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = rng.choice([value + 1, value - 1, -value, value * 1e300, 0])
            else:
                parent[key] = "__NAN__"
        else:  # deep nesting (written out by dump())
            parent[key] = "__DEEP__"
    return doc


def dump(rng: random.Random, doc: Any) -> bytes:
    text = json.dumps(doc, separators=(",", ":"))
    text = text.replace('"__NAN__"', rng.choice(["NaN", "Infinity", "-Infinity"]))
    text = text.replace('"__HUGE__"', rng.choice(["1e999", "-1e400", "9" * 400, "9" * 5000]))
    depth = rng.choice([5, 50, 100_000])
    text = text.replace('"__DEEP__"', "[" * depth + "0" + "]" * depth)
    return text.encode()


def mutate_bytes(rng: random.Random, blob: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # truncated at a random offset
        return blob[: rng.randrange(len(blob))]
    if kind == 1:  # a few random bytes flipped
        data = bytearray(blob)
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 2:  # a digit changed: often still a valid run with other weights
        data = bytearray(blob)
        digits = [i for i, b in enumerate(data) if chr(b).isdigit()]
        data[rng.choice(digits)] = ord(rng.choice("0123456789"))
        return bytes(data)
    if kind == 3:  # a chunk deleted or duplicated
        i, j = sorted(rng.sample(range(len(blob)), 2))
        return blob[:i] + blob[j:] if rng.random() < 0.5 else blob[:j] + blob[i:]
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))  # pure noise


def fuzz_files(folder: Path) -> Iterator[tuple[int, bytes]]:
    rng = random.Random(SEED)
    bases = base_runs(folder)
    docs = [json.loads(b) for b in bases]
    for case in range(FILE_CASES):
        which = rng.randrange(len(bases))
        if case % 2 == 0:
            yield case, dump(rng, mutate_doc(rng, docs[which]))
        else:
            yield case, mutate_bytes(rng, bases[which])


def test_mutated_run_files_load_or_fail_with_one_clean_line(tmp_path):
    loaded = rejected = 0
    reasons = set()
    path = tmp_path / "fuzz.json"
    for case, blob in fuzz_files(tmp_path):
        path.write_bytes(blob)
        try:
            trainer, history = load_run(path)
        except RunFileError as e:
            message = str(e)
            assert message.startswith(f"{path}: "), (case, message)
            assert "\n" not in message and "Traceback" not in message, (case, message)
            reasons.add(message.split(": ", 1)[1].split(" ")[0])
            rejected += 1
            continue
        except Exception as e:  # pragma: no cover - the failure being guarded against
            pytest.fail(f"case {case}: {type(e).__name__}: {e} for {blob[:200]!r}")
        loaded += 1
        assert isinstance(history, list)
        try:  # a loaded run must be usable: a step either works or diverges cleanly
            result = trainer.step()
            assert result is not None and result.step == trainer.step_count
        except Diverged:
            pass
    assert loaded + rejected == FILE_CASES
    assert rejected > FILE_CASES // 2 and loaded > 5, (loaded, rejected)
    assert len(reasons) > 5, reasons  # the fuzz reaches many different checks


def test_random_json_documents_are_rejected_cleanly(tmp_path):
    rng = random.Random(SEED + 1)
    path = tmp_path / "random.json"
    for _ in range(120):
        doc = junk(rng)
        if rng.random() < 0.5:
            doc = {
                "format": "micrograd-tui-run",
                "version": rng.choice([1, 1, 2]),
                **{k: junk(rng) for k in ["config", "step", "params", "optimizer", "history"]},
            }
        path.write_bytes(dump(rng, doc))
        with pytest.raises(RunFileError) as info:
            load_run(path)
        assert "\n" not in str(info.value)


# ------------------------------------------------------------ random command lines


FLAGS = [
    "--headless", "--steps", "--seed", "--n", "--hidden", "--lr", "--weight-decay",
    "--eval-every", "--load", "--save", "--log", "--save-dir", "--bogus", "-x", "--",
    "--help", "--step", "--headless=1",
]  # fmt: skip
VALUES = [
    "0", "1", "2", "3", "-1", "7", "30", "60", "10000000", "20001", "nan", "inf", "-inf",
    "1e6", "1e-3", "0.1", "-0.5", "8", "8,,8", "16,16", "2,3", "0,4", "", " ", "abc",
    "9" * 30, "1_0", "0x10", "good.json", "bad.json", "missing.json", "adir", "out.json",
    "log.jsonl", "nodir/x.json", "\x00", "é",
]  # fmt: skip


def random_argv(rng: random.Random) -> list[str]:
    """A random command line; always headless (the app must not start in a test)."""
    argv = ["--headless"]
    for _ in range(rng.randrange(7)):
        flag = rng.choice(FLAGS)
        argv.append(flag)
        if rng.random() < 0.8:
            argv.append(rng.choice(VALUES))
    # keep successful runs short: a small dataset and few steps unless a flag says otherwise
    return [*argv, *rng.choice([["--steps", "1"], ["--steps", "2"], ["--n", "30", "--steps", "1"]])]


@pytest.fixture
def fuzz_dir(tmp_path, monkeypatch):
    """A working folder with a good run, a bad run file and a subfolder; signals restored."""
    trainer = Trainer(Config(n=30, hidden=(3,)))
    trainer.step()
    save_run(tmp_path / "good.json", trainer, [])
    (tmp_path / "bad.json").write_text('{"format": "micrograd-tui-run", "version": 1')
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    yield tmp_path
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_random_argument_lists_in_process(fuzz_dir, capsys):
    rng = random.Random(SEED + 2)
    statuses = []
    for case in range(ARGV_CASES):
        argv = random_argv(rng)
        try:
            status = main(argv)
        except SystemExit as e:
            status = e.code
        except Exception as e:  # pragma: no cover - the failure being guarded against
            pytest.fail(f"case {case} {argv!r}: {type(e).__name__}: {e}")
        out, err = capsys.readouterr()
        assert status in (0, 2, 3), (case, argv, status, err)
        assert "Traceback" not in err, (case, argv, err)
        if status == 2:
            assert len(err.strip().splitlines()) == 1, (case, argv, err)
        if status == 0 and "--help" not in argv:
            for line in out.splitlines():
                assert json.loads(line)["step"] >= 1
        statuses.append(status)
    assert statuses.count(2) > ARGV_CASES // 3 and statuses.count(0) > 10, statuses


def test_random_argument_lists_in_subprocesses(fuzz_dir):
    rng = random.Random(SEED + 3)
    cases = [random_argv(rng) for _ in range(SUBPROCESS_CASES)]
    cases[:3] = [["--headless", "--load", "bad.json"], ["--bogus"], ["--headless", "--n", "0"]]
    env = {**os.environ, "PYTHONFAULTHANDLER": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tui", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for argv in cases
    ]
    for argv, proc in zip(cases, procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 2, 3), (argv, proc.returncode, err)
        assert "Traceback" not in err, (argv, err)
        if proc.returncode == 2:
            assert len(err.strip().splitlines()) == 1, (argv, err)
