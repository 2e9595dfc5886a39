"""The first thing a new user runs: a synthetic world through every analysis, scored.

``run_demo`` writes ``case/`` (the generated world and its truth), ``sentinella.duckdb``,
``report.html`` and ``evidence/`` into one folder; ``score_all`` compares any store's results
with a world's ``truth/`` folder.
"""

from __future__ import annotations

from ._run import DemoResult, run_demo
from ._scoring import Score, score_all

__all__ = ["DemoResult", "Score", "run_demo", "score_all"]
