"""The message line's texts: each function gives the same news in wordings longest first,
and the app shows the first that fits the line (see MicrogradApp.show_message)."""

from __future__ import annotations

import os
from typing import Any

from micrograd.config import Config
from micrograd.training import OVERFLOWING_WEIGHTS
from tui.palette import POINT_MARKERS
from tui.snapshots import Sample

Wordings = tuple[str, ...]

TRAINING: Wordings = ("Training: space pauses, s pauses and takes one step.",)


def paused(step: int, dropped: int, queue: int) -> Wordings:
    """What the keys do while paused; and how many s presses the full queue dropped,
    until the next burst of them."""
    at = f"Paused at step {step}."
    if dropped:
        presses = "press was" if dropped == 1 else "presses were"
        return (
            f"{at} {dropped} s {presses} dropped: at most {queue} steps queue.",
            f"{at} {dropped} s dropped (queue full).",
            at,
        )
    return (
        f"{at} space trains, s takes one step, r resets, ? explains.",
        f"{at} space trains, s steps, ? help.",  # 60 columns
        at,
    )


def measuring(n: int) -> Wordings:
    return (
        f"Measuring the model on {n:,} points for its first numbers…",
        "Measuring the model's first numbers…",
    )


def last_step(step: int) -> Wordings:
    return (
        f"Step {step} is the last a run can count: w saves it, r starts again.",
        "The last step a run can count: w saves, r resets.",
        "Last step: w saves, r resets.",
    )


def no_room_for_panels(rows: int) -> Wordings:
    return (f"No room for the side panels: v shows them from {rows} rows.",)


def points_shown(shown: str) -> Wordings:
    """What t did to the plot, and what enter selects now (a point must be drawn)."""
    if shown == "none":
        return (
            "No points drawn (t shows them): the boundary is all there is; enter makes a "
            "probe point.",
            "No points drawn (t: training): enter makes a probe point.",
        )
    if shown == "validation":
        return (
            "Validation points drawn (t: none): enter on one makes a probe point of its class.",
            "Validation points drawn (t: none).",
        )
    return ("Training points drawn (t: validation): enter selects one.", "Training points drawn.")


ALL_PANELS_SHOWN: Wordings = ("The side panels are all shown (v cycles them in short terminals).",)


def reset_choice(seed: int, step: int) -> Wordings:
    """r in a loaded run: where to go back to."""
    return (
        f"r again: step 0 of seed {seed}; R: back to the loaded step {step}.",
        f"r again: step 0; R: the loaded step {step}.",
        "r again: step 0; R: loaded step.",
    )


NOT_LOADED: Wordings = ("R goes back to a loaded run's step: this run was not loaded (r resets).",)


def unsaved(steps: int) -> Wordings:
    """q with steps that no run file holds: the next q quits."""
    what = "1 unsaved step" if steps == 1 else f"{steps:,} unsaved steps"
    return (
        f"{what}: q again quits without them, w saves them.",
        f"{what}: q again quits, w saves.",
        f"{what}: q again quits.",
    )


def saved(path: str) -> Wordings:
    name = os.path.basename(path)
    return (
        f"Saved {path}; resume with: micrograd-tui --load {path}",
        f"Saved {path}; resume with --load {path}",
        f"Saved {path}: micrograd-tui --load it to resume.",
        f"Saved {path}: --load it to resume.",
        f"Saved {name}: --load it to resume.",
        f"Saved {name} (--load resumes it)",
        f"Saved {name}",
    )


def not_saved(why: str) -> Wordings:
    return (f"Not saved: {why}.",)


DEFAULT = Config()
"""The default run: its learning rate and weight decay train the tutorial's model."""


def rate(x: float) -> str:
    """A rate as one types it: 0.1, 1e6, 1e-5 (not 1e+06 or 1e-05)."""
    mantissa, e, exponent = f"{x:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if e else mantissa


def lr_to_try(config: Config) -> float:
    """A learning rate that trains, not one more that diverges (every tenth of 1e6 did
    down to 10): the default, unless this one is at or below it already."""
    return DEFAULT.lr if config.lr > DEFAULT.lr else config.lr / 10


def at_the_weights(what: str) -> bool:
    """Did the step fail at its starting weights (its loss or forward pass), not in its
    update? Then no learning rate would have helped."""
    return not what.startswith("the update")


def loaded_weights_overflow(step: int) -> Wordings:
    """Weights as loaded (no learning rate made them) whose outputs overflow."""
    return (
        f"Diverged: the loaded weights of step {step - 1} make the model's outputs "
        "overflow, so no step can be taken. r starts the run over from step 0.",
        f"Diverged: step {step - 1}'s loaded weights overflow; r starts over.",
        "Loaded weights overflow; r starts over.",
    )


def diverged(step: int, what: str, config: Config, given: bool = False) -> Wordings:
    """Step would have overflowed: which weights are kept, and what to change. given:
    the weights came from a run file, not from this run's steps (OVERFLOWING_WEIGHTS:
    they were loaded so, and no step can be taken)."""
    if what == OVERFLOWING_WEIGHTS or (given and at_the_weights(what)):  # any rate fails
        return loaded_weights_overflow(step)
    lr, wd = rate(config.lr), rate(config.weight_decay)
    kept = (
        f"Diverged at step {step}: {what}, so that update was not applied (the "
        f"weights of step {step - 1} are kept)."
    )
    if config.decay_overshoots:  # decay alone flips the weights' sign and grows them
        wd_to_try = rate(DEFAULT.weight_decay)
        return (
            f"{kept} The weight decay {wd} is too high for the learning rate {lr}: e sets a "
            f"lower one (try {wd_to_try}) and r starts over with it (step {step - 1} would "
            "diverge again).",
            f"Diverged at step {step}: weight decay {wd} too high for lr {lr}; e, then r.",
            f"Diverged at step {step}, step {step - 1} kept: weight decay too high; e, then r.",
            f"Diverged at step {step}: weight decay too high; e, then r.",
        )
    to_try = rate(lr_to_try(config))
    return (
        f"{kept} The learning rate {lr} is too high: - lowers it (try {to_try}); then "
        f"space goes on from step {step - 1}, or r starts over with the new rate.",
        f"Diverged at step {step}: learning rate {lr} too high; - lowers it (try {to_try}), "
        "then space or r.",
        # the panel shows step - 1, the weights kept: say so where it fits
        f"Diverged at step {step}, step {step - 1} kept: lr too high; - to {to_try}, then "
        "space or r.",
        f"Diverged at step {step}: lr too high; - to {to_try}, then space or r.",
        f"Diverged at step {step}: lr too high; - lowers it.",
    )


def diverged_line(step: int, what: str, config: Config, given: bool) -> str:
    """The headless run's one line on stderr for a divergence, with what to change."""
    said = f"diverged at step {step}: {what}; the update was not applied."
    if given and at_the_weights(what):
        return (
            f"{said} The loaded weights of step {step - 1} overflow, whatever the learning "
            "rate: rerun without --load (or --load an earlier save)."
        )
    lr, wd = rate(config.lr), rate(config.weight_decay)
    if config.decay_overshoots:
        return (
            f"{said} Try a lower weight decay (now {wd}; with lr {lr} it overshoots zero), "
            f"e.g. --weight-decay {rate(DEFAULT.weight_decay)}."
        )
    to_try = rate(lr_to_try(config))
    default = " (the default)" if lr_to_try(config) == DEFAULT.lr else ""
    return f"{said} Try a lower learning rate (now {lr}): --lr {to_try}{default}."


def past(step: int, end: int) -> Wordings:
    """A rewind key's answer: the step on screen is a past one, and how to move and return."""
    return (
        f"◀ step {step} of {end} · [ ] step, {{ }} ten, home: 0, end: now; space or s branches.",
        f"◀ step {step} of {end} · [ ] {{ }} move, end: now, space branches.",
        f"◀ step {step} of {end} · ] forward, end: now",
        f"◀ step {step} of {end} · end: now",
    )


def present(step: int) -> Wordings:
    """A rewind key brought the run's present back."""
    return (
        f"Back at step {step}, the run's present ([ {{ home go back through it).",
        f"Back at step {step}, the present.",
    )


def replaying(done: int, total: int) -> Wordings:
    """A loaded run's steps before its own, trained again from its seed: how far."""
    return (
        f"Training the loaded run again from its seed to reach its earlier steps: "
        f"{done} of {total} · end stops.",
        f"Retraining from the seed: step {done} of {total} · end stops.",
        f"Seed: {done}/{total} · end stops",
    )


def replay_stopped(done: int, total: int) -> Wordings:
    """A replay from the seed, stopped by another key."""
    return (
        f"Stopped training again from the seed at {done} of {total}: the steps before "
        f"{total} are not back ([ or home starts over).",
        f"Stopped at {done} of {total} from the seed ([ starts over).",
        f"Stopped at {done}/{total}.",
    )


def not_kept(step: int) -> Wordings:
    """A loaded run's steps before its own cannot be trained again from its seed."""
    return (
        f"The steps before {step} are not kept: the run's data were edited, or its file "
        "is older than the settings' record.",
        f"Steps before {step} are not kept (data edited or an old file).",
        f"Steps before {step}: not kept.",
    )


def retuned(config: Config, step: int) -> Wordings:
    """A live key's new learning rate or weight decay, and the step it first applies to."""
    lr, wd = rate(config.lr), rate(config.weight_decay)
    return (
        f"Learning rate {lr}, weight decay {wd} from step {step} on (+ - change the rate).",
        f"lr {lr}, wd {wd} from step {step} on.",
        f"lr {lr} from step {step}.",
    )


def setting_words(config: Config) -> dict[str, str]:
    """Each experiment setting as the experiment screen names it, with its value."""
    return {
        "dataset": config.dataset,
        "noise": f"{config.noise:g}",
        "points": str(config.n),
        "train share": f"{config.split:g}",
        "seed": str(config.seed),
        "features": ",".join(config.features),
        "hidden": ",".join(map(str, config.hidden)) or "0",
        "activation": config.activation,
        "optimizer": config.optimizer,
        "learning rate": rate(config.lr),
        "weight decay": rate(config.weight_decay),
        "batch size": "full" if config.batch_size is None else str(config.batch_size),
    }


def new_run(config: Config, old: Config | None = None) -> Wordings:
    """The experiment screen started a new run of config: what changed from old, with
    the new values (a learner who changed only the activation reads it back)."""
    new_words = setting_words(config)
    was = setting_words(old) if old is not None else {}
    changed = [name for name, value in new_words.items() if was.get(name, value) != value]
    if not changed:  # nothing to compare with: the settings a run is known by
        changed = ["dataset", "points", "hidden", "seed", "learning rate"]
    values = ", ".join(f"{name} {new_words[name]}" for name in changed)
    return (
        f"New run at step 0: {values}.",
        f"New run at step 0: {', '.join(changed)} changed.",
        "New run: step 0.",
    )


def rate_bound(lr: float, low: float, high: float) -> Wordings:
    """+ or - at the end of the rate ladder."""
    return (
        f"The learning rate {rate(lr)} is at the end of the ladder ({rate(low)} to "
        f"{rate(high)}; the experiment screen e takes any).",
        f"lr {rate(lr)}: the ladder runs {rate(low)} to {rate(high)}.",
    )


def speed(setting: float | None) -> Wordings:
    """The speed key's new setting."""
    if setting is None:
        return ("Speed: as fast as it goes (x: 1 step/s).", "Speed: max.")
    return (
        f"Speed: at most {setting:g} steps/s (x cycles 1, 5, 20, max).",
        f"Speed: {setting:g}/s.",
    )


def burst_refused(waiting: int) -> Wordings:
    return (
        f"{waiting} steps wait already: space or r cancels them.",
        f"{waiting} steps wait (space cancels).",
    )


def selected(sample: Sample) -> Wordings:
    """Said on the message line too: at 60x20 the probe panel, which shows it, is hidden."""
    (x, y), k = sample.point, sample.target
    what = "probe point" if sample.index is None else f"sample #{sample.index}"
    glyph = POINT_MARKERS[k]
    return (
        f"Selected {what} at ({x:+.2f}, {y:+.2f}), class {glyph} {k}: g shows its loss "
        "graph, 0 1 2 change its class.",
        f"Selected {what} ({x:+.2f}, {y:+.2f}) {glyph} {k}: g graphs it.",
        f"Selected {what}, class {k}: g graphs it.",
    )


def add_which(classes: int) -> Wordings:
    """a: the class of the point to add comes next."""
    digits = " ".join(str(k) for k in range(classes))
    return (
        f"Add a training point at the crosshair of class: {digits} (any other key cancels).",
        f"Add a point of class: {digits}",
    )


def no_such_class(label: int, classes: int) -> Wordings:
    return (
        f"No class {label}: this dataset's classes are 0 to {classes - 1}.",
        f"No class {label} here (0 to {classes - 1}).",
    )


NO_POINT_HERE = (
    "No training point drawn under the crosshair: d deletes one drawn there (t draws them).",
    "No training point drawn under the crosshair.",
)

NO_TRAINING_POINTS = (
    "No training points: add some (a) or regenerate (N).",
    "No training points: a adds, N regenerates.",
)


def edited(edit: Any, train: int, step: int) -> Wordings:
    """The worker made a data edit (the last of those made together): what, and from
    which step training sees it."""
    if edit.kind in ("add", "remove"):
        (x, y), k = edit.point, edit.label
        did = "Added" if edit.kind == "add" else "Deleted"
        where = f"{POINT_MARKERS[k]} {k} at ({x:+.2f}, {y:+.2f})"
        long = f"{did} a training point of class {where}: {train} training points"
        short = f"{did} {POINT_MARKERS[k]} {k}: {train} points"
    elif edit.kind == "clear":
        long, short = "Cleared every training point: a adds some", "Cleared: a adds points"
    else:
        long = f"Regenerated the data from the seed: {train} training points"
        short = f"Regenerated: {train} points"
    return f"{long}, from step {step} on.", f"{short}, step {step} on.", f"{short}."


def edit_refused(why: str) -> Wordings:
    return (f"Not changed: {why}.",)


def worker_failed(group: str, error: str) -> Wordings:
    return (f"The {group} worker failed: {error}",)


ZERO_LINES_SHOWN: Wordings = (
    "Zero lines: : marks where a first-layer neuron's w·x + b = 0 (z hides them).",
    "Zero lines shown (z hides them).",
)

ZERO_LINES_HIDDEN: Wordings = ("Zero lines hidden (z shows them).",)

ZERO_LINES_UNAVAILABLE: Wordings = (
    "Zero lines need a model that reads x, y: with other features they are not lines.",
    "No zero lines: the model reads other features than x, y.",
)
