"""The one progress reporter: plain lines per step when not a terminal, nothing when off."""

from __future__ import annotations

import io

from rich.console import Console

from sentinella._progress import progress_reporter


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=80), buffer


def test_lines_mode_prints_each_step_once_with_elapsed_seconds() -> None:
    console, buffer = _console()
    with progress_reporter("auto", console=console, every=3600) as report:
        report("rings: load", 0, 5)
        report("rings: load", 0, 5)  # the same step again, long before `every`: no new line
        report("rings: signals", 1, 5)
        report("rings: done", 5, 5)
        report("rings: done", 5, 5)  # finished steps are reported once
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("rings: load 0/5") and lines[0].startswith("[") and " s] " in lines[0]
    assert lines[1].endswith("rings: signals 1/5") and lines[2].endswith("rings: done 5/5")


def test_lines_mode_repeats_a_long_step_with_its_count() -> None:
    console, buffer = _console()
    with progress_reporter("lines", console=console, every=0) as report:
        report("members", 0, 60_000)
        report("members: orders", 30_000, 60_000)
        report("members: orders", 45_000, 60_000)
        report("members", 60_000, 60_000)
    text = buffer.getvalue()
    assert "members: orders 30,000/60,000" in text and "members: orders 45,000/60,000" in text
    assert text.splitlines()[-1].endswith("members 60,000/60,000")


def test_single_steps_say_done() -> None:
    console, buffer = _console()
    with progress_reporter("lines", console=console) as report:
        report("pyramid", 0, 1)
        report("pyramid", 1, 1)
    assert buffer.getvalue().splitlines()[-1].endswith("pyramid done")


def test_off_prints_nothing() -> None:
    console, buffer = _console()
    with progress_reporter("off", console=console) as report:
        report("rings: load", 0, 5)
    assert buffer.getvalue() == ""


def test_bars_on_a_terminal_leave_no_lines_behind() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80)
    with progress_reporter("auto", console=console) as report:
        report("rings: load", 0, 5)
        report("rings: done", 5, 5)
    shown = buffer.getvalue()
    assert "rings" in shown and " s] rings" not in shown  # a bar was drawn, not log lines
