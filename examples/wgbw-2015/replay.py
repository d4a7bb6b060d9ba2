"""Replay seed 001's campaign (沙洋县“为官不为”专项治理, July-December 2015) through the CLI.

Every step is a real ``rectify`` command run in-process, in business-date order, so the
replay exercises exactly what an office would type.  Run it directly:

    python examples/wgbw-2015/replay.py --db out/wgbw-2015.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from _replay import Runner, Script, d, fresh_db, run_days  # noqa: E402

DEFINITION = os.path.join(ROOT, "definitions", "wgbw-2015.yaml")
KEY = "wgbw-2015"
LEAD, SUPERVISOR, SUPERVISOR2, DISCIPLINE = "chen-zzb", "liu-dcs", "he-dcs", "sun-jw"
ADMIN = "admin"  # the site's administrator, who records the units and people

UNITS = [("rsj", "wang-rsj"), ("fgj", "zhang-fgj"), ("czj", "li-czj"), ("zjj", "zhao-zjj"),
         ("jyj", "wu-jyj"), ("jtj", "zhou-jtj"), ("mzj", "xu-mzj"), ("zwzx", "huang-zwzx"),
         ("syz", "yang-syz"), ("wlp", "zheng-wlp"), ("slp", "ma-slp"), ("hgz", "hu-hgz"),
         ("mlz", "zhu-mlz"), ("gdz", "lin-gdz"), ("mlg", "guo-mlg"), ("xfj", "wang-xfj")]

# Seven problems per category, in the seed's own words where it gives them.
PROBLEMS = {
    "dare-not-develop": ["争取项目顾虑较多，不敢积极跑竞争性项目", "招商引资畏首畏尾，重点客商跟进不力",
                         "不敢努力争取财政性资金，宁愿不干事", "把守规矩与干事创业对立起来，项目申报搁置",
                         "产业项目前期工作推进迟缓", "对企业合理诉求不敢拍板", "重点项目征地协调明哲保身"],
    "no-responsibility": ["落实重大决策部署行动慢、见效迟", "交办工作任务能拖则拖",
                          "重点工作推进慢，解决办法不多", "工作拖延应付，马马虎虎",
                          "年度目标任务分解不到位", "整改台账建立滞后", "督办事项逾期未办结"],
    "passive-attitude": ["上班不在状态，心不在焉", "对政策法规、业务知识疏于学习",
                         "精神萎靡不振，混日子、熬资历", "工作日脱岗、串岗现象", "会议精神传达走过场",
                         "业务培训参与率低", "值班值守制度执行不严"],
    "buck-passing": ["对职责范围内的事能推则推", "遇矛盾就绕、见问题就躲",
                     "跨部门事项习惯等一等、看一看", "信访件转办后无人跟踪", "职责交叉事项相互推诿",
                     "群众来电转办不及时", "联审联办事项久拖不决"],
    "low-standards": ["工作不求有功、但求无过", "干事不用心、落实不用力，质效低下",
                      "工程质量监管降低标准", "民生资金审核把关不严", "档案资料整理敷衍了事",
                      "安全检查走过场", "项目验收流于形式"],
    "cold-service": ["服务群众语气生硬、漫不经心", "应告知事项不一次性告知，让群众反复跑",
                     "不按规定和程序办事", "故意刁难服务对象", "窗口人员迟到早退",
                     "办事指南公示不全", "低保审核拖延，群众多次往返"],
    "no-drive": ["对急、难、险、重任务不敢挑担子", "遇事患得患失，左右为难",
                 "做决策不果断，该拍板不敢拍板", "防汛工作准备不足", "招商任务完成率低",
                 "重点工程推进缺乏激情", "创先争优意识不强"],
    "stuck-in-routine": ["按部就班，凭经验办事，安于现状", "不能以发展的眼光思考问题",
                         "缺乏突破常规的办法", "不能创造性开展工作", "审批流程多年未优化",
                         "网上办事推进缓慢", "工作方法简单陈旧"],
}

DISMISSED = {3, 17}          # public reports found untrue
MERGED = {30: 29}            # duplicate report
RETURNED = {5, 12, 40}       # 驳回重办 once, then verified
LONG_TERM = {8, 44}          # 长期整改
OVERDUE = {10, 21, 33, 47}   # deadline missed, finished late
EXTENDED = {15}              # 延期申请 approved
REOPENED = {25}              # closed, then reopened by a re-inspection (回头看)


def plan_items() -> tuple[Script, list[dict[str, object]]]:
    """The campaign as a dated list of commands, and what each item should end as."""
    s = Script()
    s.at(d("2015-07-01"), "campaign", "start", DEFINITION, "--start", "2015-07-01",
         "--actor", LEAD)
    s.at(d("2015-08-01"), "campaign", "advance", KEY, "--to", "self-inspect", "--actor", LEAD)
    s.at(d("2015-08-01"), "campaign", "advance", KEY, "--to", "supervise", "--actor", LEAD)
    s.at(d("2015-09-01"), "campaign", "advance", KEY, "--close", "self-inspect", "--actor", LEAD)
    s.at(d("2015-12-01"), "campaign", "advance", KEY, "--to", "institutionalize", "--actor", LEAD)
    s.at(d("2015-12-31"), "campaign", "advance", KEY, "--actor", LEAD)
    expected = []
    categories = list(PROBLEMS)
    for i in range(56):
        category = categories[i // 7]
        unit, head = UNITS[i % len(UNITS)]
        code = f"@{i}"  # the code 'item add' prints, filled in as the replay runs
        if i < 8:
            found = d("2015-07-06") + dt.timedelta(days=3 * i)
            source = ("public-report", "media", "superior-review", "public-report")[i % 4]
        elif i < 48:
            found = d("2015-08-03") + dt.timedelta(days=(i - 8) % 26)
            source = "self-inspection"
        else:
            found = d("2015-09-07") + dt.timedelta(days=5 * (i - 48))
            source = ("inspection", "department-feedback")[i % 2]
        if i in DISMISSED or i in MERGED:
            source = "public-report"
        extra = ["--reporter", f"群众{i:02d}（热线）"] if source == "public-report" else []
        s.at(found, "item", "add", KEY, "--title", PROBLEMS[category][i % 7], "--unit", unit,
             "--category", category, "--source", source, "--actor", LEAD, *extra, tag=code)
        fate = "closed"
        if i in DISMISSED:
            s.at(found + dt.timedelta(days=4), "item", "advance", "dismiss", code,
                 "--note", "经核查，反映问题不属实", "--actor", SUPERVISOR)
            expected.append({"code": code, "state": "dismissed", "rect": "cancelled"})
            continue
        if i in MERGED:
            target = f"@{MERGED[i]}"
            s.at(found + dt.timedelta(days=2), "item", "merge", code, "--into", target,
                 "--actor", SUPERVISOR)
            expected.append({"code": code, "state": "merged", "rect": "cancelled"})
            continue
        confirm = found + dt.timedelta(days=2)
        planned = confirm + dt.timedelta(days=1)
        deadline = planned + dt.timedelta(days=30 if i not in OVERDUE else 20)
        s.at(confirm, "item", "advance", "confirm", code, "--actor", head)
        measures = "召开专题会议查找根源，建立整改台账，明确专人负责，限期整改到位"
        s.at(planned, "item", "rectify", code, "--measures", measures,
             "--target", "问题整改到位，群众满意", "--deadline", deadline.isoformat(),
             "--leader", head, "--person", head, "--actor", head)
        s.at(planned + dt.timedelta(days=10), "item", "progress", code,
             "--note", "已召开专题会议部署整改，完成阶段性任务", "--actor", head)
        submit = deadline - dt.timedelta(days=5)
        if i in OVERDUE:
            submit = deadline + dt.timedelta(days=40)
        if i in EXTENDED:
            s.at(deadline - dt.timedelta(days=8), "item", "advance", "request-extension", code,
                 "--note", "涉及多部门协调，申请延期15天", "--actor", head)
            s.at(deadline - dt.timedelta(days=6), "item", "advance", "approve-extension", code,
                 "--deadline", (deadline + dt.timedelta(days=15)).isoformat(),
                 "--actor", LEAD)
            submit = deadline + dt.timedelta(days=10)
        if i in LONG_TERM:
            # long-term work stops the ladder, so the office decides it (a unit may not)
            s.at(deadline - dt.timedelta(days=3), "item", "advance", "defer", code,
                 "--note", "需建立长效机制，转为长期整改", "--actor", LEAD)
            expected.append({"code": code, "state": "confirmed", "rect": "long_term"})
            continue
        s.at(submit, "item", "advance", "submit", code, "--actor", head)
        verify = submit + dt.timedelta(days=2)
        if i in RETURNED:
            s.at(verify, "item", "advance", "return", code, "--note", "整改不彻底，佐证材料不全",
                 "--actor", SUPERVISOR2)
            s.at(verify + dt.timedelta(days=5), "item", "advance", "submit", code, "--actor", head)
            verify = verify + dt.timedelta(days=7)
        s.at(verify, "item", "advance", "verify", code, "--actor", SUPERVISOR)
        if i in REOPENED:
            s.at(d("2015-11-16"), "item", "advance", "reopen", code,
                 "--note", "回头看发现问题反弹", "--actor", DISCIPLINE)
            s.at(d("2015-11-30"), "item", "advance", "submit", code, "--actor", head)
            s.at(d("2015-12-02"), "item", "advance", "verify", code, "--actor", SUPERVISOR)
        expected.append({"code": code, "state": fate, "rect": "verified"})
    registers(s)
    return s, expected


# 建章立制: one mechanism a category, each put in force by a numbered document in December.
MECHANISMS = {
    "dare-not-develop": ("干部干事创业容错纠错实施办法", "system"),
    "no-responsibility": ("重点工作督办落实制度", "system"),
    "passive-attitude": ("机关工作人员考勤管理规定", "rule"),
    "buck-passing": ("首问负责和限时办结制度", "system"),
    "low-standards": ("重点项目质量监管流程", "process"),
    "cold-service": ("窗口服务一次性告知规定", "rule"),
    "no-drive": ("急难险重任务担当作为激励办法", "system"),
    "stuck-in-routine": ("行政审批流程优化规程", "process"),
}
# 问责 for work finished late (item, outcome, people held accountable by their unit's head)
CASES = [(10, "talk", (10,)), (21, "talk", (21,)), (33, "admonish", (33, 10)),
         (47, "circulate", (47,))]


def registers(s: Script) -> None:
    """The registers of the final months: accountability cases and the long-term mechanisms."""
    for n, (item, outcome, heads) in enumerate(CASES):
        people = [a for h in heads for a in ("--person", UNITS[h % len(UNITS)][1])]
        s.at(d("2015-11-20") + dt.timedelta(days=n), "accountability", "add", KEY,
             "--item", f"@{item}", *people, "--outcome", outcome,
             "--note", "整改逾期，按问责办法处理", "--actor", LEAD)
    for n, (category, (title, kind)) in enumerate(MECHANISMS.items()):
        mid = str(n + 1)  # ids in the order recorded
        s.at(d("2015-12-03") + dt.timedelta(days=n), "mechanism", "add", KEY, "--title", title,
             "--kind", kind, "--category", category, "--actor", LEAD)
        s.at(d("2015-12-14"), "mechanism", "advance", mid, "issue", "--actor", LEAD)
        s.at(d("2015-12-21"), "mechanism", "advance", mid, "enforce",
             "--number", f"沙组发〔2015〕{30 + n}号", "--on", "2015-12-21", "--actor", LEAD)


def replay(db: str, tick: bool | None = None, echo: bool = False,
           until: dt.date | None = None) -> list[dict[str, object]]:
    """Run the campaign into database ``db`` (up to ``until``); returns the expected final states."""
    from campaigns.cli import COMMANDS

    tick = ("tick" in COMMANDS) if tick is None else tick
    run = Runner(db, echo)
    run(["init", "--admin", ADMIN, "--name", "系统管理员"])
    run(["unit", "import", os.path.join(HERE, "units.csv"), "--actor", ADMIN])
    run(["person", "import", os.path.join(HERE, "people.csv"), "--actor", ADMIN])
    script, expected = plan_items()
    first = min(script.steps).day
    run_days(run, script.steps, first, until or d("2015-12-31"), KEY if tick else None,
             lambda out: out.strip().splitlines()[-1])
    return [{**e, "code": run.refs.get(str(e["code"]), "")} for e in expected]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.path.join(ROOT, "out", "wgbw-2015.db"))
    parser.add_argument("--no-tick", action="store_true", help="do not run the daily clock")
    args = parser.parse_args()
    fresh_db(args.db)
    expected = replay(args.db, tick=False if args.no_tick else None)
    print(f"replayed {KEY}: {len(expected)} items into {args.db}")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
