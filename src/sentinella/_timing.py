"""Per-step timings that analyses report in their summaries."""

from __future__ import annotations

import time


def lap(timings: dict[str, float], name: str, started: float) -> float:
    """Record the seconds since ``started`` under ``name``; return now, the next step's start."""
    now = time.perf_counter()
    timings[name] = round(now - started, 3)
    return now
