"""The console in headless Chromium (Debian's chromium, driven by Playwright) on a real server.

Every page is opened after logging in with an analyst's key; the browser's console errors, page
errors and any request leaving the loopback server are collected and must be none. A case is
assigned, annotated and closed through the page, and its audit trail checked; another is opened
from a merchant's page and found in the queue; the pyramid explorer is expanded by clicking its
picture. A screenshot of each page is saved in
tests/artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from web_helpers import ConsoleWorld, artifacts, serve, stop

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Browser:
    url: str
    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def open(self, path: str, shot: str) -> None:
        answer = self.page.goto(self.url + path)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(artifacts() / f"{shot}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser(cworld: ConsoleWorld) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    db = cworld.db.with_name("browser.duckdb")
    shutil.copyfile(cworld.db, db)  # the module's app holds cworld.db open; the server gets its own copy
    url, process = serve(db)
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            found = Browser(url, page)
            page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: found.errors.append(str(e)))
            page.on(
                "response", lambda r: found.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
            )
            page.on("request", lambda r: None if r.url.startswith(url) else found.outside.append(r.url))
            page.goto(url + "/console/login")
            page.fill("input[name=key]", cworld.analyst)
            page.click("#login-form button")
            page.wait_for_url(url + "/console/")
            yield found
            chromium.close()
    finally:
        stop(process)


def test_every_page_opens_without_errors(browser: Browser, cworld: ConsoleWorld) -> None:
    page = browser.page
    browser.open("/console/", "dashboard")
    page.wait_for_selector("#trends-chart[data-rendered=yes] svg")
    assert page.locator("#finding-counts tbody tr").count() > 5
    browser.open(f"/console/merchants/{cworld.merchant}", "merchant")
    assert page.locator(".finding").count() >= 1 and page.locator("#credit-explanation").inner_text()
    browser.open("/console/pyramid", "networks")
    page.click(f"#networks a:text-is('{cworld.network}')")
    page.wait_for_selector("#levels-chart[data-rendered=yes] svg")
    page.screenshot(path=str(artifacts() / "network.png"), full_page=True)
    browser.open("/console/rings", "rings")
    page.click("#rings tbody a >> nth=0")
    page.wait_for_selector("#timeline-chart[data-rendered=yes] svg")
    assert page.locator("#timeline-chart svg .mark-symbol path").count() > 10
    page.screenshot(path=str(artifacts() / "ring.png"), full_page=True)
    page.click("#ring-members tbody a >> nth=0")
    page.wait_for_selector("#upline")
    page.screenshot(path=str(artifacts() / "member.png"), full_page=True)
    browser.open("/console/cases", "cases")
    browser.open("/console/rules", "rules")
    page.click("section.rule button")
    page.wait_for_selector("section.rule .backtest-result")
    hits = page.locator("section.rule .backtest-result td.num").first.inner_text()
    assert int(hits) >= 1
    assert not browser.errors, browser.errors
    assert not browser.outside, browser.outside


def test_the_pyramid_explorer_expands_a_level_then_a_member(browser: Browser, cworld: ConsoleWorld) -> None:
    page = browser.page
    browser.open(f"/console/pyramid/{cworld.network}", "network-collapsed")
    graph = page.locator("#network-graph")
    levels = page.evaluate("sentinellaGraph.nodes('.level').length")
    table_levels = page.locator("#levels tbody tr").count()
    assert levels == table_levels > 1  # collapsed: one node per level

    def click_node(node_id: str) -> None:
        box = graph.bounding_box()
        position = page.evaluate(f"sentinellaGraph.getElementById({node_id!r}).renderedPosition()")
        page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])

    top = page.evaluate("sentinellaGraph.nodes('.level')[0].id()")
    click_node(top)
    page.wait_for_selector("#network-graph[data-expanded]")
    shown = int(graph.get_attribute("data-expanded") or 0)
    assert shown >= 1
    # a member of that level with recruits: expand its downline
    member = page.evaluate("sentinellaGraph.nodes(\"[kind = 'member'][downline > 0]\")[0].id()")
    click_node(member)
    page.wait_for_function(f"Number(document.querySelector('#network-graph').dataset.expanded) > {shown}")
    page.screenshot(path=str(artifacts() / "network-expanded.png"), full_page=True)
    assert not browser.errors, browser.errors
    assert not browser.outside, browser.outside


def test_a_case_is_assigned_annotated_and_closed_with_its_audit_trail(
    browser: Browser, cworld: ConsoleWorld
) -> None:
    page = browser.page
    browser.open("/console/cases", "case-queue")
    page.select_option("#case-filter select[name=status]", "open")
    page.click("#case-filter button")
    page.click(f"#case-list a:text-is('{cworld.case_id}')")
    page.fill("#assign-form input[name=assignee]", "erin")
    page.click("#assign-form button")
    page.wait_for_selector("#case-assignee:text-is('erin')")
    page.fill("#note-form textarea", "ring confirmed from the timeline")
    page.click("#note-form button")
    page.wait_for_selector("#case-notes li:has-text('ring confirmed from the timeline')")
    page.select_option("#status-form select", "actioned")
    page.click("#status-form button")
    page.wait_for_selector("#case-status:text-is('actioned')")
    page.reload()
    page.screenshot(path=str(artifacts() / "case.png"), full_page=True)
    trail = page.locator("#audit-trail tbody tr").all_inner_texts()
    assert any("case.update" in row and "assignee" in row and "erin" in row for row in trail), trail
    assert any("case.note" in row for row in trail), trail
    assert any("status" in row and "open" in row and "actioned" in row for row in trail), trail
    assert all("key:" in row for row in trail if "case.update" in row or "case.note" in row)
    assert not browser.errors, browser.errors
    assert not browser.outside, browser.outside


def test_a_case_opened_from_a_merchant_page_shows_in_the_queue_with_who_opened_it(
    browser: Browser, cworld: ConsoleWorld
) -> None:
    page = browser.page
    merchant = cworld.quiet_merchants[1]
    browser.open(f"/console/merchants/{merchant}", "merchant-open-case")
    page.fill("#open-case-form input[name=title]", "prices far below the market")
    page.fill("#open-case-form textarea[name=note]", "opened from the merchant page")
    page.click("#open-case-form button")
    result = page.wait_for_selector("#open-case-result:has-text('Opened case')")
    assert result is not None
    case_id = result.inner_text().split("Opened case ", 1)[1].split(" ", 1)[0]
    assert page.locator("#open-case-form").count() == 0  # htmx swapped the form for the link
    # the page's own case list shows the new case too, without a reload (swapped out of band)
    assert page.locator(f"#subject-cases a:text-is('{case_id}')").count() == 1
    browser.open("/console/cases?status=open", "case-queue-opened")
    row = page.locator(f"#case-list tr:has(a:text-is('{case_id}'))")
    assert row.count() == 1 and "prices far below the market" in row.inner_text()
    page.click(f"#case-list a:text-is('{case_id}')")
    page.wait_for_selector("#audit-trail")
    page.screenshot(path=str(artifacts() / "case-opened.png"), full_page=True)
    trail = page.locator("#audit-trail tbody tr").all_inner_texts()
    assert any("case.open" in row and "key:" in row for row in trail), trail
    assert page.locator("#case-notes li:has-text('opened from the merchant page')").count() == 1
    # back on the merchant page, the case is linked and no second one can be opened
    browser.open(f"/console/merchants/{merchant}", "merchant-with-case")
    assert page.locator("#open-case-form").count() == 0
    assert page.locator(f"#open-case a:text-is('{case_id}')").count() == 1
    assert not browser.errors, browser.errors
    assert not browser.outside, browser.outside


def test_after_logging_out_analyst_pages_ask_for_a_key(browser: Browser) -> None:
    page = browser.page
    browser.open("/console/", "dashboard-analyst")
    page.click("header form button")
    page.wait_for_url(browser.url + "/console/")
    page.goto(browser.url + "/console/cases")
    assert "/console/login" in page.url
    page.screenshot(path=str(artifacts() / "login.png"), full_page=True)
    assert not browser.errors, browser.errors
