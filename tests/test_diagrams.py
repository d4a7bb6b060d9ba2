"""``rectify diagram``: every kind drawn with the real ``dot``, labels and counts read back from SVG."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from engine.io import diagrams as draw

ROOT = Path(__file__).resolve().parent.parent
WGBW = str(ROOT / "definitions" / "wgbw-2015.yaml")
BUZUOWEI = str(ROOT / "definitions" / "buzuowei-2015.yaml")
ZUOFENG = str(ROOT / "definitions" / "zuofeng-2009.yaml")
AS_OF = "2015-08-15"


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def dot() -> str:
    """Graphviz's dot: tests that draw need it; under CI a missing dot fails, never skips."""
    found = shutil.which("dot")
    if found is None:
        message = f"Graphviz 'dot' is not on PATH; install it: {draw.install_hint()}"
        if _ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def rectify(db: Path, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    if ok and result.exit_code != 0:
        raise AssertionError(f"rectify {' '.join(args)} failed ({result.exit_code}):\n"
                             f"{result.output}{result.exception!r}")
    return result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A small campaign: six items in various states across a three-level unit tree.

    On 2015-08-15: 县财政局 has an overdue item (deadline 07-20), one on time and one (in its
    office) verified and closed; 新城镇 has one dismissed, one still reported and one found in
    the supervise stage.  One rectification sits at the 'supervision' level of the ladder.
    """
    path = tmp_path / "c.db"
    rectify(path, "init", "--admin", "admin")
    rectify(path, "unit", "add", "--actor", "admin", "county", "--title", "某县")
    rectify(path, "unit", "add", "--actor", "admin", "czj", "--title", "县财政局", "--parent", "county")
    rectify(path, "unit", "add", "--actor", "admin", "czj-bgs", "--title", "办公室", "--parent", "czj")
    rectify(path, "unit", "add", "--actor", "admin", "xc", "--title", "新城镇", "--parent", "county")
    rectify(path, "unit", "add", "--actor", "admin", "dcs", "--title", "督查室", "--parent", "county")
    rectify(path, "person", "add", "--actor", "admin", "sup", "--name", "督查员", "--unit", "dcs",
            "--role", "supervision-office", "--role", "lead-office")
    rectify(path, "person", "add", "--actor", "admin",
            "head", "--name", "局长", "--unit", "czj", "--role", "unit-head")
    rectify(path, "campaign", "start", WGBW, "--start", "2015-07-01", "--actor", "sup")

    def add(unit: str, title: str, day: str) -> str:
        return rectify(path, "item", "add", "wgbw-2015", "--title", title, "--unit", unit,
                       "--category", "buck-passing", "--source", "public-report",
                       "--actor", "sup", "--as-of", day).strip().splitlines()[-1]

    def advance(trigger: str, code: str, day: str, *extra: str) -> None:
        rectify(path, "item", "advance", trigger, code, "--actor", "sup", "--as-of", day, *extra)

    late = add("czj", "办事拖拉", "2015-07-05")
    on_time = add("czj", "推诿扯皮", "2015-07-06")
    done = add("czj-bgs", "台账滞后", "2015-07-07")
    untrue = add("xc", "举报不实", "2015-07-08")
    add("xc", "窗口迟到", "2015-07-09")
    for code in (late, on_time, done):
        advance("confirm", code, "2015-07-10")
    for code, deadline in ((late, "2015-07-20"), (on_time, "2015-09-30"), (done, "2015-07-25")):
        rectify(path, "item", "rectify", code, "--measures", "整改", "--deadline", deadline,
                "--actor", "head", "--as-of", "2015-07-11")
    rectify(path, "item", "advance", "submit", done, "--actor", "head", "--as-of", "2015-07-20")
    advance("verify", done, "2015-07-22")
    advance("dismiss", untrue, "2015-07-23", "--note", "核实不属实")
    rectify(path, "campaign", "advance", "wgbw-2015", "--to", "supervise", "--actor", "sup",
            "--as-of", "2015-08-01")
    add("xc", "督查发现", "2015-08-05")
    with sqlite3.connect(path) as conn:  # the ladder's level, as the clock would set it
        conn.execute("UPDATE rectifications SET level = 'supervision' WHERE item_id = "
                     "(SELECT id FROM items WHERE code = ?)", (late,))
    return path


def texts(svg: Path) -> list[str]:
    """Every text run of an SVG, unescaped."""
    content = svg.read_text(encoding="utf-8")
    found = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", content)]
    return [t for t in found if t.strip()]


def draw_svg(db: Path, tmp_path: Path, *args: str) -> list[str]:
    out = tmp_path / "out.svg"
    output = rectify(db, "diagram", *args, "-o", str(out))
    assert f"wrote {out}" in output
    content = out.read_text(encoding="utf-8")
    assert content.lstrip().startswith(("<?xml", "<svg"))
    assert 'font-family="Noto Sans CJK SC"' in content
    return texts(out)


# --- every kind ----------------------------------------------------------------------------------


def test_stages_timeline(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--as-of", AS_OF)
    joined = "\n".join(found)
    for title in ("宣传动员", "自查整改", "监督检查", "建章立制"):
        assert title in found
    assert "开展“为官不为”行为专项治理 · stages" in found
    assert "mobilize · 2015-07-01 .. 2015-07-31" in found
    assert "supervise · 2015-08-01 .. 2015-12-31" in found
    assert "found 5 · open 3" in found  # mobilize: one closed and one dismissed of five
    assert "found 1 · open 1" in found  # supervise
    assert "opened 2015-07-01, closed 2015-08-01" in found  # mobilize is done
    assert "not opened yet" in joined  # institutionalize is upcoming
    assert f"as of {AS_OF}" in found
    for month in ("2015-07", "2015-08", "2015-12"):
        assert month in found
    for legend in ("done", "current (open)", "upcoming"):
        assert legend in found


def test_stage_counts_follow_the_items_stage_column(db: Path) -> None:
    from campaigns.db import Database
    from campaigns.diagrams import stage_figures
    from campaigns.reducer import campaign_at
    from campaigns.runs import load_run

    with Database(str(db)).read() as conn:
        run = load_run(conn, "wgbw-2015")
        figures = stage_figures(run, campaign_at(conn, run, dt.date(2099, 1, 1)).items)
    # mobilize: 5 found; closed (verified) and dismissed are done, three are open
    assert figures == {"mobilize": (5, 3), "supervise": (1, 1)}  # latest-starting window


def test_items_lifecycle_counts_and_shares(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "items", "--as-of", AS_OF)
    for title in ("待核实", "已确认", "已销号", "不属实", "已合并"):
        assert title in found
    # 6 items: reported 2 (33%), confirmed 2 (33%), closed 1 (17%), dismissed 1, merged 0
    assert found[found.index("待核实") + 2:found.index("待核实") + 4] == ["2", "(33%)"]
    assert found[found.index("已销号") + 3:found.index("已销号") + 5] == ["1", "(17%)"]
    assert found[found.index("已合并") + 3:found.index("已合并") + 5] == ["0", "(0%)"]
    assert "6 in all; fill: how many wait in a state (darker = more); double border: done states" \
        in found
    assert found.count("done") == 3  # the three done states are marked
    for edge in ("核实属实", "confirm", "办结销号", "close", "[整改已完成]", "[整改单位以外的人员方可操作]",
                 "[需填写说明]"):
        assert edge in found
    # close is no one's to fire: the edge says what fires it
    assert found[found.index("close") + 1] == "automatic, when 'verify' fires"
    assert "dashed: automatic steps; [ ]: what a step requires" in found


def test_rectifications_lifecycle_for_one_unit(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "rectifications", "--unit", "县财政局",
                     "--as-of", AS_OF)
    # 县财政局 and its office: two in progress, one verified
    assert found[found.index("整改中") + 2:found.index("整改中") + 4] == ["2", "(67%)"]
    assert found[found.index("验收通过") + 3:found.index("验收通过") + 5] == ["1", "(33%)"]
    assert found[found.index("待制定方案") + 2] == "0"
    assert "campaign wgbw-2015 · as of 2015-08-15 · unit 某县/县财政局 and below" in found
    assert "3 in all; fill: how many wait in a state (darker = more); double border: done states" \
        in found
    for edge in ("制定整改方案", "plan", "[问题已核实属实]", "撤销", "cancel"):
        assert edge in found
    # every guard in words, one a line, parameters filled in
    index = found.index("approve-extension")
    assert found[index + 1:index + 4] == ["[需提供参数 deadline]", "[deadline 不得早于业务日期]",
                                          "[整改单位以外的人员方可操作]"]
    assert found[found.index("cancel") + 1:found.index("cancel") + 3] == [
        "automatic, when 'dismiss' or", "'merge' fires"]


def test_escalation_ladder(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "escalation", "--as-of", AS_OF)
    for title in ("提醒", "督办", "通报", "问责", "not escalated"):
        assert title in found
    # four unfinished rectifications: one at 督办, three not escalated; two finished
    assert found[found.index("not escalated") + 1:found.index("not escalated") + 3] == ["3", "(75%)"]
    start = found.index("督办")
    assert found[found.index("new deadline: +10 working days", start) + 1] == "1"
    assert "下发督办意见，明确整改措施" in "".join(found)
    assert "deadline -3 working days" in found
    assert "deadline +1 calendar day" in found
    assert any("2 finished not counted" in t for t in found)


def test_units_tree_with_overdue(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "units", "--as-of", AS_OF)
    by_title = {found[i]: found[i + 1] for i in range(len(found) - 1)}
    assert by_title["某县"] == "open 4 · overdue 1 · closed 2"
    assert by_title["县财政局"] == "open 2 · overdue 1 · closed 1"
    assert by_title["办公室"] == "open 0 · overdue 0 · closed 1"
    assert by_title["新城镇"] == "open 2 · overdue 0 · closed 1"
    assert by_title["督查室"] == "no items"


def test_units_depth_folds_deeper_units(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "units", "--depth", "1", "--as-of", AS_OF)
    assert "办公室" not in found
    index = found.index("县财政局")
    assert found[index + 1:index + 3] == ["open 2 · overdue 1 · closed 1", "incl. 1 unit below"]
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "units", "--unit", "czj", "--depth", "0",
                     "--as-of", AS_OF)
    assert "某县" not in found and "新城镇" not in found
    assert found[found.index("县财政局") + 1] == "open 2 · overdue 1 · closed 1"


def test_overdue_depends_on_as_of(db: Path, tmp_path: Path, dot: str) -> None:
    found = draw_svg(db, tmp_path, "wgbw-2015", "--kind", "units", "--as-of", "2015-07-15")
    # on 07-15 the item verified on 08-01 was still open: counts are those of that day
    assert found[found.index("县财政局") + 1] == "open 3 · overdue 0 · closed 0"


# --- a definition alone ----------------------------------------------------------------------------


def test_definition_alone_needs_no_database(tmp_path: Path, dot: str, monkeypatch: pytest.MonkeyPatch,
                                             ) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "none.db"
    for kind in ("stages", "items", "rectifications", "escalation"):
        out = tmp_path / f"{kind}.svg"
        rectify(missing, "diagram", "--definition", WGBW, "--kind", kind, "-o", str(out))
        assert out.exists()
    assert not missing.exists()
    found = texts(tmp_path / "stages.svg")
    assert "self-inspect · 2015-08-01 .. 2015-08-31" in found
    assert "planned" in found
    found = texts(tmp_path / "rectifications.svg")
    assert "整改中" in found and "(0%)" not in found  # no counts without a campaign
    found = texts(tmp_path / "escalation.svg")
    assert "问责" in found and "deadline +30 working days" in found


def test_definition_timers_label_their_transitions(tmp_path: Path, dot: str) -> None:
    out = tmp_path / "z.svg"
    rectify(tmp_path / "none.db", "diagram", "--definition", ZUOFENG, "--kind", "rectifications",
            "-o", str(out))
    found = texts(out)
    index = found.index("deem-approved")
    assert found[index - 1] == "超时默许"
    assert found[index + 1:index + 4] == ["automatic, 5 working days in",
                                          "extension_requested (timer", "silence-is-consent)"]


def test_definition_offsets_shown_or_resolved(tmp_path: Path, dot: str) -> None:
    out = tmp_path / "b.svg"
    rectify(tmp_path / "none.db", "diagram", "--definition", BUZUOWEI, "-o", str(out))
    found = texts(out)
    assert "self-inspect · +15d .. +1m" in found
    assert "month 1" in found and "month 6" in found
    assert any("give --start DATE" in t for t in found)
    rectify(tmp_path / "none.db", "diagram", "--definition", BUZUOWEI, "--start", "2015-03-01",
            "--as-of", "2015-05-10", "-o", str(out))
    found = texts(out)
    assert "self-inspect · 2015-03-16 .. 2015-03-31" in found
    assert "2015-03" in found and "as of 2015-05-10" in found
    assert {"window passed", "in its window", "window ahead"} <= set(found)


# --- formats -------------------------------------------------------------------------------------


def test_png_and_pdf(db: Path, tmp_path: Path, dot: str) -> None:
    rectify(db, "diagram", "wgbw-2015", "--kind", "items", "--as-of", AS_OF, "-o",
            str(tmp_path / "i.png"))
    rectify(db, "diagram", "wgbw-2015", "--kind", "units", "--as-of", AS_OF, "-o",
            str(tmp_path / "u.pdf"))
    assert (tmp_path / "i.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "u.pdf").read_bytes().startswith(b"%PDF")


def test_dot_source_names_the_cjk_font_everywhere(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.dot"
    rectify(db, "diagram", "wgbw-2015", "--kind", "items", "--as-of", AS_OF, "-o", str(out))
    source = out.read_text(encoding="utf-8")
    for part in ("graph", "node", "edge"):
        assert re.search(rf'^\s*{part} \[.*fontname="Noto Sans CJK SC"', source, re.M), part
    assert "待核实" in source
    printed = rectify(db, "diagram", "wgbw-2015", "--kind", "stages", "--as-of", AS_OF, "-o", "-")
    assert printed.startswith("digraph") and "宣传动员" in printed


def test_default_output_name(db: Path, tmp_path: Path, dot: str, monkeypatch: pytest.MonkeyPatch,
                             ) -> None:
    monkeypatch.chdir(tmp_path)
    assert "wrote wgbw-2015-escalation.svg" in rectify(db, "diagram", "wgbw-2015", "--kind",
                                                        "escalation", "--as-of", AS_OF)
    assert (tmp_path / "wgbw-2015-escalation.svg").exists()


# --- missing parts and bad input -------------------------------------------------------------------


def test_missing_dot_is_an_environment_problem(db: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "pic" / "items.png"
    out.parent.mkdir()
    result = CliRunner().invoke(cli, ["diagram", "wgbw-2015", "--kind", "items", "--as-of", AS_OF,
                                      "-o", str(out), "--db", str(db)])
    assert result.exit_code == 4, result.output
    assert "'dot' program is not on PATH" in result.output
    assert draw.install_hint() in result.output
    assert not out.exists()
    source = out.with_suffix(".dot")
    assert source.exists() and "已确认" in source.read_text(encoding="utf-8")
    assert f"dot -Tpng {source} -o {out}" in result.output


def test_debian_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw, "_os_release_ids", lambda: {"ubuntu", "debian"})
    monkeypatch.setattr(draw.sys, "platform", "linux")
    assert draw.install_hint() == "sudo apt-get install -y graphviz fonts-noto-cjk"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["wgbw-2015", "--kind", "gantt"], 2, "'gantt' is not one of"),
    (["wgbw-2015", "--unit", "财政"], 2, "unknown unit '财政'"),
    (["nope"], 1, "unknown campaign 'nope'"),
    (["wgbw-2015", "-o", "no/such/folder/x.svg"], 4, "No such file or directory"),
    (["wgbw-2015", "-o", "x.jpg"], 2, "extension .jpg"),
    (["wgbw-2015", "-o", "x"], 2, "no extension"),
    (["wgbw-2015", "--depth", "1"], 2, "--depth applies only to --kind units"),
    ([], 2, "give a CAMPAIGN key"),
    (["wgbw-2015", "--definition", WGBW], 2, "not both"),
    (["--definition", WGBW, "--kind", "units"], 2, "--kind units needs a campaign"),
    (["--definition", WGBW, "--unit", "czj"], 2, "--unit counts"),
    (["--definition", "missing.yaml"], 1, "does not exist"),
    (["wgbw-2015", "--start", "2015-01-01"], 2, "--start applies only to --definition"),
])
def test_bad_input(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                   code: int, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["diagram", *args, "--db", str(db)])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_engine_diagrams_know_no_domain() -> None:
    text = (ROOT / "engine" / "io" / "diagrams.py").read_text(encoding="utf-8")
    assert "campaigns" not in text
    for word in ("campaign", "rectification", "item"):
        assert not re.search(rf"(?<!\.)\b{word}s?\b(?!\()", text, re.I), word
