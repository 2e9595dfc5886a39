"""Analysis jobs: triggered over the API, run one at a time in the server's worker thread.

The server is the store's single writer, so it runs the analyses itself: ``POST
/v1/analyses/{name}`` queues a job and answers 202 with its ID; ``GET /v1/jobs/{id}`` says
queued, running, done or failed, with timings and the analysis's summary (its counts). One
worker thread runs the jobs in order on a cursor of its own, holding ``Service.changing`` (so an
ingest batch never runs beside an analysis) but never the small-write lock: reads, case work and
audit records go on while a job runs. Every analysis writes its results in one transaction, so a
read during a job sees the results from before it, and after it the new ones; never half.

Jobs live in the server's memory (the last :data:`KEEP` of them); each one's start and end are
in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinella import audit
from sentinella.engine import Backend, DuckDBBackend
from sentinella.errors import ConfigError, SentinellaError
from sentinella.store import input_tables_folder

if TYPE_CHECKING:
    from ._service import Service

ANALYSES = ("pyramid", "rings", "credit", "compare", "provenance", "risk")
STATES = ("queued", "running", "done", "failed")
KEEP = 1000
log = logging.getLogger("sentinella.api")
Runner = Callable[[Backend, dict[str, Any]], dict[str, Any]]


def _plain(summary: Any) -> dict[str, Any]:
    """A summary object as JSON-safe data (dates and paths as text)."""
    data = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary.__dict__)
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def _pyramid(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.pyramid import run_pyramid

    return _plain(
        run_pyramid(
            backend,
            profiles=params.get("profiles") or ("cn", "us", "eu"),
            repeat_offenders=params.get("repeat_offenders") or (),
            allow_missing_rates=bool(params.get("allow_missing_rates")),
        )
    )


def _rings(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.rings import run_rings

    return _plain(run_rings(backend))


def _credit(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.credit import run_credit

    as_of = params.get("as_of")
    return _plain(run_credit(backend, as_of=dt.date.fromisoformat(as_of) if as_of else None))


def _compare(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.compare import run_compare

    return _plain(run_compare(backend, embeddings=bool(params.get("embeddings"))))


def _provenance(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.provenance import run_provenance

    return _plain(run_provenance(backend, Path(params["case_dir"])))


def _risk(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    from sentinella.risk import run_risk

    return _plain(run_risk(backend))


RUNNERS: dict[str, Runner] = {
    "pyramid": _pyramid,
    "rings": _rings,
    "credit": _credit,
    "compare": _compare,
    "provenance": _provenance,
    "risk": _risk,
}


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class Job:
    job_id: str
    analysis: str
    params: dict[str, Any]
    actor: str
    status: str = "queued"
    queued_at: dt.datetime = field(default_factory=audit.now)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    run_seconds: float | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        waited_until = self.started_at or audit.now()
        return {
            "job_id": self.job_id,
            "analysis": self.analysis,
            "params": self.params,
            "status": self.status,
            "submitted_by": self.actor,
            "queued_at": _iso(self.queued_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "queued_seconds": round((waited_until - self.queued_at).total_seconds(), 3),
            "run_seconds": self.run_seconds,
            "summary": self.summary,
            "error": self.error,
        }


class JobRunner:
    """A queue of analysis jobs and the one thread that runs them (started with the first job)."""

    def __init__(self, service: Service, runners: dict[str, Runner] | None = None) -> None:
        self.service = service
        self.runners = dict(RUNNERS if runners is None else runners)
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: Job | None = None
        self._cursor: Any = None
        self._stopping = False

    def submit(self, analysis: str, params: dict[str, Any], *, actor: str) -> Job:
        if analysis not in self.runners:
            raise ValueError(f"no analysis {analysis!r}")
        job = Job(
            f"J{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}", analysis, params, actor
        )
        with self._lock:
            if self._stopping:
                raise RuntimeError("the server is stopping")
            self._jobs[job.job_id] = job
            while len(self._jobs) > KEEP:
                oldest = next(iter(self._jobs.values()))
                if oldest.status in ("queued", "running"):
                    break
                self._jobs.popitem(last=False)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="sentinella-jobs", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self, limit: int = 100) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))[:limit]

    def describe_running(self) -> str:
        job = self._running
        if job is None or job.started_at is None:
            return "no job is running"
        seconds = (audit.now() - job.started_at).total_seconds()
        return f"job {job.job_id}, {job.analysis}, running for {seconds:.0f} s"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; interrupt the running one (it rolls back) and wait for the thread."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        if thread is None:
            return
        cursor = self._cursor
        if cursor is not None and self._running is not None:
            cursor.interrupt()
        self._queue.put(None)
        thread.join(timeout)

    def _work(self) -> None:
        cursor = self.service.store.connection.cursor()
        self._cursor = cursor
        try:
            backend = DuckDBBackend(cursor, self.service.store.backend.settings)
            while True:
                job = self._queue.get()
                if job is None or self._stopping:
                    if job is not None:
                        self._finish(job, "failed", error="the server stopped before the job ran")
                    if job is None:
                        break
                    continue
                self._run(backend, job)
        finally:
            self._cursor = None
            cursor.close()

    def _run(self, backend: Backend, job: Job) -> None:
        with self.service.changing:
            job.started_at, job.status = audit.now(), "running"
            self._running = job
            started = time.perf_counter()
            self._record(job, "job.start")
            try:
                folder = input_tables_folder(backend)
                if folder is not None:  # the store's own tables are empty: DuckDB would read nothing
                    raise ConfigError(
                        f"this store keeps its input tables in {folder} (ingested on Spark): run "
                        f"`sentinella {job.analysis} --engine spark` instead"
                    )
                job.summary = self.runners[job.analysis](backend, job.params)
                outcome, error = "done", None
            except SentinellaError as failure:
                outcome, error = "failed", str(failure)
            except BaseException as failure:  # a bug or an interrupt: the job fails, the server goes on
                log.error("job %s (%s) failed: %r", job.job_id, job.analysis, failure)
                outcome = "failed"
                error = (
                    "stopped: the server was shutting down"
                    if self._stopping
                    else "the analysis failed unexpectedly; the error was logged"
                )
            finally:
                self._running = None
            job.run_seconds = round(time.perf_counter() - started, 3)
            self.service.changed()  # even a failed analysis may have replaced some results
        self._finish(job, outcome, error=error)

    def _finish(self, job: Job, status: str, *, error: str | None = None) -> None:
        job.error, job.finished_at, job.status = error, audit.now(), status
        self._record(job, f"job.{status}")

    def _record(self, job: Job, action: str) -> None:
        try:
            with self.service.writing() as connection:
                audit.record(
                    connection,
                    actor=job.actor,
                    action=action,
                    target_kind="job",
                    target_id=job.job_id,
                    after=job.status,
                    detail=json.dumps({"analysis": job.analysis, "params": job.params, "error": job.error}),
                )
        except Exception as failure:  # the store closed under a stopping server: nothing to record in
            log.warning("could not record %s of job %s: %r", action, job.job_id, failure)
