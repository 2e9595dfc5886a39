"""The ``truth/`` folder's tables: what was planted, joinable to analysis output by IDs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import _fmt
from ._chunk import Chunk
from ._dirty import DIRTY_SCHEMA

S, I32, B, F64, T = pa.string(), pa.int32(), pa.bool_(), pa.float64(), pa.timestamp("us", tz="UTC")
M = pa.decimal128(18, 4)

# name -> (description, [(column, type, description)])
TRUTH: dict[str, tuple[str, list[tuple[str, pa.DataType, str]]]] = {
    "pyramid_networks": (
        "Every planted recruitment network: pyramids and their legitimate look-alikes.",
        [
            ("network_id", S, "Network ID (N000001)."),
            ("kind", S, "pyramid | referral | direct_selling | friends_shop."),
            ("shape", S, "unilevel | binary | matrix | chain | wide | sub_leader | split | star."),
            ("legit", B, "True for a look-alike that must NOT be flagged."),
            ("pay_basis", S, "recruitment | mixed | sales (pyramids); recruitment | own_sales | none."),
            ("root_member_id", S, "The root account (for split networks: the person's first account)."),
            ("merchant_id", S, "The network's company shop."),
            ("members", I32, "Accounts in the network."),
            ("persons", I32, "Headcount after merging one person's accounts (split networks)."),
            ("levels", I32, "Levels including the root (root = 1)."),
            ("entry_fee", M, "Fee each recruit pays (0 for none)."),
            ("currency", S, "Currency of fees and commissions."),
            ("commission_levels", I32, "How many upline levels are paid (referral: 1; none: 0)."),
            (
                "recruitment_rates",
                S,
                "Share of the fee paid per level, level 1 first ('bonus' for referral).",
            ),
            ("sales_rates", S, "Share of downline sales paid per level."),
            ("own_sales_rate", F64, "Direct selling: commission on a seller's own sales."),
            ("fees_total", M, "Entry fees paid in the network."),
            ("commissions_total", M, "Commissions and bonuses paid in the network."),
            ("share_losing_money", F64, "Share of members whose net income is negative."),
            ("organizers", I32, "Members that meet China's §1 test on their own (≥ 30 and ≥ 3 levels)."),
            ("matrix_width", I32, "Width of a matrix network, else 0."),
            ("note", S, "Why it was planted (e.g. '29 members: one below the 30-member threshold')."),
        ],
    ),
    "pyramid_members": (
        "Every account of every planted network, with the figures a detector should find.",
        [
            ("member_id", S, "Account."),
            ("network_id", S, "Its network."),
            ("level", I32, "Level in its tree (root = 1)."),
            ("sponsor_hidden", B, "The export has no sponsor_id for this member (see hidden_sponsor_share)."),
            ("sponsor_id", S, "Sponsor as planted."),
            ("headcount", I32, "Downline + 1 (the legal headcount of this account alone)."),
            ("levels_below", I32, "Depth below + 1 (the legal levels of this account alone)."),
            ("organizer", B, "A pyramid member whose own headcount ≥ 30 and levels ≥ 3."),
            ("organizer_merged", B, "Organizer once one person's accounts are merged (split downline)."),
            ("serious", B, "Organizer with headcount ≥ 120 or downline fees ≥ ¥2.5M."),
            ("fees_paid", M, "Entry fees this account paid."),
            ("downline_fees", M, "Entry fees paid by this account's downline (excluding itself)."),
            ("commissions_received", M, "Commissions and bonuses received."),
            ("purchases", M, "Own purchases at the company shop (paid orders)."),
            ("sales_to_outsiders", M, "Sales to non-participants (micro-shop or credited sales)."),
            ("net_income", M, "commissions + sales − fees − purchases."),
            ("micro_shop_id", S, "The member's own shop, if any."),
        ],
    ),
    "persons": (
        "People with several accounts; split_downline marks accounts used to split a downline.",
        [
            ("person_id", S, "Person ID."),
            ("member_id", S, "One of the person's accounts."),
            ("primary_account", B, "The account the others copy identifiers from."),
            ("shared", S, "Identifiers shared with the primary, '|'-separated."),
            ("split_downline", B, "Accounts of a person who split a downline below the threshold."),
            ("network_id", S, "For split accounts: the network."),
        ],
    ),
    "recruitment_flaws": (
        "Recruitment records ingestion and forensics must report (never loop on).",
        [
            ("member_id", S, "Account with the flaw."),
            ("kind", S, "self_sponsor | cycle | sponsor_in_cycle | unknown_sponsor | left_but_paid."),
            ("sponsor_id", S, "Sponsor as written."),
            ("cycle_id", S, "Which cycle (cycle rows and the tails hanging off it)."),
            ("left_at", T, "For left_but_paid: when the member left (commissions follow)."),
        ],
    ),
    "brushing_rings": (
        "Planted brushing rings: fake buyers boosting one shop.",
        [
            ("ring_id", S, "Ring ID (BR000001)."),
            ("merchant_id", S, "The boosted shop."),
            ("pattern", S, "burst (orders within hours) | drip (spread over weeks)."),
            ("members", I32, "Fake accounts."),
            ("target_orders", I32, "Orders at the boosted shop (all completed, all 5-star)."),
            ("camouflage_orders", I32, "Orders the same accounts placed at ordinary shops."),
            ("devices", I32, "Distinct devices the accounts share."),
            ("addresses", I32, "Distinct delivery addresses the orders share."),
            ("shared_bank_account", B, "Whether all accounts share one payout account."),
            ("chat_group_id", S, "The task group coordinating the ring (ties.group_id)."),
            ("first_order_at", T, "First target order."),
            ("last_order_at", T, "Last target order."),
        ],
    ),
    "ring_members": (
        "The fake accounts of each ring.",
        [("ring_id", S, "Ring."), ("member_id", S, "Fake account."), ("device_id", S, "Its shared device.")],
    ),
    "ring_orders": (
        "Every order a ring placed; the shop owner refunds target orders with kind=other payments.",
        [("ring_id", S, "Ring."), ("order_id", S, "Order."), ("role", S, "target | camouflage.")],
    ),
    "lookalikes": (
        "Honest look-alikes that must NOT be flagged, one row per entity in them.",
        [
            ("lookalike_id", S, "Look-alike ID."),
            (
                "kind",
                S,
                "referral | direct_selling | friends_shop | loyal_buyers | family_shop | flash_sale"
                " | clearance | secondhand.",
            ),
            ("entity_kind", S, "network | merchant | member."),
            ("entity_id", S, "The network, shop or member."),
            ("role", S, "network | merchant | buyer | owner."),
        ],
    ),
}
DIRTY_DESCRIPTION = (
    "Every spoiled row: table, file and 1-based data row in that file, the row's ID, column and "
    "kind (bad_date, unknown_status, unknown_kind, negative_amount, duplicate_identical, "
    "duplicate_conflicting, missing_order, out_of_range, nul_text), the value written and what "
    "ingestion must do with it (effect)."
)


DIRTY_COLUMNS = {
    "table": "Contract table the row is in.",
    "file": "File the row was written to, relative to the case folder.",
    "row_number": "1-based data row in that file (header excluded), as ingestion reports it.",
    "row_id": "The row's ID (first key column); duplicates share it with the original.",
    "column": "Spoiled column; empty for an identical duplicate row.",
    "kind": "What was done to it.",
    "value": "The value written, as text.",
    "effect": "row (rejected: a bad key or required value, or a conflicting duplicate) | field "
    "(the value is cleared, the row kept) | duplicate (an identical copy, skipped) | reference "
    "(kept; the dangling reference is reported).",
}


def schemas() -> dict[str, pa.Schema]:
    out = {name: pa.schema([(c, t) for c, t, _ in cols]) for name, (_, cols) in TRUTH.items()}
    out["dirty_rows"] = DIRTY_SCHEMA
    return out


def write_manifest(
    folder: Path, rows: dict[str, int], schemas: dict[str, pa.Schema], extra: dict[str, object]
) -> None:
    """manifest.json (machine) and README.md (people) describing each truth table."""
    tables: dict[str, object] = {}
    for name in sorted(rows):
        desc, cols = TRUTH.get(name, ("", []))
        col_desc = {c: d for c, _, d in cols}
        if name == "dirty_rows":
            desc, col_desc = DIRTY_DESCRIPTION, DIRTY_COLUMNS
        elif not desc:
            desc = "Planted by the goods generator (listings, posts, media)."
        schema = schemas.get(name)
        tables[name] = {
            "file": f"{name}.parquet",
            "rows": rows[name],
            "description": desc,
            "columns": [
                {"name": f.name, "type": str(f.type), "description": col_desc.get(f.name, "")}
                for f in (schema or [])
            ],
        }
    manifest = {**extra, "tables": tables}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Ground truth",
        "",
        "What the generator planted in this case, one Parquet table per kind of thing, joinable",
        "to analysis output by member, merchant, order and network IDs.",
        "",
    ]
    for name, info in tables.items():
        assert isinstance(info, dict)
        lines += [f"## {name} ({info['rows']} rows)", "", str(info["description"]), ""]
        for col in info["columns"]:
            lines.append(f"- `{col['name']}` ({col['type']}): {col['description']}")
        lines.append("")
    (folder / "README.md").write_text("\n".join(lines))


def lookalikes_table(
    chunk: Chunk, kind: str, entity_kind: str, ids: list[pa.Array], roles: list[str]
) -> pa.Table:
    """One look-alike: every entity in it (shop, buyers, network) with its role."""
    number = chunk.counters.lookalike
    chunk.counters.lookalike += 1
    chunk.count(f"lookalikes_{kind}", 1)
    total = sum(len(a) for a in ids)
    return pa.table(
        {
            "lookalike_id": _fmt.ids("LA", np.full(total, number), 6),
            "kind": pa.array([kind] * total),
            "entity_kind": pa.array(
                [
                    r if r in ("network", "merchant") else "member"
                    for r, a in zip(roles, ids, strict=True)
                    for _ in range(len(a))
                ]
            ),
            "entity_id": pa.concat_arrays([a.cast(pa.string()) for a in ids]),
            "role": pa.array([r for r, a in zip(roles, ids, strict=True) for _ in range(len(a))]),
        }
    )
