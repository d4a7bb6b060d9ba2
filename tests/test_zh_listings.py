"""Chinese listings name things in the reader's words: a definition's state titles before a
stage's phase of the same key, stage kinds as the plans say them, notice kinds in words, run
and case status without an English word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli_common import Cli, seeded

ZH = {"LANG": "zh_CN.UTF-8"}
LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def test_a_closed_item_reads_by_its_state_title_not_the_stage_phase(cli: Cli) -> None:
    code = cli.closed()
    state = json.loads(cli.ok("item", "list", "wgbw-2015", "--json",
                              "--as-of", "2015-08-03"))
    assert next(r for r in state if r["code"] == code)["state"] == "closed"
    line = next(x for x in cli.ok("item", "list", "wgbw-2015", "--as-of", "2015-08-03",
                                  env=ZH).splitlines() if x.startswith(code))
    assert "已销号" in line and "已结束" not in line


def test_campaign_status_names_stage_kinds_and_the_run_in_chinese(cli: Cli) -> None:
    out = cli.ok("campaign", "status", "wgbw-2015", "--as-of", "2015-08-03", env=ZH)
    head = out.split("\n\n")[0]
    assert "进行中" in head and not LATIN.search(head.replace("wgbw-2015", ""))
    stages = {x.split()[0]: x for x in out.splitlines() if x.startswith(("mobilize", "supervise"))}
    assert "宣传动员" in stages["mobilize"] and "监督检查" in stages["supervise"]
    assert " mobilize " not in stages["mobilize"]
    # English keeps the keys a script reads
    assert " mobilize " in cli.ok("campaign", "status", "wgbw-2015", "--as-of", "2015-08-03")


def test_notices_in_chinese_name_the_kind_in_words_and_the_level_once(cli: Cli) -> None:
    cli.planned()
    cli.ok("tick", "wgbw-2015", "--as-of", "2015-10-31")
    lines = cli.ok("notices", "wgbw-2015", "--as-of", "2015-10-31", env=ZH).splitlines()
    header = lines[0].split()
    assert header.count("名称") == 1 and header.count("级别") == 1
    body = [x for x in lines[2:] if x[:4].isdigit()]
    assert body and all(x.split()[1] == "督办" for x in body)
    english = cli.ok("notices", "wgbw-2015", "--as-of", "2015-10-31").splitlines()
    assert english[2].split()[1] == "escalation"


def test_an_items_history_names_the_programs_own_steps_in_words(cli: Cli) -> None:
    code = cli.planned()
    cli.ok("item", "progress", code, "--note", "已部署", "--actor", "head", "--as-of", "2015-08-04")
    out = cli.ok("item", "show", code, "--as-of", "2015-08-04", env=ZH)
    history = out.split("办理记录：")[1]
    assert "登记" in history and "报告进展" in history and "记录" in history
    rows = [x for x in history.splitlines() if x[:4].isdigit()]
    assert rows and not any(LATIN.search(x.split("  ", 1)[1].replace("head", "")
                                         .replace("sup", "").replace("admin", "")) for x in rows)
    stage = [x for x in out.splitlines() if x.startswith("阶段")]
    assert stage and re.search(r"^阶段\s+(宣传动员|自查整改|监督检查)", out, re.M), stage


def test_a_refusal_names_the_states_it_allows_by_their_titles(cli: Cli) -> None:
    code = cli.closed()
    result = cli.invoke("item", "advance", "verify", code, "--actor", "sup",
                        "--as-of", "2015-08-04", env=ZH)
    assert result.exit_code != 0
    assert "仅可从“申请销号”执行" in result.output and "submitted" not in result.output
    english = cli.invoke("item", "advance", "verify", code, "--actor", "sup",
                         "--as-of", "2015-08-04")
    assert "(only from submitted)" in english.output


def test_validate_summarises_in_the_readers_words_with_the_files_keys(cli: Cli) -> None:
    from test_cli_common import ROOT

    out = cli.ok("validate", str(ROOT / "definitions" / "wgbw-2015.yaml"), env=ZH, db=False)
    assert "初始为“reported（待核实）”" in out and "closed（已销号）" in out
    stages = [x for x in out.splitlines() if x.startswith("    mobilize", 0)]
    assert stages and "宣传动员" in stages[0].split("2015")[0].split("mobilize", 1)[1]
    # the dates line up under each other whatever the width of the kind's words
    rows = [x for x in out.splitlines() if re.match(r"^    [a-z-]+ +\S+ +2015-", x)]
    assert len({x.index("2015-") - sum(1 for ch in x[:x.index("2015-")] if ord(ch) > 0x2e80)
                for x in rows}) == 1


def test_every_kind_of_notice_has_its_words() -> None:
    from campaigns.office_notices import KINDS
    from campaigns.wording import NOTICE_KINDS

    assert set(NOTICE_KINDS) == set(KINDS)
