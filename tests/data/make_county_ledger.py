"""Build tests/data/county-ledger.xlsx: a county's 48-row 作风督查 ledger as offices keep them.

Drawn from seed 003 (大通县 作风纪律效能建设监督检查: 上班纪律, 公车管理, 会风会纪, 工作日饮酒,
为民办事): a merged title row, Chinese headers, 17 units written by name (县政府办公室 in 7
rows), 责任领导 and 责任人 by name (张伟 in two units: two people), category and source words
as the offices write them (titles, synonyms, and words only a mapping knows), dates typed
three ways (2015-09-01, 2015年9月1日, 2015.9.1) and as real Excel date cells, and 备注 cells
of which a few hold a reporter's details.

Deterministic: run ``python tests/data/make_county_ledger.py`` to rebuild the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
TITLE = "大通县作风纪律效能建设监督检查问题台账（2015年9-10月）"
HEADERS = ["序号", "责任单位", "问题描述", "问题类别", "问题来源", "发现日期", "整改措施",
           "整改时限", "责任领导", "责任人", "备注"]

# 17 units: the county government's office, bureaus, and towns (seed 003's county)
UNITS = ["县政府办公室", "县发改局", "县教育局", "县公安局", "县民政局", "县财政局", "县人社局",
         "县国土资源局", "县住建局", "县交通运输局", "县农牧局", "县水务局", "县卫计局",
         "县市场监管局", "桥头镇", "城关镇", "塔尔镇"]
# rows per unit: 县政府办公室 7, then 3 or 2 (48 in all)
COUNTS = [7] + [3] * 9 + [2] * 7

# (problem, category word): the words offices write for the definition's categories
PROBLEMS = [
    ("工作人员上班时间玩网络游戏", "上班纪律"),
    ("上班时间聊QQ、炒股票", "上班纪律"),
    ("工作人员上班时间进淘宝购物", "工作纪律"),
    ("上班时间看影视节目", "上班纪律"),
    ("未实行签到签退，迟到早退", "迟到早退"),
    ("去向牌未注明去向，脱岗离岗", "纪律作风"),
    ("节假日公车未入库封存", "公车管理"),
    ("公车停放在农家乐", "公车私用"),
    ("公车未制作“身份证”标识", "公车管理"),
    ("公务用车私用接送子女", "公车私用"),
    ("开会迟到、会上玩手机", "会风会纪"),
    ("会议随意离会，会风不正", "会风"),
    ("工作日中午饮酒", "工作日饮酒"),
    ("工作日中餐接受宴请", "中午饮酒"),
    ("办事群众“挂空档”，无人值守", "为民办事"),
    ("未一次性书面告知办事群众", "窗口服务"),
]
SOURCES = ["明察暗访", "暗访", "群众反映举报", "督查发现", "日常督查", "自查"]
MEASURES = ["约谈相关人员，通报批评", "建立签到签退制度", "公车统一入库管理", "开展专项整治",
            "实行挂牌上岗制度", "全程代办、一次性告知"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["国庆", "建华", "海燕", "志强", "丽娟", "永红", "文斌", "晓东", "春梅", "明亮",
         "玉兰", "德胜", "秀英", "学军", "桂芳", "振华"]
REPORTERS = {5: "举报人：马某某 13997001234", 19: "反映人：群众（联系电话：0971-2741234）",
             30: "举报人：祁某", 41: "举报人：李某 电话13709716655"}
OTHER_REMARKS = {2: "已约谈", 11: "限期整改", 24: "第二次发现", 36: "已通报"}


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]


def _date(day: dt.date, style: int) -> Any:
    """A date as one of four spellings: ISO text, 年月日 text, dotted text, an Excel date."""
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.year}年{day.month}月{day.day}日"
    if style == 2:
        return f"{day.year}.{day.month}.{day.day}"
    return dt.datetime(day.year, day.month, day.day)


def rows() -> list[list[Any]]:
    out: list[list[Any]] = []
    seq = 0
    people = 0
    for unit, count in zip(UNITS, COUNTS, strict=True):
        for k in range(count):
            seq += 1
            # each row's 分管领导; in 县政府办公室 one leader has the first two rows
            leader = _name(500 + (seq if seq > 1 else 2))
            problem, category = PROBLEMS[(seq * 5) % len(PROBLEMS)]
            found = dt.date(2015, 9, 1) + dt.timedelta(days=(seq * 11) % 50)
            deadline = found + dt.timedelta(days=20 + (seq % 4) * 5)
            people += 1
            person = _name(people)
            if unit in ("县教育局", "城关镇") and k == 0:
                person = "张伟"  # one name in two units: two people
            remark = REPORTERS.get(seq) or OTHER_REMARKS.get(seq)
            out.append([k + 1, unit, f"{unit}{problem}", category, SOURCES[seq % len(SOURCES)],
                        _date(found, seq % 4), MEASURES[seq % len(MEASURES)],
                        _date(deadline, (seq + 1) % 4), leader, person, remark])
    return out


def build(path: Path, count: int = 48) -> Path:
    """The ledger's first ``count`` rows, as an .xlsx workbook."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "问题台账"
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.append(HEADERS)
    for row in rows()[:count]:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy/m/d"
    wb.properties.creator = "大通县作风办"
    fixed = dt.datetime(2015, 11, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.save(path)
    return path


def convert(source: Path, ext: str) -> Path:
    """The same workbook as .ods or .xls, converted by LibreOffice (``soffice``, e.g. the
    Debian package libreoffice-calc-nogui): the formats offices also send."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", ext, "--outdir", str(source.parent), str(source)],
                       check=True, capture_output=True)
    return source.with_suffix("." + ext)


if __name__ == "__main__":
    print(build(HERE / "county-ledger.xlsx"))
    small = build(HERE / "county-ledger-small.xlsx", 6)  # 6 rows: the .ods and .xls fixtures
    print(convert(small, "ods"), convert(small, "xls"))
    small.unlink()
