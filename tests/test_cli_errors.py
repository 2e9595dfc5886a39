"""How the command line fails: one line, exit status 2 (130 for Ctrl-C), nothing half-made."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinella.cli import app
from sentinella.engine import DuckDBBackend, EngineError, EngineSettings
from sentinella.errors import ConfigError, MissingTableError, SentinellaError
from sentinella.store import Store, StoreError
from support import EXAMPLES, MEMBERS_HEADER, ORDERS_HEADER

runner = CliRunner()


def sentinella(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample") / "case.duckdb"
    status, _, err = sentinella("ingest", EXAMPLES / "sample-case", "--db", db)
    assert status == 0, err
    return db


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_one_family_of_errors() -> None:
    from sentinella import credit, pyramid, rings
    from sentinella.pyramid import ProfileError, PyramidError, ReportError
    from sentinella.rings import LabelsError

    assert credit.MissingTableError is pyramid.MissingTableError is rings.MissingTableError
    assert rings.MissingTableError is MissingTableError
    for kind in (
        PyramidError,
        ProfileError,
        ReportError,
        credit.CreditError,
        LabelsError,
        StoreError,
        EngineError,
        ConfigError,
        MissingTableError,
    ):
        assert issubclass(kind, SentinellaError), kind
    # callers that caught the old bases still catch them
    assert issubclass(PyramidError, ValueError) and issubclass(StoreError, RuntimeError)
    assert issubclass(MissingTableError, LookupError) and issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    "command",
    [
        ["pyramid"],
        ["rings"],
        ["credit"],
        ["tables"],
        ["export", "orders", "--out", "x.csv"],
        ["pyramid", "report", "--network", "M001", "--out", "r.html"],
    ],
)
def test_analyses_refuse_a_store_that_does_not_exist(command: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "sub" / "cases.duckdb"
    status, _, err = sentinella(*command, "--db", typo)
    assert status == 2
    assert f"no store at {typo}" in one_error_line(err)
    assert not typo.exists() and not typo.parent.exists()  # nothing created


def test_an_analysis_refuses_a_duckdb_file_that_is_not_a_store(tmp_path: Path) -> None:
    import duckdb

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    status, _, err = sentinella("rings", "--db", other)
    assert status == 2 and "not a Sentinella store" in one_error_line(err)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--memory-limit", "lots"], "--memory-limit 'lots' is not a memory size"),
        (["--memory-limit", "1KB"], "too small"),
        (["--memory-limit", "250%"], "at most 100%"),
    ],
)
def test_bad_engine_settings_are_refused_before_the_store_is_made(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    db = tmp_path / "new.duckdb"
    status, _, err = sentinella("ingest", EXAMPLES / "sample-case", "--db", db, *args)
    assert status == 2 and expected in one_error_line(err)
    assert not db.exists()


def test_bad_thread_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "new.duckdb"
    status, _, err = sentinella("ingest", EXAMPLES / "sample-case", "--db", db, "--threads", "-1")
    assert status == 2 and "--threads" in err and "Traceback" not in err
    with pytest.raises(ConfigError, match="SENTINELLA_THREADS 'many'"):
        monkeypatch.setenv("SENTINELLA_THREADS", "many")
        Store.open(db)
    monkeypatch.delenv("SENTINELLA_THREADS")
    assert not db.exists()
    with pytest.raises(ConfigError, match="between 1 and"):
        EngineSettings(threads=100_000)
    assert EngineSettings(memory_limit="512MiB", threads=2).resolved().threads == 2


@pytest.mark.parametrize(
    ("args", "command", "says"),
    [
        (["pyramid", "--threads", "-1"], "pyramid", "Invalid value for '--threads'"),
        (["pyramid", "--no-such-option"], "pyramid", "No such option: --no-such-option"),
        (["credit", "--levels", "x"], "credit", "No such option: --levels"),
        (["no-such-command"], "", "No such command 'no-such-command'"),
        (["--no-such-option"], "", "No such option: --no-such-option"),
        (["ingest"], "ingest", "Missing argument"),
        (["generate", "--dirty-rate", "2"], "generate", "Invalid value for '--dirty-rate'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(args: list[str], command: str, says: str) -> None:
    status, out, err = sentinella(*args)
    line = one_error_line(err)
    assert status == 2 and says in line and out == ""
    assert "╭" not in err and "Usage:" not in err  # not Typer's framed panel
    if command:
        assert f" {command}: " in line and f"{command} --help" in line


def test_rates_files_are_checked_before_the_analysis(sample_db: Path, tmp_path: Path) -> None:
    before = sample_db.stat().st_mtime_ns
    status, _, err = sentinella("pyramid", "--db", sample_db, "--rates", tmp_path / "missing.toml")
    assert status == 2 and "missing.toml" in err and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "rates.toml"
    bad.write_text('EUR = 7.8\nUSD = "abc"\n', encoding="utf-8")
    status, _, err = sentinella("pyramid", "--db", sample_db, "--rates", bad)
    assert status == 2
    line = one_error_line(err)
    assert str(bad) in line and "USD = 'abc' is not a number" in line
    for text, reason in [("USD = -1\n", "positive"), ("USD = [", "not valid TOML"), ("U1 = 2\n", "currency")]:
        bad.write_text(text, encoding="utf-8")
        status, _, err = sentinella("pyramid", "--db", sample_db, "--rates", bad)
        assert status == 2 and reason in one_error_line(err), text
    assert sample_db.stat().st_mtime_ns == before  # the store was never opened for writing


def test_profiles_are_checked_before_the_analysis(sample_db: Path, tmp_path: Path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('name = "no id"\n', encoding="utf-8")
    status, _, err = sentinella("pyramid", "--db", sample_db, "--profile", profile)
    assert status == 2 and "top-level key 'id' is missing" in one_error_line(err)
    profile.write_bytes(b"\xff\xfe\x00garbage\x81")
    status, _, err = sentinella("pyramid", "--db", sample_db, "--profile", profile)
    assert status == 2 and "not valid UTF-8 TOML" in one_error_line(err)


def test_generate_refuses_bad_sizes_and_rates(tmp_path: Path) -> None:
    out = tmp_path / "world"
    for args in (
        ["--dirty-rate", "2"],
        ["--dirty-rate", "-0.1"],
        ["--members", "99999999999999999999"],
        ["--members", "0"],
        ["--seed", "-1"],
    ):
        status, _, err = sentinella("generate", "--out", out, *args)
        assert status == 2 and "Invalid value" in err and "Traceback" not in err, args
    status, _, err = sentinella("generate", "--out", out, "--world", "huge")
    assert status == 2 and "unknown world 'huge'" in one_error_line(err)
    # --profile means a jurisdiction (pyramid); generate's old name for --world says so
    status, _, err = sentinella("generate", "--out", out, "--profile", "tiny")
    assert status == 2 and "generate --profile is now --world (e.g. --world tiny)" in one_error_line(err)
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    status, _, err = sentinella("generate", "--out", afile, "--members", "10")
    assert status == 2 and "is a file" in one_error_line(err)
    assert not out.exists()


def test_an_unexpected_exception_is_one_line_naming_a_bug(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentinella import rings as rings_package

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(rings_package, "run_rings", broken)
    status, _, err = sentinella("rings", "--db", sample_db)
    line = one_error_line(err)
    assert status == 2
    assert "this is a bug in sentinella (ZeroDivisionError: division by zero)" in line
    assert "--debug" in line
    status, _, err = sentinella("--debug", "rings", "--db", sample_db)
    assert status == 2 and "Traceback" in err and "ZeroDivisionError" in err
    monkeypatch.setenv("SENTINELLA_DEBUG", "1")
    status, _, err = sentinella("rings", "--db", sample_db)
    assert status == 2 and "Traceback" in err


def test_ctrl_c_stops_the_run_with_status_130(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sentinella import credit as credit_package

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(credit_package, "run_credit", interrupted)
    status, _, err = sentinella("credit", "--db", sample_db)
    assert status == 130 and "interrupted" in one_error_line(err)


def test_a_failed_commit_is_reported_once_and_changes_nothing() -> None:
    """DuckDB ends the transaction when COMMIT fails; a ROLLBACK after it must not raise again."""
    backend = DuckDBBackend.in_memory(EngineSettings(memory_limit="1GB", threads=1))
    backend.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    other = backend.cursor()
    saving = pytest.raises(EngineError, match="could not be saved and nothing was changed")
    with saving as caught, backend.transaction("write t"):
        backend.execute("INSERT INTO t VALUES (1), (2)")
        other.execute("INSERT INTO t VALUES (1)")  # commits first: ours now fails at COMMIT
    assert "cannot rollback" not in str(caught.value)
    assert backend.scalar("SELECT count(*) FROM t") == 1
    with backend.transaction():  # the connection is usable afterwards
        backend.execute("INSERT INTO t VALUES (3)")
    assert backend.scalar("SELECT count(*) FROM t") == 2


def test_pyramid_report_takes_the_groups_db(sample_db: Path, tmp_path: Path) -> None:
    assert sentinella("pyramid", "--db", sample_db)[0] == 0
    report = tmp_path / "report.html"
    status, _, err = sentinella("pyramid", "--db", sample_db, "report", "--network", "M001", "--out", report)
    assert status == 0, err
    assert "M001" in report.read_text(encoding="utf-8")
    # and the subcommand's own --db still wins over the default
    status, _, err = sentinella(
        "pyramid", "report", "--db", tmp_path / "none.duckdb", "--network", "M001", "--out", report
    )
    assert status == 2 and "no store at" in err


def test_markup_in_data_is_printed_as_text(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "members.csv").write_text(
        MEMBERS_HEADER.rstrip("\n") + ",[/]\n"
        "M1,2024-01-01T00:00:00Z,,[bold]Ann[/],x\n"
        "[/]oops,not a date,,[red]Bob,y\n",
        encoding="utf-8",
    )
    status, out, err = sentinella("ingest", case, "--db", tmp_path / "s.duckdb")
    assert status == 1, err
    assert "Traceback" not in out + err and "MarkupError" not in out + err
    assert "[/]" in out  # the header shown as it is, in the ignored-columns note
    status, out, err = sentinella("pyramid", "--db", tmp_path / "s.duckdb", "report", "--network", "[/]x")
    assert status == 2 and "Traceback" not in err


def test_csv_export_escapes_formulas_in_text_columns_only(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "members.csv").write_text(
        MEMBERS_HEADER + 'M1,2024-01-01T00:00:00Z,,=HYPERLINK("http://x")\nM2,2024-01-01T00:00:00Z,,Ann\n',
        encoding="utf-8",
    )
    (case / "orders.csv").write_text(
        ORDERS_HEADER
        + "O1,@SUM(A1),M1,5,CNY,2024-01-02T00:00:00Z,paid\n"
        + "O2,-M2,M1,7,CNY,2024-01-02T00:00:00Z,paid\n"
        + "O3,\tM2,M1,9,CNY,2024-01-02T00:00:00Z,paid\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    assert sentinella("ingest", case, "--db", db)[0] in (0, 1)
    out = tmp_path / "orders.csv"
    status, stdout, _ = sentinella("export", "orders", "--db", db, "--out", out)
    assert status == 0
    assert "leading '" in stdout and "--raw" in stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    buyers = {row["order_id"]: row["buyer_id"] for row in rows}
    assert buyers["O1"] == "'@SUM(A1)" and buyers["O2"] == "'-M2"
    assert all(not row["amount"].startswith("'") for row in rows)  # numbers are data
    members = tmp_path / "members.csv"
    assert sentinella("export", "members", "--db", db, "--out", members)[0] == 0
    names = {row["member_id"]: row["name"] for row in csv.DictReader(members.open(encoding="utf-8"))}
    assert names == {"M1": '\'=HYPERLINK("http://x")', "M2": "Ann"}
    raw = tmp_path / "raw.csv"
    status, stdout, _ = sentinella("export", "members", "--db", db, "--out", raw, "--raw")
    assert status == 0 and "leading" not in stdout
    names = {row["member_id"]: row["name"] for row in csv.DictReader(raw.open(encoding="utf-8"))}
    assert names["M1"] == '=HYPERLINK("http://x")'
    parquet = tmp_path / "members.parquet"
    assert sentinella("export", "members", "--db", db, "--out", parquet)[0] == 0
    import pyarrow.parquet as pq

    assert '=HYPERLINK("http://x")' in pq.read_table(parquet).column("name").to_pylist()
    assert "OWASP" in runner.invoke(app, ["export", "--help"]).stdout


def test_the_root_help_names_only_commands_that_exist() -> None:
    from typer.main import get_command

    group = get_command(app)
    help_text = runner.invoke(app, ["--help"]).stdout
    words = {"credit": "credit", "pyramid": "pyramid", "rings": "rings", "provenance": "provenance"}
    for command, word in words.items():
        if word in (app.info.help or ""):
            assert command in group.commands, f"the help names {word!r}, which is not a command"  # type: ignore[attr-defined]
    assert "Usage" in help_text


def test_a_store_that_cannot_be_written_is_not_called_a_bug() -> None:
    """A full disk surfaces from DuckDB at COMMIT (seen on a full tmpfs); it is the user's to fix."""
    import duckdb

    from sentinella._cli_errors import explain

    full = duckdb.TransactionException(
        'TransactionContext Error: Failed to commit: Could not write file "s.duckdb.wal": '
        "No space left on device"
    )
    message, status = explain(full)
    assert status == 2 and message.startswith("the store could not be written") and "No space" in message
    message, status = explain(duckdb.TransactionException("TransactionContext Error: something else"))
    assert status == 2 and "this is a bug" in message
    message, status = explain(PermissionError(13, "Permission denied", "/root/report.html"))
    assert (message, status) == ("/root/report.html: Permission denied", 2)
    assert explain(KeyboardInterrupt())[1] == 130
    assert explain(duckdb.InterruptException("INTERRUPT Error"))[1] == 130
