"""The compose stack's nginx in front of gunicorn: slow clients no longer hold gunicorn's workers.

Runs the repository's own nginx site configuration (deploy/nginx/) with the machine's nginx,
pointed at a real gunicorn with two sync workers on the test database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.stack import BASE_DIR, free_port, gunicorn, production_env, stop, wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SITE = BASE_DIR / "deploy" / "nginx" / "backchannel.conf"
PROXY_PARAMS = BASE_DIR / "deploy" / "nginx" / "backchannel-proxy.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return found


@contextlib.contextmanager
def nginx(upstream: str, folder: Path):
    """Run nginx with the repository's site, its upstream and port changed for this machine."""
    port = free_port()
    site = SITE.read_text()
    site = site.replace("server web:8000;", f"server {upstream};")
    site = site.replace("    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{port};\n")
    site = site.replace("/etc/nginx/backchannel-proxy.conf", str(PROXY_PARAMS))
    assert f"127.0.0.1:{port}" in site and upstream in site, "the site file changed shape"
    (folder / "site.conf").write_text(site)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{ worker_connections 256; }}\n"
        "http {\n    access_log off;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items()
                  if name != "body")
        + f"    client_body_temp_path {temp['body']};\n"
        f"    include {folder}/site.conf;\n}}\n"
    )  # fmt: skip
    process = subprocess.Popen(
        [nginx_binary(), "-c", str(folder / "nginx.conf"), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base
    finally:
        stop(process)


def slow_client(port: int, stop_event: threading.Event, interval: float) -> None:
    """Send a request's header one line at a time, slowly, as long as the server listens."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop_event.wait(interval):
            sock.sendall(b"X-Slow: 1\r\n")


@contextlib.contextmanager
def slow_clients(base: str, count: int = 2, interval: float = 1.0):
    port = int(base.rsplit(":", 1)[1])
    stop_event = threading.Event()
    threads = [
        threading.Thread(target=slow_client, args=(port, stop_event, interval), daemon=True)
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # both connections are open and talking
    try:
        yield
    finally:
        stop_event.set()
        for thread in threads:
            thread.join(5)


def health_seconds(base: str, timeout: float) -> float | None:
    """Return how long /healthz took, or None when it did not answer within `timeout`."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=timeout) as response:
            assert response.status == 200
    except OSError:
        return None
    return time.monotonic() - started


def test_it_keeps_answering_while_slow_clients_trickle_their_headers(tmp_path):
    """Two slow clients hold both sync workers of a bare gunicorn; behind nginx, none.

    The first half is the control: it shows the attack works on gunicorn alone, so the second
    half can fail.
    """
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115  (kept for the server's life)
    with gunicorn(production_env(), workers=2, timeout=20, log=log) as (upstream, process):
        with slow_clients(upstream):
            assert health_seconds(upstream, timeout=3) is None  # both workers are held

        with nginx(upstream.removeprefix("http://"), tmp_path) as proxied, slow_clients(proxied):
            answers = [health_seconds(proxied, timeout=5) for _ in range(5)]
            time.sleep(1)

        assert None not in answers, answers
        assert max(answers) < 1.0, answers
        assert process.poll() is None
    log.close()
    assert b"WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_bytes()
