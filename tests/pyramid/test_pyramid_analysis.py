"""The pyramid analysis on hand-checked cases: metrics, every rule at its thresholds, look-alikes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyramid_cases import Case, layered

from sentinella.pyramid import PyramidError, load_profile, render_report, run_pyramid
from sentinella.store import Store


def findings(store: Store, rule_id: str, kind: str = "member") -> dict[str, dict[str, object]]:
    rows = store.connection.execute(
        "SELECT subject_id, result, figures, explanation FROM pyramid_findings "
        "WHERE rule_id = ? AND subject_kind = ?",
        [rule_id, kind],
    ).fetchall()
    return {r[0]: {"result": r[1], "figures": json.loads(r[2]), "explanation": r[3]} for r in rows}


def member(store: Store, member_id: str) -> dict[str, object]:
    cursor = store.connection.execute("SELECT * FROM pyramid_members WHERE member_id = ?", [member_id])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


ORGANIZER = "cn-2013-opinions-s1"


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([1, 2, 27], True),  # 30 people, 3 levels: at both thresholds
        ([1, 2, 26], False),  # 29 people: just below
        ([1, 2, 28], True),  # 31: just above
        ([1, 29], False),  # 30 people but only 2 levels
        ([1, 1, 1, 27], True),  # 4 levels
    ],
)
def test_organizer_thresholds(tmp_path: Path, sizes: list[int], expected: bool) -> None:
    store = Case(fee=100).add(layered("a", sizes)).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    met = findings(store, ORGANIZER)
    assert ("a0_0" in met) is expected
    network = findings(store, ORGANIZER, "network")["a0_0"]
    assert network["result"] == ("met" if expected else "not_met")
    assert network["figures"]["persons"] == sum(sizes)


def test_every_member_metric_on_a_small_tree(tmp_path: Path) -> None:
    #        r
    #      /   \
    #     a     b        (b pays 100 fee to r, a pays 100 to r)
    #    / \
    #   c   d            (c, d pay 100 to a); a gets a level-2 commission for d's fee
    case = Case(fee=100).add({"r": None, "a": "r", "b": "r", "c": "a", "d": "a"})
    case.pay("r", "a", 10, "commission", "recruitment", "1").pay(
        "r", "r", 5, "commission", "recruitment", "2"
    )
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    r, a, c = member(store, "r"), member(store, "a"), member(store, "c")
    assert (r["level"], r["direct_recruits"], r["downline"], r["depth_below"]) == (1, 2, 4, 2)
    assert (r["legal_headcount"], r["legal_levels"]) == (5, 3)
    assert (a["level"], a["direct_recruits"], a["downline"], a["depth_below"]) == (2, 2, 2, 1)
    assert (c["level"], c["downline"], c["depth_below"], c["legal_levels"]) == (3, 0, 0, 1)
    assert r["fees_in_downline"] == 400 and a["fees_in_downline"] == 200 and a["fees_paid"] == 100
    assert a["fees_received"] == 200 and a["commission_recruitment"] == 10
    assert a["net_income"] == 200 + 10 - 100
    assert c["net_income"] == -100
    network = store.connection.execute("SELECT * FROM pyramid_networks").fetchall()
    assert len(network) == 1
    cursor = store.connection.execute(
        "SELECT members, levels, fees_total, share_losing FROM pyramid_networks"
    )
    assert cursor.fetchall()[0] == (5, 3, 400.0, pytest.approx(3 / 5))  # b, c, d lose money


def test_organizers_below_the_root_are_found(tmp_path: Path) -> None:
    tree = {"root": None} | layered("s", [1, 3, 30], sponsor="root")
    store = Case(fee=50).add(tree).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    met = findings(store, ORGANIZER)
    assert {"root", "s0_0"} <= set(met)
    assert met["s0_0"]["figures"]["headcount"] == 34 and met["s0_0"]["figures"]["levels"] == 3
    assert "s1_0" not in met  # 11 people below: not an organizer


def test_accounts_of_one_person_are_merged_for_headcounts(tmp_path: Path) -> None:
    # One person holds x and y (same ID number); each heads 20 people over 3 levels: 39 together.
    case = (
        Case(fee=100)
        .add({"boss": None})
        .add(layered("x", [1, 4, 15], "boss"))
        .add(layered("y", [1, 4, 15], "boss"))
    )
    case.id_numbers = {"x0_0": "ID-1", "y0_0": "ID-1"}
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    x = member(store, "x0_0")
    assert x["legal_headcount"] == 20 and x["person_id"] == member(store, "y0_0")["person_id"]
    assert x["person_headcount"] == 39 and x["person_levels"] == 3
    assert {"x0_0", "y0_0"} <= set(findings(store, ORGANIZER))
    links = store.connection.execute("SELECT identifier FROM pyramid_person_links").fetchall()
    assert links == [("id_number",)]


def test_one_persons_separate_trees_are_one_network(tmp_path: Path) -> None:
    # One person opened x and y (same ID number); neither has a sponsor and each heads 17 people
    # over 3 levels. Opinion §1 ¶2 adds the numbers up: one network of 33 people, not two of 17.
    case = Case(fee=100).add(layered("x", [1, 4, 12])).add(layered("y", [1, 4, 12]))
    case.id_numbers = {"x0_0": "ID-1", "y0_0": "ID-1"}
    case.phones = {"x1_0": "555", "y1_0": "555"}  # a shared phone merges nothing
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    rows = store.connection.execute(
        "SELECT network_id, members, persons, levels, is_pyramid FROM pyramid_networks"
    ).fetchall()
    assert rows == [("x0_0", 34, 33, 3, True)]
    networks = store.connection.execute(
        "SELECT DISTINCT network_id, level FROM pyramid_members WHERE member_id IN ('x0_0', 'y0_0')"
    ).fetchall()
    assert networks == [("x0_0", 1)]  # both accounts of the top person, at the person's level
    assert store.connection.execute(
        "SELECT count(*) FROM pyramid_members WHERE in_network AND network_id = 'x0_0'"
    ).fetchone() == (34,)
    top = findings(store, ORGANIZER)
    assert top["x0_0"]["figures"]["level_in_network"] == top["y0_0"]["figures"]["level_in_network"] == 1
    assert top["x0_0"]["figures"]["headcount"] == 33
    network = findings(store, ORGANIZER, "network")["x0_0"]
    assert network["result"] == "met" and "33 people over 3 levels" in str(network["explanation"])


def test_fees_taken_by_any_account_of_the_top_person_are_the_organizations(tmp_path: Path) -> None:
    # Recruits pay fees to x or y, two accounts of the person at the top: that is the
    # organization's takings, not pay by headcount to anyone below the top.
    case = Case(fee=100).add(layered("x", [1, 20])).add(layered("y", [1, 20]))
    case.id_numbers = {"x0_0": "ID-1", "y0_0": "ID-1"}
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    assert store.connection.execute(
        "SELECT network_id, persons, entry_consideration, pay_by_headcount FROM pyramid_networks"
    ).fetchall() == [("x0_0", 41, True, False)]


# 39 payers of 64,103 make 2,500,017 in fees (serious); of 64,102, 2,499,978 (not).
@pytest.mark.parametrize(
    ("size", "fee", "serious"), [(119, 10, False), (120, 10, True), (40, 64_103, True), (40, 64_102, False)]
)
def test_serious_circumstances(tmp_path: Path, size: int, fee: float, serious: bool) -> None:
    store = Case(fee=fee).add(layered("m", [1, 3, size - 4])).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    assert ("m0_0" in findings(store, "cn-2013-opinions-s4")) is serious


def test_repeat_offender_threshold(tmp_path: Path) -> None:
    store = Case(fee=10).add(layered("p", [1, 2, 12])).add(layered("q", [1, 2, 11])).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"], repeat_offenders=["p0_0:criminal", "q0_0:criminal"])
    results = {k: v["result"] for k, v in findings(store, "cn-2013-opinions-s2-4").items()}
    assert results == {"p0_0": "met", "q0_0": "not_met"}  # 15 people vs 14
    assert not findings(store, ORGANIZER)


def test_referral_program_is_clean_with_its_reason(tmp_path: Path) -> None:
    case = Case(fee=0).add(layered("r", [1, 40, 10]))
    for parent in list(case.sponsors.values()):
        if parent:
            case.pay("company", parent, 20, "bonus", "recruitment", "1")
    case.sponsors["company"] = None
    store = case.store(tmp_path)
    run_pyramid(store.backend)
    assert not findings(store, ORGANIZER)
    networks = findings(store, ORGANIZER, "network")
    assert networks["r0_0"]["result"] == "not_met"
    assert "no payment to join found" in str(networks["r0_0"]["explanation"])
    results = store.connection.execute(
        "SELECT DISTINCT result FROM pyramid_findings WHERE subject_kind='network' ORDER BY ALL"
    ).fetchall()
    assert results == [("info",), ("not_met",), ("review",)]  # income figures; art. 7(1) for the investigator
    assert not store.connection.execute("SELECT any_value(is_pyramid) FROM pyramid_networks").fetchone()[0]


def test_direct_sellers_paid_on_own_sales(tmp_path: Path) -> None:
    # A licensed company pays its sellers 25% (a) and 35% (b) of their own retail sales.
    case = Case().add({"co": None, "a": "co", "b": "co"})
    case.merchants = {"shopA": "a", "shopB": "b"}
    case.orders = [("public1", "shopA", 1000.0), ("public2", "shopB", 1000.0)]
    case.sponsors.update({"public1": None, "public2": None})
    case.pay("co", "a", 250, "commission", "own_sales", "1").pay(
        "co", "b", 350, "commission", "own_sales", "1"
    )
    store = case.store(tmp_path)
    run_pyramid(store.backend)
    art24 = findings(store, "cn-direct-selling-art24")
    assert set(art24) == {"b"}
    assert art24["b"]["figures"]["pay_share"] == pytest.approx(0.35)
    assert member(store, "a")["own_sales_outside"] == 1000
    assert not findings(store, ORGANIZER)
    assert findings(store, ORGANIZER, "network")["co"]["result"] == "not_met"


@pytest.mark.parametrize(("outside", "violates"), [(500.0, True), (510.0, False)])
def test_retail_sales_rule_at_fifty_percent(tmp_path: Path, outside: float, violates: bool) -> None:
    # a sells to the public and to their own recruit b; the Vemma order wants more than 50% of
    # a's and the downline's revenue in the pay period to come from non-participants.
    case = Case(fee=1).add({"r": None, "a": "r", "b": "a"})
    case.merchants = {"shop": "a"}
    case.orders = [("public", "shop", outside), ("b", "shop", 1000 - outside)]
    case.sponsors["public"] = None
    case.pay("r", "a", 999, "commission", "own_sales", "1")
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["us"])
    result = findings(store, "us-ftc-vemma-retail", "network")["r"]
    assert result["figures"]["failing_participant_periods"] == (1 if violates else 0)
    assert (result["result"] == "met") is violates


def test_cycles_self_sponsorship_orphans_and_late_payments(tmp_path: Path) -> None:
    case = Case().add({"a": "c", "b": "a", "c": "b", "d": "a", "e": "e", "f": "ghost", "g": None})
    case.left = {"g": "2024-02-01T00:00:00Z"}
    case.pay("a", "g", 5, "bonus")
    store = case.store(tmp_path)
    summary = run_pyramid(store.backend, profiles=["cn"])
    issues = set(store.connection.execute("SELECT member_id, issue FROM pyramid_issues").fetchall())
    assert {("a", "cycle"), ("b", "cycle"), ("c", "cycle"), ("a", "cycle_cut"), ("d", "into_cycle")} <= issues
    assert ("e", "self_sponsorship") in issues and ("f", "unknown_sponsor") in issues
    assert ("g", "paid_after_leaving") in issues
    assert summary.issues["cycle"] == 3
    a = member(store, "a")
    assert a["level"] == 1 and a["downline"] == 3  # the cut made a the root of b, c, d


def test_report_names_every_test_and_how_to_reproduce(tmp_path: Path) -> None:
    store = Case(fee=100).add(layered("a", [1, 2, 27])).store(tmp_path)
    run_pyramid(store.backend)
    html = render_report(store.backend, "a0_0", store_path="case.duckdb")
    for text in ("cn-2013-opinions-s1", "us-ftc-koscot", "eu-ucpd-annex1-14", "How to reproduce", "a0_0"):
        assert text in html
    with pytest.raises(PyramidError, match="no network 'zz'"):
        render_report(store.backend, "zz")


def test_profiles_are_editable_files(tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    bundled = (Path(__file__).resolve().parents[2] / "src/sentinella/pyramid/profiles/cn.toml").read_text()
    strict.write_text(
        bundled.replace('id = "cn"', 'id = "cn-strict"').replace("min_members = 30", "min_members = 10")
    )
    assert load_profile(str(strict)).rules["organizer"]["min_members"] == 10
    store = Case(fee=100).add(layered("a", [1, 2, 9])).store(tmp_path / "case")
    run_pyramid(store.backend, profiles=[str(strict)])
    assert "a0_0" in findings(store, ORGANIZER)
    with pytest.raises(PyramidError, match="no profile"):
        load_profile("mars")


def test_team_pay_on_sales_is_article_7_but_not_criminal(tmp_path: Path) -> None:
    # No fees, no recruitment rewards: uplines earn 10% / 5% of sales made two levels down.
    case = Case().add(layered("t", [1, 3, 30]))
    for sponsor in list(case.sponsors.values()):
        if sponsor and sponsor.startswith("t1_"):
            case.pay("co", sponsor, 10, "commission", "downline_sales", "1").pay(
                "co", "t0_0", 5, "commission", "downline_sales", "2"
            )
    case.sponsors["co"] = None
    store = case.store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    art7 = findings(store, "cn-2005-regulations-art7", "network")["t0_0"]
    assert art7["result"] == "met" and "upline pay on the downline's sales" in str(art7["explanation"])
    network = findings(store, ORGANIZER, "network")["t0_0"]
    assert network["result"] == "not_met" and "no payment to join found" in str(network["explanation"])
    assert not findings(store, ORGANIZER)  # 34 people over 3 levels, but not headcount-based


def test_sponsors_missing_from_the_records_are_inferred_from_commissions(tmp_path: Path) -> None:
    # No sponsor_id anywhere. a and b buy starter packs at the company shop; the company pays a
    # level-1 commission on each order to the recruiter. c (a retail customer) buys at a's shop
    # and a's recruiter r is paid level 1 on that sale: it names a's sponsor, not c's.
    case = Case().add({"co": None, "r": None, "a": None, "b": None, "c": None})
    case.merchants = {"company": "co", "shop_a": "a"}
    case.orders = [
        ("a", "company", 100.0),
        ("a", "company", 100.0),
        ("b", "company", 100.0),
        ("c", "shop_a", 50.0),
    ]
    store = case.store(tmp_path)
    rows = [(f"O{i}", payee) for i, payee in enumerate(["r", "r", "a", "r"])]
    for index, (order_id, payee) in enumerate(rows):
        store.connection.execute(
            "INSERT INTO payments (payment_id, payer_id, payee_id, amount, currency, kind, paid_at, "
            "order_id, basis, level) VALUES (?, 'co', ?, 10, 'CNY', 'commission', "
            "TIMESTAMPTZ '2024-03-03 00:00:00+00', ?, 'downline_sales', 1)",
            [f"C{index}", payee, order_id],
        )
    run_pyramid(store.backend, profiles=["cn"])
    issues = dict(
        store.connection.execute(
            "SELECT member_id, detail FROM pyramid_issues WHERE issue = 'sponsor_inferred'"
        ).fetchall()
    )
    assert set(issues) == {"a", "b"}
    assert issues["a"].startswith("no sponsor recorded; inferred r from 3 level-1 commissions")
    assert member(store, "b")["level"] == 3 and member(store, "r")["downline"] == 2
    assert not member(store, "c")["in_network"] and not member(store, "co")["in_network"]


def test_members_view_stores_only_what_it_cannot_derive(tmp_path: Path) -> None:
    # No payments at all: every money column is a DECIMAL zero in the view, none is stored, and
    # derived columns (headcount, levels, network) agree with the stored ones they come from.
    store = Case().add({"r": None, "a": "r", "b": "a", "x": None}).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    con = store.connection
    stored = {row[0] for row in con.execute("DESCRIBE pyramid_member_figures").fetchall()}
    assert {"code", "network_code", "level", "downline", "depth_below"} <= stored
    assert not stored & {"member_id", "legal_headcount", "rewards", "net_income", "fees_paid", "person_code"}
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE pyramid_members)").fetchall())
    assert (
        types["fees_paid"] == "DECIMAL(18,4)"
        and types["net_income"].startswith("DECIMAL(")
        and types["member_id"] == "VARCHAR"
    )
    rows = con.execute(
        "SELECT member_id, network_id, in_network, legal_headcount, person_headcount, legal_levels, "
        "net_income FROM pyramid_members ORDER BY member_id"
    ).fetchall()
    assert rows == [
        ("a", "r", True, 2, 2, 2, 0),
        ("b", "r", True, 1, 1, 1, 0),
        ("r", "r", True, 3, 3, 3, 0),
        ("x", None, False, 1, 1, 1, 0),
    ]
