"""--serve: the flags, the bound on tabs, a closed tab's process, and the page in headless
Chromium (skipped, saying why, where no Chromium is installed: .ci/run installs one)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).parents[2]
ANSI = re.compile(r"\x1b(\[[0-9;?<>=$!]*[ -/]*[@-~]|[()][0-9A-B]|[=>])")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def screen_text(data: str) -> str:
    return ANSI.sub("", data)


class Served:
    """`micrograd-tui --serve` on a free port, its stdout's first line read."""

    def __init__(self, *args: str, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui", "--serve", "--host", host, "--port", str(self.port)]
            + list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.first_line = self.proc.stdout.readline()
        assert "serving on" in self.first_line, self.proc.stderr.read() if self.proc.stderr else ""
        self.url = f"http://127.0.0.1:{self.port}"

    def apps(self) -> list[int]:
        """The app processes it runs: its children."""
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    fields = stat[stat.rindex(")") + 2 :].split()
                    if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                        children.append(int(entry))
        return children

    def close(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    marker = request.node.get_closest_marker("serve_args")
    server = Served(*(marker.args if marker else ()))
    yield server
    server.close()


async def until(check, timeout: float, every: float = 0.05):
    """check()'s first truthy value within timeout seconds, else None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        await asyncio.sleep(every)
    return None


class Tab:
    """A websocket as the page opens it: its terminal's bytes, decoded."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.text, self.closed = ws, "", None
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.text += message.data.decode("utf-8", "replace")
        self.closed = self.ws.close_code

    async def shows(self, words: str, timeout: float = 20) -> bool:
        return bool(await until(lambda: words in screen_text(self.text), timeout))


# ------------------------------------------------------------------ flags


@pytest.mark.parametrize(
    "args, message",
    [
        (["--serve", "--headless"], "argument --serve: not allowed with --headless"),
        (["--host", "0.0.0.0"], "argument --host: works only with --serve"),
        (["--port", "8000"], "argument --port: works only with --serve"),
        (["--max-sessions", "2"], "argument --max-sessions: works only with --serve"),
        (["--serve", "--port", "0"], "argument --port: must be a port from 1 to 65535, got 0"),
        (["--serve", "--port", "65536"], "argument --port: must be a port from 1 to 65535"),
        (["--serve", "--port", "http"], "argument --port: expected a port number, got 'http'"),
        (["--serve", "--max-sessions", "0"], "argument --max-sessions: must be at least 1"),
        (["--serve", "--max-sessions", "x"], "argument --max-sessions: expected a whole number"),
        (["--serve", "--host", ""], "argument --host: expected an address or a host name"),
        (["--serve", "--host", "no-such-host.invalid"], "argument --host: cannot resolve"),
        (["--serve", "--host", "a" * 300], "argument --host: cannot resolve"),
    ],
)
def test_bad_serve_flags_are_one_line_and_exit_2(args, message):
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_a_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run("--serve", "--port", str(port))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert f"argument --port: cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_a_bad_load_file_is_refused_before_serving(tmp_path):
    bad = tmp_path / "run.json"
    bad.write_text("{}")
    proc = run("--serve", "--port", str(free_port()), "--load", str(bad))
    assert proc.returncode == 2 and proc.stderr.startswith("micrograd-tui: error: argument --load")


def test_each_tab_runs_this_program_with_the_run_flags_but_not_serve():
    from tui.cli import parse_args
    from tui.serve import app_command

    args, _ = parse_args(
        ["--serve", "--port", "9000", "--seed", "7", "--hidden", "16,16", "--lr", "0.05"]
    )
    argv = app_command(args)
    assert argv[:3] == [sys.executable, "-m", "tui"]
    flags = argv[3:]
    assert flags[:6] == ["--hidden", "16,16", "--lr", "0.05", "--seed", "7"]
    assert flags[6:] == ["--save-dir", os.path.abspath(".")]
    again, config = parse_args(flags)
    assert not again.serve and (config.seed, config.hidden, config.lr) == (7, (16, 16), 0.05)


def test_the_terminal_check_lets_through_textual_serve_and_only_it(monkeypatch):
    from tui.__main__ import not_a_terminal

    monkeypatch.setattr(os, "isatty", lambda fd: False)  # pipes, as textual-serve gives
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert not_a_terminal() == "input (stdin)"
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.headless_driver:HeadlessDriver")
    assert not_a_terminal() == "input (stdin)"
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    assert not_a_terminal() is None


# ------------------------------------------------------------------ the server


def test_listening_beyond_loopback_warns_in_one_line_and_the_page_still_works():
    import urllib.request

    wide = Served(host="0.0.0.0")
    try:
        with urllib.request.urlopen(wide.url) as page:  # its URLs: the ones the browser used
            html = page.read().decode()
    finally:
        err = wide.close()
    assert f'"ws://127.0.0.1:{wide.port}/ws"' in html
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        "micrograd-tui: warning: listening on 0.0.0.0, beyond this machine: anyone who can "
        f"reach port {wide.port} can use the app (and this machine's CPU)"
    ]
    for host in ("127.0.0.1", "localhost"):
        assert "warning" not in Served(host=host).close()


async def test_a_tab_trains_on_space_and_its_app_ends_within_2_s_of_closing(served):
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{served.url}/ws?width=80&height=24")
        tab = Tab(ws)
        assert await tab.shows("paused"), screen_text(tab.text)[-500:]
        [app] = served.apps()
        await ws.send_str(json.dumps(["stdin", " "]))
        assert await tab.shows("running"), screen_text(tab.text)[-500:]
        closed = time.monotonic()
        await ws.close()
        gone = await until(lambda: app not in served.apps(), 5, every=0.02)
        print(f"tab closed: app gone after {time.monotonic() - closed:.2f} s")
        assert gone and time.monotonic() - closed < 2.0


@pytest.mark.serve_args("--max-sessions", "4")
async def test_a_tab_past_max_sessions_gets_a_clear_page_not_a_hang(served):
    async with aiohttp.ClientSession() as http:
        tabs = [Tab(await http.ws_connect(f"{served.url}/ws")) for _ in range(4)]
        for tab in tabs:
            assert await tab.shows("paused", timeout=60)
        assert len(served.apps()) == 4
        async with http.get(served.url) as page:  # a fifth tab: the page says why
            assert page.status == 503
            assert "Its 4 sessions are all in use" in await page.text()
        late = Tab(await http.ws_connect(f"{served.url}/ws"))  # a page loaded earlier
        assert await until(lambda: late.closed is not None, 5)
        assert late.closed == 1013
        assert "all 4 of its sessions are in use" in screen_text(late.text)
        assert len(served.apps()) == 4
        await tabs[0].ws.close()  # one tab closes: a new one gets an app
        assert await until(lambda: len(served.apps()) == 3, 3)
        for _ in range(20):  # the server counts it gone once it has reaped it
            async with http.get(served.url) as page:
                if page.status == 200:
                    assert "/ws" in await page.text()
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the page stayed busy after a tab closed")
        for tab in tabs[1:]:
            await tab.ws.close()
    assert await until(lambda: not served.apps(), 3)


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
async def test_the_apps_end_with_the_server(served, signal_name):
    """SIGTERM (or ctrl+c) stops each app; a killed server's apps see their pipes close
    as a hang-up: none trains on for nobody."""
    import signal

    async with aiohttp.ClientSession() as http:
        tabs = [Tab(await http.ws_connect(f"{served.url}/ws")) for _ in range(2)]
        for tab in tabs:
            assert await tab.shows("paused", timeout=30)
        apps = served.apps()
        assert len(apps) == 2
        await tabs[0].ws.send_str(json.dumps(["stdin", " "]))  # one of them training
        assert await tabs[0].shows("running")
        stopped = time.monotonic()
        served.proc.send_signal(getattr(signal, signal_name))

        def alive() -> list[int]:
            return [pid for pid in apps if Path(f"/proc/{pid}").exists() and not zombie(pid)]

        if signal_name == "SIGTERM":  # the server waits for its apps before it leaves
            assert await asyncio.to_thread(served.proc.wait, 5) == 0
            assert not alive()
        assert await until(lambda: not alive(), 5, every=0.02), alive()
        print(f"{signal_name}: apps gone after {time.monotonic() - stopped:.2f} s")
        assert time.monotonic() - stopped < 2.5


def zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2] == "Z"
    return True


async def test_an_app_that_does_not_quit_is_killed_when_its_tab_closes():
    """textual-serve alone would wait for it for ever, its process kept."""
    from textual_serve.download_manager import DownloadManager

    from tui.serve import QUIT_GRACE, Session

    async def nowhere(data) -> None:
        pass

    stuck = "print('__GANGLION__', flush=True); import time; time.sleep(60)"
    session = Session(
        [sys.executable, "-c", stuck],
        write_bytes=nowhere,
        write_str=nowhere,
        close=nowhere,
        download_manager=DownloadManager(),
    )
    await session.start(80, 24)
    process = session._process
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await asyncio.wait_for(session.stop(), 5)
    assert process.returncode is not None
    assert time.monotonic() - started < QUIT_GRACE + 0.5
    await session.stop()  # again: nothing more to do


# ------------------------------------------------------------------ a real browser


def chromium() -> str | None:
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


HOOK = """
(() => {
  const Original = window.WebSocket, decoder = new TextDecoder();
  window.__screen = "";
  window.WebSocket = function (...args) {
    const ws = new Original(...args);
    ws.addEventListener("message", (e) => {
      if (typeof e.data !== "string") window.__screen += decoder.decode(e.data, {stream: true});
    });
    return ws;
  };
  window.WebSocket.prototype = Original.prototype;
})();
"""
"""What the page's websocket hands its terminal (xterm.js draws it on a canvas)."""


class Browser:
    """Headless Chromium driven over its DevTools protocol (a websocket)."""

    def __init__(self, path: str, profile: str) -> None:
        argv = [path, "--remote-debugging-port=0", f"--user-data-dir={profile}"]
        argv += ["--no-first-run", "--disable-gpu", "--window-size=1280,800"]
        if os.path.basename(path) != "chromium-headless-shell":
            argv.append("--headless=new")
        if os.geteuid() == 0:
            argv.append("--no-sandbox")  # Chromium refuses root without it
        self.proc = subprocess.Popen(
            [*argv, "about:blank"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.startswith("DevTools listening on "):
                self.endpoint = line.split(" on ", 1)[1].strip()
                break
        else:
            raise RuntimeError("Chromium did not start")
        self.ids = iter(range(1, 10**9))
        self.pending: dict[int, asyncio.Future] = {}

    async def connect(self, http: aiohttp.ClientSession) -> None:
        self.ws = await http.ws_connect(self.endpoint, max_msg_size=0)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, session: str | None = None, **params) -> dict:
        request = {"id": next(self.ids), "method": method, "params": params}
        if session:
            request["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[request["id"]] = future
        await self.ws.send_str(json.dumps(request))
        reply = await asyncio.wait_for(future, 20)
        assert "error" not in reply, reply
        return reply["result"]

    async def open(self, url: str) -> tuple[str, str]:
        """A new tab at url, its screen hooked: (target, session)."""
        target = (await self.send("Target.createTarget", url="about:blank"))["targetId"]
        attached = await self.send("Target.attachToTarget", targetId=target, flatten=True)
        session = attached["sessionId"]
        await self.send("Page.enable", session)
        await self.send("Page.addScriptToEvaluateOnNewDocument", session, source=HOOK)
        await self.send("Page.navigate", session, url=url)
        return target, session

    async def js(self, session: str, expression: str):
        reply = await self.send("Runtime.evaluate", session, expression=expression)
        return reply["result"].get("value")

    async def key(self, session: str, key: str, code: str, text: str) -> None:
        for kind in ("keyDown", "keyUp"):
            extra = {"text": text} if kind == "keyDown" else {}
            await self.send(
                "Input.dispatchKeyEvent", session, type=kind, key=key, code=code, **extra
            )

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    path = chromium()
    if path is None:
        pytest.skip(
            "no Chromium here: apt-get install chromium-headless-shell (.ci/run does, "
            "if it can) to test the served page in a browser"
        )
    with tempfile.TemporaryDirectory() as profile:
        chrome = Browser(path, profile)
        yield chrome
        chrome.close()


async def screen(browser: Browser, session: str) -> str:
    return screen_text(await browser.js(session, "window.__screen || ''") or "")


async def shows(browser: Browser, session: str, words: str, timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if words in await screen(browser, session):
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.serve_args("--max-sessions", "1")
async def test_in_headless_chromium_space_starts_training(served, browser):
    async with aiohttp.ClientSession() as http:
        await browser.connect(http)
        target, tab = await browser.open(served.url + "/")
        assert await shows(browser, tab, "paused"), (await screen(browser, tab))[-800:]
        assert await browser.js(tab, "document.body.classList.contains('-first-byte')")
        [app] = served.apps()
        await browser.js(tab, "document.querySelector('.xterm-helper-textarea').focus()")
        await browser.key(tab, " ", "Space", " ")
        assert await shows(browser, tab, "running"), (await screen(browser, tab))[-800:]

        # a second tab, past --max-sessions 1: a page that says so
        _, second = await browser.open(served.url + "/")
        busy = await until_js(browser, second, "document.getElementById('busy')?.innerText")
        assert busy and "session is in use" in busy

        closed = time.monotonic()
        await browser.send("Target.closeTarget", targetId=target)
        gone = await until(lambda: app not in served.apps(), 5, every=0.02)
        print(f"browser tab closed: app gone after {time.monotonic() - closed:.2f} s")
        assert gone and time.monotonic() - closed < 2.0


async def until_js(browser: Browser, session: str, expression: str, timeout: float = 10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = await browser.js(session, expression)
        if value:
            return value
        await asyncio.sleep(0.1)
    return None
