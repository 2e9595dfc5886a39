from __future__ import annotations

import os

import pytest
from synth_world import World

from sentinella.synth import generate_world


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A clean world with the small threshold catalogue and every planted kind."""
    out = tmp_path_factory.mktemp("tiny")
    return World(
        generate_world(
            out, members=2500, seed=int(os.environ.get("SYNTH_TEST_SEED", "11")), profile="tiny", media=False
        )
    )


@pytest.fixture(scope="session")
def default_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The default profile with the full threshold catalogue and some dirty rows."""
    out = tmp_path_factory.mktemp("default")
    return World(
        generate_world(
            out,
            members=6000,
            seed=int(os.environ.get("SYNTH_TEST_SEED", "5")),
            profile="default",
            media=False,
            dirty_rate=0.01,
        )
    )
