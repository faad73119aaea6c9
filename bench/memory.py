"""Resident memory of the web and Celery worker processes, read from /proc after the runs.

RSS counts every page a process has in memory, shared ones included (a forked gunicorn worker
shares much of its code with the master): it is the figure the targets name, and an upper
bound. PSS divides shared pages among their sharers, so the PSS of all workers adds up to what
they really cost together.
"""

from __future__ import annotations

from pathlib import Path

# Targets (MB) from the benchmark issue.
WEB_WORKER_TARGET_MB = 250
CELERY_WORKER_TARGET_MB = 300


def _kilobytes(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def process_memory(pid: int) -> dict | None:
    """Return {"pid", "rss_mb", "pss_mb"} for a live process, or None when it is gone."""
    rss = _kilobytes(Path(f"/proc/{pid}/status"), "VmRSS")
    if rss is None:
        return None
    pss = _kilobytes(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
    return {
        "pid": pid,
        "rss_mb": round(rss / 1024, 1),
        "pss_mb": round(pss / 1024, 1) if pss is not None else None,
    }


def summarise(pids: list[int], target_mb: float) -> dict:
    """Return the largest worker's RSS and PSS, and each worker's, against the target."""
    workers = [found for pid in pids if (found := process_memory(pid)) is not None]
    if not workers:
        return {"workers": [], "max_rss_mb": None, "target_mb": target_mb, "met": None}
    largest = max(worker["rss_mb"] for worker in workers)
    return {
        "workers": workers,
        "max_rss_mb": largest,
        "max_pss_mb": max((worker["pss_mb"] or 0) for worker in workers),
        "target_mb": target_mb,
        "met": largest <= target_mb,
    }
