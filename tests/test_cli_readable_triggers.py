"""Readable triggers: automatic steps say what fires them, guards say what they ask for, and a
verify reports the close it brought."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import ROOT, Cli, seeded

ZUOFENG = ROOT / "definitions" / "zuofeng-2009.yaml"
ZH = {"LANG": "zh_CN.UTF-8"}


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def triggers(cli: Cli, code: str, actor: str, *extra: str) -> dict[str, dict]:
    rows = json.loads(cli.ok("item", "triggers", code, "--actor", actor, "--json",
                             "--as-of", "2015-08-31", *extra))
    return {r["trigger"]: r for r in rows}


# --- item triggers ---------------------------------------------------------------------------


def test_close_reads_as_automatic_when_verify_fires_not_as_forbidden(cli: Cli) -> None:
    code = cli.submitted()
    rows = triggers(cli, code, "sup")
    close = rows["close"]
    assert close["automatic"] is True and close["possible"] is False
    assert close["when"] == "automatic, when 'verify' fires"
    assert close["why_not"] == "automatic, when 'verify' fires"
    # a step people fire keeps its refusals and is not automatic
    assert rows["verify"]["automatic"] is False and rows["verify"]["when"] == ""
    assert rows["verify"]["possible"] is True
    table = cli.ok("item", "triggers", code, "--actor", "sup", "--as-of", "2015-08-31")
    line = next(x for x in table.splitlines() if x.startswith("close"))
    assert "automatic, when 'verify' fires" in line and "none" not in line


def test_a_role_refusal_still_shows_for_steps_people_fire(cli: Cli) -> None:
    code = cli.submitted()
    verify = triggers(cli, code, "head")["verify"]
    assert verify["possible"] is False and "holds no role" in verify["why_not"]


def test_guards_are_explained_in_words(cli: Cli) -> None:
    code = cli.submitted()
    rows = triggers(cli, code, "sup")
    judge = "整改单位以外的人员方可操作; 责任领导、责任人不得自行验收; 申请销号人不得自行验收"
    assert rows["verify"]["guards"] == judge  # the duties, whatever the definition lists
    assert rows["return"]["guards"] == "需填写说明; 需有新的时限（不早于业务日期）; " + judge
    assert rows["close"]["guards"] == "整改已完成; 整改单位以外的人员方可操作"
    cli.ok("item", "advance", "request-extension", cli.planned(), "--note", "需协调",
           "--actor", "head", "--as-of", "2015-08-05")
    approve = triggers(cli, "WGBW-2015-0002", "sup")["approve-extension"]
    assert approve["guards"] == ("需提供参数 deadline; deadline 不得早于业务日期; "
                                 "整改单位以外的人员方可操作")
    table = cli.ok("item", "triggers", code, "--actor", "sup", "--as-of", "2015-08-31")
    assert table.splitlines()[0].split() == ["trigger", "machine", "title", "to", "possible",
                                             "why_not", "guards"]


def test_a_timer_step_says_how_long_and_which_timer(tmp_path: Path,
                                                    tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    cli.ok("person", "add", "--actor", "admin", "office", "--name", "陈主任", "--unit", "dcs", "--role",
           "campaign-office")
    cli.ok("person", "add", "--actor", "admin",
           "boss", "--name", "刘局长", "--unit", "czj", "--role", "unit-head")
    cli.ok("campaign", "start", str(ZUOFENG), "--start", "2009-05-01", "--actor", "office")
    code = cli.ok("item", "add", "zuofeng-2009", "--title", "办事拖拉", "--unit", "czj",
                  "--category", "inefficiency", "--source", "public-report", "--actor", "office",
                  "--as-of", "2009-08-03").strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "office", "--as-of", "2009-08-03")
    for step in (["item", "rectify", code, "--measures", "限时办结", "--deadline", "2009-09-30"],
                 ["item", "advance", "request-extension", code, "--note", "需协调",
                  "--deadline", "2009-10-31"]):
        cli.ok(*step, "--actor", "boss", "--as-of", "2009-08-03")
    rows = json.loads(cli.ok("item", "triggers", code, "--actor", "office", "--json",
                             "--as-of", "2009-08-04"))
    deemed = next(r for r in rows if r["trigger"] == "deem-approved")
    assert deemed["automatic"] is True
    assert deemed["when"] == ("automatic, 5 working days in extension_requested "
                              "(timer silence-is-consent)")


def test_automatic_steps_in_chinese(cli: Cli) -> None:
    code = cli.submitted()
    rows = json.loads(cli.ok("item", "triggers", code, "--actor", "sup", "--json",
                             "--as-of", "2015-08-31", env=ZH))
    close = next(r for r in rows if r["trigger"] == "close")
    assert close["when"] == "自动：'验收通过' 执行时"  # the trigger by its title


# --- item advance ------------------------------------------------------------------------------


def test_verify_reports_the_close_it_brought(cli: Cli) -> None:
    code = cli.submitted()
    out = cli.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-21")
    assert out == f"{code}: verify submitted → verified; close confirmed → closed (automatic)\n"


def test_verify_json_lists_the_follow_up(cli: Cli) -> None:
    code = cli.submitted()
    out = json.loads(cli.ok("item", "advance", "verify", code, "--json", "--actor", "sup",
                            "--as-of", "2015-08-21"))
    assert out == [{"code": code, "trigger": "verify", "machine": "rectification",
                    "from": "submitted", "to": "verified",
                    "follow_ups": [{"trigger": "close", "machine": "item", "from": "confirmed",
                                    "to": "closed", "automatic": True}],
                    "new_deadline": None}]


def test_a_step_without_follow_ups_prints_as_before(cli: Cli) -> None:
    code = cli.add_item()
    assert cli.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of",
                  "2015-08-03") == f"{code}: confirm reported → confirmed\n"


def test_many_items_verified_say_they_closed(cli: Cli) -> None:
    a, b = cli.submitted(), cli.submitted(title="窗口服务态度差")
    out = cli.ok("item", "advance", "verify", a, b, "--actor", "sup", "--as-of", "2015-08-21")
    assert out == "verify: 2 items advanced; then automatically: close\n"


def test_verify_follow_up_in_chinese(cli: Cli) -> None:
    code = cli.submitted()
    out = cli.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-21",
                 env=ZH)
    assert out == f"{code}：验收通过 申请销号 → 验收通过；办结销号 已确认 → 已销号（自动）\n"
