"""The ``sentinella`` script and ``python -m sentinella``.

Importing the command line takes a second or two (DuckDB, Arrow, numba); a Ctrl-C in that time
must stop the program as cleanly as one during a command: one line, exit status 130.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from sentinella.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted: stopped before any work started\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
