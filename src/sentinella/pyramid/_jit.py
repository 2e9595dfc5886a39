"""Linear-time forest kernels compiled with numba, used when numba is installed.

Pointer jumping in numpy costs O(n log depth) array passes; one sequential walk over a
breadth-first order costs O(n) and touches each member a handful of times, which is what makes
100M members fit in tens of seconds on two cores. The loops below are only ever run compiled:
without numba the numpy kernels in ``_forest`` are used instead, never these loops in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sentinella._compile import HAVE_NUMBA as HAVE_NUMBA  # the engine switch reads it here
from sentinella._compile import compile_kernel as _compile


def _cycle_labels(parent: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    """Walk each unvisited chain once; a walk that meets its own path has found a new cycle.

    Returns per member the cycle its chain ends in (named by the cycle's smallest code; -1 when
    the chain reaches a root) and whether the member is on that cycle.
    """
    n = parent.shape[0]
    state = np.zeros(n, dtype=np.int8)  # 0 unseen, 1 on the current walk, 2 settled
    label = np.full(n, -1, dtype=parent.dtype)
    on_cycle = np.zeros(n, dtype=np.bool_)
    path = np.empty(n, dtype=parent.dtype)
    for start in range(n):
        if state[start] != 0:
            continue
        top = 0
        v = parent.dtype.type(start)
        while v >= 0 and state[v] == 0:
            state[v] = 1
            path[top] = v
            top += 1
            v = parent[v]
        if v < 0:
            found = -1
        elif state[v] == 1:
            k = top - 1
            smallest = path[k]
            while path[k] != v:
                k -= 1
                smallest = min(smallest, path[k])
            for i in range(k, top):
                on_cycle[path[i]] = True
                label[path[i]] = smallest
                state[path[i]] = 2
            top = k
            found = smallest
        else:
            found = label[v]
        for i in range(top):
            label[path[i]] = found
            state[path[i]] = 2
    return label, on_cycle


def _bfs(
    parent: NDArray[Any],
    start: NDArray[Any],
    child: NDArray[Any],
    queue: NDArray[Any],
    up: NDArray[Any],
    direct: NDArray[Any],
) -> int:
    """Breadth-first order from the roots; children are grouped by a counting sort (CSR).

    Fills ``queue`` (the order), ``up`` (each position's sponsor position, -1 for roots) and
    ``direct`` (recruit counts); ``start`` (n + 1 zeros) and ``child`` are scratch. Returns how
    many members were reached: fewer than n means some chains end in a cycle. Positions of
    sponsors never decrease along the order, so work done "by position" streams through memory.
    All arrays come from numpy, which backs big ones with huge pages: at 100M members the random
    accesses here would otherwise spend much of their time on TLB misses.
    """
    n = parent.shape[0]
    for i in range(n):
        p = parent[i]
        if p >= 0:
            start[p + 1] += 1
    for i in range(n):
        direct[i] = start[i + 1]
    for i in range(n):
        start[i + 1] += start[i]
    for i in range(n):
        p = parent[i]
        if p >= 0:
            child[start[p]] = i
            start[p] += 1
    for i in range(n, 0, -1):  # filling advanced each start to the next one: shift back
        start[i] = start[i - 1]
    start[0] = 0
    tail = 0
    for i in range(n):
        if parent[i] < 0:
            queue[tail] = i
            up[tail] = -1
            tail += 1
    head = 0
    while head < tail:
        u = queue[head]
        for k in range(start[u], start[u + 1]):
            queue[tail] = child[k]
            up[tail] = head
            tail += 1
        head += 1
    return tail


def _is_topological(parent: NDArray[Any]) -> bool:
    """True when every sponsor has a smaller code than their recruit (codes given in join order).

    Then the codes themselves are a top-down order and the breadth-first walk can be skipped.
    Stops at the first counterexample, so shuffled codes cost almost nothing to test.
    """
    for i in range(parent.shape[0]):  # noqa: SIM110 - a plain loop is what numba compiles best
        if parent[i] >= i:
            return False
    return True


def _count_children(parent: NDArray[Any], direct: NDArray[Any]) -> None:
    """Direct recruits per member (into zeros) in one streaming pass."""
    for i in range(parent.shape[0]):
        p = parent[i]
        if p >= 0:
            direct[p] += 1


def _down(
    queue: NDArray[Any],
    up: NDArray[Any],
    qlevel: NDArray[Any],
    qroot: NDArray[Any],
    level: NDArray[Any],
    root: NDArray[Any],
) -> None:
    """Level and root, computed by position (streaming) and written back to member codes once."""
    n = queue.shape[0]
    for i in range(n):
        j = up[i]
        if j < 0:
            qlevel[i] = 1
            qroot[i] = queue[i]
        else:
            qlevel[i] = qlevel[j] + 1
            qroot[i] = qroot[j]
    for i in range(n):
        v = queue[i]
        level[v] = qlevel[i]
        root[v] = qroot[i]


def _accumulate(
    queue: NDArray[Any],
    up: NDArray[Any],
    qsize: NDArray[Any],
    qheight: NDArray[Any],
    size: NDArray[Any],
    height: NDArray[Any],
) -> None:
    """Subtree size and height bottom-up by position: a child is final before its sponsor."""
    n = queue.shape[0]
    for i in range(n):
        qsize[i] = 1
        qheight[i] = 0
    for i in range(n - 1, -1, -1):
        j = up[i]
        if j >= 0:
            qsize[j] += qsize[i]
            h = qheight[i] + 1
            if h > qheight[j]:
                qheight[j] = h
    for i in range(n):
        v = queue[i]
        size[v] = qsize[i]
        height[v] = qheight[i]


def _push_sums(queue: NDArray[Any], parent: NDArray[Any], buf: NDArray[Any]) -> None:
    """Subtree sums of the columns of ``buf`` (n, k), in place, in reversed breadth-first order.

    Works on member codes directly (no position-ordered copy) so a 100M-member value column
    costs no second buffer.
    """
    k = buf.shape[1]
    for i in range(queue.shape[0] - 1, -1, -1):
        v = queue[i]
        p = parent[v]
        if p >= 0:
            for c in range(k):
                buf[p, c] += buf[v, c]


def _find(uf: NDArray[Any], x: Any) -> Any:
    """Root of x in a union-find forest, halving the path on the way."""
    while uf[x] != x:
        uf[x] = uf[uf[x]]
        x = uf[x]
    return x


def _union_codes(
    codes: NDArray[Any], first: NDArray[Any], uf: NDArray[Any], mask: NDArray[Any], bit: Any
) -> None:
    """Union every account with the first account holding the same code; mark both as linked.

    Union by smaller root keeps each set's root its smallest account, which names the person.
    ``first`` holds -1 per code on entry.
    """
    for i in range(codes.shape[0]):
        c = codes[i]
        if c < 0:
            continue
        f = first[c]
        if f < 0:
            first[c] = i
            continue
        mask[i] |= bit
        mask[f] |= bit
        a = find(uf, i)
        b = find(uf, f)
        if a < b:
            uf[b] = a
        elif b < a:
            uf[a] = b


def _resolve(uf: NDArray[Any]) -> None:
    """Point every account straight at its root: the person label."""
    for i in range(uf.shape[0]):
        uf[i] = find(uf, i)


cycle_labels = _compile(_cycle_labels)
bfs = _compile(_bfs)
is_topological = _compile(_is_topological)
count_children = _compile(_count_children)
down = _compile(_down)
accumulate = _compile(_accumulate)
push_sums = _compile(_push_sums)
find = _compile(_find)
union_codes = _compile(_union_codes)
resolve = _compile(_resolve)
