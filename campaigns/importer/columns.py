"""Which column holds which field: the headers offices write, and --columns on top."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from campaigns.i18n import _
from engine.core.errors import InvalidInput

from ..plugin import ITEM_FIELDS
from ..runs import Run

HEADER_SCAN = 30  # rows searched for the header row when it is not named
FIELDS = tuple(dict.fromkeys((*ITEM_FIELDS, "original_deadline")))
DATE_FIELDS = ("deadline", "original_deadline", "found_on", "closed_on")
REQUIRED = ("unit", "title", "category")

# Headers offices use, Chinese and English; a definition's ``import.columns`` and --columns
# add to (and override) these.  Keys are compared after ``normalize_header``.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["序号", "seq", "no", "no.", "#", "number"], "seq"),
    **dict.fromkeys(["问题编号", "编码", "code", "itemcode"], "code"),
    **dict.fromkeys(["单位", "责任单位", "单位名称", "所在单位", "unit"], "unit"),
    **dict.fromkeys(["问题描述", "问题", "存在问题", "主要问题", "问题表现", "problem", "title"],
                    "title"),
    **dict.fromkeys(["具体表现", "问题详情", "详细描述", "description"], "description"),
    **dict.fromkeys(["问题类别", "问题类型", "类别", "category"], "category"),
    **dict.fromkeys(["问题来源", "来源", "source"], "source"),
    **dict.fromkeys(["举报人", "反映人", "reporter"], "reporter"),
    **dict.fromkeys(["举报人联系方式", "反映人联系方式", "联系方式", "reportercontact",
                     "reporter_contact"], "reporter_contact"),
    **dict.fromkeys(["发现日期", "发现时间", "登记日期", "foundon", "found_on"], "found_on"),
    **dict.fromkeys(["整改措施", "措施", "measures"], "measures"),
    **dict.fromkeys(["整改目标", "整治目标", "target"], "target"),
    **dict.fromkeys(["原定时限", "原整改时限", "originaldeadline", "original_deadline"],
                    "original_deadline"),
    **dict.fromkeys(["整改时限", "完成时限", "整改期限", "deadline"], "deadline"),
    **dict.fromkeys(["责任部门", "department"], "department"),
    **dict.fromkeys(["责任领导", "分管领导", "leader"], "leader"),
    **dict.fromkeys(["责任人", "具体责任人", "person"], "person"),
    **dict.fromkeys(["状态", "整改状态", "办理状态", "state", "status"], "state"),
    **dict.fromkeys(["整改进展", "进展情况", "整改进展情况", "progress"], "progress"),
    **dict.fromkeys(["销号日期", "办结日期", "closedon", "closed_on"], "closed_on"),
    # not an item field: read for reporter details only (importer.remarks)
    **dict.fromkeys(["备注", "备注说明", "remarks", "remark"], "remarks"),
}
LABELS = {"seq": "序号", "code": "问题编号", "unit": "单位", "title": "问题描述",
          "description": "具体表现", "category": "问题类别", "source": "问题来源",
          "reporter": "举报人", "reporter_contact": "举报人联系方式", "found_on": "发现日期",
          "measures": "整改措施", "target": "整改目标", "original_deadline": "原定时限",
          "deadline": "整改时限", "department": "责任部门", "leader": "责任领导",
          "person": "责任人", "state": "状态", "progress": "整改进展", "closed_on": "销号日期",
          "remarks": "备注"}


def normalize_header(text: Any) -> str:
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = re.sub(r"\s+", "", value).strip("*").lower()
    return re.sub(r"\((必填|选填|required|optional)\)$", "", value)


def parse_columns(text: str | None) -> dict[str, str]:
    """--columns: a JSON object, or ``header=field,header=field``; an empty field ignores."""
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_("--columns is not valid JSON: {msg} at {pos}").format(
                msg=exc.msg, pos=exc.pos),
                               _('write {"列名": "field"} or 列名=field,列名=field')) from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InvalidInput(_("--columns must map column headers to field names"),
                               _('write {"列名": "field"}'))
        mapping = {str(k): v for k, v in data.items()}
    else:
        mapping = {}
        for part in re.split(r"[,，]", text):
            if not part.strip():
                continue
            if "=" not in part:
                raise InvalidInput(_("--columns part '{part}' has no '='").format(
                    part=part), _("write 列名=field,..."))
            header, _sep, name = part.partition("=")
            mapping[header.strip()] = name.strip()
    for header, name in mapping.items():
        if name and name not in FIELDS and name not in ("-", "ignore", "remarks"):
            import difflib

            close = difflib.get_close_matches(name, FIELDS, n=1)
            raise InvalidInput(_("--columns maps '{header}' to unknown field '{name}'").format(
                header=header, name=name),
                               _("did you mean '{value}'?").format(value=close[0]) if close else
                               _("fields: {names}").format(names=', '.join(FIELDS)))
    return mapping


def column_mapping(run: Run, extra: Mapping[str, str]) -> dict[str, str]:
    """Built-in headers, then the definition's ``import.columns``, then --columns."""
    mapping = dict(HEADERS)
    section = run.definition.sections.get("import") or {}
    for source in (section.get("columns") or {}, extra):
        for header, name in source.items():
            mapping[normalize_header(header)] = "" if name in ("-", "ignore") else name
    return mapping
