"""--serve: the app as a web page (textual-serve), one app process per browser tab, bounded."""

from __future__ import annotations

import argparse
import asyncio
import html
import ipaddress
import logging
import os
import shlex
import signal
import socket
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

QUIT_GRACE = 1.0
"""Seconds a closed tab's app has to leave after it is asked to; then it is killed (it
holds nothing to save: saves are atomic), so it is gone within 2 s of the tab."""

REFUSED = 1013
"""The websocket close code for "try again later": a tab past --max-sessions."""

TEMPLATES = Path(__file__).parent / "web"

log = logging.getLogger("micrograd-tui.serve")


def app_command(args: argparse.Namespace) -> list[str]:
    """The app each tab runs: this program with the same run flags, without --serve."""
    argv = [sys.executable, "-m", "tui"]
    for key in sorted(args.explicit):
        value = getattr(args, key)
        if key == "hidden":
            value = ",".join(str(size) for size in value)
        argv += [f"--{key.replace('_', '-')}", str(value)]
    if args.load is not None:
        argv += ["--load", os.path.abspath(args.load)]
    argv += ["--save-dir", os.path.abspath(args.save_dir)]
    return argv


def beyond_loopback(host: str, port: int) -> bool:
    """Does listening on host reach past this machine (any address it names is not loopback)?"""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return any(not ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def full_page(limit: int) -> str:
    """What a tab past the bound shows instead of an app."""
    if limit == 1:
        taken, which = "Its one session is in use", "that tab"
    else:
        taken, which = f"Its {limit} sessions are all in use", "one of those tabs"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>micrograd-tui: busy</title></head>
<body style="background:#0c181f;color:#eee;font:16px monospace;padding:10vh 10vw">
<h1>micrograd-tui is busy</h1>
<p id="busy">{html.escape(taken)} (each browser tab runs an app of its own).
Close {which}, or try again in a moment.</p>
<p><a style="color:#ac5af4" href="/">Try again</a></p>
</body></html>
"""


class Session(AppService):
    """One tab's app: started without a shell, and ended within QUIT_GRACE of its tab."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv
        self._stopping: asyncio.Future[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        # as textual-serve's, but exec'd: its process is the app, not a shell's child
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
        )
        self._process, self._stdin = process, process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit; kill it if it has not within QUIT_GRACE. Safe to repeat."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        process = self._process
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE)
        except asyncio.TimeoutError:
            log.warning("an app did not quit within %s s: killed", QUIT_GRACE)
        if process is not None:
            if process.returncode is None:
                with suppress(ProcessLookupError):
                    process.kill()
            await process.wait()


class WebServer(Server):
    """textual-serve's server, at most max_sessions apps at once; a tab past them gets a
    page that says so (the page, or its websocket if several tabs opened at once)."""

    def __init__(self, argv: list[str], host: str, port: int, max_sessions: int) -> None:
        super().__init__(
            shlex.join(argv),
            host=host,
            port=port,
            title="micrograd-tui",
            templates_path=TEMPLATES,
        )
        self.argv = argv
        self.max_sessions = max_sessions
        self.sessions: set[Session] = set()
        """Apps running, or starting: from their websocket to their process's end."""

    def initialize_logging(self) -> None:
        logging.basicConfig(level=logging.WARNING, format="micrograd-tui: %(message)s")

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: the server says where it listens once it does (announce)."""

    def announce(self, _aiohttp_banner: str) -> None:
        url = f"http://{self.host}:{self.port}/"
        if ":" in self.host:
            url = f"http://[{self.host}]:{self.port}/"
        print(
            f"micrograd-tui: serving on {url} (at most {self.max_sessions} tabs; ctrl+c stops)",
            flush=True,
        )

    def serve(self, debug: bool = False) -> None:
        """textual-serve's serve(), announcing the address once it is bound."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=self.announce,
        )

    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.full():
            return web.Response(
                status=503,
                text=full_page(self.max_sessions),
                content_type="text/html",
                headers={"Retry-After": "5", "Cache-Control": "no-store"},
            )
        # the page's URLs are the ones the browser used: listening on 0.0.0.0, the
        # server's own address would be no address at all for the browser
        origin = f"{request.scheme}://{request.host}"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": "ws" + origin.removeprefix("http") + "/ws",
            "config": {"static": {"url": origin + "/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.full():  # tabs that loaded the page together: the last ones are too many
            await websocket.send_bytes(self.refusal().encode())
            await websocket.close(code=REFUSED, message=b"all sessions in use")
            return websocket
        await self.run_session(request, websocket)
        return websocket

    def refusal(self) -> str:
        """The words a refused tab's terminal shows, under its "Session ended" bar."""
        lines = [
            "micrograd-tui is busy: all "
            f"{self.max_sessions} of its sessions are in use (each tab runs an app).",
            "Close one of those tabs, or try again in a moment.",
        ]
        return "\x1b[2J\x1b[H" + "\r\n".join(lines) + "\r\n"

    async def run_session(self, request: web.Request, websocket: web.WebSocketResponse) -> None:
        """One tab's app, from its websocket's start to its process's end."""
        session = Session(
            self.argv,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions.add(session)
        try:
            await session.start(
                to_int(request.query.get("width", "80"), 80),
                to_int(request.query.get("height", "24"), 24),
            )
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:  # the server is stopping
            await websocket.close()
        except Exception as error:  # a bad message from a browser ends its tab alone
            log.warning("a session ended: %r", error)
        finally:
            await session.stop()
            self.sessions.discard(session)

    async def on_shutdown(self, app: web.Application) -> None:
        """ctrl+c or SIGTERM: every app ends with the server (each within QUIT_GRACE)."""
        await asyncio.gather(*(session.stop() for session in list(self.sessions)))


def serve(args: argparse.Namespace) -> int:
    """Serve the app until ctrl+c (or SIGTERM); exits 2 if it cannot listen."""
    from tui.cli import EXIT_USAGE, fail

    if beyond_loopback(args.host, args.port):
        print(
            f"micrograd-tui: warning: listening on {args.host}, beyond this machine: anyone "
            f"who can reach port {args.port} can use the app (and this machine's CPU)",
            file=sys.stderr,
            flush=True,
        )
    server = WebServer(app_command(args), args.host, args.port, args.max_sessions)
    try:
        server.serve()
    except OSError as e:
        why = e.strerror or e
        fail(f"argument --port: cannot listen on {args.host}:{args.port}: {why}", EXIT_USAGE)
    return 0


__all__ = ["WebServer", "app_command", "serve"]
