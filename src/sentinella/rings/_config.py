"""Thresholds of the rings analysis, in one place a user can override."""

from __future__ import annotations

from dataclasses import dataclass

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class RingsConfig:
    """Every threshold the detectors use; defaults are what the tests and the demo run with."""

    # account age at the first order at a shop: fully suspicious below young_days, not at all
    # above old_days (throwaway accounts are the cheapest brushing inventory)
    young_days: float = 30.0
    old_days: float = 180.0
    # lockstep (CopyCatch-style): accounts acting on the same shop inside one window
    lockstep_window_hours: float = 2.0
    lockstep_min_buyers: int = 5
    lockstep_crowd_factor: float = 3.0  # times the shop's usual buyers per window
    lockstep_five_star_share: float = 0.8  # share of the window's orders 5-star reviewed
    # order bursts: orders per unique buyer in an hour at one shop
    burst_window_hours: float = 1.0
    burst_min_orders: int = 8
    burst_orders_per_buyer: float = 1.5
    # shared identifiers: other buyers of the same shop on one device, address, payout account
    shared_full: int = 3
    # FRAUDAR peeling
    blocks_global: int = 2
    blocks_per_merchant: int = 2
    block_min_rows: int = 5
    merchant_min_buyers: int = 5
    # rings: groups of suspicious accounts around one shop
    pair_threshold: float = 0.5
    # smaller groups are too easily a family or friends; their orders are still scored
    min_ring_size: int = 8
    ring_threshold: float = 0.6
    flag_threshold: float = 0.5
    # excess over the platform's base rate of suspicious buyers, in standard deviations
    excess_z: float = 3.0
    excess_ratio: float = 3.0
    # share of a shop's buyers showing a behavioural clue (young, lockstep, repeat) who also
    # 5-star every order: rings rate as one, honest crowds do not
    family_purity: float = 0.6
