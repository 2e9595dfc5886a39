"""The legal tests built from their texts' elements, each on the fact pattern that checks it.

Every test names the article it checks; the texts are quoted in docs/legal.md.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pyramid_cases import Case, layered

from sentinella.pyramid import (
    MissingRateError,
    OffenderError,
    ProfileError,
    load_profile,
    parse_offender,
    run_pyramid,
)
from sentinella.store import Store

ORGANIZER = "cn-2013-opinions-s1"
SERIOUS = "cn-2013-opinions-s4"
REPEAT = "cn-2013-opinions-s2-4"
TEAM_PAY = "cn-2013-opinions-s5"
ART7 = "cn-2005-regulations-art7"
ART24 = "cn-direct-selling-art24"
KOSCOT = "us-ftc-koscot"
VEMMA = "us-ftc-vemma-retail"
UCPD = "eu-ucpd-annex1-14"


def findings(store: Store, rule_id: str, kind: str = "member") -> dict[str, dict[str, object]]:
    rows = store.connection.execute(
        "SELECT subject_id, result, figures, explanation, currency FROM pyramid_findings "
        "WHERE rule_id = ? AND subject_kind = ?",
        [rule_id, kind],
    ).fetchall()
    return {
        r[0]: {
            "result": r[1],
            "figures": json.loads(r[2], parse_float=Decimal),
            "explanation": r[3],
            "currency": r[4],
        }
        for r in rows
    }


def _referral_bonuses(case: Case, amount: float = 50, memo: str = "", basis: str = "recruitment") -> Case:
    """The company (the tree's root) pays each sponsor a bonus per person they recruited."""
    root = next(m for m, s in case.sponsors.items() if s is None)
    for sponsor in list(case.sponsors.values()):
        if sponsor and sponsor != root:
            case.pay(root, sponsor, amount, "bonus", basis, "1", memo=memo, paid_at="2024-03-05T00:00:00Z")
    return case


def _starter_packages(case: Case, price: float | None = 398.0) -> Case:
    """Every recruit's first purchase, on the day they join: an order and its purchase payment."""
    root = next(m for m, s in case.sponsors.items() if s is None)
    case.merchants = {"company_shop": root}
    for index, (member, sponsor) in enumerate(case.sponsors.items()):
        if not sponsor:
            continue
        amount = price if price is not None else 100.0 + 37 * index
        joined = case.joined_at(index, member)
        case.orders.append((member, "company_shop", amount, joined, f"START{index}"))
        case.pay(member, root, amount, "purchase", paid_at=joined, order_id=f"START{index}")
    return case


# --- entry consideration, pay by headcount, team pay ------------------------------------------


def test_a_starter_package_is_an_entry_payment_art_224_1_and_art_7_2(tmp_path: Path) -> None:
    """Art. 224-1 "以缴纳费用或者购买商品、服务等方式获得加入资格" and Regulations art. 7(2)
    "以认购商品等方式变相交纳费用": a ¥398 starter order (no entry_fee) plus a direct-referral bonus
    per recruit, 40 people over 4 levels, is an art. 224-1 organization."""
    case = _referral_bonuses(_starter_packages(Case().add(layered("s", [1, 3, 9, 27]))))
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    network = findings(store, ORGANIZER, "network")["s0_0"]
    assert network["result"] == "met"
    assert "39 of 39 recruits made their first purchase within 7 days" in str(network["explanation"])
    assert "398.0000 CNY" in str(network["explanation"])
    assert network["figures"]["persons"] == 40 and network["figures"]["levels"] == 4
    assert "s0_0" in findings(store, ORGANIZER)
    art7 = findings(store, ART7, "network")["s0_0"]
    assert art7["result"] == "met" and "(2) a payment to join" in str(art7["explanation"])
    gate = store.connection.execute(
        "SELECT is_pyramid, entry_consideration, pay_by_headcount, entry_paid FROM pyramid_networks"
    ).fetchall()
    assert gate == [(True, True, True, Decimal("15522.0000"))]  # 39 x 398


def test_free_purchases_at_varying_prices_are_no_entry_payment_art_224_1(tmp_path: Path) -> None:
    """Art. 224-1 look-alike: recruits' first purchases all differ in price, so nothing shows a
    purchase tied to joining; with referral bonuses alone the §1 test is not met."""
    case = _referral_bonuses(_starter_packages(Case().add(layered("s", [1, 3, 9, 27])), price=None))
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    network = findings(store, ORGANIZER, "network")["s0_0"]
    assert network["result"] == "not_met"
    assert "no payment to join found" in str(network["explanation"])
    assert not findings(store, ORGANIZER)


def test_free_to_join_with_three_levels_of_bonuses_art_224_1_and_ucpd_point_14(tmp_path: Path) -> None:
    """Free to join, the company pays recruitment bonuses on three levels: art. 224-1 needs a
    payment to join, and UCPD Annex I point 14 a consideration from the participant (C-515/12
    4finance); neither is met, and Regulations art. 7(1) is left to the investigator."""
    case = Case().add(layered("f", [1, 4, 16, 30]))
    parents = case.sponsors
    for sponsor in list(parents.values()):
        level, up = 1, sponsor
        while up and level <= 3 and parents.get(up) is not None:
            case.pay("f0_0", up, 30 / level, "bonus", "recruitment", str(level))
            up, level = parents.get(up), level + 1
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn", "eu"])
    china = findings(store, ORGANIZER, "network")["f0_0"]
    assert china["result"] == "not_met" and "no payment to join found" in str(china["explanation"])
    assert not findings(store, ORGANIZER)
    eu = findings(store, UCPD, "network")["f0_0"]
    assert eu["result"] == "not_met" and "4finance" in str(eu["explanation"])
    art7 = findings(store, ART7, "network")["f0_0"]
    assert art7["result"] == "review" and "for the investigator" in str(art7["explanation"])


def test_a_direct_referral_bonus_alone_is_pay_by_headcount_art_224_1(tmp_path: Path) -> None:
    """Art. 224-1 "直接或者间接以发展人员的数量作为计酬或者返利依据": one level of referral bonus
    is enough once joining costs a fee."""
    case = _referral_bonuses(Case(fee=100).add(layered("d", [1, 3, 30])))
    # fees go to the top only, so the only pay by headcount is the level-1 bonus
    case.fee = 0
    for member, sponsor in case.sponsors.items():
        if sponsor:
            case.pay(member, "d0_0", 100, "entry_fee")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    assert findings(store, ORGANIZER, "network")["d0_0"]["result"] == "met"


def test_team_pay_on_one_level_of_downline_sales_is_art_7_3(tmp_path: Path) -> None:
    """Regulations art. 7(3) "以下线的销售业绩为依据计算和给付上线报酬": one level is enough."""
    case = Case().add(layered("t", [1, 5]))
    for _ in range(5):
        case.pay("co", "t0_0", 10, "commission", "downline_sales", "1")
    case.sponsors["co"] = None
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    art7 = findings(store, ART7, "network")["t0_0"]
    assert art7["result"] == "met" and "(3) upline pay on the downline's sales" in str(art7["explanation"])


@pytest.mark.parametrize(
    ("memo", "basis", "counted_as"),
    [
        ("直推奖", "", "recruitment"),
        ("见点奖 第3层", "", "recruitment"),
        ("管理奖", "", "downline_sales"),
        ("直推奖", "own_sales", "own_sales"),
    ],
)
def test_bonus_names_in_ledgers_give_the_basis_art_224_1(
    tmp_path: Path, memo: str, basis: str, counted_as: str
) -> None:
    """Art. 224-1 pay by headcount read from a seized ledger's bonus names (cn profile
    [bonus_terms]) when the payment has no basis; a recorded basis wins over the memo."""
    case = Case(fee=100).add(layered("b", [1, 3, 30]))
    case.pay("b0_0", "b1_0", 40, "bonus", basis, memo=memo)
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    column = {
        "recruitment": "commission_recruitment",
        "downline_sales": "commission_downline_sales",
        "own_sales": "commission_own_sales",
    }[counted_as]
    value = store.connection.execute(
        f"SELECT {column}, bonus FROM pyramid_members WHERE member_id = 'b1_0'"
    ).fetchone()
    assert value == (Decimal(40), Decimal(0))
    applied = store.connection.execute("SELECT payments_with_basis_from_memo FROM pyramid_runs").fetchone()
    assert applied == ((0,) if basis else (1,))


# --- persons, departures, repeat offenders --------------------------------------------------


def test_levels_and_headcounts_count_persons_opinion_s1_and_s7(tmp_path: Path) -> None:
    """Opinion §1 and §7 count people: one person with two chained accounts (same ID number)
    and 30 recruits under the second account is 31 people over 2 levels, not 3."""
    case = Case(fee=100).add({"p1": None, "p2": "p1"}).add(layered("r", [30], "p2"))
    case.id_numbers = {"p1": "110101199001011234", "p2": "110101199001011234"}
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    network = findings(store, ORGANIZER, "network")["p1"]
    assert network["figures"]["persons"] == 31 and network["figures"]["levels"] == 2
    assert network["figures"]["accounts"] == 32 and network["result"] == "not_met"
    assert not findings(store, ORGANIZER)
    row = store.connection.execute(
        "SELECT legal_levels, person_levels, person_headcount FROM pyramid_members WHERE member_id = 'p1'"
    ).fetchone()
    assert row == (3, 2, 31)


def test_a_phone_merge_is_reported_not_counted_opinion_s1(tmp_path: Path) -> None:
    """Opinion §1 numbers by persons merged on an ID number; a shared phone alone does not merge
    (families share phones), but a finding says what that merge would give."""
    case = (
        Case(fee=100)
        .add({"boss": None})
        .add(layered("x", [1, 4, 15], "boss"))
        .add(layered("y", [1, 4, 15], "boss"))
    )
    case.phones = {"x0_0": "+86 1", "y0_0": "+86 1"}
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    met = {k: v for k, v in findings(store, ORGANIZER).items() if v["result"] == "met"}
    assert set(met) == {"boss"}
    assert "share only a phone" in str(met["boss"]["explanation"])
    flipped = store.connection.execute(
        "SELECT subject_id, result, explanation FROM pyramid_findings "
        "WHERE rule_id = ? AND subject_id = 'x0_0'",
        [ORGANIZER],
    ).fetchall()
    assert flipped and flipped[0][1] == "not_met"
    assert "share only a phone" in flipped[0][2] and "39 people over 3 levels" in flipped[0][2]
    assert "would change this result" in flipped[0][2]
    case.id_numbers = {"x0_0": "ID-1", "y0_0": "ID-1"}
    store = case.store(tmp_path / "merged")
    run_pyramid(store.backend, profiles=["cn"])
    x = findings(store, ORGANIZER)["x0_0"]
    assert x["figures"]["headcount"] == 39 and x["figures"]["levels"] == 3


@pytest.mark.parametrize(("paid_after", "counted"), [(False, 21), (True, 30)])
def test_a_departed_leader_counts_later_recruits_only_while_paid_opinion_s1_p3(
    tmp_path: Path, paid_after: bool, counted: int
) -> None:
    """Opinion §1 ¶3: after a leader formally leaves, the persons developed later count as theirs
    only if they keep receiving pay from the organization."""
    case = Case(fee=100, fee_at_join=True).add(layered("l", [1, 2, 27]))
    case.left = {"l0_0": "2024-01-01T00:00:20Z"}  # members 21-29 joined after
    if paid_after:
        case.pay("l1_0", "l0_0", 5, "commission", "recruitment", "2", paid_at="2024-03-09T00:00:00Z")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    head = store.connection.execute(
        "SELECT person_headcount FROM pyramid_members WHERE member_id = 'l0_0'"
    ).fetchone()
    assert head == (counted,)
    assert ("l0_0" in findings(store, ORGANIZER)) is paid_after


def test_repeat_offender_values_are_validated_opinion_s2_4() -> None:
    """§2(四) needs the penalty's type, and for an administrative one its date (within one year)."""
    assert parse_offender("M:1:criminal").member_id == "M:1"
    assert parse_offender("M1:administrative:2024-05-01").date is not None
    for bad in ("M1", "M1:fined", "M1:administrative", "M1:administrative:May", ":criminal"):
        with pytest.raises(OffenderError):
            parse_offender(bad)


@pytest.mark.parametrize(
    ("offender", "met"),
    [
        ("p0_0:criminal", True),
        ("p0_0:administrative:2023-06-01", True),  # recruits joined 2024-01-01: within a year
        ("p0_0:administrative:2022-12-01", False),  # more than a year before
        ("p0_0:criminal:2024-01-01T00:00:10", False),  # not a date
    ],
)
def test_repeat_offender_type_and_date_opinion_s2_4(tmp_path: Path, offender: str, met: bool) -> None:
    """§2(四): after a criminal penalty, or an administrative one within a year, ≥ 15 people over ≥ 3
    levels developed again makes an organizer or leader."""
    store = Case(fee=10).add(layered("p", [1, 2, 12])).store(tmp_path)
    if offender.endswith("T00:00:10"):
        with pytest.raises(OffenderError):
            run_pyramid(store.backend, profiles=["cn"], repeat_offenders=[offender])
        return
    run_pyramid(store.backend, profiles=["cn"], repeat_offenders=[offender])
    result = findings(store, REPEAT)["p0_0"]
    assert (result["result"] == "met") is met
    assert not findings(store, ORGANIZER)  # 15 people: below §1's 30


def test_repeat_offender_is_matched_by_person_opinion_s2_4(tmp_path: Path) -> None:
    """§2(四) counts the persons the offender developed through any of their accounts."""
    case = Case(fee=10).add(layered("p", [1, 2, 6])).add(layered("q", [1, 2, 6]))
    case.id_numbers = {"p0_0": "ID-9", "q0_0": "ID-9"}
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"], repeat_offenders=["q0_0:criminal"])
    result = findings(store, REPEAT)["q0_0"]
    assert result["result"] == "met" and result["figures"]["developed_after_penalty"] == 17


@pytest.mark.parametrize(("size", "serious"), [(59, False), (60, True)])
def test_repeat_offender_with_sixty_people_is_serious_opinion_s4_3(
    tmp_path: Path, size: int, serious: bool
) -> None:
    """§4(三): a repeat offender who again develops ≥ 60 people is a serious case."""
    store = Case(fee=10).add(layered("p", [1, 3, size - 4])).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"], repeat_offenders=["p0_0:criminal"])
    rows = findings(store, SERIOUS)
    assert ("p0_0" in rows) is serious
    if serious:
        assert "§4(三)" in str(rows["p0_0"]["explanation"])


def test_member_findings_leave_the_role_to_the_investigator_opinion_s2(tmp_path: Path) -> None:
    """§1 gives numbers; §2 decides who is an organizer or leader, which records cannot show."""
    store = Case(fee=100).add(layered("a", [1, 2, 27])).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    text = str(findings(store, ORGANIZER)["a0_0"]["explanation"])
    assert text.startswith("meets the §1 numbers") and "the role under §2" in text
    assert "organizer or leader: heads" not in text


# --- §5 and art. 24 -------------------------------------------------------------------------


def test_pure_team_pay_on_real_sales_is_not_criminal_opinion_s5(tmp_path: Path) -> None:
    """§5: team pay based on sales, with no payment to join and no pay by headcount, is not a
    crime; without sales records it is not assessed at all."""
    case = Case().add(layered("t", [1, 3, 30]))
    case.merchants = {"shop": "t1_0"}
    case.orders = [(f"public{i}", "shop", 100.0) for i in range(5)]
    case.pay("t0_0", "t0_0", 10, "commission", "downline_sales", "1")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    team = findings(store, TEAM_PAY, "network")["t0_0"]
    assert team["result"] == "not_met" and "pure team pay" in str(team["explanation"])
    case.merchants, case.orders = {}, []
    store = case.store(tmp_path / "no-sales")
    run_pyramid(store.backend, profiles=["cn"])
    assert not findings(store, TEAM_PAY, "network")
    assert not findings(store, ART24)


def test_direct_selling_pay_only_on_own_sales_to_consumers_art_24(tmp_path: Path) -> None:
    """Direct Selling Regulations art. 24: pay "只能按照直销员本人直接向消费者销售产品的收入计算"
    and at most 30% of it: b is paid 35%, c is paid on the downline's sales."""
    case = Case().add({"co": None, "a": "co", "b": "co", "c": "co", "d": "c"})
    case.merchants = {"shopA": "a", "shopB": "b", "shopC": "c"}
    case.orders = [("public1", "shopA", 1000.0), ("public2", "shopB", 1000.0), ("public3", "shopC", 1000.0)]
    case.pay("co", "a", 250, "commission", "own_sales", "1").pay(
        "co", "b", 350, "commission", "own_sales", "1"
    )
    case.pay("co", "c", 100, "commission", "own_sales", "1").pay(
        "co", "c", 20, "commission", "downline_sales", "1"
    )
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    art24 = findings(store, ART24)
    assert set(art24) == {"b", "c"}
    assert art24["b"]["figures"]["pay_share"] == Decimal("0.35")
    assert art24["c"]["figures"]["pay_not_on_own_sales"] == Decimal(20)


# --- United States and EU -------------------------------------------------------------------


@pytest.mark.parametrize(("buyers", "met"), [("participants", True), ("public", False)])
def test_pay_on_participants_own_purchases_is_koscot_prong_two_omnitrition(
    tmp_path: Path, buyers: str, met: bool
) -> None:
    """Koscot's second element, as Webster v. Omnitrition reads it: pay computed on participants'
    own orders is not pay on sales to ultimate users."""
    case = Case(fee=0).add(layered("k", [1, 3, 12]))
    for member, sponsor in case.sponsors.items():
        if sponsor:
            case.pay(member, "k0_0", 50, "entry_fee")
    case.merchants = {"shop": "k0_0"}
    who = (
        [m for m, s in case.sponsors.items() if s]
        if buyers == "participants"
        else [f"x{i}" for i in range(15)]
    )
    case.orders = [(b, "shop", 100.0) for b in who]
    case.pay("k0_0", "k1_0", 60, "commission", "downline_sales", "1")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["us"])
    koscot = findings(store, KOSCOT, "network")["k0_0"]
    assert (koscot["result"] == "met") is met


def test_vemma_share_is_per_participant_and_pay_period(tmp_path: Path) -> None:
    """Vemma order (as reported): no pay unless most revenue of the participant and their
    downline comes from non-participants, per pay period. a's January passes (retail sales),
    a's February fails (only the downline's own purchases)."""
    case = Case(fee=10).add({"r": None, "a": "r", "b": "a"})
    case.merchants = {"shopA": "a", "co": "r"}
    case.orders = [
        ("public", "shopA", 900.0, "2024-01-10T00:00:00Z", "J1"),
        ("b", "co", 100.0, "2024-01-11T00:00:00Z", "J2"),
        ("b", "co", 500.0, "2024-02-11T00:00:00Z", "F1"),
    ]
    case.pay("r", "a", 90, "commission", "own_sales", "1", order_id="J1", paid_at="2024-01-20T00:00:00Z")
    case.pay("r", "a", 50, "commission", "downline_sales", "1", order_id="F1", paid_at="2024-02-20T00:00:00Z")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["us"])
    vemma = findings(store, VEMMA, "network")["r"]["figures"]
    assert vemma["paid_participant_periods"] == 2 and vemma["failing_participant_periods"] == 1
    assert vemma["pay_in_failing_periods"] == Decimal("6.9444")  # ¥50 in USD, the us profile's currency


def test_income_figures_count_orders_as_money_paid_ftc_guidance(tmp_path: Path) -> None:
    """FTC guidance on income: a participant who paid ¥398 for a starter order and earned
    nothing lost money, even with no payment row for it."""
    case = Case().add({"r": None, "a": "r"})
    case.merchants = {"co": "r"}
    case.orders = [("a", "co", 398.0)]
    case.pay("r", "r", 1, "bonus", "recruitment", "1")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["us"])
    row = store.connection.execute(
        "SELECT net_income, paid_total FROM pyramid_members WHERE member_id = 'a'"
    ).fetchone()
    assert row == (Decimal("-55.2778"), Decimal("55.2778"))  # ¥398 at 7.2 CNY per USD


@pytest.mark.parametrize(("recruitment", "met"), [(50.0, False), (51.0, True)])
def test_ucpd_needs_consideration_and_newcomer_funded_pay_point_14(
    tmp_path: Path, recruitment: float, met: bool
) -> None:
    """UCPD Annex I point 14 (C-515/12 4finance): a consideration from the participant and
    compensation derived primarily from newcomers' contributions."""
    case = Case().add({"r": None, "a": "r", "b": "a", "c": "b"})
    for member in ("a", "b", "c"):
        case.pay(member, "r", 100, "entry_fee")
    case.pay("r", "a", recruitment, "commission", "recruitment", "2")
    case.pay("r", "a", 100 - recruitment, "commission", "downline_sales", "1")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["eu"])
    result = findings(store, UCPD, "network")["r"]
    assert (result["result"] == "met") is met


# --- money, currencies, the run record, profiles -------------------------------------------


def test_each_profile_compares_in_its_own_currency_opinion_s4_2(tmp_path: Path) -> None:
    """§4(二) ¥2.5M is compared in CNY even when the first profile (the report) is in USD."""
    store = Case(fee=75_000).add(layered("m", [1, 3, 36])).store(tmp_path)
    run_pyramid(store.backend, profiles=["us", "cn"])
    serious = findings(store, SERIOUS)["m0_0"]
    assert serious["currency"] == "CNY"
    assert serious["figures"]["entry_funds_in_downline"] == Decimal("2925000.0000")
    assert "2925000.0000 CNY" in str(serious["explanation"])
    fees, currency = store.connection.execute("SELECT fees_total, currency FROM pyramid_networks").fetchone()
    assert currency == "USD" and fees == Decimal("406250.0013")  # 39 x round(75000 / 7.2, 4)


def test_an_unknown_currency_stops_the_run_or_is_left_out_visibly(tmp_path: Path) -> None:
    """A currency with no rate must never silently drop out of the sums."""
    case = Case(fee=100).add(layered("u", [1, 2, 27]))
    case.pay("u1_0", "u0_0", 5, "entry_fee", currency="NOK")
    store = case.store(tmp_path)
    with pytest.raises(MissingRateError, match="NOK \\(1 records\\)"):
        run_pyramid(store.backend, profiles=["cn"])
    summary = run_pyramid(store.backend, profiles=["cn"], allow_missing_rates=True)
    assert summary.excluded_currencies == {"NOK": 1}
    fees, excluded = store.connection.execute(
        "SELECT n.fees_total, r.excluded_currencies FROM pyramid_networks n, pyramid_runs r"
    ).fetchone()
    assert fees == Decimal(2900) and json.loads(excluded) == {"NOK": 1}


def test_every_run_records_profiles_hashes_and_rates(tmp_path: Path) -> None:
    store = Case(fee=100).add(layered("a", [1, 2, 27])).store(tmp_path)
    first = run_pyramid(store.backend, profiles=["cn", "us"])
    second = run_pyramid(store.backend, profiles=["cn", "us"])
    runs = store.connection.execute(
        "SELECT run_id, profiles, rates_cny_per_unit FROM pyramid_runs"
    ).fetchall()
    assert [r[0] for r in runs] == [first.run_id, second.run_id]
    bundled = Path(__file__).resolve().parents[2] / "src/sentinella/pyramid/profiles/cn.toml"
    profiles = json.loads(runs[0][1])
    assert profiles[0]["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()
    assert json.loads(runs[0][2]) == {"CNY": "1.0", "USD": "7.2"}
    ids = store.connection.execute("SELECT DISTINCT run_id FROM pyramid_findings").fetchall()
    assert ids == [(second.run_id,)]


def test_money_is_exact_and_the_same_between_runs(tmp_path: Path) -> None:
    """Figures are decimals from integer units: 0.1 three times is 0.3, run after run."""
    case = Case(fee=0.1).add(layered("a", [1, 2, 27]))
    store = case.store(tmp_path)
    outputs = []
    for _ in range(2):
        run_pyramid(store.backend, profiles=["cn", "eu"])
        outputs.append(
            store.connection.execute(
                "SELECT fees_total, rewards_total FROM pyramid_networks UNION ALL "
                "SELECT sum(fees_paid), sum(net_income) FROM pyramid_members"
            ).fetchall()
            + store.connection.execute("SELECT figures FROM pyramid_findings ORDER BY ALL").fetchall()
        )
    assert outputs[0] == outputs[1]
    assert outputs[0][0][0] == Decimal("2.9000")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("min_members = 30  #", "#"), "[organizer] min_members is missing"),
        (("min_levels = 3    #", 'min_levels = "3" #'), "[organizer] min_levels must be a whole number"),
        (('currency = "CNY"', "currency = 5"), "'currency' is missing or not text"),
        (("[team_pay]", "[team_pays]"), "unknown rule table [team_pays]"),
        (('"直推" = "recruitment"', '"直推" = "heads"'), "the basis must be one of"),
    ],
)
def test_profiles_are_validated_when_loaded(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    bundled = (Path(__file__).resolve().parents[2] / "src/sentinella/pyramid/profiles/cn.toml").read_text(
        "utf-8"
    )
    assert edit[0] in bundled
    path = tmp_path / "bad.toml"
    path.write_text(bundled.replace(edit[0], edit[1], 1), "utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_every_bundled_threshold_cites_its_paragraph() -> None:
    """Each number in a bundled profile's rule tables carries a comment naming its paragraph."""
    from sentinella.pyramid._profiles import RULES

    root = Path(__file__).resolve().parents[2] / "src/sentinella/pyramid/profiles"
    checked = 0
    for path in sorted(root.glob("*.toml")):
        load_profile(path.stem)
        table = ""
        for line in path.read_text("utf-8").splitlines():
            if line.startswith("["):
                table = line.strip("[] ")
            elif table in RULES and line.split("=")[0].strip() in RULES[table]:
                checked += 1
                comment = line.partition("#")[2]
                assert any(mark in comment for mark in ("§", "art.", "majority", "primarily")), (
                    path.name,
                    line,
                )
    assert checked >= 11


def test_bad_options_are_one_line_errors_not_tracebacks(tmp_path: Path) -> None:
    """A profile missing a key, a repeat offender without a date, a rates file that is not
    numbers, a currency without a rate: exit status 2 and one line naming what is wrong."""
    from typer.testing import CliRunner

    from sentinella.cli import app

    case = Case(fee=100).add(layered("a", [1, 2, 27]))
    case.pay("a1_0", "a0_0", 5, "entry_fee", currency="NOK")
    db = tmp_path / "case.duckdb"
    store = Store.open(db)
    from sentinella.store import ingest_case

    ingest_case(store, case.write(tmp_path / "case"))
    store.close()
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ncurrency = "CNY"\n[organizer]\nrule_id = "r"\ncitation = "c"\nmin_levels = 3\n')
    rates = tmp_path / "rates.toml"
    rates.write_text('USD = "abc"\n')
    runner = CliRunner()
    for args, message in (
        (["--profile", str(bad)], "[organizer] min_members is missing"),
        (["--repeat-offender", "a0_0:administrative"], "give its date"),
        (["--rates", str(rates)], "USD = 'abc' is not a number"),
        ([], "no exchange rate for NOK (1 records)"),
    ):
        result = runner.invoke(app, ["pyramid", "--db", str(db), *args])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    result = runner.invoke(app, ["pyramid", "--db", str(db), "--allow-missing-rates"])
    assert result.exit_code == 0 and "left out 1 records in NOK" in result.output
