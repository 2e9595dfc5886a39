"""Every credit rule at its boundaries, each exclusion explained, as-of reproducibility."""

from __future__ import annotations

import datetime as dt

import pytest

from credit_helpers import AS_OF, T0, UTC, Case, merchant, reasons
from sentinella.credit import REASONS, CreditConfig, merchant_credit, run_credit

DAY = dt.timedelta(days=1)


def test_sixth_rating_in_a_month_counts_and_seventh_is_capped() -> None:
    case = Case()
    ids = [case.rated(5, placed_at=T0 + k * dt.timedelta(hours=1)) for k in range(7)]
    got = reasons(case.run())
    assert [got[i] for i in ids] == [None] * 6 + ["capped"]


def test_cap_is_a_band_a_negative_makes_room_again() -> None:
    case = Case()
    hour = dt.timedelta(hours=1)
    ids = [case.rated(5, placed_at=T0 + k * hour) for k in range(7)]
    ids.append(case.rated(1, placed_at=T0 + 7 * hour))  # net 6 -> 5
    ids.append(case.rated(5, placed_at=T0 + 8 * hour))  # back to 6: counts
    ids.append(case.rated(4, placed_at=T0 + 9 * hour))  # would be 7: capped
    store = case.run()
    got = reasons(store)
    assert [got[i] for i in ids] == [None] * 6 + ["capped", None, None, "capped"]
    assert merchant(store)["points"] == 6


def test_negative_cap_and_neutral_ratings() -> None:
    case = Case()
    hour = dt.timedelta(hours=1)
    ids = [case.rated(1, placed_at=T0 + k * hour) for k in range(7)]
    ids.append(case.rated(3, placed_at=T0 + 7 * hour))  # a neutral never leaves the band
    store = case.run()
    got = reasons(store)
    assert [got[i] for i in ids] == [None] * 6 + ["capped", None]
    row = merchant(store)
    assert (row["points"], row["negative"], row["neutral"], row["not_counted_capped"]) == (-6, 6, 1, 1)


def test_cap_is_per_pair_and_per_month() -> None:
    case = Case()
    hour = dt.timedelta(hours=1)
    march = [case.rated(5, placed_at=T0 + k * hour) for k in range(7)]
    april = [case.rated(5, placed_at=T0 + 31 * DAY + k * hour) for k in range(7)]
    other_buyer = [case.rated(5, buyer_id="B2", placed_at=T0 + k * hour) for k in range(6)]
    store = case.run()
    got = reasons(store)
    assert [got[i] for i in march] == [None] * 6 + ["capped"]
    assert [got[i] for i in april] == [None] * 6 + ["capped"]
    assert all(got[i] is None for i in other_buyer)
    assert merchant(store)["points"] == 18


def test_month_boundary_follows_the_configured_time_zone() -> None:
    """31 Jan 16:30 UTC is already 1 Feb in Shanghai: a new month for the cap."""
    case = Case()
    january = dt.datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
    ids = [case.rated(5, placed_at=january + k * DAY) for k in range(6)]
    late = case.rated(5, placed_at=dt.datetime(2024, 1, 31, 16, 30, tzinfo=UTC))
    shanghai = reasons(case.run())
    assert all(shanghai[i] is None for i in ids)
    assert shanghai[late] is None
    utc = reasons(case.run(config=CreditConfig(timezone="UTC")))
    assert utc[late] == "capped"
    # and the last minute of January in Shanghai is still January
    case2 = Case()
    [case2.rated(5, placed_at=january + k * DAY) for k in range(6)]
    last = case2.rated(5, placed_at=dt.datetime(2024, 1, 31, 15, 59, tzinfo=UTC))
    assert reasons(case2.run())[last] == "capped"


def test_same_listing_within_14_days_counts_once_day_15_counts_again() -> None:
    case = Case()
    first = case.rated(5, listing_id="L", placed_at=T0)
    day14 = case.rated(5, listing_id="L", placed_at=T0 + 14 * DAY)
    got = reasons(case.run())
    assert (got[first], got[day14]) == (None, "duplicate")
    case = Case()
    first = case.rated(5, listing_id="L", placed_at=T0)
    day15 = case.rated(5, listing_id="L", placed_at=T0 + 15 * DAY)
    other_listing = case.rated(5, listing_id="M", placed_at=T0 + DAY)
    other_buyer = case.rated(5, listing_id="L", buyer_id="B2", placed_at=T0 + DAY)
    got = reasons(case.run())
    assert [got[i] for i in (first, day15, other_listing, other_buyer)] == [None] * 4


def test_duplicate_days_are_local_calendar_days() -> None:
    """23:30 on day 0 and 00:30 on day 15 (Shanghai) are 14 days and one hour apart, yet day 15."""
    case = Case()
    start = dt.datetime(2024, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 local
    first = case.rated(5, listing_id="L", placed_at=start)
    later = case.rated(5, listing_id="L", placed_at=start + 14 * DAY + dt.timedelta(hours=1))
    assert reasons(case.run())[later] is None
    assert reasons(case.run(config=CreditConfig(timezone="UTC")))[later] == "duplicate"
    assert reasons(case.run())[first] is None


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1.00, "CNY", "tiny_order"),
        (1.01, "CNY", None),
        (0.5, "CNY", "tiny_order"),
        (0.13, "USD", "tiny_order"),  # ¥0.936
        (0.14, "USD", None),  # ¥1.008
        (5.0, "XXX", "unknown_currency"),
    ],
)
def test_orders_of_one_yuan_or_less_count_nothing(amount: float, currency: str, expected: str | None) -> None:
    case = Case()
    review = case.rated(5, amount=amount, currency=currency)
    store = case.run()
    assert reasons(store)[review] == expected
    assert merchant(store)["points"] == (1 if expected is None else 0)


def test_a_refund_after_the_rating_removes_it() -> None:
    case = Case()
    by_status = case.review(case.order(status="refunded"), 5)
    order = case.order()
    by_payment = case.review(order, 5)
    refund_at = T0 + 20 * DAY
    case.payments.append(
        {
            "payment_id": "P1",
            "payer_id": "OWNER1",
            "payee_id": "B1",
            "amount": 10,
            "currency": "CNY",
            "kind": "refund",
            "paid_at": refund_at,
            "order_id": order,
        }
    )
    disputed = case.review(case.order(status="disputed"), 5)
    got = reasons(case.run())
    assert (got[by_status], got[by_payment], got[disputed]) == ("refunded", "refunded", "disputed")
    before_refund = reasons(case.run(as_of=(T0 + 10 * DAY).date()))
    assert before_refund[by_payment] is None  # not yet refunded on that date


def test_unverified_reviews_of_unknown_or_unfinished_orders() -> None:
    case = Case()
    unknown = case.review("NO-SUCH-ORDER", 5)
    statuses = {s: case.review(case.order(status=s), 5) for s in ("placed", "paid", "shipped", "delivered")}
    cancelled = case.review(case.order(status="cancelled", completed_at=None), 5)
    placed = dt.datetime(2024, 6, 29, 1, tzinfo=UTC)
    late = case.review(case.order(placed_at=placed), 5, created_at=placed + dt.timedelta(hours=2))
    store = case.run(as_of=dt.date(2024, 6, 29))  # completed on the 30th: not yet
    got = reasons(store)
    assert got[unknown] == "unverified"
    assert all(got[r] == "unverified" for r in statuses.values())
    assert got[cancelled] == "unverified"
    assert got[late] == "unverified"
    assert merchant(store)["points"] == 0
    row = store.connection.execute(
        f"SELECT merchant_id, counted FROM credit_rating_details WHERE review_id = '{unknown}'"
    ).fetchone()
    assert row == (None, False)


def test_rating_window_day_15_counts_day_16_does_not() -> None:
    case = Case()
    order15, order16 = case.order(), case.order()
    completed = case.orders[0]["completed_at"]
    day15 = case.review(order15, 5, created_at=completed + 15 * DAY)
    day16 = case.review(order16, 5, created_at=completed + 16 * DAY)
    before = case.review(case.order(), 5, created_at=T0 - DAY)
    got = reasons(case.run())
    assert (got[day15], got[day16], got[before]) == (None, "outside_window", "outside_window")


def test_repeat_reviews_self_ratings_and_flagged_orders() -> None:
    case = Case()
    order = case.order()
    first = case.review(order, 5)
    again = case.review(order, 5, created_at=case.orders[0]["completed_at"] + 3 * DAY)
    own = case.rated(5, buyer_id="OWNER1")
    brushed = case.order(buyer_id="B9")
    flagged = case.review(brushed, 5)
    store = case.run(flagged=[brushed])
    got = reasons(store)
    assert (got[first], got[again], got[own], got[flagged]) == (
        None,
        "repeat_review",
        "self_rating",
        "flagged",
    )
    row = merchant(store)
    assert row["points"] == 1 and row["flagged_orders"] == 1 and row["brushing_flagged"]
    assert "1 flagged" in row["explanation"] and "orders flagged as brushing" in row["explanation"]


def test_ring_order_scores_are_used_when_no_flagged_orders_are_given() -> None:
    case = Case()
    brushed = case.order(buyer_id="B9")
    review = case.review(brushed, 5)
    honest = case.rated(5)
    store = case.store()
    store.connection.execute(
        "CREATE TABLE ring_order_scores (order_id VARCHAR, score DOUBLE, flagged BOOLEAN, reasons VARCHAR)"
    )
    store.connection.execute(
        f"INSERT INTO ring_order_scores VALUES ('{brushed}', 0.9, TRUE, 'x'), ('O2', 0.1, FALSE, '')"
    )
    summary = run_credit(store.backend, as_of=AS_OF)
    assert summary.flagged_source == "ring_order_scores"
    got = reasons(store)
    assert (got[review], got[honest]) == ("flagged", None)
    run_credit(store.backend, as_of=AS_OF, flagged_orders=[])  # an explicit empty set wins
    assert reasons(store)[review] is None


def test_every_exclusion_is_explained() -> None:
    case = Case()
    case.merchants.append({"merchant_id": "S2", "member_id": "OWNER2"})
    hour = dt.timedelta(hours=1)
    for k in range(7):
        case.rated(5, merchant_id="S2", placed_at=T0 + k * hour)  # the 7th is capped
    case.review("NOPE", 5)
    case.rated(5, status="refunded")
    case.rated(5, status="disputed")
    case.rated(5, buyer_id="OWNER1")
    case.review(case.order(), 5, created_at=T0 + 30 * DAY)
    case.rated(5, currency="XXX")
    case.rated(5, amount=1)
    order = case.order(listing_id="SAME")
    case.review(order, 5)
    case.review(order, 4)  # a positive cannot be changed: a repeat
    case.rated(5, listing_id="SAME", placed_at=T0 + 2 * DAY)
    changed = case.order(buyer_id="B5")
    case.review(changed, 1)
    case.review(changed, 5, created_at=T0 + 5 * DAY)  # the 1★ changed within 30 days: revised
    flagged = case.order(buyer_id="B7")
    case.review(flagged, 5)
    # the capped ratings live at S2; move them to S1's explanation by merchant
    store = case.run(flagged=[flagged])
    seen = {r for r in reasons(store).values() if r}
    assert seen == set(REASONS)
    text = merchant(store)["explanation"] + merchant(store, "S2")["explanation"]
    for reason in REASONS:
        if reason == "unverified":
            continue  # the unknown order belongs to no merchant
        assert f"1 {reason.replace('_', ' ')} (" in text, reason
    unverified = store.connection.execute(
        "SELECT count(*) FROM credit_rating_details WHERE reason = 'unverified' AND merchant_id IS NULL"
    ).fetchone()
    assert unverified == (1,)


def test_dsr_first_three_per_pair_per_month_over_6_months_with_a_dirichlet_prior() -> None:
    case = Case()
    hour = dt.timedelta(hours=1)
    for k, score in enumerate([5, 5, 5, 1]):  # the 4th of the month does not count for DSR
        case.review(case.order(placed_at=T0 + k * hour), 5, dsr_described=score, dsr_service=score)
    old = dt.datetime(2023, 6, 1, tzinfo=UTC)  # more than 6 months before the as-of date
    case.review(case.order(buyer_id="B2", placed_at=old), 5, dsr_described=1, dsr_service=1)
    store = case.run()
    row = merchant(store)
    assert row["dsr_described_count"] == 3 and row["dsr_described_avg"] == 5.0
    assert row["dsr_shipping_count"] == 0 and row["dsr_shipping_avg"] is None
    m = CreditConfig().prior_strength
    assert row["dsr_described_smoothed"] == pytest.approx((15 + m * 5.0) / (3 + m))  # platform mean 5
    # with a second merchant the platform mean moves, and pulls the small merchant towards it
    case.merchants.append({"merchant_id": "S2", "member_id": "OWNER2"})
    for k in range(20):
        case.review(case.order(buyer_id=f"X{k}", merchant_id="S2"), 5, dsr_described=3)
    row = merchant(case.run())
    platform = (15 + 60) / 23
    assert row["dsr_described_smoothed"] == pytest.approx((15 + m * platform) / (3 + m))
    assert row["dsr_described_smoothed"] < 5.0


def test_sixty_day_defect_rate() -> None:
    case = Case()
    recent = dt.datetime(2024, 6, 1, 2, tzinfo=UTC)
    case.order(placed_at=recent, status="refunded")
    case.order(placed_at=recent, status="disputed")
    case.rated(1, placed_at=recent)
    case.rated(5, placed_at=recent)
    case.order(placed_at=recent, status="cancelled")  # not a sale
    case.order(placed_at=dt.datetime(2024, 4, 1, 16, tzinfo=UTC), status="refunded")  # local 2 Apr: day 90
    case.order(placed_at=dt.datetime(2024, 5, 1, 16, tzinfo=UTC))  # local 2 May: day 60 of 60
    case.order(placed_at=dt.datetime(2024, 5, 1, 15, tzinfo=UTC), status="refunded")  # local 1 May: day 61
    row = merchant(case.run())
    assert (row["orders_60d"], row["defect_orders_60d"]) == (5, 3)
    assert (row["refunded_60d"], row["disputed_60d"], row["negative_60d"]) == (1, 1, 1)
    assert row["defect_rate_60d"] == pytest.approx(3 / 5)


def test_positive_rate_and_beta_smoothing() -> None:
    case = Case()
    for k, rating in enumerate([5, 5, 5, 4, 3, 1]):
        case.rated(rating, buyer_id=f"B{k}")
    row = merchant(case.run())
    assert (row["positive"], row["neutral"], row["negative"], row["points"]) == (4, 1, 1, 3)
    assert row["positive_rate"] == pytest.approx(4 / 6)
    m = CreditConfig().prior_strength
    assert row["positive_rate_smoothed"] == pytest.approx((4 + m * 4 / 6) / (6 + m))
    assert row["level"] == 0 and row["level_name"] is None


def test_results_as_of_a_date_are_reproducible() -> None:
    case = Case()
    for k in range(5):
        case.rated(5, buyer_id=f"B{k}", placed_at=T0 + k * DAY)
    as_of = (T0 + 10 * DAY).date()
    first = case.run(as_of=as_of)
    before = (
        first.connection.sql("SELECT * FROM credit_merchants").fetchall(),
        first.connection.sql("SELECT * FROM credit_ratings ORDER BY review_id").fetchall(),
        first.connection.sql("SELECT * FROM credit_rating_details ORDER BY review_id").fetchall(),
    )
    # later data: more ratings, a refund, a new merchant
    case.rated(1, buyer_id="B1", placed_at=T0 + 30 * DAY)
    case.payments.append(
        {
            "payment_id": "P9",
            "payer_id": "OWNER1",
            "payee_id": "B0",
            "amount": 10,
            "currency": "CNY",
            "kind": "refund",
            "paid_at": T0 + 40 * DAY,
            "order_id": "O1",
        }
    )
    case.rated(5, merchant_id="S-NEW", placed_at=T0 + 50 * DAY)
    again = case.run(as_of=as_of)
    after = (
        again.connection.sql("SELECT * FROM credit_merchants").fetchall(),
        again.connection.sql("SELECT * FROM credit_ratings ORDER BY review_id").fetchall(),
        again.connection.sql("SELECT * FROM credit_rating_details ORDER BY review_id").fetchall(),
    )
    assert after == before
    assert merchant(case.run(as_of=AS_OF))["points"] == 3  # 4 left after the refund, minus 1


def test_merchant_credit_reads_one_row_with_its_explanation() -> None:
    case = Case()
    for k in range(4):
        case.rated(5, buyer_id=f"B{k}")
    store = case.run()
    row = merchant_credit(store.backend, "S1")
    assert row["points"] == 4 and row["level"] == 1 and row["level_symbol"] == "❤"
    assert row["explanation"].startswith(f"As of {AS_OF.isoformat()} (Asia/Shanghai): 4 ratings, 4 counted")
    with pytest.raises(KeyError):
        merchant_credit(store.backend, "S-none")


def test_default_as_of_is_the_newest_data_not_the_clock() -> None:
    case = Case()
    case.rated(5, placed_at=dt.datetime(2024, 1, 31, 17, tzinfo=UTC))
    store = case.store()
    summary = run_credit(store.backend)
    assert summary.as_of == dt.date(2024, 2, 1) + DAY  # review 1 day + 2 h after completion, local
