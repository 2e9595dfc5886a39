"""Taobao's rating rules, each from a fact pattern, with the paragraph it checks in its name.

The rules are quoted in docs/legal-credit.md: 计分规则 1) (monthly ±6 band), 2) (same item
within 14 days: several positives +1 once, several negatives −1 once), 3) (¥1 or less);
评价规范 第八条 (a neutral or negative changed once within 30 days); 第四条 (DSR: the preceding
6 months, the first 3 per pair per natural month).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from credit_helpers import AS_OF, T0, UTC, Case, merchant, reasons
from sentinella.credit import CreditConfig

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def _refund(case: Case, order_id: str, amount: object, at: dt.datetime, currency: str = "CNY") -> None:
    case.payments.append(
        {
            "payment_id": f"P{len(case.payments) + 1}",
            "payer_id": "OWNER1",
            "payee_id": "B1",
            "amount": amount,
            "currency": currency,
            "kind": "refund",
            "paid_at": at,
            "order_id": order_id,
        }
    )


# 计分规则 2): per sign, anchored windows


def test_rule_2_positive_then_negative_of_the_same_item_within_5_days_nets_zero() -> None:
    """5★ then 1★ for the same item within 5 days: +1 −1 = 0 (the rule merges only same-sign ratings)."""
    case = Case()
    positive = case.rated(5, listing_id="L", placed_at=T0)
    negative = case.rated(1, listing_id="L", placed_at=T0 + 5 * DAY)
    store = case.run()
    assert reasons(store) == {positive: None, negative: None}
    assert merchant(store)["points"] == 0


def test_rule_2_several_negatives_of_the_same_item_within_14_days_count_minus_one_once() -> None:
    case = Case()
    first = case.rated(1, listing_id="L", placed_at=T0)
    again = case.rated(2, listing_id="L", placed_at=T0 + 6 * DAY)
    third = case.rated(1, listing_id="L", placed_at=T0 + 14 * DAY)
    store = case.run()
    assert [reasons(store)[r] for r in (first, again, third)] == [None, "duplicate", "duplicate"]
    assert merchant(store)["points"] == -1


def test_rule_2_each_sign_keeps_its_own_window() -> None:
    """+ on day 0, − on day 3, + on day 6, − on day 9: the second of each sign is merged (0 points)."""
    case = Case()
    ids = [case.rated(r, listing_id="L", placed_at=T0 + d * DAY) for r, d in ((5, 0), (1, 3), (4, 6), (1, 9))]
    store = case.run()
    assert [reasons(store)[r] for r in ids] == [None, None, "duplicate", "duplicate"]
    assert merchant(store)["points"] == 0


def test_rule_2_a_purchase_every_10_days_counts_every_20_days() -> None:
    """The same item every 10 days: day 10 falls in day 0's window, day 20 does not and opens the
    next one, so days 0, 20, 40, 60 and 80 count. Ten purchases (days 0-90) give 5 points; an
    eleventh on day 100 gives a sixth (a window anchored on the ratings that counted)."""
    case = Case()
    days = list(range(0, 100, 10))
    ids = [case.rated(5, listing_id="L", placed_at=T0 + d * DAY) for d in days]
    store = case.run()
    got = reasons(store)
    assert [d for d, r in zip(days, ids, strict=True) if got[r] is None] == [0, 20, 40, 60, 80]
    assert merchant(store)["points"] == 5
    day100 = case.rated(5, listing_id="L", placed_at=T0 + 100 * DAY)
    store = case.run()
    assert reasons(store)[day100] is None and merchant(store)["points"] == 6


def test_rule_2_a_window_is_not_restarted_by_a_merged_rating() -> None:
    """Days 0, 10, 16: day 16 is 16 days after the last positive that counted (day 0), so it counts,
    although it is only 6 days after day 10 (a rolling window from every purchase would merge it)."""
    case = Case()
    ids = [case.rated(5, listing_id="L", placed_at=T0 + d * DAY) for d in (0, 10, 16)]
    assert [reasons(case.run())[r] for r in ids] == [None, "duplicate", None]


def test_rule_2_the_same_item_from_another_buyer_or_another_item_is_not_merged() -> None:
    case = Case()
    ids = [
        case.rated(5, listing_id="L", placed_at=T0),
        case.rated(5, listing_id="M", placed_at=T0 + DAY),
        case.rated(5, listing_id="L", buyer_id="B2", placed_at=T0 + DAY),
        case.rated(5, listing_id=None, placed_at=T0 + DAY),  # item unknown: never merged
        case.rated(5, listing_id=None, placed_at=T0 + 2 * DAY),
    ]
    assert all(reasons(case.run())[r] is None for r in ids)


def test_rules_1_and_2_a_capped_rating_opens_no_window() -> None:
    """Six positives fill the month's band; a positive for item L is then capped (not scored), so it
    anchors nothing: after a negative makes room, another positive for L 5 days later counts."""
    case = Case()
    filler = [case.rated(5, placed_at=T0 + k * HOUR) for k in range(6)]
    capped = case.rated(5, listing_id="L", placed_at=T0 + DAY)
    negative = case.rated(1, placed_at=T0 + 2 * DAY)
    later = case.rated(5, listing_id="L", placed_at=T0 + 6 * DAY)
    store = case.run()
    got = reasons(store)
    assert all(got[r] is None for r in filler)
    assert (got[capped], got[negative], got[later]) == ("capped", None, None)
    assert merchant(store)["points"] == 6


def test_rule_2_merged_ratings_take_no_room_in_the_monthly_band() -> None:
    """计分规则 1) bounds scores: eight positives for one item score +1 once (the other seven are
    merged, not capped), so five positives for other items reach the band's 6 and the sixth is capped."""
    case = Case()
    same = [case.rated(5, listing_id="L", placed_at=T0 + k * HOUR) for k in range(8)]
    others = [case.rated(5, placed_at=T0 + DAY + k * HOUR) for k in range(6)]
    got = reasons(case.run())
    assert [got[r] for r in same] == [None] + ["duplicate"] * 7
    assert [got[r] for r in others] == [None] * 5 + ["capped"]


# 计分规则 1): the band is on trade-creation months


def test_rule_1_months_are_those_of_trade_creation_not_of_the_rating() -> None:
    """Six positives for orders placed in March, rated in April, and one placed in April: the April
    one is the first of its month, so all seven count."""
    case = Case()
    march = dt.datetime(2024, 3, 28, 2, tzinfo=UTC)
    ids = [
        case.review(
            case.order(placed_at=march + k * HOUR), 5, created_at=dt.datetime(2024, 4, 5, 2, tzinfo=UTC)
        )
        for k in range(6)
    ]
    april = case.rated(5, placed_at=dt.datetime(2024, 4, 2, 2, tzinfo=UTC))
    store = case.run()
    assert all(reasons(store)[r] is None for r in [*ids, april])
    assert merchant(store)["points"] == 7


# refunds: only a fully refunded trade voids its rating


def test_a_one_cent_partial_refund_after_a_negative_keeps_the_minus_one() -> None:
    """A 1★ rating, then ¥0.01 of a ¥10 order refunded: the trade was not fully refunded, the −1 stands."""
    case = Case()
    order = case.order(amount=Decimal("10.00"))
    negative = case.review(order, 1)
    _refund(case, order, Decimal("0.01"), T0 + 5 * DAY)
    store = case.run()
    assert reasons(store)[negative] is None
    row = merchant(store)
    assert (row["points"], row["negative"], row["refunded_60d"]) == (-1, 1, 0)  # T0 is > 60 days back


def test_refunds_adding_up_to_the_amount_void_the_rating_exactly_in_decimals() -> None:
    """¥10.01 refunded as ¥10.00 + ¥0.01 is full (exact decimals); ¥10.0099 of ¥10.01 is not."""
    case = Case()
    full = case.order(amount=Decimal("10.01"))
    short = case.order(amount=Decimal("10.01"))
    voided, kept = case.review(full, 1), case.review(short, 1)
    _refund(case, full, Decimal("10.00"), T0 + 5 * DAY)
    _refund(case, full, Decimal("0.01"), T0 + 6 * DAY)
    _refund(case, short, Decimal("10.0099"), T0 + 5 * DAY)
    got = reasons(case.run())
    assert (got[voided], got[kept]) == ("refunded", None)
    assert reasons(case.run(as_of=(T0 + 5 * DAY).date()))[voided] is None  # the second part came later


def test_a_full_refund_voids_whatever_the_status_and_a_refunded_status_alone_is_taken_as_full() -> None:
    case = Case()
    paid_back = case.order()  # status still "completed", refunded in full
    closed = case.order(status="refunded")  # no refund payment recorded: the status is the evidence
    partly = case.order(status="refunded")  # status refunded, but only half paid back
    foreign = case.order(amount=Decimal("72"))  # refunded in USD: $10 = ¥72 at the default rate
    ids = [case.review(o, 1) for o in (paid_back, closed, partly, foreign)]
    _refund(case, paid_back, Decimal("10"), T0 + 3 * DAY)
    _refund(case, partly, Decimal("5"), T0 + 3 * DAY)
    _refund(case, foreign, Decimal("10"), T0 + 3 * DAY, currency="USD")
    got = reasons(case.run())
    assert [got[r] for r in ids] == ["refunded", "refunded", None, "refunded"]


def test_a_trade_refunded_before_it_succeeded_cannot_be_rated() -> None:
    case = Case()
    order = case.order(status="refunded", completed_at=None)
    review = case.review(order, 1)
    _refund(case, order, Decimal("1"), T0 + DAY)  # partial, but the trade never succeeded
    assert reasons(case.run())[review] == "unverified"


# 评价规范 第八条: a neutral or negative changed once within 30 days


def test_article_8_a_negative_upgraded_within_30_days_counts_as_its_final_rating() -> None:
    case = Case()
    order = case.order()
    done = case.orders[-1]["completed_at"]
    first = case.review(order, 1, created_at=done + DAY)
    changed = case.review(order, 5, created_at=done + 25 * DAY)  # 24 days later; after the 15-day period
    store = case.run()
    assert reasons(store) == {first: "revised", changed: None}
    row = merchant(store)
    assert (row["points"], row["positive"], row["negative"], row["not_counted_revised"]) == (1, 1, 0, 1)
    assert "changed by its rater within 30 days" in row["explanation"]


def test_article_8_a_change_after_30_days_a_second_change_or_a_changed_positive_do_not_count() -> None:
    case = Case()
    late, twice, positive = case.order(), case.order(), case.order()
    done = case.orders[0]["completed_at"]
    late_first = case.review(late, 1, created_at=done + DAY)
    late_change = case.review(late, 5, created_at=done + 32 * DAY)  # 31 days after the rating
    twice_first = case.review(twice, 3, created_at=done + DAY)
    twice_change = case.review(twice, 1, created_at=done + 2 * DAY)  # the one allowed change
    twice_again = case.review(twice, 5, created_at=done + 3 * DAY)
    positive_first = case.review(positive, 5, created_at=done + DAY)
    positive_change = case.review(positive, 1, created_at=done + 2 * DAY)  # only 中、差评 may change
    got = reasons(case.run())
    assert (got[late_first], got[late_change]) == (None, "repeat_review")
    assert (got[twice_first], got[twice_change], got[twice_again]) == ("revised", None, "repeat_review")
    assert (got[positive_first], got[positive_change]) == (None, "repeat_review")
    assert merchant(case.run())["points"] == -1 - 1 + 1


def test_article_8_the_changed_rating_meets_rule_2_with_its_new_sign() -> None:
    """5★ on day 0 and a 1★ for the same item on day 5, upgraded to 5★: two positives within 14 days
    count once, so the shop ends on +1, not +2."""
    case = Case()
    first = case.rated(5, listing_id="L", placed_at=T0)
    order = case.order(listing_id="L", placed_at=T0 + 5 * DAY)
    negative = case.review(order, 1)
    upgrade = case.review(order, 5, created_at=T0 + 12 * DAY)
    store = case.run()
    assert reasons(store) == {first: None, negative: "revised", upgrade: "duplicate"}
    assert merchant(store)["points"] == 1


def test_article_4_and_8_detailed_ratings_stay_those_first_given() -> None:
    """店铺评分一旦作出，无法修改: the DSR of the first review counts; a change's DSR is ignored."""
    case = Case()
    order = case.order()
    done = case.orders[-1]["completed_at"]
    case.review(order, 1, created_at=done + DAY, dsr_described=2)
    case.review(order, 5, created_at=done + 3 * DAY, dsr_described=5)
    row = merchant(case.run())
    assert (row["dsr_described_count"], row["dsr_described_avg"]) == (1, 2.0)


# 评价规范 第四条: DSR over the preceding 6 months, the first 3 per pair and month of trade success


def test_article_4_dsr_months_are_those_of_trade_success() -> None:
    """Four trades placed in March: three succeed in March, one on 2 April. By trade success the
    fourth is the pair's first April score, so all four count (by placement only three would)."""
    case = Case()
    placed = dt.datetime(2024, 3, 20, 2, tzinfo=UTC)
    for k in range(4):
        done = (
            dt.datetime(2024, 3, 28, 2, tzinfo=UTC) + k * HOUR
            if k < 3
            else dt.datetime(2024, 4, 2, 2, tzinfo=UTC)
        )
        case.review(case.order(placed_at=placed + k * HOUR, completed_at=done), 5, dsr_service=4)
    fourth = dt.datetime(2024, 3, 29, 2, tzinfo=UTC)  # the pair's fourth score of March: not counted
    case.review(case.order(placed_at=placed + 5 * HOUR, completed_at=fourth), 5, dsr_service=1)
    row = merchant(case.run())
    assert (row["dsr_service_count"], row["dsr_service_avg"]) == (4, 4.0)


def test_article_4_only_scores_use_up_the_first_three() -> None:
    """Ratings without detailed scores take none of the pair's three places in the month."""
    case = Case()
    for k in range(3):
        case.rated(5, placed_at=T0 + k * HOUR)  # no DSR given
    for k in range(3):
        case.review(case.order(placed_at=T0 + (5 + k) * HOUR), 5, dsr_shipping=3)
    row = merchant(case.run())
    assert row["dsr_shipping_count"] == 3


def test_article_4_dsr_covers_the_preceding_six_months() -> None:
    """As of 30 June: a score written on 31 December counts, one on 30 December does not."""
    case = Case()
    inside = dt.datetime(2023, 12, 30, 16, 30, tzinfo=UTC)  # 31 Dec 00:30 in Shanghai
    outside = dt.datetime(2023, 12, 30, 15, 30, tzinfo=UTC)  # 30 Dec 23:30 in Shanghai
    for k, at in enumerate((inside, outside)):
        order = case.order(buyer_id=f"B{k}", placed_at=at - 2 * DAY, completed_at=at - DAY)
        case.review(order, 5, created_at=at, dsr_described=5 - 4 * k)
    row = merchant(case.run(as_of=AS_OF))
    assert (row["dsr_described_count"], row["dsr_described_avg"]) == (1, 5.0)
    assert "Detailed ratings since 2023-12-31 (6 months)" in row["explanation"]
    wider = merchant(case.run(as_of=AS_OF, config=CreditConfig(dsr_months=7)))
    assert wider["dsr_described_count"] == 2


def test_rule_1_the_band_is_a_running_net_as_the_rule_explains() -> None:
    """解释：买家先给卖家6个差评，再给1个好评和1个差评，则7个差评都会生效计分 — six negatives, then a
    positive and a negative: all seven negatives (and the positive) count, the net stays at −6."""
    case = Case()
    ids = [case.rated(1, placed_at=T0 + k * HOUR) for k in range(6)]
    ids.append(case.rated(5, placed_at=T0 + 6 * HOUR))
    ids.append(case.rated(1, placed_at=T0 + 7 * HOUR))
    store = case.run()
    assert all(reasons(store)[r] is None for r in ids)
    row = merchant(store)
    assert (row["points"], row["negative"], row["positive"]) == (-6, 7, 1)
