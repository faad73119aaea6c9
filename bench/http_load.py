"""HTTP load on loopback: wrk when installed (Debian's `wrk`), else a small threaded client.

Each run cycles through a list of paths (so one figure covers varied queries: several topics,
people, date ranges) for a fixed time and reports requests per second and the p50 / p95 / p99
latency. `Server` starts gunicorn on a free local port and stops it (by its process id).

Two measurements are taken per endpoint: a single client, for latency, and 16 connections, for
throughput (on 2 cores, 16 connections queue, so their latency is mostly waiting).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# A single-client run with fewer samples than this is replaced by one request per path.
MIN_SAMPLES = 20
SEQUENCE_TIMEOUT = 60

WRK_SCRIPT = """
local paths = {%(paths)s}
local made = 0
setup = function(thread)
  made = made + 1
  thread:set("id", made)
end
init = function(args)
  counter = (id or 1) * 7919
end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {%(headers)s})
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "errors": %%d, "non_2xx": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    connections: int
    tool: str

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def request_headers(accept: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return the headers of every request: Accept, and any credentials the endpoint needs."""
    return {"Accept": accept, **(headers or {})}


def _lua_headers(headers: dict[str, str]) -> str:
    return ", ".join(
        f"[{_lua_string(name)}] = {_lua_string(value)}" for name, value in headers.items()
    )


def run_wrk(
    base: str,
    paths: list[str],
    connections: int,
    seconds: float,
    accept: str = "application/json",
    headers: dict[str, str] | None = None,
) -> LoadResult:
    script = WRK_SCRIPT % {
        "paths": ", ".join(map(_lua_string, paths)),
        "headers": _lua_headers(request_headers(accept, headers)),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        threads = max(1, min(2, connections))
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    line = next(
        (row for row in completed.stdout.splitlines() if row.startswith("BENCH_JSON ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk failed: {completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    duration = data["duration_us"] / 1e6
    return LoadResult(
        requests=data["requests"],
        seconds=round(duration, 2),
        rps=round(data["requests"] / duration, 1) if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=data["errors"],
        non_2xx=data["non_2xx"],
        connections=connections,
        tool="wrk",
    )


def percentile(sorted_values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(share * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def run_python(
    base: str,
    paths: list[str],
    connections: int,
    seconds: float,
    accept: str = "application/json",
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """The fallback: `connections` threads, each with a keep-alive http.client connection."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    statuses = [0] * connections

    def client(number: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        counter = number * 7919
        while time.monotonic() < deadline:
            counter += 1
            path = paths[counter % len(paths)]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=request_headers(accept, headers))
                response = conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failures[number] += 1
                conn.close()
                continue
            latencies[number].append(time.perf_counter() - started)
            if not 200 <= response.status < 400:
                statuses[number] += 1
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    duration = time.monotonic() - started
    values = sorted(value for per_client in latencies for value in per_client)
    return LoadResult(
        requests=len(values),
        seconds=round(duration, 2),
        rps=round(len(values) / duration, 1),
        p50_ms=round(percentile(values, 0.50) * 1000, 3),
        p95_ms=round(percentile(values, 0.95) * 1000, 3),
        p99_ms=round(percentile(values, 0.99) * 1000, 3),
        max_ms=round((values[-1] if values else 0.0) * 1000, 3),
        errors=sum(failures),
        non_2xx=sum(statuses),
        connections=connections,
        tool="python",
    )


def run_sequence(
    base: str,
    paths: list[str],
    accept: str = "application/json",
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Request each path once, one after another: latencies of an endpoint too slow to sample
    in a timed run (a request that outlasts the run is never counted by wrk)."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    latencies, failures, statuses = [], 0, 0
    started = time.monotonic()
    for path in paths:
        began = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=SEQUENCE_TIMEOUT)
            conn.request("GET", path, headers=request_headers(accept, headers))
            response = conn.getresponse()
            response.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            failures += 1
            continue
        latencies.append(time.perf_counter() - began)
        statuses += not 200 <= response.status < 400
    duration = time.monotonic() - started
    values = sorted(latencies)
    return LoadResult(
        requests=len(values),
        seconds=round(duration, 2),
        rps=round(len(values) / duration, 2) if duration else 0.0,
        p50_ms=round(percentile(values, 0.50) * 1000, 3),
        p95_ms=round(percentile(values, 0.95) * 1000, 3),
        p99_ms=round(percentile(values, 0.99) * 1000, 3),
        max_ms=round((values[-1] if values else 0.0) * 1000, 3),
        errors=failures,
        non_2xx=statuses,
        connections=1,
        tool="sequence",
    )


def run_load(
    base: str,
    paths: list[str],
    connections: int,
    seconds: float,
    accept: str = "application/json",
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Load `base` for `seconds`; a single client too slow to sample falls back to a sequence.

    `headers` go with every request (a curator's token or session cookie for curation reads).
    """
    runner = run_wrk if wrk_available() and not os.environ.get("BENCH_NO_WRK") else run_python
    result = runner(base, paths, connections, seconds, accept, headers)
    settle(base)
    if connections == 1 and result.requests < MIN_SAMPLES:
        result = run_sequence(base, paths[:MIN_SAMPLES], accept, headers)
        settle(base)
    return result


def settle(base: str, timeout: float = 60) -> None:
    """Wait until the server has drained the requests a loaded run left queued behind it.

    wrk stops sending, but requests already accepted into gunicorn's backlog still run; the
    next measurement would otherwise wait behind them. Settled: a few quick /healthz in a row.
    """
    parts = base.removeprefix("http://").rstrip("/").split(":")
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 8 and time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(parts[0], int(parts[1]), timeout=30)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
        except OSError:
            quick = 0
            time.sleep(0.2)
            continue
        quick = quick + 1 if time.perf_counter() - started < 0.05 else 0
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, path: str, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer {path} in {timeout:.0f} s")


class Server:
    """gunicorn serving `app` on a free loopback port, as a context manager."""

    def __init__(self, app: str, env: dict, workers: int = 4, log: Path | None = None):
        self.app = app
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                self.app,
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(self.port, "/healthz", 60, self.process)
        return self

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def children(pid: int) -> list[int]:
    """Return the ids of the direct child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)
