"""The console over a real analysed world: twins, roles and sessions, personal data, bounds, no CDN."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import PRIVATE_COLUMNS, ConsoleWorld, Needles

from sentinella.api import Service
from sentinella.web import VENDORED

STATIC = Path(__file__).resolve().parents[2] / "src" / "sentinella" / "web" / "static"


def analyst_pages(cworld: ConsoleWorld, service: Service) -> list[str]:
    ring = service.one("SELECT ring_id FROM ring_groups ORDER BY ring_id LIMIT 1")
    member = service.one(
        "SELECT member_id FROM pyramid_members WHERE network_id = ? LIMIT 1", [cworld.network]
    )
    assert ring and member
    return [
        "/console/",
        f"/console/merchants/{cworld.merchant}",
        "/console/pyramid",
        f"/console/pyramid/{cworld.network}",
        f"/console/members/{member['member_id']}",
        "/console/rings",
        f"/console/rings/{ring['ring_id']}",
        "/console/cases",
        f"/console/cases/{cworld.case_id}",
        "/console/rules",
    ]


def twin_of(path: str) -> str:
    return "/console/index.json" if path == "/console/" else f"{path}.json"


class Links(HTMLParser):
    """Every URL a page asks the browser to load or follow."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "hx-post", "hx-get", "data-children") and value:
                self.urls.append(value)


def test_every_page_has_a_json_twin_from_the_same_view(
    analyst: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    for path in analyst_pages(cworld, service):
        page = analyst.get(path)
        twin = analyst.get(twin_of(path))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert twin.status_code == 200 and twin.headers["content-type"] == "application/json", path
        embedded = re.search(
            r'<script type="application/json" id="page-data">(.*?)</script>', page.text, re.S
        )
        assert embedded, path
        assert json.loads(embedded.group(1)) == twin.json(), path  # the page renders exactly its twin
        assert analyst.get(path, params={"format": "json"}).json() == twin.json(), path


def test_pages_show_their_twins_figures(analyst: TestClient, cworld: ConsoleWorld) -> None:
    dashboard = analyst.get("/console/index.json").json()
    html = analyst.get("/console/").text
    for row in dashboard["counts"]:
        assert (
            f'<td>{row["kind"]}</td><td>{row["analysis"]}</td><td class="num">{row["count"]:,}</td>' in html
        )
    assert dashboard["top_merchants"][0]["subject_id"] in html
    network = analyst.get(f"/console/pyramid/{cworld.network}.json").json()
    html = analyst.get(f"/console/pyramid/{cworld.network}").text
    assert sum(level["members"] for level in network["levels"]) == network["network"]["members"]
    assert all(f["citation"] in html for f in network["findings"])
    merchant = analyst.get(f"/console/merchants/{cworld.merchant}.json").json()
    html = analyst.get(f"/console/merchants/{cworld.merchant}").text
    assert merchant["credit"]["explanation"] in html
    signals = [f["signal"] for f in merchant["risk"]["findings"]]
    assert "ring_boosted_shop" in signals
    ring_finding = merchant["risk"]["findings"][signals.index("ring_boosted_shop")]
    assert (
        ring_finding["evidence_rows"]["table"] == "ring_groups"
        and ring_finding["evidence_rows"]["total"] == 1
    )
    assert [h["rule_id"] for h in merchant["rule_hits"]] == ["brushed-shop"]
    listings = merchant["comparison"]["listings"]
    assert merchant["comparison"]["note"] is None and listings
    assert all(f"<td>{row['listing_id']}</td>" in html for row in listings)


def test_network_children_are_bounded_and_page_through_every_member(
    analyst: TestClient, service: Service
) -> None:
    widest = service.one(
        "SELECT network_id, level, count(*) AS n FROM pyramid_members WHERE network_id IS NOT NULL "
        "GROUP BY network_id, level ORDER BY n DESC, network_id, level LIMIT 1"
    )
    assert widest and widest["n"] > 1
    url = f"/console/pyramid/{widest['network_id']}/children.json"
    seen: list[str] = []
    offset = 0
    while True:
        answer = analyst.get(url, params={"level": widest["level"], "offset": offset}).json()
        assert len(answer["children"]) <= 50
        assert answer["total"] == widest["n"]
        seen += [c["member_id"] for c in answer["children"]]
        assert answer["more"] == widest["n"] - len(seen)
        if not answer["more"]:
            break
        offset += len(answer["children"])
    expected = service.rows(
        "SELECT member_id FROM pyramid_members WHERE network_id = ? AND level = ?",
        [widest["network_id"], widest["level"]],
    )
    assert sorted(seen) == sorted(r["member_id"] for r in expected)
    sponsor = service.one(
        "SELECT m.sponsor_id, count(*) AS n FROM members m "
        "JOIN pyramid_members p ON p.member_id = m.member_id "
        "WHERE p.network_id = ? AND m.sponsor_id IS NOT NULL GROUP BY m.sponsor_id ORDER BY n DESC LIMIT 1",
        [widest["network_id"]],
    )
    assert sponsor
    recruits = analyst.get(url, params={"member": sponsor["sponsor_id"]}).json()
    assert recruits["total"] == sponsor["n"] == len(recruits["children"]) + recruits["more"]
    bad = analyst.get(url, params={"level": 1, "member": sponsor["sponsor_id"]})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_analyst_pages_need_an_analyst_session(
    public: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    for path in analyst_pages(cworld, service)[2:]:
        page = public.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/console/login?next="), path
        assert public.get(twin_of(path)).status_code == 401, path
    public.post("/console/login", data={"key": cworld.ingest})
    assert public.get("/console/rings").status_code == 403
    assert "needs role analyst" in public.get("/console/rings").text
    public.cookies.clear()
    refused = public.post("/console/login", data={"key": cworld.revoked})
    assert refused.status_code == 401 and "unknown or revoked" in refused.text
    assert (
        public.get("/console/rings.json", headers={"Authorization": f"Bearer {cworld.analyst}"}).status_code
        == 200
    )
    assert (
        public.get("/console/rings.json", headers={"Authorization": f"Bearer {cworld.revoked}"}).status_code
        == 401
    )


def test_the_session_cookie_is_signed_httponly_and_ends_with_its_key(
    app_client: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    from sentinella.api import create_key, revoke_key

    app_client.cookies.clear()
    with service.writing() as connection:
        key, record = create_key(connection, role="analyst", actor="test")
    answer = app_client.post(
        "/console/login", data={"key": key, "next": "/console/rings"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/rings"
    header = answer.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and key.split("_")[2].lower() not in header
    assert app_client.get("/console/rings", follow_redirects=False).status_code == 200
    cookie = app_client.cookies.get("sentinella_session")
    assert cookie
    forged = cookie.replace(cookie[-4:], "0000" if cookie[-4:] != "0000" else "1111")
    app_client.cookies.set("sentinella_session", forged, path="/console")
    assert app_client.get("/console/rings", follow_redirects=False).status_code == 303
    app_client.cookies.set("sentinella_session", cookie, path="/console")
    with service.writing() as connection:
        revoke_key(connection, record.key_id, actor="test")
    assert app_client.get("/console/rings", follow_redirects=False).status_code == 303
    assert (
        app_client.post("/console/login", data={"key": key, "next": "https://evil.example/"}).status_code
        == 401
    )
    again = app_client.post(
        "/console/login", data={"key": cworld.analyst, "next": "//evil.example/"}, follow_redirects=False
    )
    assert again.headers["location"] == "/console/"


def test_case_changes_need_the_forms_token_and_are_audited(analyst: TestClient, cworld: ConsoleWorld) -> None:
    url = f"/console/cases/{cworld.case_id}"
    refused = analyst.post(url, data={"action": "assign", "assignee": "mallory"}, follow_redirects=False)
    assert refused.status_code == 403
    assert analyst.get(f"{url}.json").json()["case"]["assignee"] != "mallory"
    page = analyst.get(url).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token
    done = analyst.post(
        url,
        data={"action": "assign", "assignee": "dana", "csrf": token.group(1)},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and 'id="case-assignee">dana<' in done.text
    assert "<html" not in done.text  # htmx gets the panel only
    bad = analyst.post(
        url,
        data={"action": "status", "status": "gone", "csrf": token.group(1)},
        headers={"HX-Request": "true"},
    )
    assert "status: must be one of" in bad.text
    case = analyst.get(f"{url}.json").json()["case"]
    assignments = [e for e in case["audit"] if e["field"] == "assignee"]
    assert assignments[-1]["after"] == "dana" and assignments[-1]["actor"].startswith("key:")


@pytest.mark.slow
def test_nothing_personal_reaches_the_public_role(
    public: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    private: set[str] = set()
    for column in PRIVATE_COLUMNS:
        private |= {
            str(r["v"]) for r in service.rows(f"SELECT DISTINCT {column} AS v FROM members") if r["v"]
        }
    for column in ("ship_to", "device_id"):
        private |= {str(r["v"]) for r in service.rows(f"SELECT DISTINCT {column} AS v FROM orders") if r["v"]}
    private |= {str(r["v"]) for r in service.rows("SELECT DISTINCT name AS v FROM merchants") if r["v"]}
    needles = Needles(private)
    shortest = min(private, key=len)
    assert needles.found(f"<td>{shortest}</td>") == [shortest]  # the search finds even the shortest value
    members = {r["member_id"] for r in service.rows("SELECT member_id FROM members")}
    assert len(needles) > 1000
    merchants = [r["merchant_id"] for r in service.rows("SELECT merchant_id FROM merchants ORDER BY 1")]
    some = [
        cworld.merchant,
        *merchants[::12],
    ]  # pages rendered in full for a sample; twins for every merchant
    walks = {
        None: [
            "/console/",
            "/console/login",
            *analyst_pages(cworld, service)[2:],
            *[f"/console/merchants/{m}" for m in some],
        ],
        cworld.ingest: [
            "/console/",
            *analyst_pages(cworld, service)[2:],
            *[f"/console/merchants/{m}" for m in some],
        ],
    }
    urls_walked = 0
    for key, paths in walks.items():  # the public, and a logged-in key of another role
        public.cookies.clear()
        if key:
            public.post("/console/login", data={"key": key})
        urls = [(p, u) for p in paths for u in {p, twin_of(p) if p != "/console/login" else p}]
        if key is None:
            urls += [(f"/console/merchants/{m}", f"/console/merchants/{m}.json") for m in merchants]
        for path, url in urls:
            answer = public.get(url, follow_redirects=False)
            assert answer.status_code in (200, 303, 401, 403, 404), (url, answer.status_code)
            text = answer.text.replace(path, "")  # the page may echo the address asked for
            leaked = needles.found(text)
            assert not leaked, (url, leaked[:3])
            ids = set(re.findall(r"M\d{9}", text)) & members
            assert not ids, (url, sorted(ids)[:3])  # not even member IDs
            urls_walked += 1
    assert urls_walked > len(merchants) + 2 * len(some)
    card = public.get(f"/console/merchants/{cworld.merchant}.json").json()
    assert set(card) == {"merchant_id", "credit", "comparison"} and card["credit"]["points"] is not None


class TestNoExternalUrls:
    def test_no_page_references_another_site(
        self, analyst: TestClient, cworld: ConsoleWorld, service: Service
    ) -> None:
        checked = 0
        for path in [*analyst_pages(cworld, service), "/console/login"]:
            answer = analyst.get(path)
            assert "default-src 'self'" in answer.headers["content-security-policy"]
            links = Links()
            links.feed(answer.text)
            assert links.urls, path
            for url in links.urls:
                assert url.startswith(("/", "?", "#", "data:")) and not url.startswith("//"), (path, url)
                checked += 1
            assert "https://" not in answer.text.split('id="page-data"')[0], path
        assert checked > 50

    def test_every_vendored_library_is_served_with_its_version_and_licence(self, analyst: TestClient) -> None:
        names = {"htmx.org": "htmx"}
        for package, version in VENDORED.items():
            stem = f"{names.get(package, package)}-{version}"
            script = analyst.get(f"/console/static/vendor/{stem}.min.js")
            assert script.status_code == 200 and len(script.content) > 10_000, stem
            assert (STATIC / "vendor" / f"{stem}.LICENSE.txt").read_text().strip(), stem
        used = set(re.findall(r"vendor/([\w.-]+\.min\.js)", analyst.get("/console/pyramid").text))
        shipped = {p.name for p in (STATIC / "vendor").glob("*.min.js")}
        assert used <= shipped


def test_the_console_stays_out_of_the_api_schema(public: TestClient) -> None:
    paths = public.get("/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/console") or p == "/"]
    assert public.get("/", follow_redirects=False).headers["location"] == "/console/"


def test_missing_things_answer_404_pages_and_problems(analyst: TestClient) -> None:
    page = analyst.get("/console/merchants/NO-SUCH")
    assert page.status_code == 404 and "no credit for merchant" in page.text and "<html" in page.text
    twin = analyst.get("/console/merchants/NO-SUCH.json")
    assert twin.status_code == 404 and twin.json()["detail"] == "no credit for merchant 'NO-SUCH'"
    assert analyst.get("/console/cases/C-NOPE.json").status_code == 404
    assert analyst.get("/console/pyramid/NOPE").status_code == 404


@pytest.mark.parametrize("loop", [False, True])
def test_upline_walks_to_the_top_and_stops_where_a_chain_loops(loop: bool) -> None:
    from sentinella.store import Store
    from sentinella.web._data import upline

    service = Service(Store.open(":memory:"))
    try:
        with service.writing() as connection:
            connection.execute(
                "INSERT INTO members (member_id, sponsor_id) "
                "VALUES ('a', ?), ('b', 'a'), ('c', 'b'), ('d', 'c')",
                ["d" if loop else None],
            )
        found = upline(service, "d")
        assert [r["member_id"] for r in found["path"]] == ["c", "b", "a"]
        assert found["loop"] is loop
    finally:
        service.close()


def test_the_consoles_sql_is_portable(
    analyst: TestClient, cworld: ConsoleWorld, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every query the console's own views run transpiles to Spark SQL and uses no DuckDB-only names."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    from sentinella.web import _data

    seen: list[str] = []
    rows = Service.rows

    def recording(self: Service, sql: str, params: list[object] | None = None) -> list[dict[str, object]]:
        seen.append(sql)
        return rows(self, sql, params)

    monkeypatch.setattr(Service, "rows", recording)
    for path in analyst_pages(cworld, service):
        assert analyst.get(twin_of(path)).status_code == 200
    analyst.get(f"/console/pyramid/{cworld.network}/children.json", params={"level": 1})
    _data.upline(service, cworld.network)
    own = [sql for sql in seen if "information_schema.tables" not in sql]
    assert len(own) > 30
    duckdb_only = re.compile(r"\b(list_\w+|epoch_us|rowid|strftime|struct_pack|regexp_matches)\b", re.I)
    for sql in own:
        assert not duckdb_only.search(sql), sql
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


def test_the_lookup_box_goes_to_the_page_of_that_id(analyst: TestClient, cworld: ConsoleWorld) -> None:
    answer = analyst.get(
        "/console/lookup", params={"kind": "network", "id": cworld.network}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/pyramid/{cworld.network}"
    hostile = analyst.get(
        "/console/lookup", params={"kind": "case", "id": "../../x?y"}, follow_redirects=False
    )
    assert hostile.headers["location"] == "/console/cases/..%2F..%2Fx%3Fy"
    assert analyst.get("/console/lookup", params={"kind": "file", "id": "x"}).status_code == 422
