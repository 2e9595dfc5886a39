"""When things happen: a seasonal calendar (Singles' Day, 6.18, Spring Festival) and a day's rhythm."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ._fmt import DAY_US, HOUR_US

# (month, day, multiplier, days): shopping festivals and the Spring Festival lull
_FESTIVALS = ((11, 11, 4.0, 1), (11, 10, 1.6, 1), (6, 18, 2.5, 1), (12, 12, 1.8, 1))
_SPRING_FESTIVAL = {2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6)}
_HOURS = np.array(
    [2, 1, 0.6, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4.2, 4.5, 4, 3.8, 3.8, 4, 4.2, 4.5, 5, 6, 6.5, 5.5, 3.5]
)


class Calendar:
    """Samples order times with the platform's seasonality, respecting per-row lower bounds."""

    def __init__(self, start_us: int, end_us: int) -> None:
        self.start_us = start_us
        self.end_us = end_us
        n_days = max(1, -(-(end_us - start_us) // DAY_US))
        edges = start_us + np.arange(n_days + 1, dtype=np.int64) * DAY_US
        edges[-1] = end_us
        weights = np.ones(n_days)
        days = [datetime.fromtimestamp((start_us + i * DAY_US) / 1e6, tz=UTC) for i in range(n_days)]
        for i, d in enumerate(days):
            w = 1.0 + 0.2 * np.sin(2 * np.pi * (d.timetuple().tm_yday - 60) / 365.0)
            w *= 1.1 if d.weekday() >= 5 else 1.0
            for month, day, mult, _ in _FESTIVALS:
                if d.month == month and d.day == day:
                    w *= mult
            sf = _SPRING_FESTIVAL.get(d.year)
            if sf is not None:
                delta = (d - datetime(d.year, sf[0], sf[1], tzinfo=UTC)).days
                if -3 <= delta <= 6:
                    w *= 0.4
            weights[i] = w
        self.edges = edges
        cdf = np.concatenate([[0.0], np.cumsum(weights * np.diff(edges))])
        self.cdf = cdf / cdf[-1]
        hour_cdf = np.concatenate([[0.0], np.cumsum(_HOURS)])
        self.hour_cdf = hour_cdf / hour_cdf[-1]

    def sample(self, rng: np.random.Generator, lo: np.ndarray | None = None, k: int = 0) -> np.ndarray:
        """Times in [lo, end): the day from the season, the hour from the daily rhythm."""
        if lo is None:
            lo = np.full(k, self.start_us, dtype=np.int64)
        lo = np.clip(lo, self.start_us, self.end_us - HOUR_US)
        f_lo = np.interp(lo, self.edges, self.cdf)
        u = f_lo + rng.random(len(lo)) * (1.0 - f_lo)
        t = np.interp(u, self.cdf, self.edges).astype(np.int64)
        day = t - (t - self.start_us) % DAY_US
        tod = (np.interp(rng.random(len(lo)), self.hour_cdf, np.arange(25)) * HOUR_US).astype(np.int64)
        out = day + tod
        bad = (out < lo) | (out >= self.end_us)
        out[bad] = t[bad]
        return np.asarray(np.maximum(out, lo), dtype=np.int64)


def uniform(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, k: int) -> np.ndarray:
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (k,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (k,))
    return np.asarray(lo_a + (rng.random(k) * np.maximum(hi_a - lo_a, 1)).astype(np.int64))
