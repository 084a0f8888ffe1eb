"""The headless CLI, run as a real process: JSON lines, flushing, exit codes, messages."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from micrograd import Config, Trainer

STEP1_TRAIN_LOSS = 1.0122152826497561
STEP100_TRAIN_LOSS = 0.03906091113485444

MODULE = [sys.executable, "-m", "tui"]


def console_script() -> str | None:
    """The installed `micrograd-tui`, next to this interpreter or on PATH."""
    beside = Path(sys.executable).parent / "micrograd-tui"
    if beside.exists():
        return str(beside)
    return shutil.which("micrograd-tui")


ENTRIES = [pytest.param(MODULE, id="python-m-tui")]
if console_script():
    ENTRIES.append(pytest.param([console_script()], id="console-script"))


def run(*args: str, entry: list[str] = MODULE, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*entry, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def records(stdout: str) -> list[dict]:
    """The step records printed (not the test split's last line, see test_entry)."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [line for line in lines if "test_loss" not in line]


# ------------------------------------------------------------------ output


@pytest.mark.parametrize("entry", ENTRIES)
def test_headless_prints_the_reference_numbers(entry):
    proc = run("--headless", entry=entry)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    recs = records(proc.stdout)
    assert [r["step"] for r in recs] == list(range(1, 101))  # --steps defaults to 100
    assert recs[0]["train_loss"] == pytest.approx(STEP1_TRAIN_LOSS, rel=1e-14)
    assert recs[-1]["train_loss"] == pytest.approx(STEP100_TRAIN_LOSS, rel=1e-14)


def test_json_lines_carry_validation_every_kth_step_and_at_the_last():
    proc = run("--headless", "--steps", "25", "--eval-every", "10", "--n", "60", "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    recs = records(proc.stdout)
    assert [r["step"] for r in recs] == list(range(1, 26))
    with_val = {"step", "train_loss", "train_acc", "val_loss", "val_acc"}
    for r in recs:
        want = with_val if r["step"] in (10, 20, 25) else {"step", "train_loss", "train_acc"}
        assert set(r) == want, r
        assert 0 <= r["train_acc"] <= 1
    # the numbers are the trainer's: the update's own forward pass, then the model after it
    trainer = Trainer(Config(seed=7, n=60))
    for r in recs:
        result = trainer.step()
        assert r["train_loss"] == result.train_loss
        assert r["train_acc"] == result.train_acc
        if "val_loss" in r:
            assert (r["val_loss"], r["val_acc"]) == trainer.evaluate(trainer.val_split)


def test_default_eval_every_is_ten():
    recs = records(run("--headless", "--steps", "21", "--n", "30").stdout)
    assert [r["step"] for r in recs if "val_loss" in r] == [10, 20, 21]


def test_hidden_takes_a_comma_list():
    proc = run("--headless", "--steps", "2", "--hidden", "4,5", "--n", "30")
    assert proc.returncode == 0, proc.stderr
    assert len(records(proc.stdout)) == 2
    other = records(run("--headless", "--steps", "2", "--hidden", "8", "--n", "30").stdout)
    assert records(proc.stdout)[1]["train_loss"] != other[1]["train_loss"]


def test_zero_steps_prints_nothing():
    proc = run("--headless", "--steps", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


def test_each_line_is_flushed_as_soon_as_its_update_is_done():
    proc = subprocess.Popen(
        # n = 20000: a step takes about a second, so a block-buffered stdout (4-8 KiB,
        # some 70 lines) would hold the first line back for over a minute
        [*MODULE, "--headless", "--steps", "1000000", "--n", "20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        # the program must flush by itself, not because the environment unbuffers it
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=45)
        assert proc.poll() is None, "the process ended before its first line was read"
        assert json.loads(first)["step"] == 1
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_headless_run_does_not_import_textual():
    code = (
        "import sys\n"
        "from tui.__main__ import main\n"
        "status = main(['--headless', '--steps', '1'])\n"
        "assert status == 0, status\n"
        "ui = [m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext')]\n"
        "assert not ui, ui\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(records(proc.stdout)) == 1


# ------------------------------------------------------------------ errors


BAD_ARGS = [
    ["--n", "2"],
    ["--n", "5"],  # an empty validation split: a ZeroDivisionError traceback
    ["--n", "0"],
    ["--n", "10000000"],
    ["--lr", "0"],
    ["--lr", "-1"],
    ["--lr", "nan"],
    ["--lr", "inf"],
    ["--lr", "abc"],
    ["--steps", "-1"],
    ["--steps", "1.5"],
    ["--hidden", "0,8"],  # 0 alone is no hidden layer; a layer of 0 neurons is not
    ["--hidden", "8,,8"],
    ["--hidden", "abc"],
    ["--hidden", ""],
    ["--weight-decay", "-1"],
    ["--seed", "-3"],
    ["--eval-every", "0"],
    ["--bogus"],
    ["--dataset", "mnist"],
    ["--dataset", ""],
    ["--noise", "-0.1"],
    ["--noise", "0.6"],
    ["--noise", "nan"],
    ["--features", "x,z"],
    ["--features", "x,x"],
    ["--features", ""],
    ["--activation", "gelu"],
    ["--optimizer", "adam"],
    ["--batch-size", "0"],
    ["--batch-size", "-4"],
    ["--batch-size", "1.5"],
    ["--batch-size", "20001"],
    ["--split", "0.05"],
    ["--split", "1"],
    ["--split", "0.1", "--n", "6"],  # 0 training points
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a) for a in BAD_ARGS])
def test_bad_arguments_exit_2_with_one_line_and_no_traceback(args):
    proc = run("--headless", "--steps", "1", *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].strip()


def test_the_smallest_n_trains_and_evaluates():
    """At --n 5 the validation split was empty: evaluating it raised ZeroDivisionError."""
    from micrograd import MIN_N, RNG, taichi

    for n in range(MIN_N, 40):
        assert all(taichi(RNG(42), n)), n  # train, validation and test each hold a point
    proc = run("--headless", "--steps", "2", "--eval-every", "1", "--n", str(MIN_N))
    assert proc.returncode == 0, proc.stderr
    last = records(proc.stdout)[-1]
    assert last["step"] == 2 and last["val_acc"] in (0.0, 1.0)  # its one validation point


@pytest.mark.parametrize("args", [["--steps", "5"], ["--eval-every", "3"]])
def test_headless_only_flags_without_headless_are_an_error(args, capsys):
    """The app ignored --steps and --eval-every; --save and --log were already refused."""
    from tui.cli import parse_args

    with pytest.raises(SystemExit) as exit:
        parse_args(args)
    assert exit.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"micrograd-tui: error: argument {args[0]}: works only with --headless (see --help)"
    ]
    parsed, _ = parse_args(["--headless", *args])
    assert (parsed.steps, parsed.eval_every) == ((5, 10) if args[0] == "--steps" else (100, 3))
    parsed, _ = parse_args([])  # the defaults, for the app too
    assert (parsed.steps, parsed.eval_every) == (100, 10)


def test_bad_argument_message_names_the_argument():
    assert "argument --lr:" in run("--headless", "--lr", "0").stderr
    assert "argument --weight-decay:" in run("--headless", "--weight-decay", "-1").stderr
    assert "--n" in run("--headless", "--n", "2").stderr
    assert "hidden" in run("--headless", "--hidden", "8,,8").stderr


def test_divergence_exits_3_naming_the_step_and_suggesting_a_lower_lr():
    proc = run("--headless", "--lr", "1e6", "--steps", "20")
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    printed = records(proc.stdout)
    diverged_at = len(printed) + 1  # every update before it was printed
    assert f"step {diverged_at}" in lines[0]
    assert "lower learning rate" in lines[0].lower()


def test_output_survives_a_closed_pipe():
    # e.g. `micrograd-tui --headless | head -1`: no traceback when the reader goes away
    producer = subprocess.Popen(
        [*MODULE, "--headless", "--steps", "300", "--n", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=120)
    assert b"Traceback" not in err
    assert b"Error" not in err


FULL = Path("/dev/full")  # every write fails with ENOSPC, as on a full disk
needs_full = pytest.mark.skipif(
    not (FULL.exists() and FULL.is_char_device()), reason="needs Linux's /dev/full"
)


@needs_full
@pytest.mark.parametrize("where", ["log", "output"])
def test_a_failed_write_is_one_line_and_exit_1_and_the_run_is_still_saved(where, tmp_path):
    # a full disk under --log, or under the output, ended in two tracebacks
    save = tmp_path / "run.json"
    args = [*MODULE, "--headless", "--steps", "3", "--n", "30", "--save", str(save)]
    if where == "log":
        args += ["--log", str(FULL)]
    with open(FULL if where == "output" else os.devnull, "w") as out:
        done = subprocess.run(
            args, stdout=out, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
        )
    want = "the log '/dev/full'" if where == "log" else "the output"
    assert done.returncode == 1
    assert done.stderr == f"micrograd-tui: error: cannot write {want}: No space left on device\n"
    saved = json.loads(save.read_text())  # saved all the same, at the step it stopped
    assert saved["step"] == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_save_refuses_a_pipe_before_training(tmp_path):
    # (and a device: a pipe stands in for one, which a broken check would destroy)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = run("--headless", "--steps", "1", "--save", str(fifo))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"micrograd-tui: error: argument --save: not a regular file, so not replaced by a "
        f"run: {str(fifo)!r} (see --help)\n"
    )
    assert fifo.is_fifo()


def test_an_infinite_metric_prints_as_the_string_inf_not_infinity(monkeypatch, capsys):
    from micrograd.training import Evaluation, Trainer
    from tui.headless import run

    infinite = Evaluation(float("inf"), 0.0, ((0,) * 3,) * 3)
    monkeypatch.setattr(Trainer, "evaluation", lambda self, split: infinite)
    assert run(Trainer().config, 1, 1) == 0
    line = capsys.readouterr().out.splitlines()[0]  # the step's (the test line's is too)
    assert json.loads(line)["val_loss"] == "inf"  # strict JSON; it loads back as inf
    assert "Infinity" not in line


# ------------------------------------------------------------------ model size


DEEP = ",".join(["1"] * 350)

TOO_BIG = [
    (["--hidden", DEEP], "at most 8 hidden layers"),  # the graph view's tree recursed too deep
    (["--hidden", "1024,1024", "--n", "20000"], "parameters, at most 10,000"),  # 100s of GB
    (["--hidden", "256,256", "--n", "20000"], "parameters, at most 10,000"),  # 56 s blank
    (["--hidden", "1024", "--n", "20000"], "parameters x 20,000 points"),
    (["--hidden", "1024", "--n", "5000"], "neurons x 5,000 points"),
]


@pytest.mark.parametrize(
    ("args", "why"), TOO_BIG, ids=["350-layers", "1024x2", "256x2", "1024-n20000", "1024-n5000"]
)
@pytest.mark.parametrize("headless", [True, False], ids=["headless", "app"])
def test_a_model_too_big_to_train_is_refused_in_one_line(args, why, headless):
    proc = run(*(["--headless", "--steps", "1"] if headless else []), *args, timeout=60)
    assert proc.returncode == 2, (proc.stdout[-500:], proc.stderr[-2000:])
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert why in lines[0] and "--hidden" in lines[0], lines[0]


@pytest.mark.parametrize(
    "hidden, n",
    [("32,32,32,32,32,32", 20000), ("1024", 4800), ("96,96", 12000), ("8", 20000)],
)
def test_the_models_we_promise_are_accepted(hidden, n):
    """6 hidden layers of 32 at --n 20,000 must stay accepted; so must the largest of each
    bound (measured: 2.5 GB at most, a step of 5-50 s on 2 busy cores)."""
    from tui.cli import parse_args

    _, config = parse_args(["--hidden", hidden, "--n", str(n)])
    assert config.hidden == tuple(map(int, hidden.split(","))) and config.n == n


def test_the_help_states_the_size_bounds():
    text = " ".join(run("--help").stdout.split())
    assert "at most 8 layers of 1 to 1024 neurons and 10,000 parameters" in text
    assert "120 million parameters x points and 5 million neurons x points" in text


@pytest.mark.parametrize(
    ("hidden", "n", "why"),
    [([1] * 350, 100, "at most 8 hidden layers"), ([256, 256], 20000, "parameters, at most")],
)
def test_a_run_file_of_a_model_too_big_is_refused_in_one_line(tmp_path, hidden, n, why):
    from micrograd.runs import run_to_json

    doc = run_to_json(Trainer(Config(n=30)), [])
    doc["config"].update(hidden=hidden, n=n)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    for args in (["--headless", "--steps", "1"], []):
        proc = run(*args, "--load", str(path), timeout=60)
        assert proc.returncode == 2, proc.stderr[-2000:]
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and why in lines[0], proc.stderr[-2000:]
