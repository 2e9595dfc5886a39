"""The server's hold on the store: the single read-write connection, and cursors for reads.

DuckDB lets one process open a file read-write, or many read-only, never both. While the API
runs it is that one writer (docs/architecture.md, "One writer"): it opens the store once,
read-write. Each worker thread reads through its own cursor on that connection; DuckDB gives
every cursor a consistent snapshot, so a read never waits for a write (a long analysis's
transaction included) and never sees half of one. Small writes (cases, keys, audit events) go
through one lock, each in its own transaction. Work that changes the data (an ingest batch, an
analysis job) holds a second lock, ``changing``, so only one runs at a time; it never holds the
small-write lock for long, so case work and audit records go on while an analysis runs.

``generation`` counts the server's changes to the data; cached answers are keyed by it, so an
answer computed from an older snapshot is never served after a change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from sentinella.cases import ensure_tables
from sentinella.engine import EngineSettings
from sentinella.store import Store, StoreError

from ._errors import ServiceError
from ._jobs import JobRunner
from ._keys import ensure_keys

CacheKey = tuple[int, str]  # (store generation, the answer's ID)


class Cache:
    """A bounded least-recently-used map of serialised answers, safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: CacheKey, value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Service:
    def __init__(
        self,
        store: Store,
        *,
        public_rate: float = 50.0,
        max_body: int = 1 << 20,
        max_ingest_body: int = 64 << 20,
        identity_salt: str | None = None,
    ) -> None:
        self.store = store
        self.public_rate = public_rate
        self.max_body = max_body
        self.max_ingest_body = max_ingest_body
        self.identity_salt = identity_salt
        self._write_lock = threading.Lock()
        self.changing = threading.Lock()  # one ingest batch or analysis job at a time
        self.generation = 0
        self.cards = Cache(50_000)  # public credit cards, serialised
        self.products = Cache(20_000)  # public product comparisons, serialised
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self.jobs = JobRunner(self)
        with self.writing() as connection:
            ensure_keys(connection)
            ensure_tables(connection)

    @classmethod
    def open(
        cls,
        db: Path | str,
        *,
        public_rate: float = 50.0,
        max_body: int = 1 << 20,
        max_ingest_body: int = 64 << 20,
        identity_salt: str | None = None,
        settings: EngineSettings | None = None,
    ) -> Service:
        target = str(db)
        if target != ":memory:" and not Path(target).exists():
            raise ServiceError(f"no store at {target}: run `sentinella ingest CASE --db {target}` first")
        try:
            store = Store.open(target, read_only=False, settings=settings)
        except StoreError as error:
            raise ServiceError(str(error)) from error
        return cls(
            store,
            public_rate=public_rate,
            max_body=max_body,
            max_ingest_body=max_ingest_body,
            identity_salt=identity_salt,
        )

    def close(self) -> None:
        self.jobs.stop()
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self.store.close()

    # -- reads ---------------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (made once per thread, closed with the service)."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self.store.connection.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Parameterised read: never format a request's values into ``sql``."""
        cursor = self.cursor().execute(sql, params or [])
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def has_table(self, name: str) -> bool:
        return bool(
            self.cursor()
            .execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
            .fetchall()[0][0]
        )

    # -- writes --------------------------------------------------------------------------------
    def changed(self) -> None:
        """Call after the server changes the data: answers cached before are never served again."""
        self.generation += 1
        self.cards.clear()
        self.products.clear()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The write connection (a cursor of its own), one writer at a time."""
        with self._write_lock:
            cursor = self.store.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
