"""The demo's summary, its page, its evidence reports and its store agree on every count.

The demo runs in process on a small world (no photos) that plants one person's downline split
over two accounts; every count the page or a report prints is read back and compared with the
store's tables and the world's truth.
"""

from __future__ import annotations

import duckdb
from report_helpers import figures, visible_text

from sentinella.demo import DemoResult


def _store(demo: DemoResult) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(demo.out / "sentinella.duckdb"), read_only=True)


def test_summary_page_and_store_count_the_same_networks(demo: DemoResult) -> None:
    with _store(demo) as store:
        networks, pyramids = store.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_pyramid) FROM pyramid_networks"
        ).fetchone() or (0, 0)
        organizers = store.execute(
            "SELECT count(DISTINCT subject_id) FROM pyramid_findings WHERE rule_id = 'cn-2013-opinions-s1' "
            "AND subject_kind = 'member' AND result = 'met'"
        ).fetchone()
    assert (demo.pyramid.networks, demo.pyramid.pyramids) == (networks, pyramids)
    assert organizers == (demo.pyramid.organizers,)
    page = figures(demo.report.read_text(encoding="utf-8"))
    assert page["networks"] == networks and page["pyramids"] == pyramids
    assert page["organizers"] == demo.pyramid.organizers
    tally = demo.tally
    assert tally is not None
    # the world's planted list, the found-vs-planted row, the page and the store
    assert page["planted"] == tally.planted == demo.world.planted["networks_pyramid"]
    assert tally.planted == tally.scored + tally.silent
    assert page.get("silent", 0) == tally.silent
    assert page["in_store"] == tally.in_store == pyramids
    assert tally.found + tally.wrong == tally.in_store
    score = next(s for s in demo.scores if s.what == "pyramid networks")
    assert (score.planted, score.found, score.wrong) == (tally.scored, tally.found, tally.wrong)
    assert (page["scored"], page["found"], page["wrong"]) == (tally.scored, tally.found, tally.wrong)
    assert tally.wrong == 0 and tally.found == tally.scored


def test_one_persons_split_downline_is_one_network_everywhere(demo: DemoResult) -> None:
    truth = demo.out / "case" / "truth"
    assert demo.world.planted["split_persons"] >= 1
    with _store(demo) as store:
        split = store.execute(
            "SELECT t.network_id, t.root_member_id, t.members, t.persons "
            f"FROM '{truth}/pyramid_networks.parquet' t WHERE t.shape = 'split'"
        ).fetchall()
        assert split
        for _, root, accounts, persons in split:
            planted_accounts = store.execute(
                f"SELECT list(member_id ORDER BY member_id) FROM '{truth}/pyramid_members.parquet' m "
                f"JOIN '{truth}/pyramid_networks.parquet' n USING (network_id) WHERE n.root_member_id = ?",
                [root],
            ).fetchone()
            assert planted_accounts is not None
            found = store.execute(
                "SELECT DISTINCT network_id FROM pyramid_members WHERE member_id IN (SELECT unnest(?))",
                [planted_accounts[0]],
            ).fetchall()
            assert found == [(root,)]  # every account of the planted network is in one network
            assert store.execute(
                "SELECT members, persons FROM pyramid_networks WHERE network_id = ?", [root]
            ).fetchone() == (accounts, persons)


def test_evidence_reports_print_the_stores_numbers(demo: DemoResult) -> None:
    networks = [href for what, href in demo.evidence if what.startswith("network ")]
    assert len(networks) == 3
    with _store(demo) as store:
        for href in networks:
            network_id = href.removeprefix("evidence/network-").removesuffix(".html")
            html = (demo.out / href).read_text(encoding="utf-8")
            row = store.execute(
                "SELECT persons, members, levels FROM pyramid_networks WHERE network_id = ?", [network_id]
            ).fetchone()
            organizers = store.execute(
                "SELECT count(DISTINCT coalesce(m.person_id, m.member_id)) FROM pyramid_findings f "
                "JOIN pyramid_members m ON m.member_id = f.subject_id "
                "WHERE f.rule_id = 'cn-2013-opinions-s1' AND f.subject_kind = 'member' AND f.result = 'met' "
                "AND f.network_id = ?",
                [network_id],
            ).fetchone()
            assert row is not None and organizers is not None
            shown = figures(html)
            assert (shown["persons"], shown["accounts"], shown["levels"]) == row
            assert shown["organizers"] == organizers[0]
            # the network-level §1 finding speaks of the same people as the summary
            text = visible_text(html)
            assert f"{row[0]:,} people over {row[2]} levels" in text
            assert (demo.out / "evidence" / f"network-{network_id}-members.csv").exists()
    assert any(what.startswith("merchant ") for what, _ in demo.evidence)
    assert any(what.startswith("brushing ring ") for what, _ in demo.evidence)
    for _, href in demo.evidence:
        assert (demo.out / href).exists()
