"""A county with the seed-001 campaign, items in three units, and passwords, for the web tests.

Items (as of 2015-08-24): B of 县财政局 in progress (deadline 08-25: a yellow light), C of
县教育局 reported, a 县财政局 item with a reporter (confidential) and one whose title holds a
``<script>``; a closed one and a dismissed one from ``progressed_campaign``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign

from campaigns.credentials import set_password
from campaigns.db import Database
from campaigns.web.app import create_app

TODAY = dt.date(2015, 8, 24)
PASSWORD = "correct horse battery staple"
PEOPLE = ("lead", "sup", "zhang-czj", "li-czj", "chen-jyj", "wu-qsz")
SCRIPT = "<script>alert('x')</script>窗口"


@dataclass(frozen=True)
class Site:
    db: str
    closed: str
    czj: str  # in progress, 县财政局
    jyj: str  # reported, 县教育局
    dismissed: str
    secret: str  # 县财政局, with a reporter
    script: str  # 县财政局, a title with <script>


def build(path: str) -> Site:
    db = county(path)
    closed, czj, jyj, dismissed = progressed_campaign(db)
    secret = invoke(db, "item", "add", CAMPAIGN, "--title", "群众反映窗口推诿", "--unit", "czj",
                    "--category", "cold-service", "--source", "public-report",
                    "--reporter", "举报人甲", "--reporter-contact", "13900000000",
                    "--actor", "sup", "--as-of", "2015-08-20").output.strip()
    script = invoke(db, "item", "add", CAMPAIGN, "--title", SCRIPT, "--unit", "czj",
                    "--category", "cold-service", "--source", "self-inspection",
                    "--actor", "sup", "--as-of", "2015-08-20").output.strip()
    with Database(db).write() as conn:
        for key in PEOPLE:
            set_password(conn, key, PASSWORD, actor="admin")
    return Site(db, closed, czj, jyj, dismissed, secret, script)


def app(site: Site, **options: object) -> TestClient:
    return TestClient(create_app(site.db, today=lambda _tz: TODAY, **options))  # type: ignore[arg-type]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form secret"
    return found.group(1)


def signed_in(site: Site, key: str, **options: object) -> tuple[TestClient, str]:
    """A client signed in as ``key``, and its session's CSRF secret."""
    client = app(site, **options)
    page = client.get("/login")
    done = client.post("/login", data={"key": key, "password": PASSWORD,
                                       "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return client, csrf_of(client.get("/items").text)
