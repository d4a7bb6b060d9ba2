"""签收: a unit's own people sign for the numbered documents addressed to it, once; the office
lists who has not; a withdrawn document is never signed; the signature is an event of the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clock_fixtures import Rectify, add_planned, setup_campaign


@pytest.fixture
def r(tmp_path: Path) -> Rectify:
    """Two documents issued on 2015-10-01: 督办 to 县财政局 and to 县税务局."""
    rectify = Rectify(str(tmp_path / "s.db"))
    setup_campaign(rectify)
    add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-09-30", title="窗口服务拖延")
    add_planned(rectify, "wgbw-2015", "2015-08-04", "2015-09-30", title="办事推诿", unit="tax",
                head="taxboss")
    rectify.ok("tick", "wgbw-2015", "--as-of", "2015-10-01")
    rectify.ok("notices", "wgbw-2015", "--issue", "--level", "supervision", "--as-of", "2015-10-01",
               "--actor", "sup")
    return rectify


FIN, TAX = "县组督〔2015〕1号", "县组督〔2015〕2号"


def test_a_unit_signs_and_the_office_sees_who_has_not(r: Rectify) -> None:
    listed = r.json("document", "list", "wgbw-2015", "--as-of", "2015-10-02")
    assert [(d["number"], d["unit"], d["status"], d["waiting_days"]) for d in listed] == [
        (FIN, "县财政局", "unsigned", 1), (TAX, "县税务局", "unsigned", 1)]
    out = r.ok("document", "sign", "wgbw-2015", FIN, "--actor", "staff", "--note", "已转办",
               "--as-of", "2015-10-02")
    assert out.strip() == f"{FIN}: signed for 县财政局 by staff on 2015-10-02"
    unsigned = r.json("document", "list", "wgbw-2015", "--unsigned", "--as-of", "2015-10-05")
    assert [(d["number"], d["waiting_days"]) for d in unsigned] == [(TAX, 4)]
    both = r.json("document", "list", "wgbw-2015", "--as-of", "2015-10-05")
    assert (both[0]["status"], both[0]["signed_by"], both[0]["signed_on"]) == \
        ("signed", "staff", "2015-10-02")
    (row,) = r.sql("SELECT subject_key, actor, note, payload FROM events WHERE trigger = 'sign'")
    assert row[:3] == (FIN, "staff", "已转办")
    assert json.loads(row[3]) == {"number": FIN, "unit": "fin", "person": "staff"}
    # as of the day before, it was not yet signed: the view reads the log as of its date
    before = r.json("document", "list", "wgbw-2015", "--as-of", "2015-10-01")
    assert before[0]["status"] == "unsigned"
    assert "unsigned" in r.ok("document", "list", "wgbw-2015", "--unit", "tax",
                              "--as-of", "2015-10-05")
    assert FIN not in r.ok("document", "list", "wgbw-2015", "--unit", "tax", "--as-of", "2015-10-05")


def test_only_the_addressed_unit_signs_and_only_once(r: Rectify) -> None:
    before = r.snapshot()
    out = r.fails(1, "document", "sign", "wgbw-2015", TAX, "--actor", "staff", "--as-of", "2015-10-02")
    assert "staff is not of 县税务局, to which 县组督〔2015〕2号 is addressed" in out
    out = r.fails(1, "document", "sign", "wgbw-2015", "县组督〔2015〕9号", "--actor", "staff",
                  "--as-of", "2015-10-02")
    assert "issued no document numbered '县组督〔2015〕9号'" in out and "did you mean" in out
    out = r.fails(1, "document", "sign", "wgbw-2015", FIN, "--actor", "staff",
                  "--as-of", "2015-09-30")
    assert "before the campaign's latest recorded change" in out or "issued on 2015-10-01" in out
    assert r.snapshot() == before
    r.ok("document", "sign", "wgbw-2015", TAX, "--actor", "taxboss", "--as-of", "2015-10-02")
    out = r.fails(1, "document", "sign", "wgbw-2015", TAX, "--actor", "taxboss",
                  "--as-of", "2015-10-03")
    assert f"{TAX} was signed for by taxboss on 2015-10-02" in out
