"""Translation: the zh_CN catalog is complete and compiled, --lang and LANG choose it, and tables
with Chinese (double-width) text stay aligned in a terminal."""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from test_cli_common import CAMPAIGN, WGBW, Cli, seeded

from campaigns import i18n
from campaigns.cli import COMMANDS
from campaigns.cli._output import record, table, width

PACKAGE = Path(i18n.__file__).parent
ROOT = PACKAGE.parent
PO = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "rectify.po"
MO = PO.with_suffix(".mo")
ZH = {"LANG": "zh_CN.UTF-8"}
# the commands whose one-line summaries the catalog translates (others may add more)
CORE_COMMANDS = ("board", "campaign", "dashboard", "diagram", "init", "item", "ledger", "notices", "person",
                 "report", "schema", "tick", "unit", "validate")


@pytest.fixture(autouse=True)
def _language_back_to_the_environment() -> Iterator[None]:
    yield
    i18n.use()


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


# --- the catalog -------------------------------------------------------------------------------


def test_the_mo_is_compiled_from_the_po() -> None:
    """Recompile with: pybabel compile -d campaigns/locale -D rectify"""
    expected: dict[object, str] = {}
    for message in catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        key = f"{message.context}\x04{ids[0]}" if message.context else ids[0]
        if len(ids) > 1:
            for n, text in enumerate(strings):
                expected[(key, n)] = text
        else:
            expected[key] = strings[0]
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    found = {k: v for k, v in compiled._catalog.items() if k != ""}  # noqa: SLF001
    assert found == expected, "rectify.mo is out of date: run pybabel compile -d campaigns/locale -D rectify"


def test_every_message_is_translated_and_keeps_its_placeholders() -> None:
    for message in catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        assert all(strings), f"untranslated: {ids[0]!r}"
        assert not message.fuzzy, f"fuzzy: {ids[0]!r}"
        wanted = set(re.findall(r"\{(\w*)\}", ids[-1]))
        for text in strings:
            assert set(re.findall(r"\{(\w*)\}", text)) == wanted, (ids[0], text)


def source_messages() -> set[tuple[str | None, str]]:
    """Every message of engine/ and campaigns/, found as babel.cfg says (campaigns.i18n_extract):
    _(), N_(), P_(), ngettext(), engine Text(), click help= texts and command docstrings."""
    found: set[tuple[str | None, str]] = set()
    for folder in (ROOT / "engine", PACKAGE):
        for _file, _line, msg, _comments, ctx in extract_from_dir(
                str(folder), [("**.py", "campaigns.i18n_extract:extract")]):
            found.add((ctx, msg if isinstance(msg, str) else msg[0]))
    return found


def test_the_extraction_finds_every_kind_of_message() -> None:
    found = {m for _ctx, m in source_messages()}
    assert "Rectify: run special-rectification campaigns (专项整治) as state machines." in found  # docstring
    assert "Show a traceback on errors (for bug reports)." in found  # help=
    assert "Check definition files; report every problem." in found  # N_
    assert "{count} problem(s) in definition" in found  # engine Text


def test_every_message_in_the_source_is_translated() -> None:
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog()
                  if m.id and all(m.string if isinstance(m.string, (list, tuple)) else (m.string,))}
    missing = sorted((ctx or "", msg) for ctx, msg in source_messages() - translated)
    assert not missing, (f"{len(missing)} messages lack a zh_CN translation in rectify.po "
                         f"(then run pybabel compile -d campaigns/locale -D rectify): {missing[:20]}")


def schema_descriptions() -> set[str]:
    """The definition schema's descriptions: ``validate`` shows them as hints."""
    import campaigns.plugin  # noqa: F401  (registers the plugin's sections)
    from engine.core.registry import default_registry
    from engine.core.schema import build_schema

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                found.add(node["description"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(build_schema(default_registry()))
    return found


def test_every_schema_description_is_translated() -> None:
    translated = {m.id for m in catalog() if m.id and isinstance(m.id, str) and m.string}
    missing = sorted(schema_descriptions() - translated)
    assert len(schema_descriptions()) > 40
    assert not missing, f"{len(missing)} schema descriptions lack a zh_CN translation: {missing[:10]}"


def test_validate_hints_are_shown_in_chinese(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(WGBW.read_text(encoding="utf-8").replace("code_prefix: WGBW", "code_prefix: 12"),
                   encoding="utf-8")
    result = Cli(tmp_path / "x.db").invoke("--lang", "zh_CN", "validate", str(bad), db=False)
    assert result.exit_code == 1
    out = result.output
    assert "12 不是文本（位于 campaign.code_prefix）" in out
    assert "问题编号为 前缀-年份-序号" in out


def test_the_root_help_and_core_summaries_are_translated() -> None:
    i18n.use("zh_CN")
    from campaigns.cli import cli

    assert i18n._(cli.help or "") != cli.help
    for name in CORE_COMMANDS:
        summary = COMMANDS[name][1]
        assert i18n._(summary) != summary, name


# --- choosing the language ----------------------------------------------------------------------


@pytest.mark.parametrize(("given", "code"), [
    ("zh_CN", "zh_CN"), ("zh-cn", "zh_CN"), ("zh", "zh_CN"), ("zh_CN.UTF-8", "zh_CN"),
    ("zh_TW.UTF-8", "zh_CN"), ("en_US.UTF-8", "en"), ("C", "en"), ("C.UTF-8", "en"), ("POSIX", "en"),
    ("fr_FR", "fr_FR"),
])
def test_normalize(given: str, code: str) -> None:
    assert i18n.normalize(given) == code


@pytest.mark.parametrize(("env", "code"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # no catalog: English, quietly
    ({"LANG": "C.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "C", "LANGUAGE": "fr:zh_CN"}, "zh_CN"),
    ({}, "en"),
])
def test_the_environment_chooses(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], code: str) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.use() == code


def test_an_explicit_language_without_a_catalog_is_refused() -> None:
    with pytest.raises(LookupError):
        i18n.use("fr")
    assert i18n.available() == ["en", "zh_CN"]


def test_lang_option_and_lang_variable(cli: Cli) -> None:
    english = cli.ok("--help", db=False)
    chinese = cli.ok("--lang", "zh_CN", "--help", db=False)
    assert chinese.startswith("用法：rectify [OPTIONS] COMMAND [ARGS]...")
    assert "Rectify：以状态机方式开展专项整治。" in chinese
    assert "问题及其整改。" in chinese and "选项" in chinese and "命令" in chinese
    assert "显示版本并退出。" in chinese
    assert cli.ok("--help", db=False, env=ZH) == chinese
    assert cli.ok("--lang", "zh", "--help", db=False) == chinese
    assert cli.ok("--lang", "en", "--help", db=False, env=ZH) == english
    # the language of one run does not leak into the next
    assert cli.ok("--help", db=False) == english


def test_an_unknown_lang_is_a_usage_error(cli: Cli) -> None:
    result = cli.invoke("--lang", "fr", "--help", db=False)
    assert result.exit_code == 2
    assert "no translation for 'fr'; available: en, zh_CN" in result.stderr


def test_messages_headers_and_errors_in_chinese(cli: Cli) -> None:
    code = cli.add_item()
    assert cli.ok("--lang", "zh_CN", "item", "advance", "confirm", code, "--actor", "sup",
                  "--as-of", "2015-08-03") == f"{code}：核实属实 待核实 → 已确认\n"
    assert cli.ok("item", "rectify", code, "--measures", "m", "--deadline", "2015-09-30", "--actor",
                  "head", "--as-of", "2015-08-03", env=ZH) == f"{code}：已制定整改方案，整改时限 2015-09-30\n"
    listing = cli.ok("item", "list", CAMPAIGN, env=ZH).splitlines()
    assert listing[0].split() == ["编号", "单位", "类别", "状态", "整改状态", "整改时限", "逾期", "督办级别",
                                  "名称"]
    shown = cli.ok("item", "show", code, env=ZH)
    assert shown.splitlines()[0].split() == ["编号", code]
    assert "\n办理记录：\n日期" in shown
    status = cli.ok("campaign", "status", CAMPAIGN, "--as-of", "2015-08-03", env=ZH)
    assert "\n阶段：\n代码" in status and "\n按单位：\n单位" in status
    failed = cli.invoke("campaign", "status", "nope", env=ZH)
    assert failed.exit_code == 1 and failed.stderr.startswith("错误：未知的专项整治“nope”")
    # JSON and CSV keep their English keys: they are for programs
    assert cli.ok("item", "list", CAMPAIGN, "--csv", env=ZH).startswith("code,title,")
    assert cli.ok("campaign", "start", str(WGBW), "--start", "2016-07-01", "--key", "wgbw-2016",
                  "--actor", "lead", env=ZH) == \
        "已启动 wgbw-2016（开展“为官不为”行为专项治理），开始日期 2016-07-01\n"


def test_lang_after_the_command(cli: Cli) -> None:
    code = cli.add_item()
    assert cli.ok("item", "list", CAMPAIGN, "--lang", "zh") == cli.ok("item", "list", CAMPAIGN, env=ZH)
    assert cli.ok("item", "show", code, "--lang=zh_CN").startswith("编号")
    assert "用法：rectify item list [OPTIONS] CAMPAIGN" in cli.ok("item", "list", "--help", "--lang", "zh",
                                                                db=False)
    # the value of an option that happens to read --lang is the option's, after --
    result = cli.invoke("item", "list", "--lang", "xx")
    assert result.exit_code == 2 and "no translation for 'xx'" in result.stderr


def test_states_and_triggers_by_their_titles_in_chinese(cli: Cli) -> None:
    code = cli.add_item()
    listing = cli.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-03", env=ZH).splitlines()[2]
    assert "待核实" in listing and "reported" not in listing
    english = cli.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-03").splitlines()[2]
    assert "reported" in english and "待核实" not in english
    shown = cli.ok("item", "show", code, "--as-of", "2015-08-03", env=ZH)
    assert "reported" not in shown and "待核实" in shown
    triggers = cli.ok("item", "triggers", code, "--actor", "sup", "--as-of", "2015-08-03", env=ZH)
    assert "核实属实" in triggers and "已确认" in triggers
    # JSON keeps the keys: it is for programs
    assert '"state": "reported"' in cli.ok("item", "list", CAMPAIGN, "--json", env=ZH)


def test_refusals_and_hints_in_chinese(cli: Cli) -> None:
    code = cli.add_item()
    refused = cli.invoke("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-03",
                         env=ZH)
    assert refused.exit_code == 1
    first, reason, hint = refused.stderr.splitlines()
    assert first == "错误：“验收通过”对 1 个问题中的 1 个被拒绝；未作任何更改："
    assert reason.startswith(f"  {code}：当前状态“") and "not allowed" not in reason
    assert hint == "  提示：运行 rectify item triggers CODE 查看当前可执行的操作"
    unknown = cli.invoke("item", "advance", "confrim", code, "--actor", "sup", env=ZH)
    assert unknown.stderr == "错误：未知的操作“confrim”\n  提示：是否要找“confirm”？\n"
    wrong = cli.invoke("item", "list", CAMPAIGN, "--state", "closd", env=ZH)
    assert wrong.exit_code == 2 and "--state 的状态“closd”不存在" in wrong.stderr
    assert "是否要找" in wrong.stderr


def test_sub_command_help_and_click_words_in_chinese(cli: Cli) -> None:
    text = cli.ok("item", "list", "--help", db=False, env=ZH)
    assert "列出 CAMPAIGN 的问题" in text and "仅限逾期的整改。" in text and "显示本帮助并退出。" in text
    assert "Only overdue" not in text
    missing = cli.invoke("item", "show", db=False, env=ZH)
    assert missing.exit_code == 2 and "缺少参数" in missing.stderr


def test_guard_reasons_stored_in_english_are_shown_in_chinese() -> None:
    from engine.core.builtin import ONLY_DONE
    from engine.core.text import Text

    reason = Text(ONLY_DONE, done=0, total=2, percent="0%", needed="90%")
    assert str(reason) == "only 0 of 2 (0%) are done; 90% needed"
    i18n.use("zh_CN")
    assert i18n.localize(reason) == "仅完成 0 个（共 2 个，0%），需达到 90%"
    # as read back from an event: plain text, recognised by its template
    assert i18n.localize(str(reason)) == "仅完成 0 个（共 2 个，0%），需达到 90%"
    assert i18n.chinese("a reason is required: give --note") == "须说明理由：请用 --note 填写"
    i18n.use("en")
    assert i18n.localize(str(reason)) == str(reason)
    assert i18n.chinese(str(reason)) == "仅完成 0 个（共 2 个，0%），需达到 90%"


# --- alignment of double-width text ---------------------------------------------------------------


def columns_at(line: str) -> list[int]:
    """The display columns at which the line's cells start (cells hold no spaces here)."""
    starts, col, prev = [], 0, " "
    for ch in line:
        if ch != " " and prev == " ":
            starts.append(col)
        col += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        prev = ch
    return starts


def test_width_counts_chinese_as_two_columns() -> None:
    assert width("abc") == 3
    assert width("办公室") == 6
    assert width("县财政局/办公室") == 15
    assert width("ＡＢ") == 4  # full-width Latin
    assert width("WGBW-2015-0001") == 14


def test_a_table_of_mixed_text_lines_up() -> None:
    rows = [{"code": "WGBW-2015-0001", "unit": "办公室", "title": "群众办事多次往返"},
            {"code": "X-1", "unit": "县“两办”督查室", "title": "ok"},
            {"code": "长编号-甲乙丙丁", "unit": "u", "title": "窗口"}]
    lines = table(rows).splitlines()
    head, rule, *body = lines
    assert [len(dash) for dash in rule.split()] == [max(width(c) for c in col) for col in (
        ["code", *(r["code"] for r in rows)], ["unit", *(r["unit"] for r in rows)],
        ["title", *(r["title"] for r in rows)])]
    assert columns_at(head) == columns_at(rule)
    for line in body:
        assert columns_at(line) == columns_at(rule), line


def test_a_record_with_chinese_labels_lines_up() -> None:
    i18n.use("zh_CN")
    text = record({"code": "WGBW-2015-0001", "original_deadline": "2015-09-30", "unit": "某县/办公室"})
    starts = {columns_at(line)[1] for line in text.splitlines()}
    assert len(starts) == 1, text


def test_real_chinese_output_lines_up(cli: Cli) -> None:
    cli.add_item(title="群众办事多次往返", unit="县教育局/办公室")
    cli.add_item(title="a mixed 标题", unit="dcs")
    lines = cli.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-03", env=ZH).splitlines()
    rule = columns_at(lines[1])
    assert columns_at(lines[0]) == rule
    for line in lines[2:]:
        starts = columns_at(line.replace("a mixed ", "a_mixed_"))
        assert starts == [s for s in rule if s in starts] and starts[0] == 0, line
        assert starts[-1] == rule[-1], line  # the title column


def test_every_declared_reason_is_recognised_when_read_back() -> None:
    """A reason stored in an event as plain English reads in Chinese: each declared template
    is recognised from its English sentence, with its values kept."""
    import string

    import campaigns.guards  # noqa: F401  (declares the domain's reasons)
    import engine.core.builtin  # noqa: F401
    from engine.core.text import TEMPLATES

    assert len(TEMPLATES) >= 15
    i18n.use("zh_CN")
    for template in TEMPLATES:
        names = [f for _t, f, _s, _c in string.Formatter().parse(template) if f]
        values = {name: f"V{n}x" for n, name in enumerate(names)}
        english = template.format(**values)
        chinese = i18n.localize(english)
        assert chinese != english, template
        assert chinese == i18n._(template).format(**values), template
