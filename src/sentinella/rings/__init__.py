"""Brushing and fake-review rings: accounts that buy and rate in lockstep.

Design: docs/capabilities.md, "Brushing and fake-review rings".

``run_rings`` reads orders, reviews, members, ties and payments from the store, scores every
order and buyer, groups suspicious buyers into rings and writes ``ring_groups``,
``ring_members``, ``ring_order_scores`` and ``ring_member_scores``. The credit analysis drops
orders whose ``flagged`` is true. ``list_rings`` and ``ring_view`` (accounts, orders, evidence)
read the results back. The FRAUDAR kernel is :func:`fraudar`. With labels, the supervised model
is named by the caller (``logistic``, or ``lightgbm`` from the extra of that name), never chosen
by what is installed.
"""

from __future__ import annotations

from ._analysis import RESULT_TABLES, LabelsError, RingsSummary, run_rings
from ._config import RingsConfig
from ._fraudar import Block, column_weights, fraudar
from ._inputs import MissingTableError
from ._lookup import RingAccount, RingLookupError, RingOrder, RingRow, RingView, list_rings, ring_view
from ._score import MODELS, ModelError, check_model

__all__ = [
    "MODELS",
    "RESULT_TABLES",
    "Block",
    "LabelsError",
    "MissingTableError",
    "ModelError",
    "RingAccount",
    "RingLookupError",
    "RingOrder",
    "RingRow",
    "RingView",
    "RingsConfig",
    "RingsSummary",
    "check_model",
    "column_weights",
    "fraudar",
    "list_rings",
    "ring_view",
    "run_rings",
]
