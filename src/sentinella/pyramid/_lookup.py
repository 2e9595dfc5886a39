"""Reading the pyramid results back: networks with their tests, one member's place in the tree.

These are what the terminal, the API and the console show; each returns plain dataclasses that
render as text and as JSON (``to_dict``) from the same values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sentinella._query import did_you_mean, nearest, one, plain, rows
from sentinella.engine import Backend

from ._errors import PyramidError

NetworkSort = Literal["members", "persons", "levels", "fees", "rewards"]
NETWORK_SORTS: dict[str, str] = {
    "members": "members",
    "persons": "persons",
    "levels": "levels",
    "fees": "fees_total",
    "rewards": "rewards_total",
}
# At most this many levels of a downline are listed (the rest are counted from pyramid_members).
DOWNLINE_LEVELS = 30


class PyramidLookupError(PyramidError):
    """An unknown network or member, or no pyramid results in the store."""


@dataclass(frozen=True)
class TestResult:
    """One legal test applied to a network or a member, with the paragraph it applies."""

    jurisdiction: str
    rule_id: str
    citation: str
    result: str
    explanation: str = ""


@dataclass(frozen=True)
class NetworkRow:
    """A recruitment network (named by its root member) with the legal tests applied to it."""

    network_id: str
    members: int
    persons: int
    levels: int
    is_pyramid: bool
    fees_total: Decimal
    rewards_total: Decimal
    currency: str
    assessment: str
    tests: list[TestResult] = field(default_factory=list)

    def met(self) -> list[TestResult]:
        return [t for t in self.tests if t.result == "met"]

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


@dataclass(frozen=True)
class UplineStep:
    member_id: str
    level: int | None


@dataclass(frozen=True)
class DownlineLevel:
    """Members ``below`` levels under the member, and what they paid to join."""

    below: int
    members: int
    fees_paid: Decimal


@dataclass(frozen=True)
class MemberView:
    """One member: where they sit, who recruited them up to the root, who is below them."""

    member_id: str
    person_id: str | None
    network_id: str | None
    level: int | None
    direct_recruits: int
    downline: int
    depth_below: int
    person_headcount: int
    fees_paid: Decimal
    fees_in_downline: Decimal
    rewards: Decimal
    net_income: Decimal
    currency: str
    upline: list[UplineStep]
    upline_note: str
    downline_levels: list[DownlineLevel]
    downline_note: str
    findings: list[TestResult]
    issues: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


def _require(backend: Backend) -> None:
    if not backend.table_exists("pyramid_networks"):
        raise PyramidLookupError("no pyramid results in this store: run `sentinella pyramid --db FILE` first")


def list_networks(
    backend: Backend, *, sort: NetworkSort = "members", pyramids_only: bool = False, limit: int = 20
) -> list[NetworkRow]:
    """The largest networks (by ``sort``), each with its network-level legal tests."""
    _require(backend)
    if sort not in NETWORK_SORTS:
        raise PyramidLookupError(f"unknown sort {sort!r}: choose one of {', '.join(NETWORK_SORTS)}")
    where = "WHERE is_pyramid" if pyramids_only else ""
    found = rows(
        backend,
        "SELECT network_id, members, persons, levels, is_pyramid, fees_total, rewards_total, currency, "
        f"assessment FROM pyramid_networks {where} ORDER BY {NETWORK_SORTS[sort]} DESC, members DESC, "
        f"network_id LIMIT {max(int(limit), 0)}",
        step="pyramid: networks",
    )
    tests = _network_tests(backend, [str(r["network_id"]) for r in found])
    return [
        NetworkRow(
            network_id=str(r["network_id"]),
            members=int(r["members"]),
            persons=int(r["persons"]),
            levels=int(r["levels"]),
            is_pyramid=bool(r["is_pyramid"]),
            fees_total=r["fees_total"],
            rewards_total=r["rewards_total"],
            currency=str(r["currency"]),
            assessment=str(r["assessment"] or ""),
            tests=tests.get(str(r["network_id"]), []),
        )
        for r in found
    ]


def _network_tests(backend: Backend, network_ids: list[str]) -> dict[str, list[TestResult]]:
    if not network_ids or not backend.table_exists("pyramid_findings"):
        return {}
    found = rows(
        backend,
        "SELECT f.network_id, f.jurisdiction, f.rule_id, f.citation, f.result FROM pyramid_findings f "
        "JOIN {p} p ON p.network_id = f.network_id WHERE f.subject_kind = 'network' "
        "ORDER BY f.network_id, f.jurisdiction, f.rule_id",
        {"network_id": network_ids},
        step="pyramid: network tests",
    )
    tests: dict[str, list[TestResult]] = {}
    for r in found:
        tests.setdefault(str(r["network_id"]), []).append(
            TestResult(str(r["jurisdiction"]), str(r["rule_id"]), str(r["citation"]), str(r["result"]))
        )
    return tests


def member_view(backend: Backend, member_id: str) -> MemberView:
    """A member's upline path to the root, downline by level, and the findings about them."""
    _require(backend)
    me = one(
        backend,
        "SELECT m.member_id, m.person_id, m.network_id, m.in_network, m.level, m.direct_recruits, "
        "m.downline, m.depth_below, m.person_headcount, m.fees_paid, m.fees_in_downline, m.rewards, "
        "m.net_income, m.sponsor_cut, m.sponsor_inferred FROM pyramid_members m "
        "JOIN {p} p ON p.id = m.member_id",
        {"id": [member_id]},
        step="pyramid: member",
    )
    if me is None:
        raise PyramidLookupError(
            did_you_mean("member", member_id, nearest(backend, "members", "member_id", member_id))
        )
    currency = one(backend, "SELECT currency FROM pyramid_networks LIMIT 1", step="pyramid: currency")
    upline, upline_note = _upline(backend, me)
    levels, downline_note = _downline(backend, me)
    findings = [
        TestResult(
            str(r["jurisdiction"]),
            str(r["rule_id"]),
            str(r["citation"]),
            str(r["result"]),
            str(r["explanation"]),
        )
        for r in rows(
            backend,
            "SELECT f.jurisdiction, f.rule_id, f.citation, f.result, f.explanation FROM pyramid_findings f "
            "JOIN {p} p ON p.id = f.subject_id WHERE f.subject_kind = 'member' "
            "ORDER BY f.jurisdiction, f.rule_id",
            {"id": [member_id]},
            step="pyramid: member findings",
        )
    ]
    issues = [
        {"issue": str(r["issue"]), "detail": str(r["detail"])}
        for r in rows(
            backend,
            "SELECT i.issue, i.detail FROM pyramid_issues i JOIN {p} p ON p.id = i.member_id "
            "ORDER BY i.issue",
            {"id": [member_id]},
            step="pyramid: member issues",
        )
    ]
    return MemberView(
        member_id=member_id,
        person_id=me["person_id"],
        network_id=me["network_id"] if me["in_network"] else None,
        level=int(me["level"]) if me["in_network"] else None,
        direct_recruits=int(me["direct_recruits"]),
        downline=int(me["downline"]),
        depth_below=int(me["depth_below"]),
        person_headcount=int(me["person_headcount"]),
        fees_paid=me["fees_paid"],
        fees_in_downline=me["fees_in_downline"],
        rewards=me["rewards"],
        net_income=me["net_income"],
        currency=str(currency["currency"]) if currency else "",
        upline=upline,
        upline_note=upline_note,
        downline_levels=levels,
        downline_note=downline_note,
        findings=findings,
        issues=issues,
    )


def _upline(backend: Backend, me: dict[str, Any]) -> tuple[list[UplineStep], str]:
    """Sponsors from the member up to the network's root, in one recursive query.

    Within a network every sponsor link is one the analysis kept (a link cut to break a cycle
    makes its member a root), so the walk over ``members.sponsor_id`` is bounded by the member's
    level and the sponsor ``n`` steps up sits at level ``level - n``.
    """
    if not me["in_network"]:
        return [], "not in a network"
    if me["member_id"] == me["network_id"]:
        return [], "the network's root: no sponsor"
    level = int(me["level"])
    found = rows(
        backend,
        "WITH RECURSIVE up(member_id, sponsor_id, depth) AS ("
        "SELECT m.member_id, m.sponsor_id, 0 FROM members m JOIN {p} p ON p.id = m.member_id "
        "UNION ALL SELECT m.member_id, m.sponsor_id, up.depth + 1 FROM up "
        "JOIN members m ON m.member_id = up.sponsor_id JOIN {p} p ON up.depth < p.hops) "
        "SELECT member_id, depth FROM up WHERE depth > 0 ORDER BY depth",
        {"id": [me["member_id"]], "hops": [level - 1]},
        step="pyramid: upline",
    )
    path = [UplineStep(str(r["member_id"]), level - int(r["depth"])) for r in found]
    if path and path[-1].member_id == me["network_id"]:
        return path, ""
    if me["sponsor_inferred"] or not path:
        return path, "sponsor inferred from commissions or not recorded (see pyramid_issues)"
    return path, "the recorded sponsors leave the network here (see pyramid_issues)"


def _downline(backend: Backend, me: dict[str, Any]) -> tuple[list[DownlineLevel], str]:
    """Members by level below the member (accounts in the member's network), in one query.

    The walk follows ``members.sponsor_id`` down at most ``DOWNLINE_LEVELS`` levels; keeping
    only members of the same network drops anything past a link cut to break a cycle.
    """
    if int(me["downline"]) == 0:
        return [], ""
    levels = [
        DownlineLevel(int(r["below"]), int(r["members"]), r["fees_paid"] or Decimal(0))
        for r in rows(
            backend,
            "WITH RECURSIVE down(member_id, below) AS (SELECT p.id, 0 FROM {p} p "
            "UNION ALL SELECT m.member_id, down.below + 1 FROM down "
            "JOIN members m ON m.sponsor_id = down.member_id JOIN {p} p ON down.below < p.levels) "
            "SELECT d.below, count(*) AS members, sum(pm.fees_paid) AS fees_paid FROM down d "
            "JOIN pyramid_members pm ON pm.member_id = d.member_id JOIN {p} p ON pm.network_id = p.network "
            "WHERE d.below > 0 GROUP BY d.below ORDER BY d.below",
            {
                "id": [me["member_id"]],
                "levels": [min(int(me["depth_below"]), DOWNLINE_LEVELS)],
                "network": [me["network_id"]],
            },
            step="pyramid: downline",
        )
    ]
    listed = sum(level.members for level in levels)
    rest = int(me["downline"]) - listed
    if rest <= 0:
        return levels, ""
    if int(me["depth_below"]) > DOWNLINE_LEVELS:
        return levels, f"{rest:,} more members further below (down to {int(me['depth_below'])} levels)"
    return levels, f"{rest:,} members joined below through inferred sponsors (see pyramid_issues)"
