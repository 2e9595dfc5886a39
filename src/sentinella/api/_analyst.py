"""Analyst routes (API key of role analyst): merchants, members, networks, rings, risk, cases, search.

Every call is written to the audit trail by the ``require`` dependency; case changes also
record their own before/after events. Every query is parameterised.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sentinella import cases as case_queue

from ._errors import Problem
from ._http import Caller, require, service_of
from ._public import _CARD, credit_card
from ._service import Service

Analyst = Annotated[Caller, Depends(require("analyst", "admin"))]
router = APIRouter(prefix="/v1", tags=["analyst"])
Id = Annotated[str, Path(min_length=1, max_length=128)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
SubjectKind = Literal["member", "merchant"]
Status = Literal["open", "investigating", "actioned", "dismissed"]


def _need(service: Service, table: str, analysis: str) -> None:
    if not service.has_table(table):
        raise Problem(404, "Not computed", f"{analysis} has not been run on this store ({table} is missing)")


def _risk(service: Service, kind: str, subject: str) -> dict[str, Any]:
    if not service.has_table("risk_scores"):
        return {"score": None, "reasons": [], "analyses": [], "note": "risk has not been run on this store"}
    row = service.one(
        "SELECT score, reasons, analyses FROM risk_scores WHERE subject_kind = ? AND subject_id = ?",
        [kind, subject],
    )
    if row is None:
        used = service.one("SELECT analyses FROM risk_scores LIMIT 1")
        return {"score": 0.0, "reasons": [], "analyses": json.loads(used["analyses"]) if used else []}
    return {
        "score": row["score"],
        "reasons": json.loads(row["reasons"]),
        "analyses": json.loads(row["analyses"]),
    }


def _optional(service: Service, table: str, sql: str, params: list[Any]) -> dict[str, Any] | None:
    return service.one(sql, params) if service.has_table(table) else None


@router.get("/merchants/{merchant_id}", summary="A merchant: record, credit, risk, cases")
def merchant(merchant_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    service = service_of(request)
    row = service.one("SELECT * FROM merchants WHERE merchant_id = ?", [merchant_id])
    if row is None:
        raise Problem(404, "Not found", f"no merchant {merchant_id!r}", field="merchant_id")
    credit = _optional(service, "credit_merchants", _CARD, [merchant_id])
    return {
        "merchant": row,
        "credit": credit_card(credit) if credit else None,
        "risk": _risk(service, "merchant", merchant_id),
        "rings": service.rows(
            "SELECT * FROM ring_groups WHERE merchant_id = ? ORDER BY score DESC", [merchant_id]
        )
        if service.has_table("ring_groups")
        else [],
        "cases": [c.as_dict() for c in case_queue.list_cases(service.cursor(), subject_id=merchant_id)],
    }


@router.get("/members/{member_id}", summary="A member: record, pyramid figures, ring score, risk, cases")
def member(member_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    service = service_of(request)
    row = service.one("SELECT * FROM members WHERE member_id = ?", [member_id])
    if row is None:
        raise Problem(404, "Not found", f"no member {member_id!r}", field="member_id")
    return {
        "member": row,
        "pyramid": _optional(
            service, "pyramid_members", "SELECT * FROM pyramid_members WHERE member_id = ?", [member_id]
        ),
        "rings": _optional(
            service, "ring_member_scores", "SELECT * FROM ring_member_scores WHERE member_id = ?", [member_id]
        ),
        "risk": _risk(service, "member", member_id),
        "merchants": service.rows("SELECT merchant_id FROM merchants WHERE member_id = ?", [member_id]),
        "cases": [c.as_dict() for c in case_queue.list_cases(service.cursor(), subject_id=member_id)],
    }


@router.get("/members/{member_id}/upline", summary="A member's upline path and downline summary")
def upline(member_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    service = service_of(request)
    if service.one("SELECT 1 AS found FROM members WHERE member_id = ?", [member_id]) is None:
        raise Problem(404, "Not found", f"no member {member_id!r}", field="member_id")
    # walks sponsor_id upward; a cycle or a chain longer than 10,000 stops the walk
    path = service.rows(
        "WITH RECURSIVE up(member_id, sponsor_id, depth, seen) AS ("
        "SELECT member_id, sponsor_id, 0, [member_id] FROM members WHERE member_id = ? "
        "UNION ALL SELECT m.member_id, m.sponsor_id, up.depth + 1, list_append(up.seen, m.member_id) "
        "FROM up JOIN members m ON m.member_id = up.sponsor_id "
        "WHERE up.depth < 10000 AND NOT list_contains(up.seen, m.member_id)) "
        "SELECT member_id, sponsor_id, depth FROM up ORDER BY depth",
        [member_id],
    )
    downline = _optional(
        service,
        "pyramid_members",
        "SELECT network_id, level, direct_recruits, downline, depth_below, legal_headcount, legal_levels, "
        "person_headcount, person_levels, fees_in_downline, team_sales_outside, team_sales_inside "
        "FROM pyramid_members WHERE member_id = ?",
        [member_id],
    )
    return {"member_id": member_id, "upline": path[1:], "downline": downline}


@router.get("/pyramid/networks", summary="Recruitment networks, largest first")
def networks(
    request: Request, caller: Analyst, pyramid: bool | None = None, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    service = service_of(request)
    _need(service, "pyramid_networks", "pyramid")
    where, params = ("WHERE is_pyramid = ?", [pyramid]) if pyramid is not None else ("", [])
    return service.rows(
        f"SELECT * FROM pyramid_networks {where} ORDER BY members DESC, network_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


@router.get("/pyramid/networks/{network_id}", summary="One network with its legal findings")
def network(network_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    service = service_of(request)
    _need(service, "pyramid_networks", "pyramid")
    row = service.one("SELECT * FROM pyramid_networks WHERE network_id = ?", [network_id])
    if row is None:
        raise Problem(404, "Not found", f"no network {network_id!r}", field="network_id")
    findings = service.rows(
        "SELECT jurisdiction, rule_id, citation, result, figures, explanation FROM pyramid_findings "
        "WHERE network_id = ? AND subject_kind = 'network' ORDER BY jurisdiction, rule_id",
        [network_id],
    )
    for finding in findings:
        finding["figures"] = json.loads(finding["figures"]) if finding["figures"] else None
    return {"network": row, "findings": findings}


@router.get("/rings", summary="Brushing rings, strongest first")
def rings(request: Request, caller: Analyst, limit: Limit = 100, offset: Offset = 0) -> list[dict[str, Any]]:
    service = service_of(request)
    _need(service, "ring_groups", "rings")
    return service.rows(
        "SELECT * FROM ring_groups ORDER BY score DESC, ring_id LIMIT ? OFFSET ?", [limit, offset]
    )


@router.get("/rings/{ring_id}", summary="One ring with its accounts and evidence")
def ring(ring_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    service = service_of(request)
    _need(service, "ring_groups", "rings")
    row = service.one("SELECT * FROM ring_groups WHERE ring_id = ?", [ring_id])
    if row is None:
        raise Problem(404, "Not found", f"no ring {ring_id!r}", field="ring_id")
    members = service.rows("SELECT * FROM ring_members WHERE ring_id = ? ORDER BY score DESC", [ring_id])
    return {"ring": row, "members": members}


@router.get("/risk", summary="Risk scores, highest first, with reasons")
def risk_scores(
    request: Request,
    caller: Analyst,
    subject_kind: SubjectKind | None = None,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    service = service_of(request)
    _need(service, "risk_scores", "risk")
    where, params = ["score >= ?"], list[Any]([min_score])
    if subject_kind is not None:
        where.append("subject_kind = ?")
        params.append(subject_kind)
    rows = service.rows(
        f"SELECT * FROM risk_scores WHERE {' AND '.join(where)} "
        "ORDER BY score DESC, subject_kind, subject_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    for row in rows:
        row["reasons"], row["analyses"] = json.loads(row["reasons"]), json.loads(row["analyses"])
    return rows


@router.get("/risk/{subject_kind}/{subject_id}", summary="One subject's risk with its reasons")
def risk_of(subject_kind: SubjectKind, subject_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    return {
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        **_risk(service_of(request), subject_kind, subject_id),
    }


_SEARCH = (
    ("member", "members", "member_id"),
    ("merchant", "merchants", "merchant_id"),
    ("order", "orders", "order_id"),
    ("listing", "listings", "listing_id"),
    ("review", "reviews", "review_id"),
    ("payment", "payments", "payment_id"),
    ("post", "posts", "post_id"),
    ("media", "media", "media_id"),
    ("network", "pyramid_networks", "network_id"),
    ("ring", "ring_groups", "ring_id"),
    ("case", "cases", "case_id"),
)


@router.get("/search", summary="Where an ID occurs: members, merchants, orders, networks, rings, cases...")
def search(
    request: Request, caller: Analyst, id: Annotated[str, Query(min_length=1, max_length=128)]
) -> dict[str, Any]:
    service = service_of(request)
    found = []
    for kind, table, key in _SEARCH:
        if service.has_table(table) and service.one(
            f"SELECT 1 AS hit FROM {table} WHERE {key} = ? LIMIT 1", [id]
        ):
            found.append({"kind": kind, "table": table, "key": {key: id}})
    return {"id": id, "found": found}


# -- rules ---------------------------------------------------------------------------------------
class RulesText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: str = Field(min_length=1, max_length=100_000, description="A rules file's TOML text.")


@router.post("/rules/backtest", summary="Backtest a rules file's rules (drafts too) on the stored history")
def backtest_rules(body: RulesText, request: Request, caller: Analyst) -> list[dict[str, Any]]:
    from sentinella.rules import RuleError, backtest, parse_rules

    try:
        ruleset = parse_rules(body.rules, "rules")
        cursor = service_of(request).cursor()
        return [backtest(cursor, rule, ruleset.lists).as_dict() for rule in ruleset.rules]
    except RuleError as error:
        raise Problem(422, "Invalid rules", str(error), field="rules") from error


@router.get("/rules/hits", summary="What the applied rules flagged (rule_hits)")
def applied_hits(
    request: Request,
    caller: Analyst,
    rule_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    service = service_of(request)
    _need(service, "rule_hits", "rules apply")
    where, params = ("WHERE rule_id = ?", [rule_id]) if rule_id is not None else ("", [])
    return service.rows(
        f"SELECT * FROM rule_hits {where} ORDER BY rule_id, subject_kind, subject_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


# -- cases ---------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseOpen(_Strict):
    subject_kind: SubjectKind
    subject_id: str = Field(min_length=1, max_length=128)
    title: str | None = Field(default=None, max_length=500)
    assignee: str | None = Field(default=None, max_length=128)


class CaseUpdate(_Strict):
    status: Status | None = None
    assignee: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, max_length=500)


class CaseNote(_Strict):
    text: str = Field(min_length=1, max_length=10_000)


class CaseEvidence(_Strict):
    table: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    key: dict[str, str | int | float | bool] = Field(min_length=1, max_length=8)
    note: str | None = Field(default=None, max_length=2_000)


def _case_problem(error: case_queue.CaseError) -> Problem:
    message = str(error)
    field = message.split(":", 1)[0] if ":" in message else None
    if isinstance(error, case_queue.CaseNotFoundError):
        return Problem(404, "Not found", message, field=field)
    return Problem(422, "Invalid case change", message, field=field)


@router.get("/cases", summary="The case queue, highest risk first")
def list_cases(
    request: Request,
    caller: Analyst,
    status: Status | None = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    cases = case_queue.list_cases(
        service_of(request).cursor(),
        status=status,
        assignee=assignee,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
    )
    return [c.as_dict() for c in cases]


@router.post("/cases", status_code=201, summary="Open a case (or get the subject's active one)")
def open_case(body: CaseOpen, request: Request, caller: Analyst) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        try:
            case, opened = case_queue.open_case(
                connection,
                subject_kind=body.subject_kind,
                subject_id=body.subject_id,
                actor=caller.actor,
                title=body.title,
                assignee=body.assignee,
            )
        except case_queue.CaseError as error:
            raise _case_problem(error) from error
    return {**case.as_dict(), "opened_now": opened}


@router.get("/cases/{case_id}", summary="One case with notes, evidence and audit trail")
def get_case(case_id: Id, request: Request, caller: Analyst) -> dict[str, Any]:
    try:
        return case_queue.case_detail(service_of(request).cursor(), case_id)
    except case_queue.CaseError as error:
        raise _case_problem(error) from error


@router.patch("/cases/{case_id}", summary="Change status, assignee or title")
def update_case(case_id: Id, body: CaseUpdate, request: Request, caller: Analyst) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        try:
            case = case_queue.update_case(
                connection,
                case_id,
                actor=caller.actor,
                status=body.status,
                assignee=body.assignee,
                title=body.title,
            )
        except case_queue.CaseError as error:
            raise _case_problem(error) from error
    return case.as_dict()


@router.post("/cases/{case_id}/notes", status_code=201, summary="Add a note")
def add_note(case_id: Id, body: CaseNote, request: Request, caller: Analyst) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        try:
            number = case_queue.add_note(connection, case_id, actor=caller.actor, text=body.text)
        except case_queue.CaseError as error:
            raise _case_problem(error) from error
    return {"case_id": case_id, "note_no": number}


@router.post("/cases/{case_id}/evidence", status_code=201, summary="Attach a store row as evidence")
def attach(case_id: Id, body: CaseEvidence, request: Request, caller: Analyst) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        try:
            case_queue.attach_evidence(
                connection, case_id, actor=caller.actor, table=body.table, key=dict(body.key), note=body.note
            )
        except case_queue.CaseError as error:
            raise _case_problem(error) from error
    return {"case_id": case_id, "table": body.table, "key": body.key}
