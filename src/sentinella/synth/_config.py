"""World profiles: the named mixes of a synthetic world (not the jurisdiction profiles of
pyramid/), so a test, a demo and a seized case differ only in data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

from sentinella.errors import ConfigError


@dataclass(frozen=True)
class WorldProfile:
    """Shares and rates of one kind of world; every field can be overridden by name.

    Counts "per million" scale with the chunk's members and are rounded stochastically, so a
    small world still gets its planted things with the right expected frequency; the ``min_*``
    fields guarantee each kind appears at least that often in the first chunk.
    """

    name: str
    description: str
    # population
    chunk_members: int = 500_000
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2025, 6, 30, tzinfo=UTC)
    identity_missing_share: float = 0.05
    multi_account_share: float = 0.02
    friends_per_member: float = 3.0
    group_share: float = 0.02
    # honest commerce
    merchant_share: float = 0.02
    buyer_share: float = 0.6
    orders_per_buyer: float = 4.0
    loyalty: float = 0.35
    merchant_pareto: float = 1.1
    review_share: float = 0.55
    refund_share: float = 0.05
    dispute_share: float = 0.015
    cancel_share: float = 0.04
    friend_purchase_share: float = 0.05
    # merchant roles handed to the goods generator (the rest are honest)
    counterfeit_share: float = 0.03
    daigou_share: float = 0.03
    clearance_share: float = 0.03
    secondhand_share: float = 0.03
    # recruitment networks
    edge_catalogue: float = 1.0  # 1 = the full threshold catalogue, 0.5 = the small one, 0 = none
    # the entry shapes (a starter-package pyramid, a free-to-join bonus look-alike), planted after
    # every other network; off by default so the default world (the demo's) stays as it was
    entry_catalogue: bool = False
    pyramid_share: float = 0.01
    max_network_size: float = 3000
    referral_share: float = 0.004
    direct_selling_share: float = 0.002
    friends_shop_share: float = 0.001
    split_persons_per_million: float = 20
    outsider_buyers_per_shop: float = 6.0
    micro_shop_share: float = 0.2
    flaw_rate: float = 0.002
    hidden_sponsor_share: float = 0.0  # network members exported without sponsor_id (inference)
    # brushing and its honest look-alikes
    rings_per_million: float = 100
    ring_lookalikes_per_million: float = 60
    min_rings: int = 2
    min_ring_lookalikes: int = 1
    # dirty data
    dirty_rate: float = 0.001


WORLD_PROFILES: dict[str, WorldProfile] = {
    p.name: p
    for p in (
        WorldProfile(
            name="default",
            description="A platform export: mostly honest shops and buyers, a few planted schemes.",
        ),
        WorldProfile(
            name="pyramid-case",
            description=(
                "Seized records of a pyramid-selling case: most members sit in recruitment "
                "networks, with fees, commissions and the company shop's orders."
            ),
            merchant_share=0.005,
            buyer_share=0.2,
            orders_per_buyer=2.0,
            pyramid_share=0.6,
            max_network_size=200_000,
            referral_share=0.02,
            direct_selling_share=0.02,
            friends_shop_share=0.005,
            split_persons_per_million=200,
            entry_catalogue=True,
            micro_shop_share=0.3,
            rings_per_million=5,
            ring_lookalikes_per_million=5,
            min_rings=0,
            min_ring_lookalikes=0,
            counterfeit_share=0.05,
        ),
        WorldProfile(
            name="tiny",
            description=(
                "A small clean world for tests: the small threshold catalogue, every planted "
                "kind at least once, no dirty rows."
            ),
            edge_catalogue=0.5,
            entry_catalogue=True,
            pyramid_share=0.0,
            referral_share=0.0,
            direct_selling_share=0.0,
            friends_shop_share=0.0,
            split_persons_per_million=0,
            rings_per_million=0,
            ring_lookalikes_per_million=0,
            min_rings=2,
            min_ring_lookalikes=1,
            flaw_rate=0.004,
            dirty_rate=0.0,
        ),
    )
}

_OVERRIDABLE = {f.name: f.type for f in fields(WorldProfile) if f.name not in ("name", "description")}


def resolve_profile(
    profile: str | WorldProfile,
    *,
    dirty_rate: float | None = None,
    overrides: Mapping[str, float] | None = None,
) -> WorldProfile:
    """Apply CLI-level overrides by field name, failing loudly on a typo."""
    if isinstance(profile, WorldProfile):
        base = profile
    else:
        try:
            base = WORLD_PROFILES[profile]
        except KeyError:
            known = ", ".join(WORLD_PROFILES)
            raise ConfigError(f"unknown profile {profile!r} (profiles: {known})") from None
    changes: dict[str, object] = {}
    for key, value in (overrides or {}).items():
        kind = _OVERRIDABLE.get(key)
        if kind is None:
            known = ", ".join(sorted(k for k in _OVERRIDABLE if k not in ("start", "end")))
            raise ConfigError(f"unknown profile setting {key!r} (settings: {known})")
        if kind in ("datetime", datetime):
            raise ConfigError(f"{key!r} cannot be overridden with a number")
        changes[key] = int(value) if kind in ("int", int) else float(value)
    if dirty_rate is not None:
        changes["dirty_rate"] = float(dirty_rate)
    resolved = replace(base, **changes)  # type: ignore[arg-type]
    if resolved.chunk_members < 1:
        raise ConfigError("chunk_members must be ≥ 1")
    if not 0.0 <= resolved.dirty_rate <= 0.5:
        raise ConfigError(f"dirty rate {resolved.dirty_rate!r} must be between 0 and 0.5")
    return resolved
