"""A small open-loop HTTP/1.1 load client on asyncio (standard library only).

Every simulated phone sends its requests at the times its script says, whatever the server's
speed (open loop: a slow server cannot slow the arrivals down, so latencies are not hidden by
coordinated omission). One connection per request (`Connection: close`), as nginx talks to
its upstream by default. Only loopback addresses are accepted."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


def check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to load {host}: loopback addresses only")


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]

    def cookies(self) -> dict[str, str]:
        out = {}
        for raw in self.headers.get("set-cookie", []):
            name, _, rest = raw.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
        return out


@dataclass
class Stats:
    """Latencies (seconds) and errors of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    first: float | None = None
    last: float | None = None

    def ok(self, seconds: float, at: float) -> None:
        self.latencies.append(seconds)
        self._span(at)

    def fail(self, why: str, seconds: float, at: float) -> None:
        self.errors += 1
        self.latencies.append(seconds)
        if len(self.error_samples) < 10:
            self.error_samples.append(why)
        self._span(at)

    def _span(self, at: float) -> None:
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float | None:
            if not n:
                return None
            return round(lat[min(n - 1, max(0, int(round(p / 100 * n + 0.5)) - 1))] * 1000, 1)

        span = (self.last - self.first) if n > 1 else 0.0
        return {
            "requests": n,
            "errors": self.errors,
            "rps": round(n / span, 1) if span > 0 else None,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "max_ms": round(lat[-1] * 1000, 1) if n else None,
            "error_samples": self.error_samples,
        }


class Client:
    def __init__(self, host: str, port: int, timeout: float = 30.0):
        check_loopback(host)
        self.host, self.port, self.timeout = host, port, timeout
        self.in_flight = 0
        self.max_in_flight = 0

    async def request(
        self,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        form: dict | None = None,
        json_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines.append("Connection: close")
        lines.append("User-Agent: quizapp-bench")
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if form is not None:
            body = urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
        elif json_body is not None:
            body = json_body
            lines.append("Content-Type: application/json")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        t0 = time.perf_counter()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            data = await asyncio.wait_for(self._exchange(raw), self.timeout)
        finally:
            self.in_flight -= 1
        seconds = time.perf_counter() - t0
        head, _, payload = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise ConnectionError(f"bad response: {status_line[:80]!r}")
        hdrs: dict[str, list[str]] = {}
        for line in header_lines:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        if "chunked" in ",".join(hdrs.get("transfer-encoding", [])):
            payload = _unchunk(payload)
        return Response(int(parts[1]), hdrs, payload, seconds)

    async def _exchange(self, raw: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(raw)
            await writer.drain()
            return await reader.read()  # until the server closes (Connection: close)
        finally:
            writer.close()


def _unchunk(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            break
        out += data[j + 2 : j + 2 + size]
        i = j + 2 + size + 2
    return bytes(out)
