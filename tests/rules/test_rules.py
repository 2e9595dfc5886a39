"""Analyst rules: validated files, a backtest that matches what the rule flags when switched on."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinella.rules import RuleError, apply_rules, backtest, parse_rules
from sentinella.store import Store
from service_world import World, analysed_copy

RULES = """
[[rule]]
id = "brushed-shop"
version = 1
author = "ana"
reason = "a ring boosted the shop and credit removed its orders"
subject = "merchant"
points = 30
open_case = true
enabled = {enabled}
[[rule.when]]
signal = "ring_boosted_shop"
min_strength = 0.5
[[rule.when]]
figure = "credit_merchants.flagged_orders"
op = ">="
value = 5

[[rule]]
id = "big-organizer"
version = 3
author = "li"
reason = "heads 30 or more people"
subject = "member"
enabled = {enabled}
[[rule.when]]
figure = "pyramid_members.legal_headcount"
op = ">="
value = 30
[[rule.when]]
figure = "risk_scores.score"
op = ">="
value = 0.5

[[list]]
name = "vetted"
subject = "member"
action = "allow"
ids = [{vetted}]

[[list]]
name = "banned"
subject = "merchant"
action = "deny"
ids = ["S00000001"]
"""


def _rules(enabled: bool, vetted: str = "") -> str:
    return RULES.replace("{enabled}", "true" if enabled else "false").replace("{vetted}", vetted)


def test_backtest_counts_what_the_rule_flags_when_switched_on(world: World, tmp_path: Path) -> None:
    with Store.open(analysed_copy(world, tmp_path / "r.duckdb")) as store:
        con = store.connection
        draft = parse_rules(_rules(False), "draft.toml")
        tests = {r.id: backtest(con, r, draft.lists, truth=world.truth) for r in draft.rules}
        shop, organizer = tests["brushed-shop"], tests["big-organizer"]
        assert shop.hits > 0 and organizer.hits > 0
        # planted truth: the rule's hits are the boosted shops / the organizers, and no look-alike
        assert shop.truth["boosted_shop"] == shop.hits and shop.truth["not_planted"] == 0
        assert organizer.truth["pyramid_organizer"] == organizer.hits
        assert organizer.truth["legit_network_members"] == 0
        live = parse_rules(_rules(True), "live.toml")
        applied = apply_rules(con, live, actor="ana")
        flagged = dict(con.execute("SELECT rule_id, count(*) FROM rule_hits GROUP BY rule_id").fetchall())
        assert flagged["brushed-shop"] == shop.hits == applied.rules["brushed-shop"]
        assert flagged["big-organizer"] == organizer.hits
        assert flagged["list:banned"] == 1
        assert applied.cases_opened == shop.hits  # open_case = true for the shop rule only
        versions = con.execute(
            "SELECT rule_id, version, author FROM rule_versions ORDER BY rule_id"
        ).fetchall()
        assert versions == [("big-organizer", 3, "li"), ("brushed-shop", 1, "ana")]
        # the cases now opened show up in the next backtest
        again = backtest(con, live.rules[0], live.lists)
        assert again.cases == {"open": shop.hits}
        # an allow list takes a subject out of every rule
        one = con.execute(
            "SELECT subject_id FROM rule_hits WHERE rule_id = 'big-organizer' ORDER BY subject_id LIMIT 1"
        ).fetchall()[0][0]
        vetted = parse_rules(_rules(False, f'"{one}"'), "v.toml")
        assert backtest(con, vetted.rules[1], vetted.lists).hits == organizer.hits - 1
        # a changed rule must get a new version
        changed = parse_rules(_rules(True).replace("value = 30", "value = 20"), "changed.toml")
        with pytest.raises(
            RuleError, match="rule big-organizer: version 3 is stored with a different definition"
        ):
            apply_rules(con, changed, actor="li")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nid='a'\n", "rule a: version is required"),
        ("[[rule]]\nid='a b'\n", "id 'a b' may hold letters"),
        (
            "[[rule]]\nid='a'\nversion=1\nauthor='x'\nreason='y'\nsubject='shop'\n",
            "subject must be member or merchant",
        ),
        (
            "[[rule]]\nid='a'\nversion=1\nauthor='x'\nreason='y'\nsubject='member'\n[[rule.when]]\n"
            "figure='members;drop'\nop='>'\nvalue=1\n",
            "figure must be table.column",
        ),
        (
            "[[rule]]\nid='a'\nversion=1\nauthor='x'\nreason='y'\nsubject='member'\n[[rule.when]]\n"
            "figure='m.c'\nop='LIKE'\nvalue=1\n",
            "op must be one of",
        ),
        (
            "[[rule]]\nid='a'\nversion=1\nauthor=''\nreason='y'\nsubject='member'\nwhen=[{signal='x'}]\n",
            "author must not",
        ),
        ("[[list]]\nname='l'\nsubject='member'\naction='block'\nids=[]\n", "action must be allow or deny"),
        ("[rules]\n", "unknown key 'rules'"),
    ],
)
def test_bad_rules_name_the_rule_and_field(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text, "r.toml")
    assert str(caught.value).startswith("r.toml: ") and message in str(caught.value)


def test_a_rule_over_a_missing_table_or_column_is_refused(world: World) -> None:
    with Store.open(world.db, read_only=True) as store:
        for figure, message in (
            ("nothing.x", "no table 'nothing'"),
            ("credit_merchants.nope", "credit_merchants has no column 'nope'"),
            ("ring_groups.score", "ring_groups is not keyed by member_id"),
        ):
            rules = parse_rules(
                "[[rule]]\nid='a'\nversion=1\nauthor='x'\nreason='y'\nsubject='member'\n"
                f"[[rule.when]]\nfigure='{figure}'\nop='>'\nvalue=1\n",
                "r.toml",
            )
            with pytest.raises(RuleError, match=message):
                backtest(store.connection, rules.rules[0], rules.lists)


def test_rules_commands(world: World, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sentinella.cli import app

    db = analysed_copy(world, tmp_path / "cli.duckdb")
    rules = tmp_path / "rules.toml"
    rules.write_text(_rules(True), encoding="utf-8")
    runner = CliRunner()
    tested = runner.invoke(
        app, ["rules", "backtest", str(rules), "--db", str(db), "--truth", str(world.truth)]
    )
    assert tested.exit_code == 0, tested.output
    assert "brushed-shop v1:" in tested.output and "boosted_shop" in tested.output
    applied = runner.invoke(app, ["rules", "apply", str(rules), "--db", str(db), "--actor", "ana"])
    assert applied.exit_code == 0, applied.output
    assert "list:banned: 1 hits" in applied.output
    rules.write_text("[[rule]]\nid = 'x'\n", encoding="utf-8")
    bad = runner.invoke(app, ["rules", "backtest", str(rules), "--db", str(db)])
    assert (
        bad.exit_code == 2 and "rule x: version is required" in bad.output and "Traceback" not in bad.output
    )
