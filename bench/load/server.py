"""Starting and stopping the servers of a benchmark run (our own child processes only), and
the CPU time they use (from /proc), so that figures can be given per core."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def wait_port(port: int, path: str = "/", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Not listening yet (connection refused, reset): try again after a short pause.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            if s.recv(12).startswith(b"HTTP/1.1 2"):
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path}")


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py MODULE` on 127.0.0.1:PORT, like `make serve`."""

    def __init__(self, module: str, port: int, env: dict, log: Path, extra: list | None = None):
        self.port = port
        cmd = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
        cmd += [*(extra or []), module]
        full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603
            cmd,
            cwd=ROOT,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ready(self, path: str = "/") -> Gunicorn:
        wait_port(self.port, path)
        return self

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


class CpuMeter:
    """CPU seconds used by groups of processes between start() and stop()."""

    def __init__(self, groups: dict):
        self.groups = groups  # name -> callable returning the pids

    def start(self) -> None:
        self.before = {name: cpu_seconds(f()) for name, f in self.groups.items()}
        self.t0 = time.monotonic()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        out = {"wall_s": round(wall, 2)}
        for name, f in self.groups.items():
            after = cpu_seconds(f())
            before = self.before[name]
            used = sum(v - before.get(pid, 0.0) for pid, v in after.items())
            out[f"{name}_cpu_s"] = round(used, 2)
        return out


def postgres_pids() -> list[int]:
    """The local PostgreSQL of the run (its postmaster and backends), if there is one."""
    data = os.environ.get("BENCH_PGDATA")
    if not data:
        return []
    try:
        master = int(Path(data, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [master, *children(master)]
