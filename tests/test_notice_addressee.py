"""A 督办通知书 goes to the unit that rectifies (a bureau for its sections' items), one per
rectifying unit, rung and day, named by path when another unit shares its title."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document
from test_cli_common import Cli, site

DEFINITION = Path(__file__).resolve().parent / "data" / "lanzheng-2015.yaml"
KEY = "lanzheng-2015"

# two counties, each with a 财政局 (a bureau: it rectifies) and its sections
UNITS = """代码,名称,上级,类型
jm,荆门市,,city
sy,沙洋县,jm,county
sy-dcs,县委县政府督查室,sy,office
sy-czj,财政局,sy,bureau
sy-ysg,预算股,sy-czj,section
sy-bgs,办公室,sy-czj,section
zx,钟祥市,jm,county
zx-czj,财政局,zx,bureau
zx-ysg,预算股,zx-czj,section
rsj,县人社局,sy,bureau
rsj-jyg,就业股,rsj,section
"""
PEOPLE = """编号,姓名,单位,角色
du,刘晓东,sy-dcs,county-supervision
sy-head,李局长,sy-czj,unit-head
zx-head,陈局长,zx-czj,unit-head
rsj-head,王局长,rsj,unit-head
"""


def planned(cli: Cli, title: str, unit: str, head: str) -> str:
    code = cli.ok("item", "add", KEY, "--title", title, "--unit", unit, "--category", "slow",
                  "--source", "inspection", "--actor", "du", "--as-of", "2015-06-02").strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "du", "--as-of", "2015-06-02")
    cli.ok("item", "rectify", code, "--measures", "限时办结", "--deadline", "2015-06-30",
           "--actor", head, "--as-of", "2015-06-02")
    return code


def test_notices_go_to_the_rectifying_unit_named_without_ambiguity(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "n.db")
    site(cli, tmp_path, UNITS, PEOPLE, "2015-05-04")
    cli.ok("campaign", "start", str(DEFINITION), "--start", "2015-05-04", "--actor", "du",
           "--as-of", "2015-05-04")
    budget = planned(cli, "预算批复拖延", "sy-ysg", "sy-head")
    office = planned(cli, "公文办理压件", "sy-bgs", "sy-head")
    other = planned(cli, "资金拨付拖延", "zx-ysg", "zx-head")
    jobs = planned(cli, "补贴审核拖延", "rsj-jyg", "rsj-head")
    cli.ok("tick", KEY, "--as-of", "2015-07-01")  # due 06-30: 督办 on Wednesday 07-01

    out = cli.ok("notices", KEY, "--issue", "--level", "督办", "--as-of", "2015-07-01",
                 "--actor", "du", "-o", str(tmp_path / "n.docx"))
    issued = [line for line in out.splitlines() if line.startswith("issued ")]
    assert issued == [
        "issued 沙督〔2015〕1号 to 县人社局 (督办, 2015-07-01, 1 item(s), reply by 2015-07-08)",
        "issued 沙督〔2015〕2号 to 沙洋县/财政局 (督办, 2015-07-01, 2 item(s), reply by 2015-07-08)",
        "issued 沙督〔2015〕3号 to 钟祥市/财政局 (督办, 2015-07-01, 1 item(s), reply by 2015-07-08)"]
    assert out.splitlines()[-1].startswith("3 document(s) listing 4 notice(s) for 3 unit(s)")

    paragraphs = [p.text for p in Document(str(tmp_path / "n.docx")).paragraphs]
    assert [p for p in paragraphs if p.endswith("：")] == ["县人社局：", "沙洋县/财政局：", "钟祥市/财政局："]
    assert "就业股：" not in paragraphs and "预算股：" not in paragraphs
    tables = Document(str(tmp_path / "n.docx")).tables
    rows = [[[c.text for c in row.cells][1:3] for row in t.rows[1:]] for t in tables]
    assert rows == [[[jobs, "补贴审核拖延（就业股）"]],
                    [[budget, "预算批复拖延（预算股）"], [office, "公文办理压件（办公室）"]],
                    [[other, "资金拨付拖延（预算股）"]]]
    # the listing still shows each item's own unit
    listed = json.loads(cli.ok("notices", KEY, "--level", "督办", "--json", "--as-of", "2015-07-01"))
    assert sorted(n["unit"] for n in listed) == ["办公室", "就业股", "预算股", "预算股"]
