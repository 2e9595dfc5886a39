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
# The upline is walked this many sponsor links per query; the downline one level per query,
# and at most this many levels are listed (the rest are summed from pyramid_members).
_UPLINE_HOPS = 8
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
            did_you_mean("member", member_id, nearest(backend, "pyramid_members", "member_id", member_id))
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
    """Sponsors from the member up to the network's root, following the links the analysis kept."""
    if not me["in_network"]:
        return [], "not in a network"
    if me["member_id"] == me["network_id"]:
        return [], "the network's root: no sponsor"
    hops = range(1, _UPLINE_HOPS + 1)
    columns = ", ".join(
        f"s{i}.member_id AS id{i}, s{i}.level AS level{i}, s{i}.sponsor_cut AS cut{i}, "
        f"s{i}.sponsor_id AS sponsor{i}"
        for i in hops
    )
    linked = (
        "(SELECT pm.member_id, pm.level, pm.sponsor_cut, m.sponsor_id FROM pyramid_members pm "
        "JOIN members m ON m.member_id = pm.member_id)"
    )
    joins = " ".join(
        f"LEFT JOIN {linked} s{i} ON s{i}.member_id = {'p.sponsor' if i == 1 else f's{i - 1}.sponsor_id'}"
        for i in hops
    )
    path: list[UplineStep] = []
    seen = {str(me["member_id"])}
    start = one(
        backend,
        "SELECT m.sponsor_id FROM members m JOIN {p} p ON p.id = m.member_id",
        {"id": [me["member_id"]]},
        step="pyramid: sponsor",
    )
    sponsor = start["sponsor_id"] if start else None
    if me["sponsor_cut"]:
        return [], "sponsor link ignored to break a recruitment cycle (see pyramid_issues)"
    if sponsor is None:
        note = "sponsor inferred from commissions (see pyramid_issues)" if me["sponsor_inferred"] else ""
        return [], note or "no sponsor recorded"
    while True:
        found = one(
            backend, f"SELECT {columns} FROM {{p}} p {joins}", {"sponsor": [sponsor]}, step="pyramid: upline"
        )
        if found is None:
            return path, "upline could not be read"
        for i in hops:
            current = found[f"id{i}"]
            if current is None:
                return path, f"sponsor {sponsor} is not a member in the store"
            if current in seen:
                return path, "the upline runs into a recruitment cycle (see pyramid_issues)"
            seen.add(str(current))
            path.append(UplineStep(str(current), found[f"level{i}"]))
            if current == me["network_id"]:
                return path, ""
            if found[f"cut{i}"]:
                return path, f"{current}'s sponsor link was ignored to break a cycle"
            sponsor = found[f"sponsor{i}"]
            if sponsor is None:
                return path, f"{current} has no sponsor recorded"


def _downline(backend: Backend, me: dict[str, Any]) -> tuple[list[DownlineLevel], str]:
    """Members by level below the member (accounts, following the sponsor links kept)."""
    if int(me["downline"]) == 0:
        return [], ""
    frontier = [str(me["member_id"])]
    levels: list[DownlineLevel] = []
    listed = 0
    for below in range(1, DOWNLINE_LEVELS + 1):
        found = rows(
            backend,
            "SELECT pm.member_id, pm.fees_paid FROM members m JOIN {p} p ON p.id = m.sponsor_id "
            "JOIN pyramid_members pm ON pm.member_id = m.member_id WHERE NOT pm.sponsor_cut",
            {"id": frontier},
            step="pyramid: downline",
        )
        if not found:
            break
        fees = sum((r["fees_paid"] for r in found), Decimal(0))
        levels.append(DownlineLevel(below, len(found), fees))
        listed += len(found)
        frontier = [str(r["member_id"]) for r in found]
    rest = int(me["downline"]) - listed
    if rest <= 0:
        return levels, ""
    if len(levels) == DOWNLINE_LEVELS:
        return levels, f"{rest:,} more members further below (down to {int(me['depth_below'])} levels)"
    return levels, f"{rest:,} members joined below through inferred sponsors (see pyramid_issues)"
