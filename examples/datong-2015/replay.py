"""Replay seed 003's campaign (大通县“四轮驱动”转作风, September 2015 - early January 2016) through the CLI.

The seed's rhythm, day by day: an inspection every working day (日日有人员; its teams drawn 158
person-times in all, 共抽调158人次), eight 暗访 of workday drinking and private use of official
cars (工作日中餐饮酒、公车私用督查8次), a 专项督查 of the 吃空饷 clean-up, and an inspection
before every holiday (个个节日有督查: the 9月3日 纪念日, 中秋, 国庆, 元旦) of where the official cars
are.  Every finding becomes an item told to the unit's head that day (第一时间向单位领导通报) and
is rectified, some late (the ladder climbs and the weekly circular names the unit).  Every
Monday the 作风办 writes and files last week's circular (周周发通报), by the 5th the month's
bulletin (月月出简报); at the month's end it sorts the month's circulars (月末梳理归类) and the
县纪委 records that month's 问责: 8 cases, 9 person-times in all (查处案件8起，处理9人次).  Units
file a monthly report (CHOSEN).  The units are 大通县's (its nine towns and county bodies); the
people and what each found are CHOSEN.  Every step is a real ``rectify`` command run
in-process, in business-date order, with the daily clock.  Run it directly:

    python examples/datong-2015/replay.py --db out/datong-2015.db --out out/datong-2015
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from _replay import Runner, Script, d, fresh_db, run_days, working_days  # noqa: E402

DEFINITION = os.path.join(ROOT, "definitions", "zuofeng-datong-2015.yaml")
KEY = "zuofeng-datong-2015"
ADMIN = "admin"
LEAD, CHECKER, OFFICE = "ma-jw", "zhang-jw", "li-zfb"  # 县纪委, its 常委, 县作风办
START, END, LAST = d("2015-09-01"), d("2015-12-31"), d("2016-01-08")

# the seed's figures
PERSON_TIMES = 158   # 日常督查共抽调158人次
SPECIAL = 8          # 工作日中餐饮酒、公车私用督查8次
CASES, HELD = 8, 9   # 查处违反作风建设制度规定案件8起，处理人数9人次

UNITS = [("zwzx", "wang-zwzx"), ("czj", "zhao-czj"), ("jyj", "liu-jyj"), ("wjj", "chen-wjj"),
         ("rsj", "yang-rsj"), ("jtj", "zhou-jtj"), ("gtj", "xu-gtj"), ("mzj", "sun-mzj"),
         ("qtz", "qi-qtz"), ("cgz", "lu-cgz"), ("tez", "hu-tez"), ("dxz", "ma-dxz"),
         ("hjzz", "zhu-hjzz"), ("cnz", "li-cnz"), ("jyz", "wei-jyz"), ("dlz", "tao-dlz"),
         ("xzz", "su-xzz")]
HEAD = dict(UNITS)
# 从县委、县政府、县人大、县政协抽调干部 (seed): the daily inspectors, two a day
INSPECTORS = ["县委办 韩明", "县政府办 赵文", "县人大办 李青", "县政协办 王海", "县委办 孙涛",
              "县政府办 祁兰", "县人大办 马平", "县政协办 鲁军"]
# 日常督查重点查上班时间玩游戏、聊QQ、炒股票、进淘宝、看影视 (seed), and 挂牌上岗, 一次性告知
DAILY = [("work-discipline", "上班时间玩游戏"), ("work-discipline", "上班时间聊QQ"),
         ("work-discipline", "上班时间炒股票"), ("work-discipline", "上班时间进淘宝购物"),
         ("work-discipline", "上班时间看影视"), ("work-discipline", "未挂牌上岗、去向牌未注明去向"),
         ("public-service", "窗口人员请假无人顶岗，办事群众“挂空档”"),
         ("public-service", "未一次性书面告知，群众多次往返")]
# 工作日中餐饮酒、公车私用 暗访: (day, theme, category, unit where found, finding)
SPECIALS = [("2015-09-10", "工作日中餐饮酒", "workday-drinking", "qtz", "工作日中午在农家乐饮酒"),
            ("2015-09-24", "公车私用", "official-car", "jtj", "公车接送子女上学"),
            ("2015-10-15", "工作日中餐饮酒", "workday-drinking", "tez", "工作日中午接受宴请并饮酒"),
            ("2015-10-29", "公车私用", "official-car", "gtj", "公车停放在酒店门前办私事"),
            ("2015-11-12", "工作日中餐饮酒", "workday-drinking", "czj", "工作日中午饮酒后返岗"),
            ("2015-11-26", "公车私用", "official-car", "dlz", "公车未按规定停放入库"),
            ("2015-12-10", "工作日中餐饮酒", "workday-drinking", "cgz", "工作日中午公款吃喝"),
            ("2015-12-17", "公车私用", "official-car", "wjj", "公车私用外出办私事")]
# 节假双休主要督查“公车去哪里了”: what each holiday's inspection found (by its first day)
HOLIDAY_FINDINGS = {"2015-10-01": ("official-car", "jyj", "国庆期间公车停放在农家乐"),
                    "2015-09-26": ("official-car", "rsj", "中秋期间公车未入库")}
# 专项督查 of a decision: 清理“吃空饷”、在编不在岗 (seed)
CLEANUP = ("2015-10-20", "清理“吃空饷”、在编不在岗", ["mzj", "hjzz", "jyz"],
           ("work-discipline", "hjzz", "在编不在岗人员未清理到位"))
# 问责 at each month's end (月末…对违反作风建设的行为进行问责处理): (finding tag, people, outcome)
ACCOUNTABILITY = {
    "2015-09-30": [("@s0", ["la-dlz"], "admonish"), ("@s1", ["feng-jtj"], "circulate")],
    "2015-10-30": [("@s2", ["shi-tez"], "admonish"), ("@s3", ["pu-gtj"], "circulate")],
    "2015-11-30": [("@s4", ["ke-czj", "bai-jyj"], "disciplinary"), ("@d4", ["gao-rsj"], "talk")],
    "2015-12-31": [("@s6", ["tian-cgz"], "organizational"), ("@d8", ["he-zwzx"], "talk")],
}
LATE_FILERS = {"2015-10": "jtj", "2015-11": "dlz"}  # monthly reports filed three days late
RETURNED = ("2015-09", "gtj")                       # returned once, filed again


def daily_plan(days: list[dt.date]) -> list[tuple[dt.date, list[str]]]:
    """The daily inspections' teams: two a day, one on the days the other joins a 暗访 (so
    the year's daily teams add up to the seed's 158 person-times)."""
    special_days = {d(s[0]) for s in SPECIALS}
    plan = []
    for n, day in enumerate(days):
        pair = [INSPECTORS[(2 * n) % len(INSPECTORS)], INSPECTORS[(2 * n + 1) % len(INSPECTORS)]]
        plan.append((day, pair[:1] if day in special_days else pair))
    return plan


class Campaign:
    """The replay as a dated script, with the expected outcome kept as it is written."""

    def __init__(self, out: str, holidays: list[dict[str, str]]) -> None:
        self.s = Script()
        self.out = out
        self.findings: list[dict[str, str]] = []  # tag, day, unit, category, title, kind
        self.days = working_days(START, END)
        self.stages()
        self.daily()
        self.specials()
        self.holidays(holidays)
        self.filings()
        self.registers()

    def at(self, day: dt.date, *args: str, tag: str = "") -> None:
        self.s.at(day, *args, tag=tag)

    def stages(self) -> None:
        self.at(d("2015-12-01"), "campaign", "advance", KEY, "--to", "institutionalize",
                "--actor", LEAD)

    def inspection(self, day: dt.date, tag: str, team: str, members: list[str], targets: list[str],
                   method: str, theme: str, points: list[str]) -> None:
        self.at(day, "inspection", "add", KEY, "--date", day.isoformat(), "--team", team,
                *[a for m in members for a in ("--member", m)],
                *[a for t in targets for a in ("--target", t)], "--method", method,
                "--theme", theme, *[a for p in points for a in ("--point", p)],
                "--actor", OFFICE, tag=tag)

    def finding(self, day: dt.date, inspection: str, tag: str, unit: str, category: str,
                title: str, kind: str, n: int) -> None:
        """The finding and its rectification: every fifth one until November five weeks late,
        so the ladder climbs to 通报 and the weekly circulars name the unit."""
        self.at(day, "inspection", "finding", inspection, "--unit", unit, "--title", title,
                "--category", category, "--actor", OFFICE, tag=tag)
        self.findings.append({"tag": tag, "day": day.isoformat(), "unit": unit,
                              "category": category, "title": title, "kind": kind})
        head = HEAD[unit]
        confirm, planned = day + dt.timedelta(days=1), day + dt.timedelta(days=2)
        late = n % 5 == 3 and day < d("2015-11-01")
        deadline = planned + dt.timedelta(days=14 if day < d("2015-12-01") else 7)
        self.at(confirm, "item", "advance", "confirm", tag, "--actor", head)
        self.at(planned, "item", "rectify", tag, "--measures", "召开专题会议，批评教育当事人，建立长效机制",
                "--target", "立行立改，作风好转", "--deadline", deadline.isoformat(),
                "--leader", head, "--person", head, "--actor", head)
        submit = deadline + dt.timedelta(days=35) if late else deadline - dt.timedelta(days=4)
        self.at(submit, "item", "advance", "submit", tag, "--actor", head)
        self.at(submit + dt.timedelta(days=1), "item", "advance", "verify", tag, "--actor", CHECKER)

    def daily(self) -> None:
        """日日有人员: every working day a team of the 日常督查组 visits two units; every
        fourth visit until the 24th of December finds a problem."""
        for n, (day, members) in enumerate(daily_plan(self.days)):
            targets = [UNITS[(2 * n) % len(UNITS)][0], UNITS[(2 * n + 1) % len(UNITS)][0]]
            tag = f"@daily{n}"
            self.inspection(day, tag, "日常督查组", members, targets, "日常督查", "上班纪律（干部在干啥）",
                            ["办公室", "服务窗口"])
            if n % 4 == 0 and day <= d("2015-12-24"):
                category, title = DAILY[(n // 4) % len(DAILY)]
                self.finding(day, tag, f"@d{n // 4}", targets[0], category, title, "daily", n // 4)

    def specials(self) -> None:
        """工作日中餐饮酒、公车私用督查8次, 暗访; and the 专项督查 of the 吃空饷 clean-up."""
        for n, (when, theme, category, unit, title) in enumerate(SPECIALS):
            day, tag = d(when), f"@special{n}"
            other = UNITS[(UNITS.index((unit, HEAD[unit])) + 1) % len(UNITS)][0]
            pulled = INSPECTORS[(2 * self.days.index(day) + 1) % len(INSPECTORS)]
            self.inspection(day, tag, "县纪委暗访组", [pulled, "县纪委 张国栋"], [unit, other],
                            "暗访", theme, ["酒店", "农家乐"] if "饮酒" in theme else ["公车停放点"])
            self.finding(day, tag, f"@s{n}", unit, category, title, "special", n)
        when, theme, targets, (category, unit, title) = CLEANUP
        self.inspection(d(when), "@cleanup", "县作风办专项督查组", ["县作风办 李永福", "县人社局 杨明德"],
                        targets, "专项督查", theme, ["人事档案", "考勤记录"])
        self.finding(d(when), "@cleanup", "@c0", unit, category, title, "cleanup", 1)

    def holidays(self, holidays: list[dict[str, str]]) -> None:
        """个个节日有督查: before each holiday the notice (the theme), during it the check of
        where the official cars are; the 纪念日's was due before the campaign, so on its first day."""
        for n, h in enumerate(holidays):
            first, end = d(h["starts"]), d(h["ends"])
            if end < START or first > LAST:
                continue
            day = max(first, START) if d(h["inspect_on"]) >= START else START
            tag = f"@holiday{n}"
            found = HOLIDAY_FINDINGS.get(first.isoformat())
            self.inspection(day, tag, "县纪委作风办节日督查组", ["县纪委 张国栋", "县作风办 李永福"],
                            [found[1] if found else "jtj", "zwzx"], "节假日专项", h["theme"],
                            ["酒店", "农家乐", "公车停放点"])
            if found:
                category, unit, title = found
                self.finding(day, tag, f"@h{n}", unit, category, title, "holiday", 0)

    def filings(self) -> None:
        """周周发通报 every Monday, 月月出简报 by the 5th, 月末梳理 at the month's end; the units'
        monthly reports on the month's last working day (some late, one returned)."""
        out = self.out
        week = START - dt.timedelta(days=START.weekday())
        while week + dt.timedelta(days=6) <= d("2016-01-03"):
            label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
            on = working_days(week + dt.timedelta(days=7), LAST)[0]  # the next week's first
            for ext in ("html", "docx"):
                self.at(on, "circular", "weekly", KEY, "--week", label, "-o",
                        os.path.join(out, f"circular-{label}.{ext}"), "--actor", LEAD)
            self.at(on, "filing", "submit", "zfb", "weekly-circular", "--period", label, "--file",
                    os.path.join(out, f"circular-{label}.docx"), "--actor", OFFICE)
            self.at(on, "filing", "accept", "zfb", "weekly-circular", "--period", label,
                    "--actor", LEAD)
            week += dt.timedelta(days=7)
        for month in ("2015-09", "2015-10", "2015-11", "2015-12"):
            first = d(month + "-01")
            nxt = (first + dt.timedelta(days=32)).replace(day=1)
            month_days = working_days(first, nxt - dt.timedelta(days=1))
            last = month_days[-1]
            self.at(last, "circular", "sorting", KEY, "--month", month, "-o",
                    os.path.join(out, f"sorting-{month}.docx"), "--actor", LEAD)
            on = working_days(nxt, LAST)[1]  # the second working day of the next month
            for ext in ("html", "docx"):
                self.at(on, "circular", "monthly", KEY, "--month", month, "-o",
                        os.path.join(out, f"bulletin-{month}.{ext}"), "--actor", LEAD)
            self.at(on, "filing", "submit", "zfb", "monthly-bulletin", "--period", month,
                    "--file", os.path.join(out, f"bulletin-{month}.docx"), "--actor", OFFICE)
            self.at(on, "filing", "accept", "zfb", "monthly-bulletin", "--period", month,
                    "--actor", LEAD)
            for unit, head in UNITS:
                report = os.path.join(out, f"report-{unit}-{month}.txt")
                with open(report, "w", encoding="utf-8") as fh:
                    fh.write(f"{unit} {month} 作风纪律效能建设工作月报\n")
                filed = month_days[-3]  # before the reminder, the day before it is due
                if LATE_FILERS.get(month) == unit:
                    filed = last + dt.timedelta(days=3)
                self.at(filed, "filing", "submit", unit, "monthly-report", "--period", month,
                        "--file", report, "--actor", head)
                if (month, unit) == RETURNED:
                    self.at(last, "filing", "return", unit, "monthly-report", "--period", month,
                            "--note", "缺少本月督查问题整改情况", "--actor", LEAD)
                    self.at(on, "filing", "submit", unit, "monthly-report", "--period", month,
                            "--file", report, "--actor", head)
                self.at(max(on, filed + dt.timedelta(days=1)), "filing", "accept", unit,
                        "monthly-report", "--period", month, "--actor", LEAD)

    def registers(self) -> None:
        for when, cases in ACCOUNTABILITY.items():
            for tag, people, outcome in cases:
                self.at(d(when), "accountability", "add", KEY, "--item", tag,
                        *[a for p in people for a in ("--person", p)], "--outcome", outcome,
                        "--note", "月末梳理当月作风督查通报，按作风问责办法处理", "--actor", LEAD)


def replay(db: str, out: str | None = None, echo: bool = False) -> Campaign:
    """Run the campaign into database ``db``, its documents into ``out``; returns the script."""
    out = out or os.path.join(os.path.dirname(os.path.abspath(db)), "datong-2015")
    os.makedirs(out, exist_ok=True)
    run = Runner(db, echo)
    run(["init", "--admin", ADMIN, "--name", "系统管理员"])
    run(["unit", "import", os.path.join(HERE, "units.csv"), "--actor", ADMIN])
    run(["person", "import", os.path.join(HERE, "people.csv"), "--actor", ADMIN])
    run(["campaign", "start", DEFINITION, "--start", START.isoformat(), "--actor", LEAD,
         "--as-of", START.isoformat()])
    campaign = Campaign(out, [h for year in ("2015", "2016") for h in json.loads(run(
        ["inspection", "holidays", KEY, year, "--json", "--as-of", START.isoformat()]))])
    left = run_days(run, campaign.s.steps, START, LAST, KEY, lambda text: text.split()[0])
    assert not left, f"steps after {LAST}: {left[0]}"
    finish(run, out)
    return campaign


def finish(run: Runner, out: str) -> None:
    """What the office looks at afterwards: the heat map, the filings, the audit."""
    for ext in ("svg", "html"):
        run(["inspection", "heatmap", "2015", "-o", os.path.join(out, f"heatmap-2015.{ext}")])
    with open(os.path.join(out, "filing-status.csv"), "w", encoding="utf-8") as fh:
        fh.write(run(["filing", "status", KEY, "--csv", "--as-of", LAST.isoformat()]))
    run(["campaign", "advance", KEY, "--actor", LEAD, "--as-of", LAST.isoformat()])
    run(["audit", "verify", "--all"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.path.join(ROOT, "out", "datong-2015.db"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "datong-2015"))
    parser.add_argument("--echo", action="store_true", help="print what every command prints")
    args = parser.parse_args()
    fresh_db(args.db)
    campaign = replay(args.db, args.out, echo=args.echo)
    print(f"replayed {KEY}: {len(campaign.findings)} findings into {args.db}, documents in {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
