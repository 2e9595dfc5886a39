"""Recruitment data flaws ingestion and forensics must report: cycles, self-sponsorship,
unknown sponsors and members who left but kept being paid.

They are planted on members outside every network, so the planted networks stay exact.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import _fmt as F
from ._chunk import HONEST, KIND, NETWORK, UNKNOWN_SPONSOR, Chunk
from ._people import member_id


def plant_flaws(chunk: Chunk) -> None:
    """Cycles, self-sponsorship and unknown sponsors, on members outside every network."""
    rng = chunk.rng(22)
    prof = chunk.profile
    if prof.flaw_rate <= 0 or chunk.free < 50:
        return
    n_net = int((chunk.role == NETWORK).sum())
    base = max(n_net, chunk.n // 10) * prof.flaw_rate
    k_each = max(1 if chunk.index == 0 else 0, int(rng.poisson(base / 3)))
    rows: list[tuple[np.ndarray, str, np.ndarray]] = []
    if k_each == 0:
        return
    # self-sponsorship
    selfs = chunk.take(k_each, HONEST)
    chunk.sponsor[selfs] = chunk.glob(selfs)
    rows.append((selfs, "self_sponsor", np.full(k_each, -1)))
    # cycles of 2..4, each with a short tail hanging off it
    for c in range(k_each):
        length = int(rng.integers(2, 5))
        cyc = chunk.take(length + 1, HONEST)
        if len(cyc) < length + 1:
            break
        ring, tail = cyc[:length], cyc[length:]
        chunk.sponsor[ring] = chunk.glob(np.roll(ring, -1))
        chunk.sponsor[tail] = chunk.glob(ring[:1])
        cycle_no = chunk.counters.flaw + c
        rows.append((ring, "cycle", np.full(length, cycle_no)))
        rows.append((tail, "sponsor_in_cycle", np.full(len(tail), cycle_no)))
    chunk.counters.flaw += k_each
    # unknown sponsors: a small tree whose top's sponsor is not in the export
    unk = chunk.take(3 * k_each, HONEST)
    tops = unk[::3]
    code = chunk.counters.unknown + np.arange(len(tops))
    chunk.counters.unknown += len(tops)
    chunk.sponsor[tops] = UNKNOWN_SPONSOR + code
    for j in (1, 2):
        below = unk[j::3]
        chunk.sponsor[below] = chunk.glob(tops[: len(below)])
        chunk.joined[below] = np.maximum(chunk.joined[below], chunk.joined[tops[: len(below)]] + F.DAY_US)
    rows.append((tops, "unknown_sponsor", np.full(len(tops), -1)))
    chunk.protected_members[np.concatenate([r[0] for r in rows])] = True
    for local, kind, group in rows:
        _flaw_rows(chunk, local, kind, group)


def _flaw_rows(chunk: Chunk, local: np.ndarray, kind: str, group: np.ndarray) -> None:
    chunk.count(f"flaws_{kind}", len(local))
    chunk.add_truth(
        "recruitment_flaws",
        pa.table(
            {
                "member_id": member_id(chunk.glob(local)),
                "kind": pa.array([kind] * len(local)),
                "sponsor_id": F.opt_ids("M", chunk.sponsor[local], 9),
                "cycle_id": F.opt_ids("CY", group, 6),
                "left_at": F.timestamps(np.maximum(chunk.left[local], 0), null=chunk.left[local] < 0),
            }
        ),
    )


def plant_left_but_paid(chunk: Chunk) -> None:
    """Members who left but kept being paid: ``left_at`` before their last commissions."""
    rng = chunk.rng(23)
    prof = chunk.profile
    if prof.flaw_rate <= 0 or not chunk.payments:
        return
    kind = np.concatenate([p.kind for p in chunk.payments])
    payee = np.concatenate([p.payee for p in chunk.payments])
    paid = np.concatenate([p.paid for p in chunk.payments])
    com = kind == KIND["commission"]
    if not com.any():
        return
    payee, paid = payee[com], paid[com]
    order = np.lexsort((paid, payee))
    payee, paid = payee[order], paid[order]
    starts = np.flatnonzero(np.r_[True, payee[1:] != payee[:-1]])
    counts = np.diff(np.r_[starts, len(payee)])
    many = starts[counts >= 3]
    if len(many) == 0:
        return
    n_net = int((chunk.role == NETWORK).sum())
    k = min(len(many), max(1 if chunk.index == 0 else 0, int(rng.poisson(n_net * prof.flaw_rate / 3))))
    if k == 0:
        return
    pick = rng.choice(many, size=k, replace=False)
    cnt = counts[np.searchsorted(starts, pick)]
    first_paid = paid[pick]
    last_paid = paid[pick + cnt - 1]
    left = first_paid + ((last_paid - first_paid) * rng.uniform(0.2, 0.6, k)).astype(np.int64)
    local = chunk.local(payee[pick])
    chunk.left[local] = np.maximum(left, chunk.joined[local] + F.HOUR_US)
    chunk.protected_members[local] = True
    _flaw_rows(chunk, local, "left_but_paid", np.full(k, -1))
