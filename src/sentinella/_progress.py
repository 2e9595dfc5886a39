"""One progress reporter for every command: Rich bars on a terminal, plain lines otherwise.

Long steps report ``(stage, done, total)``; the part of ``stage`` before a ``:`` names the
bar (``"rings: signals"`` moves the ``rings`` bar and shows the step). When stderr is not a
terminal (a log file, a pipe, CI) each new step is one plain line on stderr with the seconds
since the command started, and a step that keeps running prints its count again at most every
``every`` seconds, so a piped run is never silent for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

Report = Callable[[str, int, int], None]
Mode = Literal["auto", "bar", "lines", "off"]


def _silent(stage: str, done: int, total: int) -> None:
    return None


@contextmanager
def progress_reporter(
    mode: Mode = "auto", *, console: Console | None = None, every: float = 5.0
) -> Iterator[Report]:
    """A ``report(stage, done, total)`` callable; ``auto`` picks bars on a terminal, else lines."""
    out = console if console is not None else Console(stderr=True, highlight=False)
    if mode == "auto":
        mode = "bar" if out.is_terminal else "lines"
    if mode == "off":
        yield _silent
    elif mode == "bar":
        with _bars(out) as report:
            yield report
    else:
        yield _lines(out, every)


@contextmanager
def _bars(out: Console) -> Iterator[Report]:
    with Progress(
        TextColumn("{task.description:<22}", markup=False),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            key = stage.split(":")[0]
            if key not in tasks:
                tasks[key] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[key], completed=done, total=max(total, 1), description=stage)

        yield report


def _lines(out: Console, every: float) -> Report:
    started = time.perf_counter()
    last: dict[str, tuple[str, float, bool]] = {}  # bar key → (step shown, when, finished)

    def report(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        key = stage.split(":")[0]
        finished = total > 0 and done >= total
        shown = last.get(key)
        repeat = shown is not None and shown[0] == stage
        if repeat and shown is not None and (shown[2] or (not finished and now - shown[1] < every)):
            return
        count = f" {done:,}/{total:,}" if total > 1 else (" done" if finished else "")
        out.print(Text(f"[{now - started:7.1f} s] {stage}{count}"), soft_wrap=True)
        last[key] = (stage, now, finished)

    return report
