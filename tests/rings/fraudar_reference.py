"""FRAUDAR as the paper describes it: greedy peeling with Python's heapq and lazy deletion."""

from __future__ import annotations

import heapq
import math


def reference_fraudar(
    edges: list[tuple[int, int]], n_rows: int, n_cols: int, blocks: int = 1
) -> list[tuple[list[int], list[int], float]]:
    degree = [0] * n_cols
    for _, c in edges:
        degree[c] += 1
    weight = [1.0 / math.log(degree[c] + 5.0) for _, c in edges]
    n = n_rows + n_cols
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e, (r, c) in enumerate(edges):
        adj[r].append((e, n_rows + c))
        adj[n_rows + c].append((e, r))
    alive = [True] * len(edges)
    out: list[tuple[list[int], list[int], float]] = []
    for _ in range(blocks):
        prio = [0.0] * n
        active = [False] * n
        for v in range(n):
            for e, _u in adj[v]:
                if alive[e]:
                    prio[v] += weight[e]
                    active[v] = True
        total = 0.0
        for e in range(len(edges)):
            if alive[e]:
                total += weight[e]
        nodes = [v for v in range(n) if active[v]]
        if not nodes:
            break
        heap = [(prio[v], v) for v in nodes]
        heapq.heapify(heap)
        removed = [False] * n
        order: list[int] = []
        remaining = len(nodes)
        best, best_t = total / remaining, 0
        while heap:
            key, u = heapq.heappop(heap)
            if removed[u] or key != prio[u]:
                continue
            removed[u] = True
            order.append(u)
            total -= prio[u]
            for e, v in adj[u]:
                if alive[e] and not removed[v]:
                    prio[v] -= weight[e]
                    heapq.heappush(heap, (prio[v], v))
            remaining -= 1
            if remaining > 0 and total / remaining > best:
                best, best_t = total / remaining, len(order)
        if best <= 0.0:
            break
        members = set(order[best_t:])
        for e, (r, c) in enumerate(edges):
            if r in members and n_rows + c in members:
                alive[e] = False
        rows = sorted(v for v in members if v < n_rows)
        cols = sorted(v - n_rows for v in members if v >= n_rows)
        out.append((rows, cols, best))
    return out
