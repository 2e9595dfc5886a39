"""Opening a case by hand from the console: the form on subject pages, roles, duplicates, evidence.

Also: a key of role admin sees and does in the console at least what an analyst's key does.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from web_helpers import ConsoleWorld

from sentinella.api import Service

HX = {"HX-Request": "true"}


def token(client: TestClient, path: str) -> str:
    """The page's form token (its open-case form must be there)."""
    page = client.get(path)
    assert page.status_code == 200, path
    assert 'id="open-case-form"' in page.text, path
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def cases_on(service: Service, subject: str) -> list[dict[str, object]]:
    return service.rows("SELECT * FROM cases WHERE subject_id = ? ORDER BY case_id", [subject])


def key_id(key: str) -> str:
    return key.split("_")[1]


def fresh_member(service: Service) -> str:
    """A member no case is about yet."""
    row = service.one(
        "SELECT member_id FROM members WHERE member_id NOT IN (SELECT subject_id FROM cases) "
        "ORDER BY member_id DESC LIMIT 1"
    )
    assert row is not None
    return str(row["member_id"])


def test_an_analyst_opens_a_case_from_a_member_page(
    analyst: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    path = f"/console/members/{cworld.quiet_member}"
    assert cases_on(service, cworld.quiet_member) == []
    answer = analyst.post(
        "/console/cases",
        data={
            "csrf": token(analyst, path),
            "subject_kind": "member",
            "subject_id": cworld.quiet_member,
            "title": "recruits paid to join",
            "note": "seen on the level chart",
        },
        headers=HX,
    )
    assert answer.status_code == 200 and "<html" not in answer.text
    opened = re.search(r"Opened case <a href=\"/console/cases/(C\d+)\"", answer.text)
    assert opened, answer.text
    case_id = opened.group(1)
    # the page's case list comes back too, swapped out of band, with the new case in it
    oob = answer.text.split('<div id="subject-cases" hx-swap-oob="true">', 1)
    assert len(oob) == 2 and f'href="/console/cases/{case_id}"' in oob[1], answer.text
    [row] = cases_on(service, cworld.quiet_member)
    assert row["case_id"] == case_id and row["status"] == "open" and row["source"] == "hand"
    assert row["title"] == "recruits paid to join" and row["opened_by"] == f"key:{key_id(cworld.analyst)}"
    case = analyst.get(f"/console/cases/{case_id}.json").json()["case"]
    assert [n["text"] for n in case["notes"]] == ["seen on the level chart"]
    [opening] = [e for e in case["audit"] if e["action"] == "case.open"]
    assert opening["actor"] == f"key:{key_id(cworld.analyst)}" and opening["after"] == "open"
    queue = analyst.get("/console/cases.json", params={"status": "open"}).json()["cases"]
    assert case_id in [c["case_id"] for c in queue]
    # the page now links the case instead of offering the form again
    page = analyst.get(path).text
    assert 'id="open-case-form"' not in page and f'href="/console/cases/{case_id}"' in page


def test_opening_again_links_the_active_case_and_writes_nothing(
    analyst: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    merchant = cworld.quiet_merchants[0]
    form = {
        "csrf": token(analyst, f"/console/merchants/{merchant}"),
        "subject_kind": "merchant",
        "subject_id": merchant,
        "title": "first look",
    }
    first = analyst.post("/console/cases", data=form, follow_redirects=False)
    assert first.status_code == 303
    [row] = cases_on(service, merchant)
    assert first.headers["location"] == f"/console/cases/{row['case_id']}"
    events = service.rows("SELECT * FROM audit_log WHERE target_id = ?", [row["case_id"]])
    # a stale page (opened before the case was) posts again: the case layer returns the active case
    again = analyst.post("/console/cases", data={**form, "title": "second look", "note": "dup"}, headers=HX)
    assert "already has an active case" in again.text and "Nothing was written" in again.text
    assert f'href="/console/cases/{row["case_id"]}"' in again.text
    assert cases_on(service, merchant) == [row]  # no second case, title unchanged
    assert service.rows("SELECT * FROM audit_log WHERE target_id = ?", [row["case_id"]]) == events
    assert service.rows("SELECT * FROM case_notes WHERE case_id = ?", [row["case_id"]]) == []
    plain = analyst.post("/console/cases", data=form, follow_redirects=False)
    assert plain.headers["location"] == first.headers["location"]


def test_a_ring_page_opens_a_case_on_its_merchant_with_the_ring_as_evidence(
    analyst: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    path = f"/console/rings/{cworld.ring}"
    form = {
        "csrf": token(analyst, path),
        "subject_kind": "merchant",
        "subject_id": cworld.ring_merchant,
        "ring_id": cworld.ring,
        "title": "boosted by a ring",
    }
    # a ring that does not boost the posted merchant is refused, and nothing is opened
    wrong = analyst.post("/console/cases", data={**form, "subject_id": cworld.quiet_merchants[1]}, headers=HX)
    assert "ring_id: no ring" in wrong.text and 'id="open-case-form"' in wrong.text
    assert cases_on(service, cworld.quiet_merchants[1]) == []
    answer = analyst.post("/console/cases", data=form, headers=HX)
    assert "Opened case" in answer.text
    assert "subject-cases" not in answer.text  # a ring's page has no case list to swap
    [row] = cases_on(service, cworld.ring_merchant)
    case = analyst.get(f"/console/cases/{row['case_id']}.json").json()["case"]
    assert [(e["table_name"], e["key"]) for e in case["evidence"]] == [
        ("ring_groups", {"ring_id": cworld.ring})
    ]
    assert 'id="open-case-form"' not in analyst.get(path).text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "title: must not be empty"),
        ({"title": "x" * 501}, "title: longer than 500"),
        ({"note": "x" * 10_001}, "note: longer than"),
        ({"subject_id": "no-such-member"}, "no member &#39;no-such-member&#39; in the store"),
        ({"subject_kind": "network"}, "subject_kind: must be one of"),
    ],
)
def test_a_refused_form_comes_back_with_its_reason_and_opens_nothing(
    analyst: TestClient, cworld: ConsoleWorld, service: Service, change: dict[str, str], message: str
) -> None:
    before = service.one("SELECT count(*) AS n FROM cases")
    member = fresh_member(service)
    form = {
        "csrf": token(analyst, f"/console/members/{member}"),
        "subject_kind": "member",
        "subject_id": member,
        "title": "a title",
        "note": "kept in the form",
        **change,
    }
    answer = analyst.post("/console/cases", data=form, headers=HX)
    assert answer.status_code == 200 and message in answer.text, answer.text
    assert 'id="open-case-form"' in answer.text and (form["note"] in answer.text)
    assert service.one("SELECT count(*) AS n FROM cases") == before
    plain = analyst.post("/console/cases", data=form, follow_redirects=False)
    assert plain.status_code == 422


def test_only_roles_that_write_cases_see_or_use_the_form(
    app_client: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    merchant = cworld.quiet_merchants[1]
    path = f"/console/merchants/{merchant}"
    form = {"subject_kind": "merchant", "subject_id": merchant, "title": "should not open"}
    app_client.cookies.clear()
    public_page = app_client.get(path)
    assert public_page.status_code == 200 and "open-case" not in public_page.text
    refused = app_client.post("/console/cases", data=form, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/console/login")
    # an ingest key: logged in, so the form token is valid, but its role may not write cases
    assert (
        app_client.post("/console/login", data={"key": cworld.ingest}, follow_redirects=False).status_code
        == 303
    )
    page = app_client.get(path).text
    assert "open-case" not in page
    csrf = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page)
    assert csrf
    denied = app_client.post("/console/cases", data={**form, "csrf": csrf.group(1)}, headers=HX)
    assert "needs role analyst or admin; your key has role ingest" in denied.text
    app_client.cookies.clear()
    bearer = app_client.post(
        "/console/cases",
        data=form,
        headers={"Authorization": f"Bearer {cworld.ingest}"},
        follow_redirects=False,
    )
    assert bearer.status_code == 403
    assert cases_on(service, merchant) == []


def test_an_admin_key_sees_and_does_what_an_analyst_does(
    app_client: TestClient, cworld: ConsoleWorld, service: Service
) -> None:
    app_client.cookies.clear()
    login = app_client.post("/console/login", data={"key": cworld.admin}, follow_redirects=False)
    assert login.status_code == 303
    for path in (
        "/console/rings",
        "/console/cases",
        "/console/rules",
        f"/console/members/{cworld.quiet_member}",
    ):
        assert app_client.get(path, follow_redirects=False).status_code == 200, path
    dashboard = app_client.get("/console/index.json").json()
    assert "top_merchants" in dashboard and "top_members" in dashboard
    merchant = app_client.get(f"/console/merchants/{cworld.merchant}.json").json()
    assert merchant["merchant"]["merchant_id"] == cworld.merchant  # the record: analysts' part
    # and it may work cases: change one, open one (by bearer key, as a script would)
    headers = {"Authorization": f"Bearer {cworld.admin}"}
    bearer = app_client.get("/console/rings.json", headers=headers)
    assert bearer.status_code == 200
    target = fresh_member(service)
    opened = app_client.post(
        "/console/cases",
        data={"subject_kind": "member", "subject_id": target, "title": "admin look"},
        headers=headers,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    [row] = cases_on(service, target)
    assert row["opened_by"] == f"key:{key_id(cworld.admin)}"
