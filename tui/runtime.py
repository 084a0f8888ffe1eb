"""The app's process plumbing: stop signals, SIGCONT, a dead terminal, daemon threads, priority."""

from __future__ import annotations

import asyncio
import codecs
import gc
import os
import signal
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from typing import IO, Any

STOP_SIGNALS = tuple(
    getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n)
)
"""Signals that end the app cleanly, with 128 + their number: SIGTERM (kill), SIGHUP (the
SSH session closed), SIGINT (kill -INT; ctrl+c in the app is a key, and quits with 0)."""

EXIT_GRACE = 1.5
"""Seconds a stop signal gives the app to leave cleanly; then it restores the terminal
(waiting at most RESTORE_WAIT for a terminal that stopped reading) and exits at once:
within 2 s in all."""

RESTORE_WAIT = 0.4

HANGUP_POLL = 0.5
"""Seconds between checks that the terminal is still there (it wakes at once if it goes)."""

TERMINAL_RESET = (
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"  # mouse reports off
    "\x1b[?2004l\x1b[?1004l\x1b[?2048l"  # bracketed paste, focus and resize reports off
    "\x1b[<u"  # the kitty keyboard protocol's mode popped
    "\x1b[?7h\x1b[?1049l\x1b[?25h"  # line wrap on, the main screen back, the cursor shown
)
"""What Textual writes as it leaves application mode, for a process that cannot wait for it."""


HEARTBEAT_ENV = "MICROGRAD_TUI_HEARTBEAT_LOG"
"""If set, a file the app appends time.monotonic() to 100 times a second (benchmarks)."""


def heartbeat() -> Callable[[], None] | None:
    """If HEARTBEAT_ENV names a file, a function that appends the time to it (the app
    calls it on a timer: benchmarks read the event loop's liveness from it); else None."""
    path = os.environ.get(HEARTBEAT_ENV)
    if not path:
        return None
    log = open(path, "a", buffering=1)  # noqa: SIM115  (open while the app runs)

    def beat() -> None:
        log.write(f"{time.monotonic()}\n")

    return beat


def lower_priority(nice: int) -> None:
    """Make the calling thread nicer by this much (Linux only; if refused, nothing)."""
    if sys.platform.startswith("linux") and nice > 0:
        thread = threading.get_native_id()
        with suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + nice))


class DaemonThreads(ThreadPoolExecutor):
    """An executor that runs each call in a daemon thread of its own and never waits.

    Textual runs thread workers in the event loop's default executor, whose threads the
    interpreter joins at exit: quitting would wait for the rest of a step that cannot be
    interrupted, which on a big model is long enough to notice. Nothing a step holds
    needs keeping (saves are atomic), so the process leaves without it.
    """

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as e:  # handed to the awaiting worker, as the pool does
                future.set_exception(e)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="micrograd-tui-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""


class TerminalGuard:
    """The app's terminal kept sane whatever the process is sent.

    - SIGTERM, SIGHUP and SIGINT call on_stop(signum) on the event loop, and start a
      watchdog that restores the terminal and exits with 128 + signum should leaving take
      over EXIT_GRACE seconds. Both are plain signal handlers, not the event loop's: they
      run even while the loop is stuck (say, joining a thread inside Textual).
    - A terminal that hangs up (EOF, EIO: the pty's other side closed) counts as SIGHUP,
      whether or not a SIGHUP arrives (a parent that traps HUP sends none on).
    - SIGCONT resumes Textual's application mode only after Textual suspended it (SIGTSTP).
      Textual itself resumes on every SIGCONT, suspended or not: after a lone SIGCONT
      (htop, a debugger) or one after SIGSTOP (which no handler sees) that would start a
      second input thread, quitting would join the wrong one, and the terminal would be
      left in raw mode (the second start takes the raw mode for the mode to restore).
      Without a suspend the app keeps its mode: it puts back its terminal settings (a
      shell resets them when a job stops) and redraws.
    """

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.found = self._modes()
        """The terminal's settings before the app ran (cooked, echoing), to restore."""
        self.raw: list | None = None
        """The app's own settings (raw), to put back after a stop without a suspend."""
        self.stopping: int | None = None
        """The stop signal being handled, once one arrived."""
        self.suspended = False
        """Textual's SIGTSTP handler left application mode: SIGCONT must resume it."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_stop: Callable[[int], object] = lambda signum: None
        self._on_redraw: Callable[[], object] = lambda: None

    @classmethod
    def of_stdio(cls) -> TerminalGuard:
        """The guard of the terminal Textual uses: it reads stdin and writes to stderr."""
        fd_in = fd_out = -1
        with suppress(AttributeError, ValueError, OSError):  # no stdin, or a closed one
            fd_in = sys.__stdin__.fileno()
        with suppress(AttributeError, ValueError, OSError):
            fd_out = sys.__stderr__.fileno()
        return cls(fd_in, fd_out)

    def _modes(self) -> list | None:
        import termios

        try:
            return termios.tcgetattr(self.fd_in)
        except (termios.error, OSError, ValueError):
            return None

    def answers(self) -> bool:
        """Is the terminal still there? A hung-up one answers only EIO."""
        return self._modes() is not None

    def foreground(self) -> bool:
        """May this process set the terminal's modes? A background job setting them would
        be stopped (SIGTTOU); a terminal that controls no job is always ours."""
        try:
            return os.tcgetpgrp(self.fd_in) == os.getpgrp()
        except OSError:
            return True

    # ---------------------------------------------------------------- install

    def install(self, on_stop: Callable[[int], object], on_redraw: Callable[[], object]) -> None:
        """Take over the process's signals, on the event loop once Textual's driver has put
        the terminal in application mode (so its SIGTSTP and SIGCONT handlers are in place).

        on_stop(signum) is called on the loop for a stop signal or a hang-up; on_redraw()
        on the loop after a SIGCONT that needs no resume."""
        self._loop = asyncio.get_running_loop()
        self._on_stop, self._on_redraw = on_stop, on_redraw
        self.raw = self._modes()
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._stop_signal)
        if hasattr(signal, "SIGCONT"):
            self._wrap(signal.SIGTSTP, self._on_sigtstp)
            self._wrap(signal.SIGCONT, self._on_sigcont)
        if self.found is not None or self._pipe(self.fd_in):
            threading.Thread(target=self._watch_hangup, name="hangup-watch", daemon=True).start()

    def _wrap(self, signum: int, handler: Callable[[Callable, int, object], None]) -> None:
        """Install handler(textual_handler, signum, frame) in place of Textual's handler."""
        textual = signal.getsignal(signum)
        if not callable(textual):
            textual = None  # no terminal driver of Textual's (e.g. a headless test)

        def wrapped(sig: int, frame: object) -> None:
            handler(textual, sig, frame)

        signal.signal(signum, wrapped)

    # ---------------------------------------------------------------- stopping

    def _stop_signal(self, signum: int, frame: object) -> None:
        self.stop(signum)

    def stop(self, signum: int) -> None:
        """Leave with 128 + signum: ask the app on its loop, and exit anyway (the terminal
        restored) if it has not left within EXIT_GRACE seconds. Safe from any thread."""
        if self.stopping is not None:
            return
        self.stopping = signum
        threading.Thread(
            target=self._watchdog, args=(128 + signum,), name="exit-watchdog", daemon=True
        ).start()
        self._soon(self._on_stop, signum)  # if the loop is gone, the watchdog ends it

    def _watchdog(self, status: int) -> None:
        time.sleep(EXIT_GRACE)
        # restore from a thread of its own: a terminal that stopped reading (flow control,
        # a stalled ssh link) may block the write, and the exit must not wait for it
        restorer = threading.Thread(target=self.restore, args=(True,), daemon=True)
        restorer.start()
        restorer.join(RESTORE_WAIT)
        os._exit(status)

    def restore(self, screen: bool = False) -> None:
        """Put back the terminal's settings as found (cooked mode, echo) if the app's are
        still set; with screen, also write TERMINAL_RESET (the main screen, the cursor,
        no mouse reports) for an exit that skips Textual's own."""
        import termios

        if self.found is not None and self.foreground():
            with suppress(termios.error, OSError):
                if termios.tcgetattr(self.fd_in) != self.found:
                    termios.tcsetattr(self.fd_in, termios.TCSANOW, self.found)
        if screen and self.fd_out >= 0:
            with suppress(OSError):
                os.write(self.fd_out, TERMINAL_RESET.encode())

    @staticmethod
    def _pipe(fd: int) -> bool:
        """Is fd a pipe? Under --serve the app's terminal is a pair of pipes to the server."""
        import stat

        try:
            return fd >= 0 and stat.S_ISFIFO(os.fstat(fd).st_mode)
        except OSError:
            return False

    def _watch_hangup(self) -> None:
        """EOF or EIO on the terminal is a hang-up: stop as SIGHUP would. So is the
        server's end of the pipes closing under --serve (the server is gone: killed, say),
        so no app trains on for nobody."""
        import select

        poller = select.poll()
        for fd in {self.fd_in, self.fd_out}:
            if fd >= 0 and (os.isatty(fd) or self._pipe(fd)):
                poller.register(fd, 0)  # no events asked: only a hang-up or an error wakes it
        gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
        while self.stopping is None:
            if any(events & gone for _, events in poller.poll(HANGUP_POLL * 1000)):
                self.stop(signal.SIGHUP)
                return

    # ------------------------------------------------------------ suspending

    def _soon(self, callback: Callable, *args: object) -> None:
        """Call back on the event loop. Textual's driver handlers write to its output queue,
        and a signal handler runs wherever the main thread was, maybe inside that queue's
        lock: called from the handler itself, they could deadlock the app."""
        loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop closed: the app is leaving anyway
                loop.call_soon_threadsafe(callback, *args)

    def _on_sigtstp(self, textual: Callable | None, signum: int, frame: object) -> None:
        self.suspended = True
        if textual is not None:
            self._soon(textual, signum, None)  # leaves application mode, then stops
        else:
            os.kill(os.getpid(), signal.SIGSTOP)

    def _on_sigcont(self, textual: Callable | None, signum: int, frame: object) -> None:
        if self.suspended:
            self.suspended = False
            if textual is not None and self.answers():  # hung up: SIGHUP ends the app
                self._soon(textual, signum, None)
            return
        if self.stopping is not None or not self.answers():
            return
        if self.raw is not None and self.foreground():
            import termios

            with suppress(termios.error, OSError):
                if termios.tcgetattr(self.fd_in) != self.raw:
                    termios.tcsetattr(self.fd_in, termios.TCSANOW, self.raw)
        self._soon(self._on_redraw)


# -------------------------------------------------------------- ASCII drawing

ASCII_ERRORS = "micrograd-tui-ascii"
"""The codec error handler that draws a character the terminal cannot show in ASCII."""

_ASCII = {
    "·": ".",
    "•": "*",
    "◆": "*",
    "●": "o",
    "○": "o",
    "—": "-",
    "–": "-",
    "…": ".",
    "→": ">",
    "↪": ">",
    "▶": ">",
    "▸": ">",
    "←": "<",
    "◀": "<",
    "↑": "^",
    "▲": "^",
    "↓": "v",
    "▼": "v",
    "▾": "v",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "×": "x",
    "‖": "|",
    "²": "2",
    "∂": "d",
    "∇": "V",
    "β": "b",
    "ε": "e",
    "μ": "u",
    "≤": "<",
    "≥": ">",
    "≈": "~",
    "±": "+",
    "\u00a0": " ",
}


def ascii_for(char: str) -> str:
    """One ASCII character drawing char as near as it can (two for a wide character), so
    the screen's layout, counted in cells, stays as it is."""
    import rich.cells

    if char in _ASCII:
        return _ASCII[char]
    code = ord(char)
    name = unicodedata.name(char, "")
    if 0x2800 <= code <= 0x28FF:  # braille: the plots' dots
        dots = bin(code - 0x2800).count("1")
        return " " if dots == 0 else "." if dots <= 2 else ":"
    if name.startswith("BOX DRAWINGS"):
        across = any(w in name for w in ("HORIZONTAL", "LEFT", "RIGHT"))
        upright = any(w in name for w in ("VERTICAL", " UP", "DOWN"))
        if "DIAGONAL" in name:
            return "X" if "CROSS" in name else "/" if "UPPER RIGHT TO" in name else "\\"
        return "+" if across and upright else "|" if upright else "-"
    if 0x2580 <= code <= 0x259F:  # block elements: bars, shades, the plot's cells
        if "LOWER" in name and "BLOCK" in name and "QUADRANT" not in name:
            return "#" if "SEVEN" in name or "THREE QUARTERS" in name else "_"
        if "LEFT" in name or "RIGHT" in name:
            return "|" if "QUADRANT" not in name else "#"
        if "UPPER" in name and "QUADRANT" not in name:
            return "~"
        return ":" if "LIGHT SHADE" in name else "#"
    ascii = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    width = max(1, rich.cells.cell_len(char))
    return (ascii[:1] or "?") * width if ascii.isprintable() else "?" * width


def _draw_in_ascii(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ascii_for(char) for char in text), error.end


def draw_in_ascii_if_needed(stream: IO[str] | None) -> bool:
    """Where the terminal's encoding cannot show the app's drawing (ISO-8859-1, ASCII),
    draw what it lacks in ASCII instead of as escapes (`\\u256d`); says whether it must."""
    encoding = getattr(stream, "encoding", None)
    if stream is None or not encoding:
        return False
    try:
        "╭─│█⠿→✓".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        pass
    else:
        return False
    try:
        codecs.lookup_error(ASCII_ERRORS)
    except LookupError:
        codecs.register_error(ASCII_ERRORS, _draw_in_ascii)
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return False
    with suppress(ValueError, OSError):  # a closed stream: nothing to draw on anyway
        reconfigure(errors=ASCII_ERRORS)
        return True
    return False


def forget_closed_drawings() -> None:
    """Let go of what Textual cached for drawing a screen's widgets once it has closed.

    Textual's StylesCache.get_inner_outer is an lru_cache on a method (meant as a class
    method): its 1024 entries each keep a StylesCache, and with it a widget's rendered
    lines, alive after the widget is gone. The entries are two Style objects each, cheap
    to make again for the screen that stays."""
    from textual._styles_cache import StylesCache

    StylesCache.get_inner_outer.cache_clear()


def collect_from_now() -> None:
    """The collector back on after start-up (the entry turns it off; the app calls this
    once its first frame is shown): what start-up made lives as long as the app, so the
    collector need not scan that again."""
    gc.freeze()
    gc.enable()


def run_in_terminal(make_app: Callable[[], Any]) -> int:
    """Run the app make_app() builds (a MicrogradApp) in this terminal until it exits;
    returns its exit status. The terminal's settings come back whatever Textual left."""
    # The worker is pure-Python and CPU-bound: a shorter GIL switch interval lets the
    # event loop in sooner after each of its waits, so keys and frames stay prompt.
    sys.setswitchinterval(0.001)
    draw_in_ascii_if_needed(sys.__stderr__)  # Textual draws on stderr
    from tui.lean import lean_driver  # Textual's driver: the headless run never needs it

    app = make_app()
    app.driver_class = lean_driver(app.driver_class)  # send only the cells that changed
    try:
        status = app.run()
    finally:
        app.terminal.restore()  # cooked mode back, whatever Textual left
    # Leave the heap to the OS: the interpreter's last collection would walk every node
    # of the run's graphs (over a second at n = 20,000) before the shell got the prompt.
    gc.freeze()
    return status if isinstance(status, int) else app.return_code or 0


__all__ = [
    "forget_closed_drawings",
    "EXIT_GRACE",
    "STOP_SIGNALS",
    "DaemonThreads",
    "TerminalGuard",
    "ascii_for",
    "draw_in_ascii_if_needed",
    "HEARTBEAT_ENV",
    "heartbeat",
    "collect_from_now",
    "lower_priority",
    "run_in_terminal",
]
