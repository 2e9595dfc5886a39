"""Routes that trigger analyses and poll their jobs (keys of role ingest or analyst).

Parameters are checked before a job is queued (a bad one is a 422 naming the field); the job
itself runs in the server's worker thread (:mod:`._jobs`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ._errors import Problem
from ._http import Caller, require, service_of
from ._jobs import Job
from ._service import Service

Operator = Annotated[Caller, Depends(require("ingest", "analyst", "admin"))]
router = APIRouter(prefix="/v1", tags=["analyses"])
JobId = Annotated[str, Path(min_length=1, max_length=64)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PyramidParams(_Params):
    profiles: list[Literal["cn", "us", "eu"]] = Field(default=["cn", "us", "eu"], min_length=1, max_length=3)
    repeat_offenders: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=[],
        max_length=10_000,
        description="MEMBER:criminal[:YYYY-MM-DD] or MEMBER:administrative:YYYY-MM-DD (2013 Opinion §2(四)).",
    )
    allow_missing_rates: bool = False


class CreditParams(_Params):
    as_of: dt.date | None = Field(
        default=None, description="Score as of this day (default: the last with data)."
    )


class CompareParams(_Params):
    embeddings: bool = Field(default=False, description="Needs the optional compare extra on the server.")


class ProvenanceParams(_Params):
    case_dir: str | None = Field(
        default=None,
        max_length=4096,
        description="The folder on the server holding the images media.path points to (default: the "
        "folder the media table was last imported from).",
    )


class NoParams(_Params):
    pass


def _submit(service: Service, analysis: str, params: dict[str, Any], caller: Caller) -> Response:
    try:
        job = service.jobs.submit(analysis, params, actor=caller.actor)
    except RuntimeError as error:
        raise Problem(503, "Stopping", str(error)) from error
    body = JobAnswer.model_validate(job.as_dict()).model_dump_json()
    return Response(
        body, status_code=202, media_type="application/json", headers={"Location": f"/v1/jobs/{job.job_id}"}
    )


class JobAnswer(BaseModel):
    job_id: str
    analysis: str
    params: dict[str, Any]
    status: Literal["queued", "running", "done", "failed"]
    submitted_by: str
    queued_at: str
    started_at: str | None
    finished_at: str | None
    queued_seconds: float
    run_seconds: float | None
    summary: dict[str, Any] | None = Field(description="The analysis's summary: its counts and timings.")
    error: str | None


_ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"model": JobAnswer, "description": "The job, queued"}}


@router.post("/analyses/pyramid", status_code=202, responses=_ACCEPTED, summary="Run pyramid forensics")
def analyse_pyramid(request: Request, caller: Operator, body: PyramidParams | None = None) -> Response:
    from sentinella.pyramid import OffenderError, parse_offender

    params = body or PyramidParams()
    for number, text in enumerate(params.repeat_offenders):
        try:
            parse_offender(text)
        except OffenderError as error:
            raise Problem(422, "Invalid parameter", str(error), field=f"repeat_offenders.{number}") from error
    return _submit(service_of(request), "pyramid", params.model_dump(), caller)


@router.post("/analyses/rings", status_code=202, responses=_ACCEPTED, summary="Find brushing rings")
def analyse_rings(request: Request, caller: Operator, body: NoParams | None = None) -> Response:
    return _submit(service_of(request), "rings", {}, caller)


@router.post("/analyses/credit", status_code=202, responses=_ACCEPTED, summary="Score merchant credit")
def analyse_credit(request: Request, caller: Operator, body: CreditParams | None = None) -> Response:
    params = body or CreditParams()
    return _submit(
        service_of(request), "credit", {"as_of": params.as_of.isoformat() if params.as_of else None}, caller
    )


@router.post("/analyses/compare", status_code=202, responses=_ACCEPTED, summary="Match and compare products")
def analyse_compare(request: Request, caller: Operator, body: CompareParams | None = None) -> Response:
    return _submit(service_of(request), "compare", (body or CompareParams()).model_dump(), caller)


def _media_folder(service: Service) -> str | None:
    """The folder the media table was last imported from, if it is still a folder."""
    if not service.has_table("ingest_runs"):
        return None
    row = service.one(
        "SELECT case_dir FROM ingest_runs WHERE table_name = 'media' AND imported > 0 "
        "ORDER BY finished_at DESC LIMIT 1"
    )
    if row is None or not row["case_dir"] or not FilePath(row["case_dir"]).is_dir():
        return None
    return str(row["case_dir"])


@router.post("/analyses/provenance", status_code=202, responses=_ACCEPTED, summary="Check images and prices")
def analyse_provenance(request: Request, caller: Operator, body: ProvenanceParams | None = None) -> Response:
    service = service_of(request)
    folder = (body or ProvenanceParams()).case_dir or _media_folder(service)
    if folder is None:
        raise Problem(
            422,
            "Invalid parameter",
            "case_dir: give the folder on the server that holds the media files (no media import "
            "names one that still exists)",
            field="case_dir",
        )
    if not FilePath(folder).is_dir():
        raise Problem(
            422, "Invalid parameter", f"case_dir: {folder} is not a folder on the server", field="case_dir"
        )
    return _submit(service, "provenance", {"case_dir": folder}, caller)


@router.post("/analyses/risk", status_code=202, responses=_ACCEPTED, summary="Score risk from every analysis")
def analyse_risk(request: Request, caller: Operator, body: NoParams | None = None) -> Response:
    return _submit(service_of(request), "risk", {}, caller)


def _job(service: Service, job_id: str) -> Job:
    job = service.jobs.get(job_id)
    if job is None:
        raise Problem(
            404, "Not found", f"no job {job_id!r} (jobs are kept while the server runs)", field="job_id"
        )
    return job


@router.get("/jobs/{job_id}", response_model=JobAnswer, summary="A job's state, timings and counts")
def job_state(job_id: JobId, request: Request, caller: Operator) -> dict[str, Any]:
    return _job(service_of(request), job_id).as_dict()


@router.get("/jobs", response_model=list[JobAnswer], summary="Recent jobs, newest first")
def jobs(
    request: Request, caller: Operator, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    return [job.as_dict() for job in service_of(request).jobs.recent(limit)]
