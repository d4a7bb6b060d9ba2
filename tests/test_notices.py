"""``rectify notices``: listing and exporting escalation notices, and the printable 督办通知书."""

from __future__ import annotations

import csv
import io
import os

import pytest
from clock_fixtures import Rectify, add_planned, setup_campaign

REPORTER = "举报人王五"
CONTACT = "13900001111"
NASTY = '<script>alert("x")</script>窗口 & 拖延'


@pytest.fixture(scope="module")
def r(tmp_path_factory: pytest.TempPathFactory) -> Rectify:
    """Three rectifications ticked to 2015-11-03: two of 县财政局's, one of 县税务局's."""
    rectify = Rectify(str(tmp_path_factory.mktemp("notices") / "n.db"))
    setup_campaign(rectify)
    rectify.codes = [  # type: ignore[attr-defined]
        add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-09-30", title=NASTY,
                    source="public-report", reporter=REPORTER, reporter_contact=CONTACT),
        add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-10-30", title="会议纪要不落实"),
        add_planned(rectify, "wgbw-2015", "2015-08-04", "2015-09-30", title="办事推诿", unit="tax",
                    head="taxboss"),
    ]
    rectify.ok("tick", "wgbw-2015", "--as-of", "2015-11-03")
    return rectify


def test_list_in_issue_order_with_people_joined(r: Rectify) -> None:
    first, second, third = r.codes  # type: ignore[attr-defined]
    rows = r.json("notices", "wgbw-2015")
    assert [(n["issued_on"], n["level"], n["code"], n["unit"]) for n in rows] == [
        ("2015-09-25", "reminder", first, "县财政局"),
        ("2015-09-25", "reminder", third, "县税务局"),
        ("2015-10-01", "supervision", first, "县财政局"),
        ("2015-10-01", "supervision", third, "县税务局"),
        ("2015-10-27", "reminder", second, "县财政局"),
        ("2015-10-31", "supervision", second, "县财政局"),
        ("2015-11-03", "circular", first, "县财政局"),
        ("2015-11-03", "circular", third, "县税务局"),
    ]
    supervision = rows[2]
    assert supervision == {
        "issued_on": "2015-10-01", "kind": "escalation", "level": "supervision",
        "level_title": "督办", "to": "县财政局", "unit": "县财政局",
        "unit_code": "fin", "code": first, "title": NASTY, "leader": "张局长", "person": "钱科员",
        "deadline": "2015-09-30", "original_deadline": "2015-09-30", "days_overdue": 1,
        "new_deadline": "2015-10-20", "action": "下发督办意见，明确整改措施和整改时限",
        "reason": "", "document": "", "status": ""}
    assert rows[3]["leader"] == rows[3]["person"] == "赵局长"


def test_filters(r: Rectify) -> None:
    first, second, third = r.codes  # type: ignore[attr-defined]
    by_key = r.json("notices", "wgbw-2015", "--level", "supervision")
    assert [n["code"] for n in by_key] == [first, third, second]
    assert r.json("notices", "wgbw-2015", "--level", "督办") == by_key
    since = r.json("notices", "wgbw-2015", "--since", "2015-10-27")
    assert [(n["issued_on"], n["level"]) for n in since] == [
        ("2015-10-27", "reminder"), ("2015-10-31", "supervision"), ("2015-11-03", "circular"),
        ("2015-11-03", "circular")]
    assert {n["code"] for n in r.json("notices", "wgbw-2015", "--unit", "tax")} == {third}
    assert r.json("notices", "wgbw-2015", "--level", "accountability") == []


def test_csv_export(r: Rectify) -> None:
    text = r.ok("notices", "wgbw-2015", "--csv", "--level", "circular")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["issued_on", "kind", "level", "level_title", "to", "unit", "code",
                             "title", "leader", "person", "deadline", "days_overdue",
                             "new_deadline", "action", "reason", "document", "status"]
    assert [(x["issued_on"], x["level_title"], x["deadline"], x["days_overdue"]) for x in rows] == [
        ("2015-11-03", "通报", "2015-10-20", "14"), ("2015-11-03", "通报", "2015-10-20", "14")]


def test_table_output(r: Rectify) -> None:
    text = r.ok("notices", "wgbw-2015", "--level", "reminder")
    assert text.splitlines()[0].split()[:6] == ["issued", "kind", "level", "title", "addressee", "unit"]
    assert "提醒责任单位按期完成整改" in text


def test_unknown_level(r: Rectify) -> None:
    out = r.fails(2, "notices", "wgbw-2015", "--level", "supervise")
    assert "unknown escalation level 'supervise'" in out and "did you mean 'supervision'?" in out


def test_printable_notice_per_unit_level_and_day(r: Rectify, tmp_path: os.PathLike[str]) -> None:
    first, second, third = r.codes  # type: ignore[attr-defined]
    folder = os.path.join(str(tmp_path), "html")
    out = r.ok("notices", "wgbw-2015", "--level", "supervision", "--html", folder)
    assert out.startswith("3 document(s) listing 3 notice(s) for 2 unit(s)")
    assert sorted(os.listdir(folder)) == ["fin-supervision-2015-10-01.html",
                                          "fin-supervision-2015-10-31.html",
                                          "tax-supervision-2015-10-01.html"]
    with open(os.path.join(folder, "fin-supervision-2015-10-01.html"), encoding="utf-8") as fh:
        page = fh.read()
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert page.count("<h1>督办通知书</h1>") == 1
    assert '<p class="number">（草稿，未编号）</p>' in page  # not issued: a draft
    assert "<p>县财政局：</p>" in page and "县税务局" not in page
    assert first in page and second not in page and third not in page
    assert "下列1项整改事项已逾期未完成，现予以督办" in page
    assert "张局长" in page and "钱科员" in page and "2015-09-30" in page and "2015-10-20" in page
    assert "并于2015年10月13日前" in page  # reply_within: 5 working days (10-01..07 a holiday)
    assert "县委组织部<br>2015年10月1日" in page  # the issuer, and the day of the notices
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;窗口 &amp; 拖延" in page
    assert "<script>" not in page


def test_all_documents_in_one_file(r: Rectify, tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "all.html")
    out = r.ok("notices", "wgbw-2015", "-o", path)
    assert out.startswith("8 document(s) listing 8 notice(s) for 2 unit(s)")
    with open(path, encoding="utf-8") as fh:
        page = fh.read()
    assert page.count("<section>") == 8 and "page-break-after: always" in page
    assert page.index("<p>县财政局：</p>") < page.index("<p>县税务局：</p>")
    assert page.count("<tr><td class=n>") == 8
    assert page.count("下列1项整改事项") == 8  # each notice of a unit, level and day its own


def test_the_reporter_is_never_exported(r: Rectify, tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "all.html")
    r.ok("notices", "wgbw-2015", "-o", path)
    with open(path, encoding="utf-8") as fh:
        html = fh.read()
    outputs = [html, r.ok("notices", "wgbw-2015", "--json"), r.ok("notices", "wgbw-2015", "--csv"),
               r.ok("notices", "wgbw-2015")]
    for text in outputs:
        assert REPORTER not in text and CONTACT not in text


def test_no_notices_writes_nothing(r: Rectify, tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "none.html")
    out = r.ok("notices", "wgbw-2015", "--level", "accountability", "-o", path)
    assert out == "0 document(s) listing 0 notice(s) for 0 unit(s): nothing written\n"
    assert not os.path.exists(path)
