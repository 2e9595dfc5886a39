"""Slow, obviously-correct pyramid kernels in plain Python: the yardstick for the fast ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def validate(parent: Sequence[int], join: Sequence[Any] | None = None) -> dict[str, list[Any]]:
    """Walk every member's sponsor chain, remembering the path, to find cycles."""
    n = len(parent)
    cycle_id = [-1] * n
    for start in range(n):
        path: list[int] = []
        seen: set[int] = set()
        node = start
        while node != -1 and node not in seen:
            seen.add(node)
            path.append(node)
            node = parent[node]
        if node != -1:  # came back to a member already on this walk: a cycle
            cycle = path[path.index(node) :]
            for member in cycle:
                cycle_id[member] = min(cycle)
    into_cycle = [-1] * n
    for start in range(n):
        if cycle_id[start] != -1:
            continue
        node = start
        steps = 0
        while node != -1 and cycle_id[node] == -1 and steps <= n:
            node = parent[node]
            steps += 1
        if node != -1 and cycle_id[node] != -1:
            into_cycle[start] = cycle_id[node]
    repaired = list(parent)
    cut = [False] * n
    for cid in set(cycle_id) - {-1}:
        members = [i for i in range(n) if cycle_id[i] == cid]
        first = min(members, key=lambda i: (join[i] if join is not None else 0, i))
        cut[first] = True
        repaired[first] = -1
    return {
        "parent": repaired,
        "cycle_id": cycle_id,
        "into_cycle": into_cycle,
        "cut": cut,
        "self_sponsored": [parent[i] == i for i in range(n)],
    }


def ancestors(parent: Sequence[int], member: int) -> list[int]:
    """The sponsor chain above a member, nearest first (the forest must have no cycle)."""
    out = []
    node = parent[member]
    while node != -1:
        out.append(node)
        node = parent[node]
    return out


def metrics(parent: Sequence[int], values: Sequence[float] | None = None) -> dict[str, list[Any]]:
    """Every figure straight from its definition, by walking each member's chain to the top."""
    n = len(parent)
    vals = list(values) if values is not None else [0] * n
    level = [0] * n
    root = [0] * n
    direct = [0] * n
    downline = [0] * n
    height = [0] * n
    sums = list(vals)
    for member in range(n):
        chain = ancestors(parent, member)
        level[member] = len(chain) + 1
        root[member] = chain[-1] if chain else member
        if chain:
            direct[chain[0]] += 1
        for distance, anc in enumerate(chain, start=1):
            downline[anc] += 1
            height[anc] = max(height[anc], distance)
            sums[anc] += vals[member]
    return {
        "level": level,
        "root": root,
        "direct_recruits": direct,
        "downline": downline,
        "depth_below": height,
        "sums": sums,
    }


def by_distance(parent: Sequence[int], max_distance: int) -> list[list[int]]:
    """Descendants at exactly distance k, for k = 1..max_distance."""
    n = len(parent)
    out = [[0] * max_distance for _ in range(n)]
    for member in range(n):
        for distance, anc in enumerate(ancestors(parent, member), start=1):
            if distance <= max_distance:
                out[anc][distance - 1] += 1
    return out


def persons(identifiers: dict[str, Sequence[int]]) -> tuple[list[int], list[int]]:
    """Merge accounts by repeatedly joining any two groups that share a value (slow fixpoint)."""
    kinds = list(identifiers)
    n = len(identifiers[kinds[0]])
    group = list(range(n))
    changed = True
    while changed:
        changed = False
        for codes in identifiers.values():
            for a in range(n):
                for b in range(n):
                    if codes[a] != -1 and codes[a] == codes[b] and group[a] != group[b]:
                        low, high = sorted((group[a], group[b]))
                        group = [low if g == high else g for g in group]
                        changed = True
    mask = [0] * n
    for bit, kind in enumerate(kinds):
        codes = identifiers[kind]
        for a in range(n):
            if codes[a] != -1 and sum(1 for c in codes if c == codes[a]) > 1:
                mask[a] |= 1 << bit
    return group, mask
