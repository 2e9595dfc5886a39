"""Every command and subcommand, fed bad option values, bad files and markup-laden data.

The commands are enumerated from the Typer app, so a new command is covered without editing
this file. For each parameter of each command, each bad value of its kind is tried once, the
other parameters keeping small working values. Whatever happens, the user must see no
traceback, no Rich markup error, and an exit status of 0, 1 or 2.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sentinella.cli import app
from support import EXAMPLES, MEMBERS_HEADER

pytestmark = pytest.mark.slow  # every command with every bad input

runner = CliRunner()
ROOT = get_command(app)


def _leaves(command: object, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
    """Every runnable command: leaves, and groups that run without a subcommand (pyramid)."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    if path and getattr(command, "invoke_without_command", False):
        yield path, command
    for name, sub in subcommands.items():
        yield from _leaves(sub, (*path, name))


COMMANDS = dict(_leaves(ROOT, ()))

# Bad values, by the kind of parameter; <...> names a file made by the fixture.
BAD_PATHS = ["<missing>", "<dir>", "<garbage>", "<empty>", "<loop>", "<markup-name>", "<markup-case>"]
BAD_OUT = ["<garbage>", "<loop>", "<under-a-file>", "<markup-name>"]
BAD_VALUES = {
    "INT": ["-1", "abc", "99999999999999999999", "[/]"],
    "FLOAT": ["nan", "inf", "2", "-1", "[bold]"],
    "TEXT": ["[/]", "[bold]x[/bold]", "", "lots", "../../../../etc/passwd", "<garbage>", "<empty>"],
}
BAD_DB = ["<missing>", "<dir>", "<garbage>", "<empty>", "<loop>", "<markup-db>"]


def _kind(param: object) -> str:
    name = type(getattr(param, "type", None)).__name__.upper()
    if "PATH" in name:
        return "PATH"
    if "INT" in name:
        return "INT"
    if "FLOAT" in name:
        return "FLOAT"
    return "TEXT"


def _bad_values(param: object) -> list[str]:
    if getattr(param, "name", "") == "db":
        return BAD_DB
    if getattr(param, "name", "") == "out":
        return BAD_OUT
    kind = _kind(param)
    return BAD_PATHS if kind == "PATH" else BAD_VALUES[kind]


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]
    param: str
    value: str

    @property
    def id(self) -> str:
        return f"{' '.join(self.command)}:{self.param}={self.value!r}"


def _cases() -> list[Case]:
    cases = []
    for path, command in COMMANDS.items():
        cases.append(Case(path, "", ""))  # working values only, every flag on
        for param in getattr(command, "params", []):
            if getattr(param, "is_flag", False) or param.name in ("help",):
                continue
            cases.extend(Case(path, param.name, value) for value in _bad_values(param))
    return cases


CASES = _cases()


def test_every_command_is_fuzzed() -> None:
    fuzzed = {case.command for case in CASES}
    assert {("ingest",), ("pyramid",), ("pyramid", "report"), ("rings",), ("credit",)} <= fuzzed
    assert set(COMMANDS) <= fuzzed


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    made: dict[str, Path] = {"<missing>": root / "missing" / "nothing.toml", "<dir>": root / "a-folder"}
    made["<dir>"].mkdir()
    made["<garbage>"] = root / "garbage.bin"
    made["<garbage>"].write_bytes(bytes(range(256)) * 8 + b"\x00\xff[/]\r\n")
    made["<empty>"] = root / "empty.csv"
    made["<empty>"].write_bytes(b"")
    made["<loop>"] = root / "loop"
    os.symlink(root / "loop", made["<loop>"])
    made["<under-a-file>"] = made["<garbage>"] / "inside.html"
    made["<markup-name>"] = root / "[bold]x[red]"
    made["<markup-name>"].write_text("[/]\n[bold]\n", encoding="utf-8")
    case = root / "[red]case"
    case.mkdir()
    (case / "members.csv").write_text(
        MEMBERS_HEADER.rstrip("\n") + ",[/],[bold]\n"
        "[/],2024-01-01T00:00:00Z,,[bold]Ann[/bold],x,y\n"
        "M2,[/],[/],[red]Bob[/],x,y\n"
        "M3,2024-01-01T00:00:00Z,[/],\\[/],x,y\n",
        encoding="utf-8",
    )
    (case / "orders.csv").write_text(
        "order_id,buyer_id,merchant_id,amount,currency,placed_at,status\n"
        "[/]O1,[/],[bold]shop,=1+1,[/],2024-01-02T00:00:00Z,[/]\n"
        "O2,M3,[bold]shop,5,CNY,2024-01-02T00:00:00Z,paid\n",
        encoding="utf-8",
    )
    (case / "[bold]notes.csv").write_text("a\n1\n", encoding="utf-8")
    made["<markup-case>"] = case
    made["<markup-db>"] = root / "markup.duckdb"
    made["good-db"] = root / "good.duckdb"
    for db, source in ((made["<markup-db>"], case), (made["good-db"], EXAMPLES / "sample-case")):
        result = runner.invoke(app, ["ingest", str(source), "--db", str(db)])
        assert result.exit_code in (0, 1), result.output
        result = runner.invoke(app, ["pyramid", "--db", str(db)])  # so `pyramid report` gets to write
        assert result.exit_code == 0, result.output
    return made


def _working_values(command: tuple[str, ...], files: dict[str, Path], scratch: Path) -> dict[str, list[str]]:
    """Small, working values for the parameters a command needs, so the bad one is reached."""
    db = scratch / "store.duckdb"
    shutil.copyfile(files["good-db"], db)
    out = {
        ("export",): scratch / "out.csv",
        ("pyramid", "report"): scratch / "report.html",
    }.get(command, scratch / "out")
    values = {
        "db": ["--db", str(db)],
        "case_dir": [str(EXAMPLES / "sample-case")],
        "table": ["orders"],
        "network": ["--network", "M001"],
        "out": ["--out", str(out)],
    }
    if command in (("generate",), ("demo",)):
        values["members"] = ["--members", "50" if command == ("generate",) else "1000"]
        values["media"] = ["--no-media"]
        if command == ("generate",):
            values["world"] = ["--world", "tiny"]
    return values


def _arguments(case: Case, files: dict[str, Path], scratch: Path) -> list[str]:
    command = COMMANDS[case.command]
    working = _working_values(case.command, files, scratch)
    value = str(files[case.value]) if case.value in files else case.value
    args: list[str] = [*case.command]
    for param in getattr(command, "params", []):
        is_argument = type(param).__name__.endswith("Argument")
        flag = param.opts[0] if param.opts else f"--{param.name}"
        if param.name == case.param:
            args.extend([value] if is_argument else [flag, value])
        elif not case.param and getattr(param, "is_flag", False) and param.name not in ("help", "media"):
            args.append(flag)
        elif param.name in working:
            args.extend(working[param.name])
        elif param.required:
            args.extend(["x"] if is_argument else [flag, "x"])
    return args


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` with working values would serve until stopped: everything up to uvicorn runs."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_never_gives_a_traceback(case: Case, files: dict[str, Path], tmp_path: Path) -> None:
    args = _arguments(case, files, tmp_path)
    result = runner.invoke(app, args)
    shown = result.output
    assert "Traceback" not in shown and "MarkupError" not in shown, (args, shown)
    assert "this is a bug" not in shown, (args, shown)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, shown)
