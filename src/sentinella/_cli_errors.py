"""The one place the command line turns exceptions into messages and exit statuses.

Every command runs inside :meth:`SentinellaGroup.invoke`, both from the installed
``sentinella`` script and from Typer's ``CliRunner`` in tests:

* a :class:`~sentinella.errors.SentinellaError` is something the user can fix: its message is
  printed as one line on stderr and the exit status is 2;
* an ``OSError`` (a folder that cannot be written, a full disk) is reported the same way;
* a usage error (an unknown option or command, a bad or missing option value) is one line
  naming the command and its ``--help``, exit status 2, instead of Typer's framed panel;
* Ctrl-C stops the whole run with one line and exit status 130;
* anything else is a bug: one line naming the exception type, exit status 2. ``--debug`` (or
  ``SENTINELLA_DEBUG=1``) prints the traceback as well.

Messages are printed as plain text, never as Rich markup: they often quote data values.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Sequence
from typing import Any

import duckdb
import typer
from rich.console import Console
from rich.text import Text
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from sentinella.errors import SentinellaError

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)  # Typer's own: usage errors, exits


def debug_requested(ctx: typer.Context | None = None) -> bool:
    """Whether to show tracebacks: ``--debug`` on the root command or ``SENTINELLA_DEBUG=1``."""
    if os.environ.get("SENTINELLA_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and root.params.get("debug"))


def print_error(message: str) -> None:
    """One line on stderr, ``error:`` in red, the message itself never read as markup."""
    line = " ".join(str(message).split()) or "unknown error"
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        Text.assemble(("error:", "bold red"), " ", line)
    )


def explain(error: BaseException) -> tuple[str, int]:
    """The line to print and the exit status for an exception that reached the command line."""
    if isinstance(error, KeyboardInterrupt) or _interrupted_query(error):
        return "interrupted: the run stopped; store writes in progress were rolled back", EXIT_INTERRUPTED
    if isinstance(error, SentinellaError):
        return str(error), EXIT_ERROR
    if isinstance(error, OSError):
        where = " → ".join(str(name) for name in (error.filename, error.filename2) if name is not None)
        reason = error.strerror or str(error) or type(error).__name__
        if isinstance(error, FileExistsError | NotADirectoryError) and os.path.isfile(str(error.filename)):
            reason = "is a file, not a folder"
        return (f"{where}: {reason}" if where else reason), EXIT_ERROR
    if isinstance(error, duckdb.IOException) or (
        isinstance(error, duckdb.TransactionException) and "Failed to commit" in str(error)
    ):  # a full disk, a read-only folder: the store could not be written, nothing half-saved
        return f"the store could not be written: {_first_line(error)}", EXIT_ERROR
    if isinstance(error, duckdb.OutOfMemoryException):
        reason = _first_line(error)
        return f"DuckDB ran out of memory (raise --memory-limit or free memory): {reason}", EXIT_ERROR
    if isinstance(error, MemoryError):
        return "out of memory: give a lower --memory-limit or run on a bigger machine", EXIT_ERROR
    detail = _first_line(error) if str(error).strip() else ""
    kind = type(error).__name__ + (f": {detail[:200]}" if detail else "")
    return (
        f"this is a bug in sentinella ({kind}); run again with --debug for the traceback and report it",
        EXIT_ERROR,
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _interrupted_query(error: BaseException) -> bool:
    """DuckDB reports a Ctrl-C inside a query as its own error, or as "Query interrupted"."""
    return isinstance(error, duckdb.InterruptException) or (
        isinstance(error, RuntimeError) and str(error).strip() == "Query interrupted"
    )


def usage_line(error: ClickException) -> str:
    """A usage error as one line: the command, what is wrong, and where the help is."""
    ctx = getattr(error, "ctx", None)
    message = error.format_message()
    if ctx is None:
        return message
    return f"{ctx.command_path}: {message} (see '{ctx.command_path} --help')"


def _usage_exit(error: ClickException) -> typer.Exit:
    print_error(usage_line(error))
    return typer.Exit(EXIT_ERROR)


def _fail(error: BaseException, ctx: typer.Context | None) -> typer.Exit:
    if debug_requested(ctx) and not isinstance(error, KeyboardInterrupt | duckdb.InterruptException):
        traceback.print_exception(error)
    message, status = explain(error)
    print_error(message)
    return typer.Exit(status)


class SentinellaGroup(TyperGroup):
    """The root command group: runs every command and handles what escapes from it."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise  # a group called bare shows its help
        except ClickException as error:  # a subcommand's options or name
            raise _usage_exit(error) from None
        except _PASS_THROUGH:
            raise
        except (Exception, KeyboardInterrupt) as error:
            raise _fail(error, ctx) from None

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        """Ctrl-C while the options are read is reported like one during the command, and a
        usage error of the root command like one of a subcommand."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except ClickException as error:
            raise _usage_exit(error) from None
        except KeyboardInterrupt as error:
            raise _fail(error, None) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Errors raised outside a command (while parsing its options) get the same treatment."""
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        except _PASS_THROUGH:
            raise
        except Exception as error:
            exit_ = _fail(error, None)
            if standalone_mode:
                raise SystemExit(exit_.exit_code) from None
            return exit_.exit_code
