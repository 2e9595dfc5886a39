"""The public credit endpoint under load, beside the same lookup straight through DuckDB.

    python benchmarks/api_load.py                        # 20,000-member world, 10 s of load
    python benchmarks/api_load.py --db my.duckdb --seconds 30 --concurrency 64

The store is a generated world (no media) ingested and run through credit, or --db (which
must hold credit_merchants). Then:
  floor:       the card's query (sentinella.api's _CARD) on a DuckDB cursor in this process,
               one merchant at a time, random merchants: lookups/s, p50, p99
  sentinella:  `sentinella serve --public-rate 0` in its own process on loopback; this process
               (the second one) first asks for every merchant once (cache misses: DuckDB behind
               HTTP), then sends GET /v1/public/merchants/{id}/credit for random merchants (cards
               now cached) from an httpx async client with --concurrency requests in flight, for
               --seconds: requests/s, p50, p99, and how many answers were not 200
  with ingest: the same load again while a second client posts batches of --batch new orders
               (JSON lines) to POST /v1/ingest/orders one after another: requests/s, p50, p99,
               and the batches' rows/s
  wrk:         the steady-state load again from Debian's `wrk` when it is installed (a C client
               that leaves the server its core): requests/s and latency percentiles
Target (issue 14): >= 1,000 requests/s with p99 <= 20 ms on this machine. The client shares the
machine's cores with the server, so the figure is a floor for a server on its own machine.
The server's and the client's CPU time per request are printed too: on a crowded machine the
wall-clock rate says more about the neighbours than about the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from sentinella.api import create_key
from sentinella.api._public import _CARD
from sentinella.credit import run_credit
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world


def _store(folder: Path, members: int) -> Path:
    case, db = folder / "case", folder / "s.duckdb"
    generate_world(case, members=members, seed=7, media=False)
    with Store.open(db) as store:
        ingest_case(store, case)
        run_credit(store.backend)
    return db


def _floor(db: Path, merchants: list[str], lookups: int) -> np.ndarray:
    with Store.open(db, read_only=True) as store:
        cursor = store.connection.cursor()
        times = np.empty(lookups)
        for i in range(lookups):
            merchant = random.choice(merchants)
            start = time.perf_counter()
            cursor.execute(_CARD, [merchant]).fetchall()
            times[i] = time.perf_counter() - start
    return times


async def _first(url: str, merchants: list[str], concurrency: int) -> tuple[np.ndarray, float]:
    """Every merchant once (each a cache miss: DuckDB behind HTTP)."""
    latencies: list[float] = []
    queue = list(merchants)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while queue:
                merchant = queue.pop()
                start = time.perf_counter()
                await client.get(f"/v1/public/merchants/{merchant}/credit")
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return np.array(latencies), time.perf_counter() - began


async def _load(
    url: str, merchants: list[str], seconds: float, concurrency: int
) -> tuple[np.ndarray, int, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                merchant = random.choice(merchants)
                start = time.perf_counter()
                response = await client.get(f"/v1/public/merchants/{merchant}/credit")
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return np.array(latencies), errors, elapsed


async def _ingest_while(
    url: str, key: str, rows: list[str], stop_after: float, tag: str = "BENCH"
) -> tuple[int, int, float]:
    """Post batches of new orders until ``stop_after`` seconds have passed: (batches, rows, seconds).
    Each run gives its own ``tag`` so its orders are new."""
    batches = imported = 0
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        began = time.perf_counter()
        while time.perf_counter() - began < stop_after:
            body = "\n".join(row.replace("BENCHO", f"{tag}{batches:04d}O") for row in rows).encode()
            answer = await client.post("/v1/ingest/orders", content=body, headers=headers)
            answer.raise_for_status()
            imported += int(answer.json()["imported"])
            batches += 1
        return batches, imported, time.perf_counter() - began


async def _load_with_ingest(
    url: str, merchants: list[str], seconds: float, concurrency: int, key: str, rows: list[str]
) -> tuple[tuple[np.ndarray, int, float], tuple[int, int, float]]:
    load, ingest = await asyncio.gather(
        _load(url, merchants, seconds, concurrency), _ingest_while(url, key, rows, seconds)
    )
    return load, ingest


def _orders(db: Path, size: int) -> list[str]:
    """``size`` new orders (IDs BENCHO...) between the store's members and merchants, as JSON lines."""
    with Store.open(db, read_only=True) as store:
        members = store.connection.execute("SELECT member_id FROM members LIMIT 1000").fetchall()
        buyers = [r[0] for r in members]
        shops = [r[0] for r in store.connection.execute("SELECT merchant_id FROM merchants").fetchall()]
    return [
        json.dumps(
            {
                "order_id": f"BENCHO{i:07d}",
                "buyer_id": buyers[i % len(buyers)],
                "merchant_id": shops[i % len(shops)],
                "amount": "88.00",
                "currency": "CNY",
                "placed_at": "2025-01-02T03:04:05Z",
                "status": "completed",
            }
        )
        for i in range(size)
    ]


def _in_process(db: Path, merchants: list[str], calls: int) -> tuple[float, float]:
    """CPU per call of the application itself (no sockets, no HTTP parsing), for a cached card
    and for the same card through FastAPI's route (the fast path switched off): microseconds."""
    from sentinella.api import Service, create_app

    service = Service.open(db, public_rate=0)
    try:
        app = create_app(service)

        async def call(path: str) -> None:
            scope = {
                "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                "headers": [], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "scheme": "http",
                "http_version": "1.1", "root_path": "", "app": app,
            }  # fmt: skip

            async def receive() -> dict[str, object]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: object) -> None:
                return None

            await app(scope, receive, send)

        async def run(paths: list[str]) -> float:
            for path in paths:  # fill the cache
                await call(path)
            started = time.process_time()
            for i in range(calls):
                await call(paths[i % len(paths)])
            return (time.process_time() - started) / calls * 1e6

        paths = [f"/v1/public/merchants/{m}/credit" for m in merchants]
        fast = asyncio.run(run(paths))
        from sentinella.api import _public

        original, _public.CREDIT_PREFIX = _public.CREDIT_PREFIX, "/no-fast-path/"
        try:
            routed = asyncio.run(run(paths))
        finally:
            _public.CREDIT_PREFIX = original
        return fast, routed
    finally:
        service.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell server cost from machine load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ms(values: np.ndarray, q: float) -> str:
    return f"{np.percentile(values, q) * 1000:.2f} ms"


_WRK_SCRIPT = """
local ids = {%s}
math.randomseed(7)
request = function()
  return wrk.format("GET", "/v1/public/merchants/" .. ids[math.random(#ids)] .. "/credit")
end
"""


def _wrk(
    url: str,
    merchants: list[str],
    seconds: float,
    concurrency: int,
    folder: Path,
    *,
    ingest: tuple[str, list[str]],
) -> tuple[str, str] | None:
    """The same load from Debian's ``wrk`` (C, one thread), a client that costs the server's machine
    little, so the rate says what the server does: alone, then while ingest batches are posted.
    None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = folder / "cards.lua"
    script.write_text(_WRK_SCRIPT % ", ".join(json.dumps(m) for m in merchants))
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]

    def summary(output: str) -> str:
        wanted = ("Requests/sec", "50%", "99%", "Non-2xx", "Socket errors")
        lines = [line.strip() for line in output.splitlines() if line.strip().startswith(wanted)]
        return "; ".join(" ".join(line.split()) for line in lines) if lines else output.strip()[-300:]

    alone = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    batches, imported, took = asyncio.run(_ingest_while(url, *ingest, stop_after=seconds, tag="WRK"))
    busy = running.communicate()[0]
    return summary(alone), f"{summary(busy)} (while {batches} batches, {imported / took:,.0f} rows/s)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch", type=int, default=5_000, help="Orders per ingest batch.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.db is None:
            db = _store(Path(folder), args.members)
        else:
            db = Path(folder) / "s.duckdb"
            shutil.copyfile(args.db, db)
        with Store.open(db) as store:
            merchants = [
                r[0] for r in store.connection.execute("SELECT merchant_id FROM credit_merchants").fetchall()
            ]
            ingest_key, _ = create_key(store.connection, role="ingest", actor="benchmark")
        rows = _orders(db, args.batch)
        print(
            f"api load: {len(merchants):,} merchants; load average {os.getloadavg()[0]:.2f} (shared machine)"
        )
        floor = _floor(db, merchants, 20_000)
        print(
            f"  floor (DuckDB cursor, one process): {len(floor) / floor.sum():,.0f} lookups/s, "
            f"p50 {_ms(floor, 50)}, p99 {_ms(floor, 99)}"
        )
        fast, routed = _in_process(db, merchants, 20_000)
        print(
            f"  in process (ASGI call, no sockets): cached card {fast:.0f} µs of CPU; through "
            f"FastAPI's route and dependencies {routed:.0f} µs ({routed / fast:.1f}x)"
        )
        port = _port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sentinella.cli",
                "serve",
                "--db",
                str(db),
                "--port",
                str(port),
                "--public-rate",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            first, first_elapsed = asyncio.run(_first(url, merchants, args.concurrency))
            print(
                f"  first lookup of every merchant (cache misses, {args.concurrency} in flight): "
                f"{len(first) / first_elapsed:,.0f} requests/s, p50 {_ms(first, 50)}, p99 {_ms(first, 99)}"
            )
            server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
            latencies, errors, elapsed = asyncio.run(_load(url, merchants, args.seconds, args.concurrency))
            server_cpu = _cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            (busy, busy_errors, busy_elapsed), (batches, imported, ingest_seconds) = asyncio.run(
                _load_with_ingest(url, merchants, args.seconds, args.concurrency, ingest_key, rows)
            )
            with_wrk = _wrk(
                url, merchants, args.seconds, args.concurrency, Path(folder), ingest=(ingest_key, rows)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        rate = len(latencies) / elapsed
        print(
            f"  sentinella serve over loopback ({args.concurrency} in flight, {args.seconds:g} s): "
            f"{rate:,.0f} requests/s, p50 {_ms(latencies, 50)}, p99 {_ms(latencies, 99)}, {errors} not 200"
        )
        per = server_cpu / len(latencies) * 1000
        print(
            f"  CPU per request: server {per:.2f} ms ({1000 / per:,.0f} requests/s per free core), "
            f"client {client_cpu / len(latencies) * 1000:.2f} ms"
        )
        print(
            f"  with ingest ({batches} batches of {args.batch:,} orders, {imported / ingest_seconds:,.0f} "
            f"rows/s): {len(busy) / busy_elapsed:,.0f} requests/s, p50 {_ms(busy, 50)}, p99 {_ms(busy, 99)}, "
            f"{busy_errors} not 200"
        )
        if with_wrk is None:
            print("  wrk: not installed (apt install wrk), skipped")
        else:
            print(f"  the same load from wrk ({args.concurrency} connections, one thread): {with_wrk[0]}")
            print(f"  wrk with ingest: {with_wrk[1]}")
        print(f"  ratio: the HTTP path serves {rate / (len(floor) / floor.sum()):.2f}x the floor's lookups/s")
        print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
