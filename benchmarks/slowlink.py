"""Key -> screen over a slow ssh link: space and q after training, through a paced relay.

    .venv/bin/python benchmarks/slowlink.py [--rate 1000] [--size 200x60] [--seconds 30] [--n 1000]
    .venv/bin/python benchmarks/slowlink.py --root /path/to/another/checkout   # its code

Needs an ssh server binary (`/usr/sbin/sshd`): `sudo apt-get install -y openssh-server`
(or `apt-get install -y openssh-server` as root). No system configuration is touched: it
starts a private sshd on a free loopback port, with a throwaway host key, client key and
authorized_keys in a temporary folder, for the current user only (as root it also makes
/run/sshd, which sshd needs, if missing). Not part of the tests, nor of CI.

Between `ssh` and that sshd runs a relay on loopback that passes client -> server bytes as
they come and paces server -> client bytes at --rate kbit/s (default 1000: 1 Mbit/s),
reading from the server as fast as it sends into an unbounded buffer (what ssh's channel
window, ~2 MB, does on a slow link). `ssh -tt` runs `python -m tui --n N` of --root (this
python, PYTHONPATH=root) in a pseudo-terminal of --size (TERM=xterm-256color); this
program is that terminal: it reads every byte, answers the status and cursor queries as a
terminal would (the answers go back through the relay, so a query's round trip is the
link's), and searches the stream. After --seconds of training it presses space and times
until "paused" arrives, then q, q (the first says the steps are unsaved) and times until
the session ends; it prints both beside
the targets (space within 1 s, q within 3 s), and the bytes queued in the relay
when space was pressed. It asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {"space": 1.0, "q": 3.0}
"""The targets: seconds from the key to its answer on screen (space) or the session's end (q)."""

ANSWERS = {b"\x1b[5n": b"\x1b[0n", b"\x1b[6n": b"\x1b[1;1R", b"\x1b[c": b"\x1b[?62;22c"}
"""Queries a terminal answers (status, cursor position, device attributes)."""

CHUNK = 1024
"""Bytes the relay sends at a time toward the client (then sleeps as long as they take)."""

LIMIT = 60.0
"""Seconds any wait gives up after."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sshd(folder: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """A private sshd on loopback: returns it, its port and the client's key."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists():
        sys.exit("slowlink.py: no sshd; install openssh-server (see the docstring)")
    for name in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    os.chmod(folder, 0o700)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        f"AllowUsers {os.environ.get('USER') or 'root'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nPrintMotd no\nPrintLastLog no\n"
        "AcceptEnv LANG LC_*\n"
    )
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:  # listening?
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            sys.exit(f"slowlink.py: sshd did not start: {err.strip()}")
        time.sleep(0.05)
    return proc, port, folder / "client"


class Relay:
    """Loopback relay to the server: client -> server as it comes, server -> client paced
    at rate bytes/s through an unbounded buffer."""

    def __init__(self, server_port: int, rate: float) -> None:
        self.server_port, self.rate = server_port, rate
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.buffer: collections.deque[bytes] = collections.deque()
        self.queued = 0
        """Bytes read from the server, not yet sent to the client."""
        self.lock = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.server_port))
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=self._up, args=(client, server), daemon=True).start()
        threading.Thread(target=self._down_read, args=(server,), daemon=True).start()
        threading.Thread(target=self._down_send, args=(client,), daemon=True).start()

    @staticmethod
    def _up(client: socket.socket, server: socket.socket) -> None:
        with client, server, contextlib.suppress(OSError):  # either end closed
            while data := client.recv(65536):
                server.sendall(data)

    def _down_read(self, server: socket.socket) -> None:
        while True:
            try:
                data = server.recv(65536)
            except OSError:
                data = b""
            with self.lock:
                self.buffer.append(data)
                self.queued += len(data)
                self.lock.notify()
            if not data:
                return

    def _down_send(self, client: socket.socket) -> None:
        sent_until = time.monotonic()
        while True:
            with self.lock:
                while not self.buffer:
                    self.lock.wait()
                data = self.buffer.popleft()
                if not data:
                    client.close()
                    return
                if len(data) > CHUNK:
                    self.buffer.appendleft(data[CHUNK:])
                    data = data[:CHUNK]
                self.queued -= len(data)
            sent_until = max(sent_until, time.monotonic()) + len(data) / self.rate
            time.sleep(max(0.0, sent_until - time.monotonic()))
            try:
                client.sendall(data)
            except OSError:
                return


class Terminal:
    """ssh -tt under a pty of this size: everything it shows kept, its queries answered."""

    def __init__(self, argv: list[str], cols: int, rows: int) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
        env.update(TERM="xterm-256color", LANG="C.UTF-8")
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            if not select.select([self.master], [], [], 0.5)[0]:
                if self.proc.poll() is not None:
                    return
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data
            for query, answer in ANSWERS.items():
                for _ in range(data.count(query)):
                    os.write(self.master, answer)

    def press(self, key: bytes) -> tuple[float, int]:
        mark = len(self.output)
        os.write(self.master, key)
        return time.monotonic(), mark

    def wait_for(self, text: bytes, since: int = 0) -> float:
        deadline = time.monotonic() + LIMIT
        while text not in self.output[since:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = bytes(self.output[-400:]).decode(errors="replace")
                sys.exit(f"slowlink.py: never saw {text!r}; the session showed: {tail!r}")
            time.sleep(0.005)
        return time.monotonic()


def run(args: argparse.Namespace, cols: int, rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="slowlink-"))
    sshd, port, key = start_sshd(folder)
    relay = Relay(port, args.rate * 1000 / 8)
    user = os.environ.get("USER") or "root"
    remote = f"cd {args.root} && PYTHONPATH={args.root} exec {sys.executable} -m tui --n {args.n}"
    ssh = [
        "ssh", "-tt", "-p", str(relay.port), "-i", str(key),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "SendEnv=LANG",
        f"{user}@127.0.0.1", remote,
    ]  # fmt: skip
    term = Terminal(ssh, cols, rows)
    try:
        term.wait_for(b"paused")
        time.sleep(2.0)  # the first plots drawn and through the link
        _, mark = term.press(b" ")
        term.wait_for(b"running", mark)
        time.sleep(args.seconds)
        queued = relay.queued
        pressed, mark = term.press(b" ")
        space = term.wait_for(b"paused", mark) - pressed
        # q with unsaved steps says so once ("q again quits"), the second q quits: timed
        # from the first q, so both round trips count
        pressed, mark = term.press(b"q")
        term.wait_for(b"again", mark)
        term.press(b"q")
        status = term.proc.wait(LIMIT)
        q = time.monotonic() - pressed
        print(
            f"{cols}x{rows} at {args.rate:g} kbit/s, after {args.seconds:g} s of training "
            f"n = {args.n} ({len(term.output) / 1000:.0f} KB shown, "
            f"{queued / 1000:.1f} KB queued in the relay at the key):"
        )
        for name, took in (("space -> paused", space), ("q q -> session ends", q)):
            target = TARGETS[name.split()[0]]
            verdict = "ok" if took <= target else "over"
            print(f"  {name:<19} {took:6.2f} s   target <= {target:g} s  {verdict}")
        if status != 0:
            print(f"  (ssh exited with {status})")
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, signal.SIGTERM)
            term.proc.wait(5)
        os.close(term.master)
        sshd.terminate()
        sshd.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=1000, help="kbit/s (default 1000)")
    p.add_argument("--seconds", type=float, default=30.0, help="training first (default 30)")
    p.add_argument("--n", type=int, default=1000, help="points (default 1000)")
    p.add_argument(
        "--size",
        default="200x60",
        type=lambda s: tuple(int(v) for v in s.split("x")),
        help="the terminal's columns x rows (default 200x60)",
    )
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app runs")
    args = p.parse_args(argv)
    args.root = args.root.resolve()
    if not (args.root / "tui" / "__main__.py").exists():
        print(f"slowlink.py: no app in {args.root}", file=sys.stderr)
        return 2
    run(args, *args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
