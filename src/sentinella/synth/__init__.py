"""Synthetic worlds with planted ground truth (docs/capabilities.md, "Synthetic worlds").

``generate_world`` writes a case folder in the input contract plus a ``truth/`` folder naming
every planted pyramid, look-alike, multi-account person, brushing ring, counterfeit and dirty
row, so every detector can be judged against a world whose answers are known.
"""

from __future__ import annotations

from ._config import WORLD_PROFILES, WorldProfile
from ._world import WorldSummary, generate_world

__all__ = ["WORLD_PROFILES", "WorldProfile", "WorldSummary", "generate_world"]
