"""Ingest over the API (key of role ingest): a batch of one table's records, checked as files are.

The batch is written, as sent, to ``TABLE.jsonl`` (or ``.csv`` / ``.parquet``, by the request's
content type) in a temporary case folder, and that folder goes through ``store.ingest_case``:
the same reading, checks, quarantine and de-duplication as ``sentinella ingest``, so a batch and
a file of the same rows give the same counts. Records whose key is already stored are duplicates
(identical) or conflicts (different, never overwritten): sending a batch twice changes nothing.

The answer lists every problem by line, record ID and field. A batch of which nothing could be
imported is refused as a problem (422) carrying the same list. One batch or analysis job
changes the store at a time (``Service.changing``); a batch waits up to ``wait`` seconds for a
running job, then is refused with 503 and ``Retry-After``. Public answers are built from
analysis results, and from listings (a comparison shows their titles and prices): only a batch
of listings moves the store generation on and so retires cached public answers.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from sentinella import audit
from sentinella.contract import TABLES
from sentinella.store import (
    QUARANTINE_TABLE,
    RUNS_TABLE,
    IngestReport,
    Store,
    StoreError,
    check_encoding,
    ingest_case,
)

from ._errors import Problem
from ._http import Caller, require, service_of
from ._service import Service

Ingest = Annotated[Caller, Depends(require("ingest"))]
router = APIRouter(prefix="/v1", tags=["ingest"])
Table = Literal["members", "merchants", "listings", "orders", "reviews", "payments", "ties", "posts", "media"]
assert set(Table.__args__) == set(TABLES)  # type: ignore[attr-defined]

SUFFIXES = {
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/json-lines": ".jsonl",
    "application/jsonlines": ".jsonl",
    "application/json": ".jsonl",  # JSON lines sent with the generic JSON type
    "text/csv": ".csv",
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
}
PUBLIC_INPUTS = ("listings",)  # input tables public answers read (comparisons show listings' titles)
MAX_ERRORS = 1000  # problems listed in one answer; every one is kept in ingest_quarantine
WAIT_SECONDS = 30.0


def _suffix(request: Request) -> str:
    kind = request.headers.get("content-type", "application/x-ndjson").split(";")[0].strip().lower()
    suffix = SUFFIXES.get(kind)
    if suffix is None:
        raise Problem(
            415,
            "Unsupported media type",
            f"Content-Type {kind!r}: send JSON lines (application/x-ndjson), CSV (text/csv) or Parquet "
            "(application/vnd.apache.parquet)",
            field="Content-Type",
        )
    return suffix


def _check_encoding(encoding: str) -> None:
    """An encoding the store knows that also decodes text (Python's 'undefined' codec does not)."""
    try:
        codec = check_encoding(encoding)
        "sentinella".encode(codec).decode(codec)
    except (StoreError, UnicodeError, LookupError) as error:
        message = str(error).replace("--encoding: ", "") if isinstance(error, StoreError) else str(error)
        raise Problem(
            422, "Invalid parameter", f"encoding {encoding!r}: {message}", field="encoding"
        ) from error


def _problems(store: Store, table: str, run_id: str) -> tuple[int, list[dict[str, Any]]]:
    """Every problem of the run (count) and the first :data:`MAX_ERRORS`, each naming its
    line, record ID and field."""
    key = TABLES[table].key
    record_id = " || '/' || ".join(f"coalesce(json_extract_string(record, '$.{k}'), '')" for k in key)
    cursor = store.connection
    total = cursor.execute(
        f"SELECT count(*) FROM {QUARANTINE_TABLE} WHERE run_id = ? AND table_name = ?", [run_id, table]
    ).fetchall()[0][0]
    rows = cursor.execute(
        f"SELECT row_number, CASE WHEN kind = 'conflict' THEN value WHEN kind = 'structural' "
        f"OR NOT coalesce(json_valid(record), false) THEN NULL ELSE {record_id} END AS record, "
        f"column_name, value, reason, kind FROM {QUARANTINE_TABLE} WHERE run_id = ? AND table_name = ? "
        "ORDER BY row_number, column_name NULLS FIRST LIMIT ?",
        [run_id, table, MAX_ERRORS],
    ).fetchall()
    outcome = {"invalid": "rejected", "structural": "rejected", "field": "cleared", "conflict": "kept"}
    return int(total), [
        {
            "line": line,
            "record": record or None,
            "field": column,
            "value": value,
            "reason": reason,
            "kind": kind,
            "outcome": outcome.get(str(kind), str(kind)),
        }
        for line, record, column, value, reason, kind in rows
    ]


def _answer(report: IngestReport, store: Store, table: str) -> dict[str, Any]:
    total, errors = _problems(store, table, report.run_id)
    counts = report.tables[0] if report.tables else None
    return {
        "run_id": report.run_id,
        "table": table,
        "status": counts.status if counts else "failed",
        "records": counts.records if counts else 0,
        "imported": counts.imported if counts else 0,
        "duplicate": counts.duplicate if counts else 0,
        "conflict": counts.conflict if counts else 0,
        "rejected": counts.rejected if counts else 0,
        "fields_cleared": counts.fields_cleared if counts else 0,
        "problems": total,
        "errors": errors,
        "failures": report.errors + (counts.errors if counts else []),
        "notes": counts.notes if counts else [],
        "warnings": report.warnings + (counts.warnings if counts else []),
        "references": report.notices,
    }


def ingest_batch(
    service: Service,
    table: str,
    body: bytes,
    suffix: str,
    *,
    actor: str,
    timezone: str | None = None,
    encoding: str | None = None,
    wait: float = WAIT_SECONDS,
) -> dict[str, Any]:
    """Import one batch through ``ingest_case``; the answer, or a Problem when nothing went in."""
    if not body.strip():
        raise Problem(422, "Empty batch", "the request body holds no records", field="body")
    if encoding is not None:
        _check_encoding(encoding)
    if not service.changing.acquire(timeout=wait):
        raise Problem(
            503,
            "Busy",
            f"an analysis job is changing the store ({service.jobs.describe_running()}); send the "
            "batch again when it is done",
            headers={"Retry-After": "10"},
        )
    report: IngestReport | None = None
    cursor = service.store.connection.cursor()
    try:
        store = Store(cursor, service.store.path, False, service.store.backend.settings)
        with tempfile.TemporaryDirectory(prefix="sentinella-api-") as folder:
            (Path(folder) / f"{table}{suffix}").write_bytes(body)
            try:
                report = ingest_case(
                    store,
                    Path(folder),
                    identity_salt=service.identity_salt,
                    encoding=encoding,
                    timezone=timezone,
                )
            except StoreError as error:
                message = str(error)
                field = (
                    "timezone" if "--timezone" in message else "encoding" if "--encoding" in message else None
                )
                raise Problem(422, "Invalid batch", message.replace("--", ""), field=field) from error
        # the batch's folder was temporary: the run says where it came from instead
        cursor.execute(
            f"UPDATE {RUNS_TABLE} SET case_dir = ? WHERE run_id = ?", [f"api ({actor})", report.run_id]
        )
        answer = _answer(report, store, table)
    finally:
        cursor.close()
        if report is not None and report.imported and table in PUBLIC_INPUTS:
            service.changed()
        service.changing.release()
    with service.writing() as connection:
        audit.record(
            connection,
            actor=actor,
            action="ingest.batch",
            target_kind="table",
            target_id=table,
            after=answer["status"],
            detail=json.dumps(
                {k: answer[k] for k in ("run_id", "records", "imported", "duplicate", "conflict", "rejected")}
            ),
        )
    if report.exit_code == 2:
        first = answer["failures"][0] if answer["failures"] else (answer["errors"] or [{}])[0]
        detail = (
            first
            if isinstance(first, str)
            else f"line {first.get('line')}, record {first.get('record')!r}, field {first.get('field')}: "
            f"{first.get('reason')}"
        )
        field = None if isinstance(first, str) else first.get("field")
        raise Problem(
            422,
            "Batch refused",
            f"nothing imported: {detail}",
            field=field,
            extra={k: v for k, v in answer.items() if k != "table"} | {"table": table},
        )
    return answer


@router.post(
    "/ingest/{table}",
    summary="Append a batch of one table's records (JSON lines, CSV or Parquet), checked as files are",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def ingest(
    table: Table,
    request: Request,
    caller: Ingest,
    timezone: Annotated[
        str | None, Query(max_length=64, description="IANA zone of times without an offset.")
    ] = None,
    encoding: Annotated[
        str | None, Query(max_length=32, description="Text encoding (default UTF-8).")
    ] = None,
) -> dict[str, Any]:
    suffix = _suffix(request)
    body = await request.body()
    return await run_in_threadpool(
        ingest_batch,
        service_of(request),
        table,
        body,
        suffix,
        actor=caller.actor,
        timezone=timezone,
        encoding=encoding,
    )
