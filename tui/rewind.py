"""The rewind keys' side of the app: scrub through the run's steps, show a past one, branch."""

from __future__ import annotations

from typing import Any, Protocol

from tui import wording
from tui.screens.main import MainScreen
from tui.session import END, Branched, Replaying, Rewound, TrainingSession
from tui.snapshots import Snapshot


class Host(Protocol):
    """What the rewind keys read and set of the app (tui.app.MicrogradApp)."""

    session: TrainingSession
    main: MainScreen
    snapshot: Snapshot
    state: Any
    step_count: Any
    config: Any

    def show_message(self, *texts: str, error: bool = False) -> None: ...
    def pause(self) -> None: ...
    def run_trainer(self, mode: Any, generation: int) -> Any: ...


class Rewinder:
    """`[` `]` `{` `}` `home` `end`: the worker brings the step asked for back (the
    session's TrainingSession.bring_back), and everything on screen shows it; a step
    taken there branches (the worker says so with Branched)."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.session = app.session

    @property
    def shown_step(self) -> int:
        """The step on screen: a past one, or the run's end."""
        viewing = self.session.viewing
        return self.session.end if viewing is None else viewing

    def by(self, steps: int) -> None:
        """Move steps through the run (back if negative)."""
        self.to(self.shown_step + steps)

    def to(self, step: int | None) -> None:
        """Go to step (None: the run's end, its present)."""
        app, session = self.app, self.session
        if app.state == "running":
            app.pause()
        session.request_scrub(END if step is None else step)
        app.state = "paused"
        app.run_trainer("rewind", session.generation)

    def hint(self) -> tuple[str, ...]:
        """The message line at a past step (nothing at the present)."""
        viewing = self.session.viewing
        return () if viewing is None else wording.past(viewing, self.session.end)

    def show(self, news: Rewound) -> None:
        """The worker brought news.step back: every panel shows it, marked if past."""
        app, session = self.app, self.session
        if news.generation != session.generation:
            return
        past = news.step < news.end
        session.viewing = news.step if past else None
        app.step_count = news.step
        app.snapshot = news.snapshot
        app.main.show_past(
            news.snapshot.weights, session.shown, news.record, news.step if past else None
        )
        app.main.show_config(session.config)
        if news.kept_from is not None:
            app.show_message(*wording.not_kept(news.kept_from))
        elif past:
            app.show_message(*self.hint())
        else:
            app.show_message(*wording.present(news.step))

    def replaying(self, news: Replaying) -> None:
        """A loaded run trained again from its seed (to an earlier step): how far; or that
        it stopped, as another key asked for something else."""
        if news.generation != self.session.generation:
            return
        if news.stopped:
            self.app.show_message(*wording.replay_stopped(news.done, news.total))
        else:
            self.app.show_message(*wording.replaying(news.done, news.total))

    def branched(self, news: Branched) -> None:
        """A step at a past step: the run goes on from there; its old future drawn faint."""
        if news.generation != self.session.generation:
            return
        self.session.show_branched(news)
        self.app.main.show_branch(self.session.abandoned, self.session.marks)


__all__ = ["Host", "Rewinder"]
