"""The console's routes: each page with its JSON twin, the login, and the case and rule actions.

Analyst pages need a session (or bearer key) of role analyst or admin; other roles and the
public see the dashboard's aggregates and the merchants' public credit cards only. Every analyst
page read is written to the audit trail, as the API does for analyst calls.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sentinella import audit
from sentinella import cases as case_queue
from sentinella.api import verify_key
from sentinella.api._http import service_of

from . import _data
from ._auth import COOKIE, PUBLIC, User, check_csrf, current_user, sessions_of
from ._errors import ConsoleAuthError, ConsoleError
from ._views import PREFIX, Twins, error_response, render, safe, templates

router = APIRouter(prefix=PREFIX, include_in_schema=False)
twins = Twins(router)
Viewer = Annotated[User, Depends(current_user)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Text = Annotated[str | None, Query(max_length=128)]
STATUSES = case_queue.STATUSES


def _analyst(request: Request, user: User) -> None:
    """Only an analyst may look; the look is audited like an analyst API call."""
    if user.role == "public" and user.key_id is None:
        raise ConsoleAuthError(401, "this page needs an analyst's key: log in")
    if not user.analyst:
        raise ConsoleAuthError(403, f"this page needs role analyst or admin; your key has role {user.role}")
    query = str(request.url.query)
    with service_of(request).writing() as connection:
        audit.record(
            connection,
            actor=user.actor,
            action="console.get",
            target_kind="route",
            target_id=request.url.path,
            detail=query or None,
        )


# -- pages ---------------------------------------------------------------------------------------
@twins.page("/", "dashboard.html")
def dashboard(request: Request, user: Viewer) -> dict[str, Any]:
    service = service_of(request)
    data: dict[str, Any] = {"counts": _data.finding_counts(service), "trends": _data.trends(service)}
    if user.analyst:
        _analyst(request, user)
        data["top_merchants"] = _data.top_risk(service, "merchant")
        data["top_members"] = _data.top_risk(service, "member")
    return data


@twins.page("/merchants/{merchant_id}", "merchant.html")
def merchant(merchant_id: str, request: Request, user: Viewer) -> dict[str, Any]:
    if user.analyst:
        _analyst(request, user)
    return _data.merchant_page(service_of(request), merchant_id, user.analyst)


@twins.page("/pyramid", "networks.html")
def pyramid_networks(
    request: Request, user: Viewer, pyramid: bool | None = None, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    _analyst(request, user)
    return _data.networks(service_of(request), pyramid, limit, offset)


@twins.page("/pyramid/{network_id}", "network.html")
def pyramid_network(network_id: str, request: Request, user: Viewer) -> dict[str, Any]:
    _analyst(request, user)
    return _data.network_page(service_of(request), network_id)


@router.get("/pyramid/{network_id}/children.json")
def pyramid_children(
    network_id: str,
    request: Request,
    user: Viewer,
    level: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    member: Text = None,
    offset: Offset = 0,
) -> Response:
    """Bounded children for the picture: one level's members, or one member's direct recruits."""
    try:
        _analyst(request, user)
        data = _data.network_children(
            service_of(request), network_id, level=level, member=member, offset=offset
        )
    except ConsoleError as error:
        return error_response(request, error, user, True)
    return JSONResponse(safe(data))


@twins.page("/members/{member_id}", "member.html")
def member(member_id: str, request: Request, user: Viewer) -> dict[str, Any]:
    _analyst(request, user)
    return _data.member_page(service_of(request), member_id)


@twins.page("/rings", "rings.html")
def rings(request: Request, user: Viewer, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    _analyst(request, user)
    return _data.rings(service_of(request), limit, offset)


@twins.page("/rings/{ring_id}", "ring.html")
def ring(ring_id: str, request: Request, user: Viewer) -> dict[str, Any]:
    _analyst(request, user)
    return _data.ring_page(service_of(request), ring_id)


@twins.page("/cases", "cases.html")
def cases(
    request: Request,
    user: Viewer,
    status: Text = None,
    assignee: Text = None,
    subject_id: Text = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    _analyst(request, user)
    status, assignee, subject_id = (v or None for v in (status, assignee, subject_id))
    try:
        found = case_queue.list_cases(
            service_of(request).cursor(),
            status=status,
            assignee=assignee,
            subject_id=subject_id,
            limit=limit,
            offset=offset,
        )
    except case_queue.CaseError as error:
        raise ConsoleError(422, str(error)) from error
    return {
        "filters": {"status": status, "assignee": assignee, "subject_id": subject_id},
        "statuses": list(STATUSES),
        "cases": [c.as_dict() for c in found],
        "limit": limit,
        "offset": offset,
    }


def _case(request: Request, case_id: str) -> dict[str, Any]:
    try:
        detail = case_queue.case_detail(service_of(request).cursor(), case_id)
    except case_queue.CaseError as error:
        raise ConsoleError(
            404 if isinstance(error, case_queue.CaseNotFoundError) else 422, str(error)
        ) from error
    return {"case": detail, "statuses": list(STATUSES)}


@twins.page("/cases/{case_id}", "case.html")
def case(case_id: str, request: Request, user: Viewer) -> dict[str, Any]:
    _analyst(request, user)
    return _case(request, case_id)


@twins.page("/rules", "rules.html")
def rules(request: Request, user: Viewer) -> dict[str, Any]:
    _analyst(request, user)
    return _data.rules_page(service_of(request))


# -- forms ---------------------------------------------------------------------------------------
async def _form(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (first value of each); bodies are already size-limited."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: Viewer, next: Text = None) -> Response:
    return render(request, "login.html", {"next": _next(next), "error": None}, user)


def _next(target: str | None) -> str:
    """Only a path inside the console; never another site."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await _form(request)
    target = _next(form.get("next"))
    presented = form.get("key", "").strip()
    service = service_of(request)
    found = verify_key(service.cursor(), presented) if presented else None
    if found is None:
        return render(
            request, "login.html", {"next": target, "error": "unknown or revoked API key"}, PUBLIC, 401
        )
    with service.writing() as connection:
        audit.record(
            connection,
            actor=f"key:{found['key_id']}",
            action="console.login",
            target_kind="api_key",
            target_id=found["key_id"],
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        sessions_of(request).issue(found["key_id"], found["role"]),
        max_age=sessions_of(request).lifetime,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=PREFIX,
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse(PREFIX + "/", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


async def _case_change(request: Request, case_id: str, user: User) -> Response:
    form = await _form(request)
    try:
        check_csrf(request, user, form.get("csrf"))
        _analyst(request, user)
        action = form.get("action", "")
        with service_of(request).writing() as connection:
            try:
                if action == "assign":
                    case_queue.update_case(
                        connection, case_id, actor=user.actor, assignee=form.get("assignee", "")
                    )
                elif action == "status":
                    case_queue.update_case(connection, case_id, actor=user.actor, status=form.get("status"))
                elif action == "note":
                    case_queue.add_note(connection, case_id, actor=user.actor, text=form.get("text", ""))
                else:
                    raise ConsoleError(422, "action: must be assign, status or note")
            except case_queue.CaseError as error:
                status = 404 if isinstance(error, case_queue.CaseNotFoundError) else 422
                raise ConsoleError(status, str(error)) from error
        data = safe(_case(request, case_id))
    except ConsoleError as error:
        if request.headers.get("hx-request"):
            return render(request, "_error.html", {"status": error.status, "detail": str(error)}, user, 200)
        return error_response(request, error, user, False)
    if request.headers.get("hx-request"):
        return render(request, "_case_panel.html", data, user)
    return RedirectResponse(f"{PREFIX}/cases/{quote(case_id)}", status_code=303)


TITLE_MAX = 500  # as the API's POST /v1/cases
NOTE_MAX = 10_000  # as the case layer's notes


def _ring_evidence(
    request: Request, ring_id: str, kind: str, subject: str
) -> list[tuple[str, dict[str, Any]]]:
    """The ring's row as the new case's evidence; the ring must boost that very merchant."""
    service = service_of(request)
    ring = (
        service.one("SELECT merchant_id FROM ring_groups WHERE ring_id = ?", [ring_id])
        if service.has_table("ring_groups")
        else None
    )
    if ring is None or kind != "merchant" or ring["merchant_id"] != subject:
        raise ConsoleError(422, f"ring_id: no ring {ring_id!r} boosting merchant {subject!r}")
    return [("ring_groups", {"ring_id": ring_id})]


def _open(request: Request, user: User, form: dict[str, str]) -> tuple[case_queue.Case, bool]:
    """Open the case through the case layer (which returns the subject's active case if any).

    The note is checked before the case is opened, so a bad note never leaves a case behind it.
    """
    title, note = form.get("title", "").strip(), form.get("note", "").strip()
    if not title:
        raise ConsoleError(422, "title: must not be empty")
    if len(title) > TITLE_MAX:
        raise ConsoleError(422, f"title: longer than {TITLE_MAX} characters ({len(title):,})")
    if len(note) > NOTE_MAX or "\x00" in note:
        raise ConsoleError(422, f"note: longer than {NOTE_MAX:,} characters or holds a NUL character")
    kind, subject = form.get("subject_kind", ""), form.get("subject_id", "")
    ring_id = form.get("ring_id", "").strip()
    evidence = _ring_evidence(request, ring_id, kind, subject) if ring_id else None
    with service_of(request).writing() as connection:
        try:
            case, opened = case_queue.open_case(
                connection,
                subject_kind=kind,
                subject_id=subject,
                actor=user.actor,
                title=title,
                evidence=evidence,
            )
            if opened and note:
                case_queue.add_note(connection, case.case_id, actor=user.actor, text=note)
        except case_queue.CaseError as error:
            raise ConsoleError(422, str(error)) from error
    return case, opened


@router.post("/cases", response_class=HTMLResponse)
async def open_case(request: Request, user: Viewer) -> Response:
    """Open a case by hand on a member or merchant (from its page, or a ring's page for the
    ring's merchant). A subject with an active case gets that case back, unchanged: the title
    and note are not written. htmx gets the form's panel; a plain post goes to the case."""
    form = await _form(request)
    hx = bool(request.headers.get("hx-request"))
    panel: dict[str, Any] = {
        key: form.get(key, "") for key in ("subject_kind", "subject_id", "ring_id", "title", "note")
    }
    try:
        check_csrf(request, user, form.get("csrf"))
        _analyst(request, user)
        case, opened = _open(request, user, form)
    except ConsoleError as error:
        if hx:  # htmx swaps 200 answers only: the form comes back with the reason
            return render(request, "_open_case_answer.html", {**panel, "error": str(error)}, user)
        return error_response(request, error, user, False)
    if hx:
        answer = {**panel, "case": safe(case.as_dict()), "opened": opened}
        if not panel["ring_id"]:  # a ring's page shows no case list to refresh
            answer["subject_cases"] = safe(_data.cases_for(service_of(request), case.subject_id))
        return render(request, "_open_case_answer.html", answer, user)
    return RedirectResponse(f"{PREFIX}/cases/{quote(case.case_id)}", status_code=303)


@router.post("/cases/{case_id}", response_class=HTMLResponse)
async def change_case(case_id: str, request: Request, user: Viewer) -> Response:
    """Assign, change status or add a note (form field ``action``); answers the case panel."""
    return await _case_change(request, case_id, user)


@router.post("/rules/backtest", response_class=HTMLResponse)
async def rules_backtest(request: Request, user: Viewer) -> Response:
    """Backtest a stored rule version (rule_id, version) or a draft rules text (rules)."""
    form = await _form(request)
    try:
        check_csrf(request, user, form.get("csrf"))
        _analyst(request, user)
        service = service_of(request)
        if form.get("rules", "").strip():
            results = _data.backtest_text(service, form["rules"], "draft")
        else:
            try:
                version = int(form.get("version", ""))
            except ValueError as error:
                raise ConsoleError(422, "version: must be a whole number") from error
            results = _data.backtest_stored(service, form.get("rule_id", ""), version)
    except ConsoleError as error:
        return render(request, "_error.html", {"status": error.status, "detail": str(error)}, user, 200)
    return render(request, "_backtest.html", {"results": safe(results)}, user)


@router.get("/lookup")
def lookup(
    kind: Annotated[str, Query(pattern="^(merchant|member|network|ring|case)$")],
    id: Annotated[str, Query(min_length=1, max_length=128)],
) -> Response:
    """The dashboard's look-up box: go to that page."""
    path = {
        "merchant": "merchants",
        "member": "members",
        "network": "pyramid",
        "ring": "rings",
        "case": "cases",
    }
    return RedirectResponse(f"{PREFIX}/{path[kind]}/{quote(id.strip(), safe='')}", status_code=303)


__all__ = ["router", "templates", "twins"]
