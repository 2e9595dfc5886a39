"""Per-step timings that analyses report in their summaries."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def lap(timings: dict[str, float], name: str, started: float) -> float:
    """Record the seconds since ``started`` under ``name``; return now, the next step's start."""
    now = time.perf_counter()
    timings[name] = round(now - started, 3)
    return now


Progress = Callable[[str, int, int], None]


class Steps:
    """Reports an analysis's named steps as they start, so a progress bar moves on each one.

    ``progress(f"{name}: {step}", index, total)``: the bar named ``name`` advances one step at a
    time, and a log shows which step is running.
    """

    def __init__(self, name: str, steps: Sequence[str], progress: Progress | None) -> None:
        self.name, self.steps, self.progress = name, tuple(steps), progress

    def start(self, step: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.name}: {step}", self.steps.index(step), len(self.steps))

    def done(self) -> None:
        if self.progress is not None:
            self.progress(f"{self.name}: done", len(self.steps), len(self.steps))
