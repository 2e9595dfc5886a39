"""Report tests build their stores with the pyramid tests' hand-checkable cases."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyramid"))
