"""Saved runs from the command line: --save, --load, --log, --save-dir, and stopping by signal."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micrograd import Config, Trainer, load_run, save_run

MODULE = [sys.executable, "-m", "tui"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MODULE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def records(stdout: str) -> list[dict]:
    """The step records printed (not the test split's last line, see test_entry)."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [line for line in lines if "test_loss" not in line]


def one_line_error(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


# ------------------------------------------------------------- save and resume


@pytest.mark.parametrize(
    "extra", [[], ["--hidden", "16,16", "--n", "60"]], ids=["default", "16-16"]
)
def test_save_then_load_prints_exactly_the_uninterrupted_lines(tmp_path, extra):
    whole = run("--headless", "--steps", "12", "--eval-every", "5", *extra)
    assert whole.returncode == 0, whole.stderr
    first = run(
        "--headless", "--steps", "7", "--eval-every", "5", "--save", tmp_path / "r.json", *extra
    )
    assert first.returncode == 0, first.stderr
    rest = run("--headless", "--load", tmp_path / "r.json", "--steps", "5", "--eval-every", "5")
    assert rest.returncode == 0, rest.stderr
    assert rest.stderr == ""

    whole_lines = whole.stdout.splitlines()
    assert rest.stdout.splitlines() == whole_lines[7:]  # the same text, byte for byte
    # the first part differs only by the validation a last step always gets
    for a, b in zip(records(first.stdout), records(whole.stdout)):
        assert {k: a[k] for k in b} == b
    assert records(first.stdout)[-1]["step"] == 7 and "val_loss" in records(first.stdout)[-1]


def test_the_saved_file_holds_the_whole_history_after_a_resume(tmp_path):
    path = tmp_path / "r.json"
    assert run("--headless", "--steps", "3", "--save", path).returncode == 0
    proc = run("--headless", "--load", path, "--steps", "2", "--save", path)
    assert proc.returncode == 0, proc.stderr
    trainer, history = load_run(path)
    assert trainer.step_count == 5
    assert [h["step"] for h in history] == [1, 2, 3, 4, 5]
    assert history[3:] == records(proc.stdout)


def test_load_with_zero_steps_prints_nothing_and_changes_nothing(tmp_path):
    path = tmp_path / "r.json"
    assert run("--headless", "--steps", "2", "--save", path).returncode == 0
    before = path.read_bytes()
    proc = run("--headless", "--load", path, "--steps", "0", "--save", path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert path.read_bytes() == before


def test_lr_and_weight_decay_given_with_load_replace_the_saved_ones(tmp_path):
    path = tmp_path / "r.json"
    assert run("--headless", "--steps", "2", "--save", path).returncode == 0
    proc = run("--headless", "--load", path, "--steps", "1", "--lr", "0.01", "--save", path)
    assert proc.returncode == 0, proc.stderr
    trainer, _ = load_run(path)
    assert trainer.config == Config(lr=0.01)

    expected = Trainer()
    expected.step(), expected.step()
    expected.optimizer.lr = 0.01
    assert records(proc.stdout)[0]["train_loss"] == expected.step().train_loss


@pytest.mark.parametrize("flag", ["--seed 7", "--n 60", "--hidden 8"])
def test_seed_n_and_hidden_conflict_with_load(tmp_path, flag):
    save_run(tmp_path / "r.json", Trainer(), [])
    proc = run("--headless", "--load", tmp_path / "r.json", *flag.split())
    assert "not allowed with --load" in one_line_error(proc)


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "no such file"),
        (b'{"format": "micrograd-tui-run", "vers', "not valid JSON"),
        (b"[1, 2]", "not a micrograd-tui run"),
        (b'{"format": "micrograd-tui-run", "version": 9}', "newer"),
    ],
    ids=["missing", "truncated", "not-ours", "newer"],
)
def test_a_bad_file_to_load_exits_2_with_the_reason(tmp_path, content, words):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_bytes(content)
    err = one_line_error(run("--headless", "--load", path))
    assert "--load" in err and words in err and str(path) in err


def test_nan_weights_are_refused(tmp_path):
    path = tmp_path / "r.json"
    save_run(path, Trainer(), [])
    doc = json.loads(path.read_text())
    doc["params"][0] = "NAN"
    path.write_text(json.dumps(doc).replace('"NAN"', "NaN"))
    assert "NaN" in one_line_error(run("--headless", "--load", path))


# --------------------------------------------------------------------- --log


def test_log_gets_exactly_the_printed_lines(tmp_path):
    log = tmp_path / "metrics.jsonl"
    proc = run("--headless", "--steps", "12", "--log", log)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == proc.stdout
    assert len(records(log.read_text())) == 12


def test_log_is_replaced_not_appended(tmp_path):
    log = tmp_path / "metrics.jsonl"
    log.write_text("old\n")
    assert run("--headless", "--steps", "1", "--log", log).returncode == 0
    assert len(records(log.read_text())) == 1 and "old" not in log.read_text()


def test_log_lines_are_flushed_as_they_happen(tmp_path):
    log = tmp_path / "metrics.jsonl"
    proc = subprocess.Popen(
        [*MODULE, "--headless", "--n", "3000", "--steps", "1000", "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first
        deadline = time.monotonic() + 10
        while log.read_text() == "" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert log.read_text().splitlines()[0] == first.strip()
    finally:
        proc.kill()
        proc.communicate()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--headless", "--log", "{tmp}"], "is a folder"),
        (["--headless", "--log", "{tmp}/nope/m.jsonl"], "no such folder"),
        (["--headless", "--save", "{tmp}"], "is a folder"),
        (["--headless", "--save", "{tmp}/nope/r.json"], "no such folder"),
        (["--headless", "--save", "{tmp}/r.json", "--log", "{tmp}/r.json"], "--save file"),
        (["--save", "{tmp}/r.json"], "only with --headless"),
        (["--log", "{tmp}/m.jsonl"], "only with --headless"),
        (["--headless", "--save-dir", "{tmp}/nope"], "not an existing folder"),
        (["--headless", "--save-dir", "{tmp}/file"], "not an existing folder"),
        (["--headless", "--load", ""], "expected a file name"),
        (["--headless", "--seed", "0"], "--seed"),
    ],
)
def test_bad_file_flags_exit_2_in_one_line(tmp_path, args, words):
    (tmp_path / "file").write_text("")
    proc = run(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert words in one_line_error(proc)


def test_save_dir_accepts_an_existing_folder(tmp_path):
    proc = run("--headless", "--steps", "1", "--n", "30", "--save-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_help_documents_the_load_rule():
    text = " ".join(run("--help").stdout.split())
    for words in ("--load FILE", "--save FILE", "--log FILE", "--save-dir DIR"):
        assert words in text
    assert "--steps then counts further updates" in text
    assert "giving them is an error" in text


# -------------------------------------------------------- divergence and signals


def test_divergence_from_weight_decay_blames_weight_decay():
    """lr x weight decay above 1 flips and grows every weight each step: the advice was
    to lower the learning rate, which was not the cause."""
    err = one_line_error(run("--headless", "--weight-decay", "50", "--steps", "50"), 3)
    assert "Try a lower weight decay (now 50" in err and "learning rate" not in err


def test_divergence_exits_3_and_saves_the_last_good_step(tmp_path):
    path = tmp_path / "r.json"
    proc = run("--headless", "--lr", "1e6", "--steps", "50", "--save", path)
    err = one_line_error(proc, 3)
    assert "diverged at step" in err and "lower learning rate" in err
    trainer, history = load_run(path)
    assert f"step {trainer.step_count + 1}" in err
    assert history == records(proc.stdout)
    # the saved run is the state before the failed update: resuming meets it again
    again = run("--headless", "--load", path, "--steps", "5")
    said = one_line_error(again, 3)  # the same step and cause; its advice: see below
    assert said.split("; the update")[0] == err.split("; the update")[0]


def start_long_run(*extra: str) -> subprocess.Popen:
    """A headless run that would take minutes, already training (its first line is out)."""
    proc = subprocess.Popen(
        [*MODULE, "--headless", "--n", "5000", "--steps", "100000", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout.readline().startswith('{"step": 1,')
    return proc


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_stop_signal_ends_a_long_run_within_a_second(tmp_path, sig):
    path = tmp_path / "r.json"
    proc = start_long_run("--save", str(path))
    try:
        time.sleep(0.3)  # mid-step
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert elapsed < 2.0, elapsed  # the stop signals end a run within 2 s
    assert "Traceback" not in err
    assert (
        err.strip()
        == f"micrograd-tui: stopped by {sig.name} after step {len(out.splitlines()) + 1}"
    )
    # the run is saved at the last completed step, with every printed line in its history
    trainer, history = load_run(path)
    assert trainer.step_count == len(history) == len(out.splitlines()) + 1


def test_sigterm_with_a_closed_stdout_still_exits_cleanly():
    proc = start_long_run()
    proc.stdout.close()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
        err = proc.stderr.read()
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err


@pytest.fixture
def restore_signals():
    """Put this process's stop-signal handlers back after an in-process test."""
    sigs = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    saved = {s: signal.getsignal(s) for s in sigs}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_signal_while_loading_ends_at_once(restore_signals):
    from tui.headless import Interrupted, Stop

    stop = Stop()
    stop.install()
    with pytest.raises(Interrupted) as info, stop.interruptible():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this
    assert info.value.signum == signal.SIGTERM
    assert stop() and stop.status == 143


def test_outside_the_interruptible_block_a_signal_only_asks_to_stop(restore_signals):
    from tui.headless import Stop

    stop = Stop()
    stop.install()
    assert not stop()
    os.kill(os.getpid(), signal.SIGHUP)
    assert stop() and stop.signum == signal.SIGHUP and stop.status == 129
    trainer = Trainer(Config(n=30))
    assert trainer.step(stop) is None and trainer.step_count == 0


def test_the_headless_path_with_files_imports_no_textual(tmp_path):
    run_file, log = str(tmp_path / "r.json"), str(tmp_path / "m.jsonl")
    code = f"""
import sys
from tui.__main__ import main
assert main(["--headless", "--steps", "1", "--n", "30", "--save", {run_file!r}]) == 0
assert main(["--headless", "--steps", "1", "--load", {run_file!r}, "--log", {log!r}]) == 0
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich", "plotext"))
assert not bad, bad
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------- the app


def test_load_hands_the_app_the_restored_trainer_history_and_save_dir(tmp_path, monkeypatch):
    import tui.app
    from tui.__main__ import main

    trainer = Trainer(Config(seed=3, n=30))
    trainer.step()
    history = [{"step": 1, "train_loss": 1.0, "train_acc": 0.5}]
    save_run(tmp_path / "r.json", trainer, history)
    got = {}

    def run_app(config, trainer=None, history=None, save_dir=None):
        got.update(config=config, trainer=trainer, history=history, save_dir=save_dir)
        return 0

    monkeypatch.setattr(tui.app, "run_app", run_app)
    monkeypatch.setattr("tui.__main__.not_a_terminal", lambda: None)  # pytest's stdin is not one
    assert main(["--load", str(tmp_path / "r.json"), "--save-dir", str(tmp_path)]) == 0
    assert got["config"] == trainer.config
    assert got["trainer"].step_count == 1 and got["history"] == history
    assert [p.data for p in got["trainer"].parameters] == [p.data for p in trainer.parameters]
    assert got["save_dir"] == str(tmp_path)


# ---------------------------------------------- history held, the last step, eps


def test_a_headless_run_holds_history_only_to_save_it_and_bounded(tmp_path, monkeypatch):
    import io

    from micrograd.run import Run, louder
    from micrograd.runs import History
    from tui import headless

    held: list[History] = []

    class Counted(History):
        def append(self, record):
            super().append(record)
            assert len(self) <= 8

    class CountedRun(Run):
        def __init__(self, trainer, history=(), limit=8):
            super().__init__(trainer, history, limit)
            if self.history is not None:
                self.history = Counted(self.history, limit, step=lambda r: r.step, prefer=louder)
                held.append(self.history)

        def reset(self):
            raise AssertionError("a headless run never resets")

    monkeypatch.setattr(headless, "Run", CountedRun)
    loaded = [{"step": 1, "train_loss": 1.0, "train_acc": 0.5}]
    trainer = Trainer()
    trainer.step()
    out = io.StringIO()
    assert headless.run(trainer.config, 40, 10, out, trainer=trainer, history=loaded) == 0
    assert held == [] and len(loaded) == 1  # no --save: no record kept anywhere
    assert len(records(out.getvalue())) == 40

    path = tmp_path / "r.json"
    assert headless.run(trainer.config, 40, 10, io.StringIO(), trainer=trainer, save=str(path)) == 0
    (kept,) = held
    assert len(kept) == 8 and kept.records[-1].step == 81
    _, history = load_run(path)
    assert len(history) == 8 and history[-1]["step"] == 81


def at_last_step(tmp_path: Path) -> Path:
    """A run file at step 2**53 - 1, the last a run can count (made by hand)."""
    path = tmp_path / "last.json"
    assert run("--headless", "--steps", "2", "--save", path).returncode == 0
    doc = json.loads(path.read_text())
    doc.update(step=2**53 - 1, history=[])
    doc["optimizer"]["t"] = 2**53 - 1
    path.write_text(json.dumps(doc))
    return path


def test_no_step_past_the_last_a_run_can_count(tmp_path):
    # the run stepped to 2**53 and saved a file its own loader refused
    path = at_last_step(tmp_path)
    before = path.read_bytes()
    log = tmp_path / "log.jsonl"
    proc = run("--headless", "--load", path, "--steps", "1", "--save", path, "--log", log)
    err = one_line_error(proc, 2)
    assert err == (
        "micrograd-tui: error: argument --steps: the run is at step 9007199254740991, so at "
        "most 0 more (a run's last step is 2**53 - 1), got 1\n"
    )
    assert proc.stdout == "" and path.read_bytes() == before and not log.exists()
    # it can still be loaded and saved as it is
    again = tmp_path / "again.json"
    assert run("--headless", "--load", path, "--steps", "0", "--save", again).returncode == 0
    assert load_run(again)[0].step_count == 2**53 - 1


def test_a_new_run_cannot_ask_for_more_steps_than_a_run_counts(tmp_path):
    err = one_line_error(run("--headless", "--steps", str(2**53)), 2)
    assert "--steps: must be at most 2**53 - 1" in err


def test_a_run_file_with_eps_zero_is_refused_in_one_line(tmp_path):
    path = tmp_path / "r.json"
    assert run("--headless", "--steps", "2", "--save", path).returncode == 0
    doc = json.loads(path.read_text())
    doc["config"]["eps"] = 0
    path.write_text(json.dumps(doc))
    err = one_line_error(run("--headless", "--load", path, "--steps", "5"), 2)
    assert err == (
        f'micrograd-tui: error: argument --load: {path}: "config.eps" must be a finite '
        "number > 0 (AdamW adds it to sqrt(v)), got 0\n"
    )


@pytest.mark.parametrize("lr", ["1e6", "1e308", "1000"])
def test_the_rate_a_divergence_suggests_trains_without_diverging(lr):
    """--lr 1e6 used to suggest 1e5, which diverged again, and so on down to 10; and
    1e308 suggested "1e+307"."""
    err = one_line_error(run("--headless", "--lr", lr, "--steps", "30", "--n", "30"), 3)
    assert f"(now {lr})" in err and "e+" not in err
    suggested = re.search(r"--lr ([0-9][0-9.e-]*[0-9])", err)
    assert suggested and suggested.group(1) == "0.1", err
    proc = run("--headless", "--lr", suggested.group(1), "--steps", "300", "--n", "30")
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout)[-1]["train_loss"] < 0.5


def test_a_run_saved_after_diverging_says_its_weights_overflow_not_lower_the_rate(tmp_path):
    path = tmp_path / "r.json"
    one_line_error(run("--headless", "--lr", "1e6", "--steps", "30", "--save", path), 3)
    trainer, _ = load_run(path)
    for lr in ("0.01", "1e-6"):  # no rate helps: the loss at these weights is inf already
        err = one_line_error(run("--headless", "--load", path, "--lr", lr, "--steps", "5"), 3)
        assert f"diverged at step {trainer.step_count + 1}: the training loss is inf" in err
        assert f"loaded weights of step {trainer.step_count} overflow" in err
        assert "Try a lower" not in err and "--lr" not in err


def test_the_flags_readme_says_the_app_does_not_take_are_refused_by_it():
    """README's sentence on the app's flags read as "also --steps ..." where it meant
    "except": it names the exceptions after "except", and the app refuses each."""
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    said = re.search(r"configure the app too, except ((?:`--[a-z-]+`(?:, | and )?)+)", readme)
    assert said, "README no longer says which flags the app does not take"
    flags = re.findall(r"`(--[a-z-]+)`", said.group(1))
    assert flags == ["--steps", "--eval-every", "--save", "--log"]
    for flag in flags:
        err = one_line_error(run(flag, "5"))
        assert f"argument {flag}: works only with --headless" in err


def test_the_benchmarks_say_what_they_measure_not_an_issue_number():
    for script in sorted((Path(__file__).parents[2] / "benchmarks").glob("*.py")):
        text = script.read_text()
        printed = re.findall(r'print\(f?"([^"]*)"', text) + [text.split('"""')[1]]
        assert not [p for p in printed if re.search(r"\bissue\b", p, re.I)], script.name


def test_a_run_that_ends_prints_the_test_split_last():
    """The test split was made and never measured: a run that takes all its steps ends
    with it (a run stopped or diverged does not: see the tests above)."""
    proc = run("--headless", "--steps", "12", "--eval-every", "5")
    assert proc.returncode == 0, proc.stderr
    *steps, last = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["step"] for r in steps] == list(range(1, 13)) and "test_loss" not in steps[-1]
    trainer = Trainer()
    for _ in range(12):
        trainer.step()
    loss, acc = trainer.evaluate(trainer.test_split)
    assert last == {"step": 12, "test_loss": loss, "test_acc": acc}
    assert len(trainer.test_split) == 10  # 10% of the default 100 points
    diverged = run("--headless", "--lr", "1e6", "--steps", "12")
    assert "test_loss" not in diverged.stdout
