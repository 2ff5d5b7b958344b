"""A realistic demo company, seeded deterministically and idempotently.

Four departments, about thirty people in a manager tree, nine quarters and twenty-five
months of metric history, goals with progress, monthly check-ins whose manager feedback
mixes vague and specific comments, review scores and key events.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from coach.checkins import annotate_feedback
from coach.core.audit import record_event
from coach.core.models import (
    CheckIn,
    Direction,
    Employee,
    Goal,
    GoalKind,
    KeyEvent,
    KeyEventKind,
    KeyResult,
    Metric,
    MetricValue,
    PeriodType,
    ProgressUpdate,
    ReviewScore,
    Role,
    User,
)
from coach.core.units import UnitKind
from coach.org.users import hash_token, new_token, rotate_token
from coach.targets.periods import PeriodType as PeriodKind
from coach.targets.periods import season_length, to_ordinal

TODAY = date(2026, 11, 16)
QUARTERS = [f"{y}Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)][2:11]  # 2024Q3..2026Q3
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)][
    9:34
]  # 2024-10..2026-10


@dataclass(frozen=True)
class _Person:
    employee_id: str
    name: str
    role: str
    level: str
    department: str
    team: str
    manager_id: str | None
    hire_date: date


_PEOPLE: list[_Person] = [
    _Person("E001", "周敏", "总经理", "M4", "总经办", "总经办", None, date(2016, 3, 1)),
    # 销售部
    _Person("E010", "王磊", "销售总监", "M3", "销售部", "销售管理", "E001", date(2018, 6, 11)),
    _Person("E011", "陈静", "销售经理", "M2", "销售部", "华东大区", "E010", date(2019, 9, 2)),
    _Person("E012", "李强", "销售代表", "P3", "销售部", "华东大区", "E011", date(2021, 4, 19)),
    _Person("E013", "赵雪", "销售代表", "P3", "销售部", "华东大区", "E011", date(2022, 7, 4)),
    _Person("E014", "孙浩", "销售代表", "P2", "销售部", "华东大区", "E011", date(2026, 5, 6)),
    _Person("E015", "刘洋", "销售经理", "M2", "销售部", "华南大区", "E010", date(2020, 2, 17)),
    _Person("E016", "黄丽", "销售代表", "P3", "销售部", "华南大区", "E015", date(2020, 11, 9)),
    _Person("E017", "吴鹏", "销售代表", "P2", "销售部", "华南大区", "E015", date(2023, 3, 13)),
    _Person("E018", "郑欣", "销售代表", "P2", "销售部", "华南大区", "E015", date(2024, 8, 26)),
    # 客服部
    _Person("E020", "马丽娟", "客服经理", "M2", "客服部", "客服中心", "E001", date(2017, 10, 9)),
    _Person("E021", "林峰", "客服主管", "M1", "客服部", "一线支持", "E020", date(2019, 5, 20)),
    _Person("E022", "何佳", "客服专员", "P2", "客服部", "一线支持", "E021", date(2022, 1, 10)),
    _Person("E023", "高远", "客服专员", "P2", "客服部", "一线支持", "E021", date(2023, 6, 5)),
    _Person("E024", "罗琳", "客服专员", "P1", "客服部", "一线支持", "E021", date(2026, 7, 1)),
    _Person("E025", "梁晨", "客服专员", "P2", "客服部", "一线支持", "E021", date(2021, 9, 13)),
    _Person("E026", "宋雨", "客服专员", "P3", "客服部", "二线支持", "E020", date(2020, 4, 27)),
    # 研发部
    _Person("E030", "谢宇", "研发总监", "M3", "研发部", "研发管理", "E001", date(2017, 2, 13)),
    _Person("E031", "唐杰", "技术经理", "M2", "研发部", "平台组", "E030", date(2018, 8, 6)),
    _Person("E032", "韩梅", "后端工程师", "P3", "研发部", "平台组", "E031", date(2020, 3, 16)),
    _Person("E033", "冯博", "后端工程师", "P2", "研发部", "平台组", "E031", date(2022, 10, 24)),
    _Person("E034", "曹颖", "测试工程师", "P2", "研发部", "平台组", "E031", date(2021, 12, 6)),
    _Person("E035", "彭飞", "后端工程师", "P2", "研发部", "平台组", "E031", date(2026, 4, 13)),
    _Person("E036", "董琪", "技术经理", "M2", "研发部", "应用组", "E030", date(2019, 1, 7)),
    _Person("E037", "袁野", "前端工程师", "P3", "研发部", "应用组", "E036", date(2020, 6, 22)),
    _Person("E038", "蒋楠", "前端工程师", "P2", "研发部", "应用组", "E036", date(2023, 2, 20)),
    # 生产部
    _Person("E040", "潘志刚", "生产经理", "M2", "生产部", "生产管理", "E001", date(2016, 9, 5)),
    _Person("E041", "许亮", "班组长", "M1", "生产部", "装配一线", "E040", date(2018, 3, 19)),
    _Person("E042", "邓超", "装配技工", "P2", "生产部", "装配一线", "E041", date(2021, 5, 10)),
    _Person("E043", "田甜", "装配技工", "P2", "生产部", "装配一线", "E041", date(2022, 8, 15)),
    _Person("E044", "范伟", "质检员", "P2", "生产部", "装配一线", "E041", date(2020, 1, 6)),
]

_METRICS = [
    Metric(metric="revenue", name="销售回款", unit="万元", direction=Direction.higher_is_better, period_type=PeriodType.quarter, unit_kind=UnitKind.amount),
    Metric(metric="new_customers", name="新签客户数", unit="家", direction=Direction.higher_is_better, period_type=PeriodType.quarter, unit_kind=UnitKind.counts),
    Metric(metric="csat", name="客户满意度", unit="分", direction=Direction.higher_is_better, period_type=PeriodType.month, unit_kind=UnitKind.amount),
    Metric(metric="first_response_min", name="首次响应时长", unit="分钟", direction=Direction.lower_is_better, period_type=PeriodType.month, unit_kind=UnitKind.amount),
    Metric(metric="story_points", name="交付故事点", unit="点", direction=Direction.higher_is_better, period_type=PeriodType.quarter, unit_kind=UnitKind.counts),
    Metric(metric="defect_rate", name="缺陷率", unit="%", direction=Direction.lower_is_better, period_type=PeriodType.quarter, unit_kind=UnitKind.percent),
]  # fmt: skip

_ROLE_METRICS = {
    "销售代表": ("revenue", "new_customers"),
    "客服专员": ("csat", "first_response_min"),
    "后端工程师": ("story_points", "defect_rate"),
    "前端工程师": ("story_points", "defect_rate"),
    "测试工程师": ("story_points",),
    "装配技工": ("defect_rate",),
    "质检员": ("defect_rate",),
}

# Feedback as managers really write it: some of it empty, some of it concrete.
_VAGUE_FEEDBACK = [
    "表现良好,继续努力。",
    "工作认真负责,希望再接再厉。",
    "整体还不错,继续保持。",
    "态度端正,有待提高。",
    "good job, keep it up",
    "同意。",
    "本月表现一般,需要加强。",
    "他性格比较内向,要多沟通。",
]
_SPECIFIC_FEEDBACK = {
    "销售代表": [
        "10月跟进{client}续约时,你提前两周整理了使用数据,客户当场同意续签,回款{n}万元。下次报价前建议先和售前对齐交付周期。",
        "本月拜访量达标,但{client}的方案被退回两次,原因是报价单缺少实施费用。建议用新的报价模板,提交前找我过一遍。",
    ],
    "客服专员": [
        "11月3日处理{client}的批量退款投诉,你当天拉通财务闭环,客户满意度回访给了5分。建议把处理步骤整理进知识库。",
        "本月首次响应时长比上月多了{n}分钟,主要在周一上午排队。建议周一早到半小时处理积压工单,我来协调排班。",
    ],
    "后端工程师": [
        "在订单服务重构中,你补齐了支付回调的幂等测试,上线后相关缺陷为0。下个迭代建议带冯博一起做代码评审。",
        "本迭代有两个需求延期,原因是接口文档更新不及时导致前端返工。建议每次改接口同步更新文档并在群里通知。",
    ],
    "前端工程师": [
        "会员页改版按时上线,首屏加载从3.2秒降到1.4秒。建议把性能检查加到发布清单里。",
        "本月线上出现两次样式错乱,都是没在低版本浏览器上验证。下次提测前请补充兼容性检查。",
    ],
    "测试工程师": [
        "你为回归测试补了{n}条自动化用例,发布前回归时间从两天缩短到半天。建议下季度覆盖退款流程。",
    ],
    "装配技工": [
        "10月第二周你发现扭矩扳手校准偏差并及时上报,避免了一批返工。建议把点检记录做成每日打卡。",
        "本月装配缺陷率偏高,集中在线束固定工序。建议跟许亮做一次标准作业的跟岗复训。",
    ],
    "质检员": [
        "你在来料检验中拦截了一批尺寸超差的支架,避免了约{n}台返修。建议把这次的判定标准补进检验SOP。",
    ],
}
_CLIENTS = ["华润万家", "蓝海物流", "星辰科技", "恒通制造", "绿源食品", "远航教育"]
_OBSTACLES = [
    "跨部门接口人变动,需求确认变慢",
    "客户预算冻结,签约推迟到下季度",
    "测试环境不稳定,经常排队",
    "新系统上线后流程还不熟悉",
    "",
]
_SUPPORT = ["希望协调一次与财务的对接会", "需要一次产品培训", "希望增加一台测试设备", "", ""]
_DIMENSIONS = ("results", "behavior", "team", "innovation")
_CYCLES = ("2025H1", "2025H2", "2026H1")


class DemoTokens(BaseModel):
    admin: str
    hr: str
    manager: str
    employee: str


def _rotate_user(session: Session, name: str, role: Role, employee_id: str | None) -> str:
    """Demo users get a fresh token on every run, so the printed tokens always work."""
    if session.exec(select(User).where(User.name == name)).first() is not None:
        return rotate_token(session, name=name, actor="cli")[1]
    token = new_token()
    session.add(User(name=name, role=role, employee_id=employee_id, token_hash=hash_token(token)))
    return token


def _history_value(
    rng: random.Random, metric: str, level: str, t: int, hired_index: int, season: int
) -> float:
    skill = {"P1": 0.8, "P2": 0.95, "P3": 1.1}.get(level, 1.0)
    ramp = min(1.0, 0.5 + 0.17 * max(0, t - hired_index))
    noise = rng.gauss(0, 1)
    if metric == "revenue":
        seasonal = 1.25 if season == 4 else (0.85 if season == 1 else 1.0)
        return round(
            max(5.0, 80 * skill * ramp * seasonal * (1 + 0.02 * t) * (1 + 0.12 * noise)), 1
        )
    if metric == "new_customers":
        return float(max(0, round(6 * skill * ramp * (1 + 0.25 * noise))))
    if metric == "csat":
        return round(min(5.0, max(3.0, 4.1 + 0.3 * (skill - 1) + 0.15 * noise + 0.1 * ramp)), 2)
    if metric == "first_response_min":
        return round(max(1.0, 12 / (skill * ramp) * (1 + 0.15 * noise)), 1)
    if metric == "story_points":
        return float(max(5, round(40 * skill * ramp * (1 + 0.15 * noise))))
    # defect_rate, percent, lower is better
    return round(max(0.1, 2.5 / (skill * math.sqrt(ramp)) * (1 + 0.2 * noise)), 2)


def _period_index(periods: list[str], hire: date, monthly: bool) -> int:
    """Position of the hire's period in `periods`: negative for people hired before the first.

    The ramp-up counts periods since this index, so a veteran must sit before the window
    rather than at its start, or every long-tenured person would ramp up again in it.
    """
    period_type: PeriodKind = "month" if monthly else "quarter"
    per_year = season_length(period_type)
    hired = hire.year * per_year + (hire.month - 1) * per_year // 12
    return hired - to_ordinal(periods[0], period_type)


def seed_demo(session: Session) -> DemoTokens:
    """Write the demo company (again) and return fresh tokens for the four demo users."""
    rng = random.Random(20261116)
    for person in _PEOPLE:
        session.merge(Employee(**person.__dict__))
    for metric_row in _METRICS:
        session.merge(Metric.model_validate(metric_row.model_dump()))
    session.flush()

    existing = {
        (v.employee_id, v.metric, v.period): v for v in session.exec(select(MetricValue)).all()
    }
    for person in _PEOPLE:
        for metric in _ROLE_METRICS.get(person.role, ()):
            monthly = metric in ("csat", "first_response_min")
            periods = MONTHS if monthly else QUARTERS
            start = _period_index(periods, person.hire_date, monthly)
            for t, period in enumerate(periods):
                if t < start:
                    continue
                season = int(period[5:]) if not monthly else (int(period[5:]) - 1) // 3 + 1
                value = _history_value(rng, metric, person.level, t, start, season)
                row = existing.get((person.employee_id, metric, period))
                if row is None:
                    session.add(
                        MetricValue(
                            employee_id=person.employee_id,
                            metric=metric,
                            period=period,
                            value=value,
                        )
                    )
                else:
                    row.value = value
    _seed_goals(session, rng)
    _seed_checkins(session, rng)
    _seed_reviews_and_events(session, rng)
    tokens = DemoTokens(
        admin=_rotate_user(session, "demo-admin", Role.admin, None),
        hr=_rotate_user(session, "demo-hr", Role.hr, None),
        manager=_rotate_user(session, "demo-manager", Role.manager, "E011"),
        employee=_rotate_user(session, "demo-employee", Role.employee, "E012"),
    )
    session.flush()
    record_event(
        session, actor="cli", action="import", object_type="demo", object_id="demo-company",
        after={"employees": len(_PEOPLE)},
    )  # fmt: skip
    return tokens


def _seed_goals(session: Session, rng: random.Random) -> None:
    for person in _PEOPLE:
        metrics = _ROLE_METRICS.get(person.role)
        if not metrics:
            continue
        goal_id = f"G-{person.employee_id}-2026Q4"
        session.merge(Goal(goal_id=goal_id, employee_id=person.employee_id, cycle="2026Q4",
                           title=f"{person.team}2026年第四季度重点目标", kind=GoalKind.okr))  # fmt: skip
        for i, metric in enumerate(metrics):
            lower = metric in ("first_response_min", "defect_rate")
            target = {"revenue": 95.0, "new_customers": 7.0, "csat": 4.5, "first_response_min": 10.0,
                      "story_points": 45.0, "defect_rate": 1.8}[metric]  # fmt: skip
            baseline = target * (1.25 if lower else 0.6)
            # The last update (11-12) is at 46% of the quarter; some people are well behind.
            share = rng.choice([0.2, 0.55, 0.7, 0.8])
            current = round(baseline + (target - baseline) * share, 2)
            kr_id = f"KR-{person.employee_id}-{i + 1}"
            session.merge(KeyResult(kr_id=kr_id, goal_id=goal_id, title=f"{_metric_name(metric)}达到{target:g}",
                                    metric=metric, unit=_metric_unit(metric),
                                    direction=Direction.lower_is_better if lower else Direction.higher_is_better,
                                    baseline=round(baseline, 2), target=target, current=current,
                                    due_date=date(2026, 12, 31)))  # fmt: skip
            session.flush()
            if not session.exec(
                select(ProgressUpdate).where(ProgressUpdate.kr_id == kr_id)
            ).first():
                for step, day in enumerate((date(2026, 10, 15), date(2026, 11, 12)), start=1):
                    value = round(baseline + (current - baseline) * step / 2, 2)
                    session.add(ProgressUpdate(kr_id=kr_id, date=day, value=value,
                                               note="月度进展更新", author_id=person.employee_id))  # fmt: skip


def _metric_name(metric: str) -> str:
    return next(m.name for m in _METRICS if m.metric == metric)


def _metric_unit(metric: str) -> str:
    return next(m.unit for m in _METRICS if m.metric == metric)


def _seed_checkins(session: Session, rng: random.Random) -> None:
    for person in _PEOPLE:
        if person.manager_id is None:
            continue
        specific = _SPECIFIC_FEEDBACK.get(person.role, [])
        for months_back in range(6):
            day = TODAY - timedelta(days=30 * months_back + rng.randint(0, 6))
            if day < person.hire_date or rng.random() < 0.12:
                continue  # missed check-ins are part of the picture HR audits
            use_specific = specific and rng.random() < 0.55
            feedback = (
                rng.choice(specific).format(client=rng.choice(_CLIENTS), n=rng.randint(3, 30))
                if use_specific
                else rng.choice(_VAGUE_FEEDBACK)
            )
            checkin = CheckIn(
                checkin_id=f"C-{person.employee_id}-{day:%Y%m}",
                employee_id=person.employee_id,
                manager_id=person.manager_id,
                date=day,
                progress=f"{day.month}月重点工作按计划推进,完成约{rng.randint(50, 95)}%",
                obstacles=rng.choice(_OBSTACLES),
                support_needed=rng.choice(_SUPPORT),
                next_actions=rng.choice(["整理客户清单并逐一回访", "完成接口文档更新", "参加标准作业复训", "梳理本月工单分类"]),
                manager_feedback=feedback,
                employee_comment=rng.choice(["", "同意,下月重点跟进。", "希望能多一些培训机会。"]),
            )  # fmt: skip
            annotate_feedback(checkin)
            session.merge(checkin)


def _seed_reviews_and_events(session: Session, rng: random.Random) -> None:
    existing = {
        (r.employee_id, r.cycle, r.dimension): r for r in session.exec(select(ReviewScore)).all()
    }
    for person in _PEOPLE:
        if person.manager_id is None:
            continue
        for cycle in _CYCLES:
            if int(cycle[:4]) < person.hire_date.year:
                continue
            for dimension in _DIMENSIONS:
                score = round(min(5.0, max(1.0, rng.gauss(3.3, 0.6))), 1)
                row = existing.get((person.employee_id, cycle, dimension))
                if row is None:
                    session.add(ReviewScore(employee_id=person.employee_id, cycle=cycle, dimension=dimension,
                                            score=score, reviewer_id=person.manager_id))  # fmt: skip
                else:
                    row.score = score
        for n, (kind, text, impact) in enumerate(_events_for(person, rng)):
            session.merge(KeyEvent(event_id=f"K-{person.employee_id}-{n + 1}", employee_id=person.employee_id,
                                   date=TODAY - timedelta(days=rng.randint(10, 150)), description=text,
                                   impact=impact, kind=KeyEventKind(kind), author_id=person.manager_id))  # fmt: skip


def _events_for(person: _Person, rng: random.Random) -> list[tuple[str, str, str]]:
    client = rng.choice(_CLIENTS)
    positive = {
        "销售": (f"主动梳理{client}的采购流程,提前锁定年度框架协议", "带来下季度稳定订单"),
        "客服": (f"夜间值班时独立处理{client}系统故障投诉并安抚客户", "避免了一次客户流失"),
        "研发": ("排查出缓存穿透导致的接口超时问题并给出修复方案", "高峰期接口错误率明显下降"),
        "生产": ("提出工装夹具改进建议并被采纳", "装配节拍缩短"),
        "总经": ("牵头季度经营复盘会", "各部门目标对齐"),
    }[person.department[:2]]
    negative = {
        "销售": (f"{client}的合同条款未经法务审核即发给客户", "返工一周,客户体验受影响"),
        "客服": ("连续三天未按时更新工单状态", "客户重复来电询问"),
        "研发": ("上线前未执行回归测试清单", "导致一次线上回滚"),
        "生产": ("交接班记录缺失", "下一班次重复检验,耽误产出"),
        "总经": ("季度预算评审推迟两周", "部门计划启动延后"),
    }[person.department[:2]]
    events = [("positive", *positive)]
    if rng.random() < 0.6:
        events.append(("negative", *negative))
    return events
