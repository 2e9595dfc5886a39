"""SIGKILL an import and each analysis at random moments; the store must stay whole.

A killed run must leave every table either as it was before the run or as a clean run leaves
it (row counts equal to one or the other), no result table half-written and no stray tables;
the store must open, and running the command again must give the clean run's tables.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sentinella.contract import TABLES
from sentinella.store import Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see when the store opens"),
]

KILLS = 2  # per command
ANALYSES = (("pyramid",), ("rings",), ("credit",))


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "sentinella.cli", *(str(a) for a in args)]


def has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds ``path`` open (Linux: its /proc/PID/fd links)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(folder / fd) == str(path) for fd in os.listdir(folder))
    except OSError:  # the process ended, or an fd closed while we looked
        return False


def start(*args: str | Path) -> subprocess.Popen[str]:
    """Start the command with Ctrl-C's default action, whatever this process inherited: a test
    run started in the background (``nohup ... &``) ignores SIGINT, and so would its children,
    where Python then never raises KeyboardInterrupt."""
    return subprocess.Popen(
        cli(*args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def run_timed(*args: str | Path, db: Path, kill_at: float | None = None) -> tuple[int | None, float]:
    """Run a command; time it from the moment it opens the store (Python's start-up excluded).

    With ``kill_at``, SIGKILL it that many seconds after it opened the store (if it is still
    running). Returns the exit status (None when killed) and the seconds since the store opened.
    """
    process = start(*args)
    target = db.resolve()
    while process.poll() is None and not has_open(process.pid, target):
        time.sleep(0.005)
    opened = time.monotonic()
    if kill_at is not None:
        try:
            process.wait(timeout=kill_at)  # finishing first is a legitimate outcome too
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return None, time.monotonic() - opened
    _, stderr = process.communicate(timeout=600)
    assert "Traceback" not in stderr, stderr
    return process.returncode, time.monotonic() - opened


def counts(db: Path) -> dict[str, int]:
    """Row counts of every table; the store must open the way the commands open it."""
    if not db.exists() or db.stat().st_size == 0:
        return {}
    Store.open(db, read_only=True).close()
    with duckdb.connect(str(db), read_only=True) as connection:
        names = [
            str(row[0])
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]) for name in names
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = tmp_path_factory.mktemp("faults") / "case"
    done = subprocess.run(
        cli("generate", "--out", case, "--world", "tiny", "--members", "1500", "--no-media"),
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return case


@pytest.fixture(scope="module")
def ingested(world: Path) -> Path:
    db = world.parent / "ingested.duckdb"
    assert run_timed("ingest", world, "--db", db, db=db)[0] in (0, 1)
    return db


def test_killed_imports_leave_each_table_old_or_new(world: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.duckdb"
    status, seconds = run_timed("ingest", world, "--db", clean, db=clean)
    assert status in (0, 1)
    expected = counts(clean)
    inputs = [name for name in TABLES if expected.get(name)]
    assert len(inputs) >= 5
    chance = random.Random(10)
    db = tmp_path / "killed.duckdb"
    for _ in range(KILLS):
        killed, _ = run_timed("ingest", world, "--db", db, db=db, kill_at=chance.uniform(0, 1) * seconds)
        after = counts(db)
        print("ingest", "killed" if killed is None else "finished", {n: after.get(n, 0) for n in inputs})
        assert set(after) <= set(expected), set(after) - set(expected)  # no stray tables
        for name in inputs:
            assert after.get(name, 0) in (0, expected[name]), (name, after.get(name), expected[name])
    assert run_timed("ingest", world, "--db", db, db=db)[0] in (0, 1)
    again = counts(db)
    assert {name: again[name] for name in inputs} == {name: expected[name] for name in inputs}


@pytest.mark.parametrize("command", ANALYSES, ids=[" ".join(c) for c in ANALYSES])
def test_killed_analyses_leave_all_results_or_none(
    command: tuple[str, ...], ingested: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base.duckdb"
    shutil.copyfile(ingested, base)
    before = counts(base)
    clean = tmp_path / "clean.duckdb"
    shutil.copyfile(base, clean)
    status, seconds = run_timed(*command, "--db", clean, db=clean)
    assert status == 0
    expected = counts(clean)
    results = sorted(set(expected) - set(before))
    assert results, "the analysis wrote no result tables"
    chance = random.Random(len(command[0]))
    db = tmp_path / "killed.duckdb"
    shutil.copyfile(base, db)
    for _ in range(KILLS):
        killed, _ = run_timed(*command, "--db", db, db=db, kill_at=chance.uniform(0, 1) * seconds)
        after = counts(db)
        assert set(after) <= set(expected), set(after) - set(expected)  # no half-made tables
        written = [name for name in results if name in after]
        assert written in ([], results), written  # all result tables or none
        state = before if not written else expected
        print(command, "killed" if killed is None else "finished", "results" if written else "as it was")
        assert after == state, {
            k: (after.get(k), state.get(k)) for k in state if after.get(k) != state.get(k)
        }
    assert run_timed(*command, "--db", db, db=db)[0] == 0
    assert counts(db) == expected


@pytest.mark.parametrize("command", [("ingest",), *ANALYSES], ids=["ingest", *(c[0] for c in ANALYSES)])
def test_ctrl_c_stops_the_whole_run_with_one_line(
    command: tuple[str, ...], world: Path, ingested: Path, tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    if command == ("ingest",):
        args: tuple[str | Path, ...] = ("ingest", world, "--db", db)
    else:
        shutil.copyfile(ingested, db)
        args = (*command, "--db", db)
    before = counts(db)
    process = start(*args)
    while process.poll() is None and not has_open(process.pid, db.resolve()):
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == [stderr.strip()] and stderr.startswith("error: interrupted"), stderr
    if command != ("ingest",):
        assert counts(db) == before  # the analysis wrote nothing
