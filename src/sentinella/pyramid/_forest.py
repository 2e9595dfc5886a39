"""Recruitment-forest kernels: sponsor validation and per-member tree metrics.

Two engines give identical answers. With numba installed, one breadth-first walk from the roots
orders the forest and every figure is a linear pass over that order (``_jit``). Without it, pointer
jumping (doubling) over whole numpy arrays: each round doubles how far up the sponsor chain every
unfinished member looks, so a chain of 10^6 levels takes 20 rounds and a star of 10^6 recruits one.
Neither recurses or loops per member in Python, so hostile data (deep chains, huge stars, long
cycles) cannot crash or stall the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sentinella.errors import SentinellaError

from . import _jit
from ._arrays import Engine, IndexArray, as_member_array, as_parent
from ._arrays import use_numba as _use_numba


class SponsorCycleError(SentinellaError, ValueError):
    """Raised when metrics are asked of a sponsor array that still has cycles."""


@dataclass(frozen=True, slots=True)
class SponsorCheck:
    """What is wrong with a sponsor array, and a repaired copy that is a proper forest.

    ``cycle_id`` and ``into_cycle`` name a cycle by its smallest member code. Self-sponsorship is
    a cycle of length 1, so it also gets a ``cycle_id`` (its own code) besides ``self_sponsored``.
    The arrays are read-only; for a clean forest they are constant views costing no memory.
    """

    parent: IndexArray
    """The repaired sponsor array: one link cut per cycle, everything else as given. When nothing
    was cut it may be the very array passed in (no 400 MB copy at 100M members)."""
    self_sponsored: NDArray[np.bool_]
    cycle_id: IndexArray
    """For members on a cycle: the cycle's smallest member code; -1 otherwise."""
    into_cycle: IndexArray
    """For members not on a cycle whose sponsor chain runs into one: that cycle; -1 otherwise."""
    cut: NDArray[np.bool_]
    """Members whose sponsor link was cut to break their cycle (they become roots)."""
    orphan: NDArray[np.bool_]
    """Members whose sponsor is unknown upstream (their level is then a lower bound)."""

    @property
    def n_cycles(self) -> int:
        """Every cycle has exactly one cut member, so counting cuts counts cycles."""
        return int(np.count_nonzero(self.cut))

    @property
    def cycle_length(self) -> IndexArray:
        """Per member, the length of the cycle it sits on (0 if none): evidence for reports."""
        n = self.cycle_id.shape[0]
        on = self.cycle_id >= 0
        sizes = np.bincount(self.cycle_id[on], minlength=n).astype(self.cycle_id.dtype)
        out = np.zeros(n, dtype=self.cycle_id.dtype)
        out[on] = sizes[self.cycle_id[on]]
        return out


@dataclass(frozen=True, slots=True)
class ForestMetrics:
    """Per-member figures over a recruitment forest; counts include the member, as the law does."""

    root: IndexArray
    """Code of the top of the member's tree (a root is its own root)."""
    level: IndexArray
    """1 for a root, 2 for their recruits, and so on."""
    direct_recruits: IndexArray
    downline: IndexArray
    """Number of descendants at any depth (the member excluded)."""
    depth_below: IndexArray
    """Height of the member's subtree: 0 for someone who recruited nobody."""
    sums: dict[str, NDArray[Any]]
    """Subtree sums (the member included) of the value arrays passed in, by the same names."""

    @property
    def legal_headcount(self) -> IndexArray:
        """The 2013 Opinions count the organizer too: downline + 1."""
        out: IndexArray = self.downline + 1
        return out

    @property
    def legal_levels(self) -> IndexArray:
        """Levels of an organization counting the organizer's own level: depth below + 1."""
        out: IndexArray = self.depth_below + 1
        return out


def validate_sponsors(
    parent: ArrayLike,
    join_order: ArrayLike | None = None,
    orphan: ArrayLike | None = None,
    *,
    engine: Engine = "auto",
) -> SponsorCheck:
    """Find self-sponsorship and cycles of any length, and cut each cycle once so metrics exist.

    Rule for breaking a cycle: the member of the cycle who joined first (smallest
    ``join_order``; ties and a missing ``join_order`` fall back to the smallest member code)
    loses their sponsor link and becomes a root. Nobody can have been recruited by someone who
    joined after them, so that is the link the records contradict; the rest of the cycle and
    everyone hanging below it keep their links. ``join_order`` is any sortable number per member
    (e.g. ``joined_at`` as int64 nanoseconds; put missing dates last with a large value).
    ``orphan`` flags members whose sponsor was named but is unknown; their ``parent`` must be -1.
    """
    check, _ = _validate(as_parent(parent), join_order, orphan, _use_numba(engine))
    return check


def analyse_forest(
    parent: ArrayLike,
    join_order: ArrayLike | None = None,
    orphan: ArrayLike | None = None,
    values: Mapping[str, ArrayLike] | None = None,
    *,
    engine: Engine = "auto",
) -> tuple[SponsorCheck, ForestMetrics]:
    """Validate, repair and measure in one go: the usual call, and cheaper than the two apart.

    When nothing needed repairing, the breadth-first order found while validating is reused for
    the metrics instead of being rebuilt.
    """
    p = as_parent(parent)
    use_numba = _use_numba(engine)
    check, order = _validate(p, join_order, orphan, use_numba)
    return check, _metrics(check.parent, values, use_numba, order)


def forest_metrics(
    parent: ArrayLike,
    values: Mapping[str, ArrayLike] | None = None,
    *,
    engine: Engine = "auto",
) -> ForestMetrics:
    """Every per-member tree figure at once, for a forest without cycles.

    ``values`` are per-member numbers (sales, fees, ...; 1-D or ``(n, k)``) whose subtree sums
    come back in ``sums``: integers and booleans are summed exactly as int64, everything else as
    float64. Run :func:`validate_sponsors` first on untrusted data; a cycle raises
    :class:`SponsorCycleError` instead of looping.
    """
    return _metrics(as_parent(parent), values, _use_numba(engine), None)


def subtree_sum(
    parent: ArrayLike,
    values: ArrayLike,
    *,
    include_self: bool = True,
    engine: Engine = "auto",
) -> NDArray[Any]:
    """Sum a per-member value over each member's downline (team sales, fees collected, ...)."""
    p = as_parent(parent)
    buf = _sum_buffer(as_member_array(values, p.shape[0], "values"))
    own = buf.copy() if not include_self else None
    if _use_numba(engine):
        _push_all(p, _ordered(p), [buf])
    else:
        _climb(p, [buf], with_height=False)
    if own is not None:
        buf -= own
    return buf


@dataclass(frozen=True, slots=True)
class _Order:
    """A breadth-first order of the members reachable from a root (numba engine only)."""

    queue: IndexArray
    up: IndexArray
    """Per position, the position of the sponsor (-1 for a root)."""
    direct: IndexArray
    reached: int


def _bfs(p: IndexArray) -> _Order:
    """A top-down order: the codes themselves when sponsors always precede recruits, else BFS.

    Buffers are allocated here by numpy rather than inside the compiled code, because numpy backs
    big arrays with huge pages and the walks are bound by random memory access.
    """
    n = p.shape[0]
    dt = p.dtype
    direct = np.zeros(n, dtype=dt)
    if _jit.is_topological(p):
        _jit.count_children(p, direct)
        return _Order(queue=np.arange(n, dtype=dt), up=p, direct=direct, reached=n)
    queue = np.empty(n, dtype=dt)
    up = np.empty(n, dtype=dt)
    reached = _jit.bfs(p, np.zeros(n + 1, dtype=dt), np.empty(n, dtype=dt), queue, up, direct)
    return _Order(queue=queue, up=up, direct=direct, reached=int(reached))


def _ordered(p: IndexArray) -> _Order:
    """The breadth-first order of a forest that must have no cycle."""
    order = _bfs(p)
    if order.reached < p.shape[0]:
        raise SponsorCycleError("the sponsor array has cycles; repair it with validate_sponsors() first")
    return order


def _push_all(p: IndexArray, order: _Order, bufs: list[NDArray[Any]]) -> None:
    n = p.shape[0]
    for buf in bufs:
        if buf.ndim > 2:
            raise ValueError("values must be 1-D or (n, k)")
        _jit.push_sums(order.queue, p, buf.reshape(n, -1) if buf.ndim == 2 else buf.reshape(n, 1))


def _validate(
    p: IndexArray,
    join_order: ArrayLike | None,
    orphan: ArrayLike | None,
    use_numba: bool,
) -> tuple[SponsorCheck, _Order | None]:
    """Validation plus, when nothing had to be cut, the order that metrics can reuse."""
    n = p.shape[0]
    idt = p.dtype
    if orphan is None:
        orph = _constant(n, np.bool_, False)
    else:
        orph = as_member_array(orphan, n, "orphan").astype(np.bool_)
        if np.any(orph & (p >= 0)):
            raise ValueError("an orphan (unknown sponsor) must have parent -1")
    join = None if join_order is None else as_member_array(join_order, n, "join_order")

    order: _Order | None = None
    if use_numba:
        order = _bfs(p)
        if order.reached == n:
            basin: IndexArray = np.zeros(0, dtype=idt)
        else:
            seen = np.zeros(n, dtype=np.bool_)
            seen[order.queue[: order.reached]] = True
            basin = np.flatnonzero(~seen).astype(idt)
    else:
        basin = _cycle_basin(p)
    if not basin.size:  # the usual case: a clean forest costs no per-member report arrays
        no_member = _constant(n, idt, -1)
        clean = SponsorCheck(
            parent=p,
            self_sponsored=_constant(n, np.bool_, False),
            cycle_id=no_member,
            into_cycle=no_member,
            cut=_constant(n, np.bool_, False),
            orphan=orph,
        )
        return clean, order
    order = None
    cycle_id = np.full(n, -1, dtype=idt)
    into_cycle = np.full(n, -1, dtype=idt)
    cut = np.zeros(n, dtype=np.bool_)
    repaired = p.copy()
    on_cycle, label = _cycles_in_basin(p, basin, use_numba)
    members = basin[on_cycle]
    cycle_id[members] = label[on_cycle]
    into_cycle[basin[~on_cycle]] = label[~on_cycle]
    keys: tuple[NDArray[Any], ...] = (members,)
    if join is not None:
        keys = (members, join[members])
    rank = np.lexsort((*keys, label[on_cycle]))
    grouped = label[on_cycle][rank]
    first = np.ones(rank.shape[0], dtype=np.bool_)
    first[1:] = grouped[1:] != grouped[:-1]
    breakers = members[rank[first]]
    cut[breakers] = True
    repaired[breakers] = -1
    check = SponsorCheck(
        parent=repaired,
        self_sponsored=p == np.arange(n, dtype=idt),
        cycle_id=cycle_id,
        into_cycle=into_cycle,
        cut=cut,
        orphan=orph,
    )
    return check, order


def _constant(n: int, dtype: Any, value: Any) -> NDArray[Any]:
    """A read-only array of one value that occupies no memory (a broadcast view)."""
    return np.broadcast_to(np.array(value, dtype=dtype), (n,))


def _cycle_basin(p: IndexArray) -> IndexArray:
    """Members whose sponsor chain never reaches a root: the cycles and whatever hangs off them.

    A member at distance d from its root finishes in round ceil(log2(d + 1)); because depths in a
    tree are contiguous, a round in which nobody finishes means only cycle-bound members are left.
    """
    anc = p.copy()
    act: IndexArray = np.flatnonzero(p >= 0).astype(p.dtype)
    while act.size:
        a = np.take(anc, act)
        nxt = np.take(anc, a)
        done = nxt < 0
        if not done.any():
            break
        anc[act[done]] = -1
        keep = ~done
        act = act[keep]
        anc[act] = nxt[keep]
    return act


def _cycles_in_basin(
    p: IndexArray, basin: IndexArray, use_numba: bool
) -> tuple[NDArray[np.bool_], IndexArray]:
    """Which basin members are on a cycle, and the cycle each basin member belongs to.

    numpy: after 2^J >= m steps from any basin member one stands on a cycle, and on a cycle that
    many steps is a rotation, so the landing points are exactly the cycle members. The running
    minimum over a window of 2^J successors is, on a cycle, the cycle's smallest code: its name.
    """
    m = basin.shape[0]
    succ = np.searchsorted(basin, np.take(p, basin)).astype(basin.dtype)
    if use_numba:
        local, on = _jit.cycle_labels(succ)
        named: IndexArray = np.take(basin, local)
        return on, named
    label = basin.copy()
    rounds = max(1, int(np.ceil(np.log2(m))) if m > 1 else 1)
    for _ in range(rounds):
        label = np.minimum(label, np.take(label, succ))
        succ = np.take(succ, succ)
    on_cycle = np.zeros(m, dtype=np.bool_)
    on_cycle[succ] = True
    out: IndexArray = np.take(label, succ)
    return on_cycle, out


def _metrics(
    p: IndexArray,
    values: Mapping[str, ArrayLike] | None,
    use_numba: bool,
    order: _Order | None,
) -> ForestMetrics:
    n = p.shape[0]
    named = {name: _sum_buffer(as_member_array(v, n, name)) for name, v in (values or {}).items()}
    if use_numba:
        if order is None:
            order = _ordered(p)
        level, root, size, height = (np.empty(n, dtype=p.dtype) for _ in range(4))
        _jit.down(order.queue, order.up, np.empty_like(level), np.empty_like(root), level, root)
        _jit.accumulate(order.queue, order.up, np.empty_like(size), np.empty_like(height), size, height)
        _push_all(p, order, list(named.values()))
        direct = order.direct
    else:
        size = np.ones(n, dtype=p.dtype)
        depth, root, height = _climb(p, [size, *named.values()])
        level = depth + 1
        direct = np.bincount(p[p >= 0], minlength=n).astype(p.dtype)
    size -= 1  # in place: at 100M members every spare array is 400 MB
    return ForestMetrics(
        root=root,
        level=level,
        direct_recruits=direct,
        downline=size,
        depth_below=height,
        sums=named,
    )


def downline_by_distance(
    parent: ArrayLike, max_distance: int, values: ArrayLike | None = None
) -> NDArray[Any]:
    """Column k-1 holds, per member, the count (or sum of ``values``) of descendants at exactly k.

    Compensation plans pay per level, so the people (or the money) at each distance below a member
    is what the "how many levels pay" questions need. Cost is O(n * max_distance).
    """
    p = as_parent(parent)
    n = p.shape[0]
    if max_distance < 1:
        raise ValueError("max_distance must be at least 1")
    val = None if values is None else _sum_buffer(as_member_array(values, n, "values"))
    if val is not None and val.ndim != 1:
        raise ValueError("values must be one-dimensional here")
    dtype = np.int64 if val is None else val.dtype
    out = np.zeros((n, max_distance), dtype=dtype)
    act: IndexArray = np.flatnonzero(p >= 0).astype(p.dtype)
    anc = np.take(p, act)
    for k in range(max_distance):
        if not act.size:
            break
        weights = None if val is None else np.take(val, act)
        col = np.bincount(anc, weights=weights, minlength=n)
        out[:, k] = col
        nxt = np.take(p, anc)
        keep = nxt >= 0
        act = act[keep]
        anc = nxt[keep]
    return out


def _sum_buffer(values: NDArray[Any]) -> NDArray[Any]:
    """A fresh accumulator: exact int64 for counts and cents, float64 for everything else."""
    if values.dtype == np.bool_ or np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64)
    return values.astype(np.float64)


def _climb(
    p: IndexArray, sums: list[NDArray[Any]], *, with_height: bool = True
) -> tuple[IndexArray, IndexArray, IndexArray]:
    """The doubling pass: pull depth and root down, push subtree sums and heights up.

    In round j every member in ``act`` has an ancestor exactly 2^j above (``anc``). Pushing each
    member's partial sum over its descendants within distance < 2^j onto that ancestor gives every
    member its sum within distance < 2^(j+1). A member whose 2^j-ancestor has no 2^j-ancestor of
    its own learns its depth and root from it (final values) and drops out. Sums in ``sums`` are
    updated in place.
    """
    n = p.shape[0]
    idt = p.dtype
    anc = p.copy()
    depth = np.zeros(n, dtype=idt)
    root = np.arange(n, dtype=idt)
    height = np.zeros(n, dtype=idt)
    act: IndexArray = np.flatnonzero(p >= 0).astype(idt)
    step = 1
    while act.size:
        a = np.take(anc, act)
        nxt = np.take(anc, a)
        for buf in sums:
            np.add.at(buf, a, np.take(buf, act, axis=0))
        if with_height:
            np.maximum.at(height, a, np.take(height, act) + step)
        done = nxt < 0
        fin = act[done]
        if not fin.size:
            raise SponsorCycleError("the sponsor array has cycles; repair it with validate_sponsors() first")
        up = a[done]
        depth[fin] = np.take(depth, up) + step
        root[fin] = np.take(root, up)
        anc[fin] = -1
        keep = ~done
        act = act[keep]
        anc[act] = nxt[keep]
        step *= 2
    return depth, root, height
