"""Pure array kernels of pyramid forensics (no I/O): the store layer codes IDs and calls these.

Members are coded 0..n-1 and a sponsor array holds each member's sponsor code, -1 for none.
"""

from __future__ import annotations

from ._arrays import Engine
from ._forest import (
    ForestMetrics,
    SponsorCheck,
    SponsorCycleError,
    analyse_forest,
    downline_by_distance,
    forest_metrics,
    subtree_sum,
    validate_sponsors,
)
from ._persons import PersonMerge, identity_links, merge_accounts

__all__ = [
    "Engine",
    "ForestMetrics",
    "PersonMerge",
    "SponsorCheck",
    "SponsorCycleError",
    "analyse_forest",
    "downline_by_distance",
    "forest_metrics",
    "identity_links",
    "merge_accounts",
    "subtree_sum",
    "validate_sponsors",
]
