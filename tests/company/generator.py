"""A 20-person company (远航科技) as the export files an HR team would upload.

The company is fixed by a seed: a business director, three managers and sixteen staff in
sales (two regional teams) and customer success, two of them hired in the three months
before `AS_OF`. Its records are what such a company keeps for a half-year: five quarters of
metric history (twelve months for the one monthly metric), goals and key results of the
current half with monthly progress, the previous half's review scores, key events both ways,
and monthly 1:1 check-ins whose manager feedback is sometimes concrete and sometimes vague.

`write_files` writes each kind the way HR systems tend to export it: the roster as GBK with
Chinese headers (a Chinese Excel's "CSV" default), the check-ins as an .xlsx workbook with
real date cells, the review scores as UTF-8 with a BOM, the rest as plain UTF-8 CSV.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

AS_OF = date(2026, 5, 20)
CURRENT_CYCLE = "2026H1"
PREVIOUS_CYCLE = "2025H2"
QUARTERS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1")
MONTHS = tuple(f"{2025 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in range(5, 17))
NEXT_QUARTER = "2026Q2"
NEXT_MONTH = "2026-05"

# The order the files must be imported in: each kind refers only to kinds before it.
IMPORT_ORDER = (
    "employees", "metrics", "history", "goals", "key_results", "progress",
    "reviews", "key_events", "checkins",
)  # fmt: skip

COLUMNS: dict[str, tuple[str, ...]] = {
    "employees": ("employee_id", "name", "role", "level", "department", "team", "manager_id", "hire_date"),
    "metrics": ("metric", "name", "unit", "direction", "period_type"),
    "history": ("employee_id", "period", "metric", "value"),
    "checkins": ("checkin_id", "employee_id", "manager_id", "date", "progress", "obstacles", "support_needed", "next_actions", "manager_feedback"),
    "goals": ("goal_id", "employee_id", "cycle", "title", "kind", "status"),
    "key_results": ("kr_id", "goal_id", "title", "unit", "direction", "baseline", "target", "due_date", "metric"),
    "progress": ("kr_id", "date", "value", "note", "author_id"),
    "reviews": ("cycle", "employee_id", "dimension", "score", "reviewer_id", "comment"),
    "key_events": ("event_id", "employee_id", "date", "description", "impact", "kind", "author_id"),
}  # fmt: skip

EMPLOYEE_HEADERS_ZH = ("员工编号", "姓名", "岗位", "职级", "部门", "团队", "上级编号", "入职日期")

Row = dict[str, object]


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    role: str
    level: str
    department: str
    team: str
    manager_id: str | None
    hire_date: date
    track: str  # sales, success, sales_lead, success_lead or director

    @property
    def recent_hire(self) -> bool:
        return (AS_OF - self.hire_date).days <= 92


@dataclass(frozen=True)
class TargetAsk:
    """The target a manager would ask for: the person's main metric, the next period."""

    metric: str
    period: str


@dataclass
class Company:
    people: list[Person]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    targets: dict[str, TargetAsk] = field(default_factory=dict)

    def person(self, employee_id: str) -> Person:
        return next(p for p in self.people if p.employee_id == employee_id)

    def of(self, kind: str, employee_id: str) -> list[Row]:
        """The rows of one kind that belong to a person (through their goal for KRs)."""
        if kind == "key_results":
            goals = {g["goal_id"] for g in self.of("goals", employee_id)}
            return [r for r in self.rows[kind] if r["goal_id"] in goals]
        if kind == "progress":
            krs = {k["kr_id"] for k in self.of("key_results", employee_id)}
            return [r for r in self.rows[kind] if r["kr_id"] in krs]
        return [r for r in self.rows[kind] if r["employee_id"] == employee_id]

    def goal_of(self, kr: Row) -> Row:
        return next(g for g in self.rows["goals"] if g["goal_id"] == kr["goal_id"])


_D = date
PEOPLE = [
    Person("YH1001", "王建国", "业务总监", "M4", "业务中心", "", None, _D(2016, 3, 1), "director"),
    Person("YH1002", "陈思远", "销售经理", "M2", "销售部", "华东大区", "YH1001", _D(2019, 4, 15), "sales_lead"),
    Person("YH1003", "林晓梅", "销售经理", "M2", "销售部", "华南大区", "YH1001", _D(2020, 8, 3), "sales_lead"),
    Person("YH1004", "赵志刚", "客户成功经理", "M2", "客户成功部", "客户成功一组", "YH1001", _D(2018, 11, 12), "success_lead"),
    Person("YH2001", "李娜", "高级销售代表", "P4", "销售部", "华东大区", "YH1002", _D(2021, 3, 8), "sales"),
    Person("YH2002", "张伟", "销售代表", "P3", "销售部", "华东大区", "YH1002", _D(2022, 6, 20), "sales"),
    Person("YH2003", "刘洋", "销售代表", "P3", "销售部", "华东大区", "YH1002", _D(2023, 2, 13), "sales"),
    Person("YH2004", "黄敏", "销售代表", "P2", "销售部", "华东大区", "YH1002", _D(2024, 7, 1), "sales"),
    Person("YH2005", "周杰", "销售代表", "P2", "销售部", "华东大区", "YH1002", _D(2025, 7, 14), "sales"),
    Person("YH2006", "吴婷", "销售代表", "P1", "销售部", "华东大区", "YH1002", _D(2026, 3, 2), "sales"),
    Person("YH2101", "徐磊", "高级销售代表", "P4", "销售部", "华南大区", "YH1003", _D(2020, 5, 18), "sales"),
    Person("YH2102", "孙丽", "销售代表", "P3", "销售部", "华南大区", "YH1003", _D(2022, 9, 5), "sales"),
    Person("YH2103", "马超", "销售代表", "P3", "销售部", "华南大区", "YH1003", _D(2023, 5, 22), "sales"),
    Person("YH2104", "朱琳", "销售代表", "P2", "销售部", "华南大区", "YH1003", _D(2024, 3, 11), "sales"),
    Person("YH2105", "胡斌", "销售代表", "P2", "销售部", "华南大区", "YH1003", _D(2024, 10, 8), "sales"),
    Person("YH2201", "郭静", "高级客户成功专员", "P4", "客户成功部", "客户成功一组", "YH1004", _D(2020, 2, 17), "success"),
    Person("YH2202", "何俊", "客户成功专员", "P3", "客户成功部", "客户成功一组", "YH1004", _D(2022, 4, 6), "success"),
    Person("YH2203", "高雪", "客户成功专员", "P3", "客户成功部", "客户成功一组", "YH1004", _D(2023, 8, 21), "success"),
    Person("YH2204", "罗鹏", "客户成功专员", "P2", "客户成功部", "客户成功一组", "YH1004", _D(2024, 12, 2), "success"),
    Person("YH2205", "梁晨", "客户成功专员", "P1", "客户成功部", "客户成功一组", "YH1004", _D(2026, 4, 27), "success"),
]  # fmt: skip

METRICS: list[Row] = [
    {"metric": "sales_amount", "name": "销售额", "unit": "万元", "direction": "higher_is_better", "period_type": "quarter"},
    {"metric": "new_customers", "name": "新签客户数", "unit": "家", "direction": "higher_is_better", "period_type": "quarter"},
    {"metric": "team_sales", "name": "团队销售额", "unit": "万元", "direction": "higher_is_better", "period_type": "quarter"},
    {"metric": "csat", "name": "客户满意度", "unit": "%", "direction": "higher_is_better", "period_type": "quarter"},
    {"metric": "first_response_hours", "name": "首次响应时长", "unit": "小时", "direction": "lower_is_better", "period_type": "quarter"},
    {"metric": "tickets_closed", "name": "月度工单关闭数", "unit": "件", "direction": "higher_is_better", "period_type": "month"},
]  # fmt: skip

CUSTOMERS = (
    "华润万家", "美的集团", "招商银行", "顺丰速运", "海天味业", "蓝月亮", "格力电器",
    "立讯精密", "比亚迪", "中顺洁柔", "温氏股份", "欧派家居", "汇川技术", "迈瑞医疗",
)  # fmt: skip
LEVEL_FACTOR = {"P1": 0.45, "P2": 0.75, "P3": 1.0, "P4": 1.35, "M2": 1.0, "M4": 1.0}
SEASON = {"Q1": 0.85, "Q2": 1.0, "Q3": 0.95, "Q4": 1.25}
REVIEW_DIMENSIONS = {
    "staff": ("业绩结果", "专业能力", "团队协作", "客户导向"),
    "lead": ("业绩结果", "团队管理", "专业能力", "协作沟通"),
}
VAGUE_FEEDBACK = ("继续加油。", "整体还不错，保持。", "态度要再端正一些。", "下个月争取更好。")


def _quarter_start(quarter: str) -> date:
    return date(int(quarter[:4]), 3 * int(quarter[-1]) - 2, 1)


def _quarter_end(quarter: str) -> date:
    start = _quarter_start(quarter)
    return date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1) - timedelta(days=1)


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def _month_end(month: str) -> date:
    start = _month_start(month)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.company = Company(people=list(PEOPLE))
        self.rows: dict[str, list[Row]] = {kind: [] for kind in IMPORT_ORDER}
        self.rows["metrics"] = [dict(m) for m in METRICS]
        # Who runs behind this half: their KRs lag and their check-ins name obstacles.
        self.behind = {p.employee_id for p in PEOPLE if self.rng.random() < 0.35}

    def build(self) -> Company:
        for person in PEOPLE:
            self.rows["employees"].append(self._employee_row(person))
        for person in PEOPLE:
            self._history(person)
            self._goals(person)
            self._reviews(person)
            self._events(person)
            self._checkins(person)
        self.company.rows = self.rows
        return self.company

    @staticmethod
    def _employee_row(p: Person) -> Row:
        return {
            "employee_id": p.employee_id, "name": p.name, "role": p.role, "level": p.level,
            "department": p.department, "team": p.team, "manager_id": p.manager_id or "",
            "hire_date": p.hire_date.isoformat(),
        }  # fmt: skip

    # --- metric history ------------------------------------------------------------------

    def _metrics_of(self, p: Person) -> list[str]:
        return {
            "sales": ["sales_amount", "new_customers"],
            "success": ["csat", "first_response_hours", "tickets_closed"],
            "sales_lead": ["team_sales"],
            "director": ["team_sales"],
            "success_lead": ["csat"],
        }[p.track]

    def _level(self, p: Person, metric: str) -> float:
        factor = LEVEL_FACTOR[p.level] * self.rng.uniform(0.9, 1.1)
        if metric == "sales_amount":
            return 100 * factor
        if metric == "new_customers":
            return 6 * factor
        if metric == "team_sales":
            return 520.0 if p.track == "sales_lead" else 1050.0
        if metric == "csat":
            return min(97.0, 86 + 4 * factor)
        if metric == "first_response_hours":
            return 6.5 / factor
        return 110 * factor  # tickets_closed

    def _value(self, metric: str, level: float, period: str, ramp: float) -> float:
        noise = self.rng.uniform(0.9, 1.1)
        if metric in ("sales_amount", "team_sales"):
            return round(level * SEASON[period[-2:]] * noise * ramp, 1)
        if metric == "new_customers":
            return float(max(0, round(level * SEASON[period[-2:]] * noise * ramp)))
        if metric == "csat":
            return round(min(99.0, level + self.rng.uniform(-1.5, 1.5) - 6 * (1 - ramp)), 1)
        if metric == "first_response_hours":
            return round(level * noise / max(ramp, 0.5), 1)
        return float(round(level * noise * ramp))

    def _history(self, p: Person) -> None:
        for metric in self._metrics_of(p):
            level = self._level(p, metric)
            periods = MONTHS if metric == "tickets_closed" else QUARTERS
            start = _month_start if metric == "tickets_closed" else _quarter_start
            end = _month_end if metric == "tickets_closed" else _quarter_end
            for period in periods:
                days = (end(period) - max(p.hire_date, start(period))).days + 1
                if days < 10:
                    continue  # HR systems leave out a period the person barely worked in
                # A partial first period, and a ramp-up over the first two quarters.
                share = days / ((end(period) - start(period)).days + 1)
                tenure = (end(period) - p.hire_date).days / 182
                ramp = share * min(1.0, 0.5 + tenure / 2)
                value = self._value(metric, level, period, ramp)
                self.rows["history"].append(
                    {
                        "employee_id": p.employee_id,
                        "period": period,
                        "metric": metric,
                        "value": value,
                    }
                )
        main = self._main_metric(p)
        period = NEXT_MONTH if main == "tickets_closed" else NEXT_QUARTER
        self.company.targets[p.employee_id] = TargetAsk(main, period)

    def _main_metric(self, p: Person) -> str:
        metrics = self._metrics_of(p)
        # Staff vary, so the targets cover both directions and both period types.
        return metrics[int(p.employee_id[-1]) % len(metrics)] if len(metrics) > 1 else metrics[0]

    # --- goals, key results, progress ----------------------------------------------------

    def _goals(self, p: Person) -> None:
        if (AS_OF - p.hire_date).days < 30:
            return  # too new: the first goals are set in the first month's 1:1
        if p.hire_date < date(2025, 7, 1):
            self._previous_goal(p)
        plans = self._plans(p)
        for n, (kind, title, krs) in enumerate(plans, start=1):
            goal_id = f"G-{CURRENT_CYCLE}-{p.employee_id}-{n}"
            self.rows["goals"].append(
                {"goal_id": goal_id, "employee_id": p.employee_id, "cycle": CURRENT_CYCLE,
                 "title": title, "kind": kind, "status": "active"}
            )  # fmt: skip
            for m, (kr_title, unit, direction, baseline, target, metric) in enumerate(krs, 1):
                kr_id = f"KR-{p.employee_id}-{n}{m}"
                self.rows["key_results"].append(
                    {"kr_id": kr_id, "goal_id": goal_id, "title": kr_title, "unit": unit,
                     "direction": direction, "baseline": baseline, "target": target,
                     "due_date": "2026-06-30", "metric": metric}
                )  # fmt: skip
                self._progress(p, kr_id, baseline, target, unit)

    def _plans(
        self, p: Person
    ) -> list[tuple[str, str, list[tuple[str, str, str, float, float, str]]]]:
        up, down = "higher_is_better", "lower_is_better"
        if p.recent_hire:
            return [("okr", "完成新人融入，独立跟进客户", [
                ("完成 10 次资深同事客户陪访", "次", up, 0, 10, ""),
                ("产品知识认证考试达到 85 分", "分", up, 0, 85, ""),
            ])]  # fmt: skip
        f = LEVEL_FACTOR[p.level]
        if p.track == "sales":
            amount = round(200 * f, -1)
            return [
                ("kpi", "2026上半年销售业绩达成", [
                    (f"上半年销售额达到 {amount:.0f} 万元", "万元", up, 0, amount, "sales_amount"),
                    (f"新签客户 {round(12 * f)} 家", "家", up, 0, round(12 * f), "new_customers"),
                ]),
                ("okr", "提升重点客户经营能力", [
                    ("完成 3 家重点客户年度经营计划", "家", up, 0, 3, ""),
                ]),
            ]  # fmt: skip
        if p.track == "success":
            return [
                ("kpi", "客户满意度与响应效率提升", [
                    ("季度客户满意度达到 94%", "%", up, 90, 94, "csat"),
                    ("首次响应时长降到 2 小时以内", "小时", down, 4.5, 2, "first_response_hours"),
                ]),
                ("okr", "建立续约风险预警机制", [
                    ("完成 20 家客户健康度评估", "家", up, 0, 20, ""),
                ]),
            ]  # fmt: skip
        if p.track == "sales_lead":
            return [
                ("kpi", "团队上半年销售目标达成", [
                    ("团队上半年销售额达到 1100 万元", "万元", up, 0, 1100, "team_sales"),
                ]),
                ("okr", "团队能力建设", [
                    ("组织 6 场大客户案例复盘", "场", up, 0, 6, ""),
                    ("两名 P2 销售独立完成 50 万元以上项目", "人", up, 0, 2, ""),
                ]),
            ]  # fmt: skip
        if p.track == "success_lead":
            return [
                ("kpi", "客户成功部满意度与续约", [
                    ("部门客户满意度达到 93%", "%", up, 90, 93, "csat"),
                    ("年度续约率达到 88%", "%", up, 82, 88, ""),
                ]),
            ]  # fmt: skip
        return [
            ("kpi", "业务中心上半年营收目标", [
                ("业务中心上半年销售额达到 2200 万元", "万元", up, 0, 2200, "team_sales"),
            ]),
            ("okr", "客户成功体系升级", [
                ("上线客户健康度看板并覆盖全部 A 类客户", "%", up, 0, 100, ""),
            ]),
        ]  # fmt: skip

    def _previous_goal(self, p: Person) -> None:
        goal_id = f"G-{PREVIOUS_CYCLE}-{p.employee_id}-1"
        self.rows["goals"].append(
            {"goal_id": goal_id, "employee_id": p.employee_id, "cycle": PREVIOUS_CYCLE,
             "title": "2025下半年业绩目标", "kind": "kpi", "status": "completed"}
        )  # fmt: skip
        kr_id = f"KR-{p.employee_id}-H2"
        self.rows["key_results"].append(
            {"kr_id": kr_id, "goal_id": goal_id, "title": "下半年重点任务完成率 100%",
             "unit": "%", "direction": "higher_is_better", "baseline": 0, "target": 100,
             "due_date": "2025-12-31", "metric": ""}
        )  # fmt: skip
        final = self.rng.choice((80, 90, 100, 105))
        for day, share in ((date(2025, 9, 30), 0.5), (date(2025, 12, 31), 1.0)):
            self.rows["progress"].append(
                {"kr_id": kr_id, "date": day.isoformat(), "value": round(final * share),
                 "note": "半年度盘点", "author_id": p.employee_id}
            )  # fmt: skip

    def _progress(self, p: Person, kr_id: str, baseline: float, target: float, unit: str) -> None:
        pace = (
            self.rng.uniform(0.35, 0.6)
            if p.employee_id in self.behind
            else self.rng.uniform(0.85, 1.15)
        )
        days = [
            date(2026, 1, 31),
            date(2026, 2, 28),
            date(2026, 3, 31),
            date(2026, 4, 30),
            date(2026, 5, 15),
        ]
        start, due = date(2026, 1, 1), date(2026, 6, 30)
        for day in days:
            if day < p.hire_date + timedelta(days=14):
                continue
            elapsed = (day - max(start, p.hire_date)).days / (due - max(start, p.hire_date)).days
            value = baseline + (target - baseline) * min(1.0, elapsed * pace)
            value = round(value, 1) if unit in ("%", "小时", "万元") else round(value)
            author = p.employee_id if self.rng.random() < 0.8 else (p.manager_id or p.employee_id)
            self.rows["progress"].append(
                {"kr_id": kr_id, "date": day.isoformat(), "value": value,
                 "note": self._progress_note(p, day), "author_id": author}
            )  # fmt: skip

    def _progress_note(self, p: Person, day: date) -> str:
        customer = self.rng.choice(CUSTOMERS)
        if p.employee_id in self.behind:
            return self.rng.choice(
                (f"{customer}项目延期到下季度，本月进度落后", f"{customer}预算冻结，暂无新增",
                 "本月主要在处理存量客户投诉，进展不大")
            )  # fmt: skip
        return self.rng.choice(
            (f"{day.month}月{customer}项目签约，进度符合预期", f"完成{customer}的季度回访",
             f"{customer}续约确认，按计划推进")
        )  # fmt: skip

    # --- reviews, key events, check-ins --------------------------------------------------

    def _reviews(self, p: Person) -> None:
        if p.hire_date > date(2025, 9, 30):
            return  # not in the company long enough to be reviewed last half
        dims = REVIEW_DIMENSIONS["lead" if p.track.endswith(("lead", "director")) else "staff"]
        base = 3 if p.employee_id in self.behind else self.rng.choice((3, 4, 4, 5))
        for dim in dims:
            score = max(1, min(5, base + self.rng.choice((-1, 0, 0, 1))))
            comment = {
                1: f"{dim}明显不达标，需制定改进计划", 2: f"{dim}低于预期，季度内有两次延误",
                3: f"{dim}基本达到要求，稳定性有待提高", 4: f"{dim}表现良好，多次获得客户认可",
                5: f"{dim}突出，是团队标杆",
            }[score]  # fmt: skip
            self.rows["reviews"].append(
                {"cycle": PREVIOUS_CYCLE, "employee_id": p.employee_id, "dimension": dim,
                 "score": score, "reviewer_id": p.manager_id or "", "comment": comment}
            )  # fmt: skip

    def _events(self, p: Person) -> None:
        if (AS_OF - p.hire_date).days < 30:
            return
        days = [date(2025, 10, 20), date(2026, 1, 22), date(2026, 3, 18), date(2026, 4, 28)]
        days = [d + timedelta(days=self.rng.randint(-5, 5)) for d in days]
        days = [d for d in days if d >= p.hire_date + timedelta(days=14) and d <= AS_OF]
        for n, day in enumerate(days, start=1):
            negative = (p.employee_id in self.behind and n % 2 == 0) or self.rng.random() < 0.2
            customer = self.rng.choice(CUSTOMERS)
            if negative:
                description = self.rng.choice(
                    (f"{day.month}月{day.day}日{customer}的报价单金额算错，客户发现后要求重发",
                     f"{customer}的续约材料晚交三天，客户投诉到区域总监",
                     f"{day.month}月{day.day}日{customer}的工单超过 48 小时未响应")
                )  # fmt: skip
                impact = "客户信任度下降，续约谈判推迟两周"
            else:
                description = self.rng.choice(
                    (f"{day.month}月{day.day}日独立完成{customer}的年度框架协议谈判",
                     f"主动梳理{customer}的历史工单，发现两处产品缺陷并推动修复",
                     f"带新人完成{customer}的首次上门演示，客户当场确认试用")
                )  # fmt: skip
                impact = f"{customer}签约金额 {self.rng.randint(20, 120)} 万元，回款周期缩短"
            self.rows["key_events"].append(
                {"event_id": f"KE-{p.employee_id}-{n}", "employee_id": p.employee_id,
                 "date": day.isoformat(), "description": description, "impact": impact,
                 "kind": "negative" if negative else "positive", "author_id": p.manager_id or ""}
            )  # fmt: skip

    def _checkins(self, p: Person) -> None:
        if p.manager_id is None or (AS_OF - p.hire_date).days < 30:
            return
        for month in range(12, 18):
            year, mon = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
            day = date(year, mon, 12 + self.rng.randint(0, 5))
            if day < p.hire_date + timedelta(days=14) or day > AS_OF:
                continue
            customer = self.rng.choice(CUSTOMERS)
            behind = p.employee_id in self.behind
            if self.rng.random() < 0.3:
                feedback = self.rng.choice(VAGUE_FEEDBACK)
            else:
                feedback = (
                    f"{mon}月{day.day - 3}日{customer}的方案评审里，你提前把报价拆成三档，"
                    f"客户当场确认了第二档；下次把交付周期也写进方案，减少来回确认。"
                )
            self.rows["checkins"].append(
                {
                    "checkin_id": f"CI-{p.employee_id}-{year}{mon:02d}",
                    "employee_id": p.employee_id,
                    "manager_id": p.manager_id,
                    "date": day,
                    "progress": (f"本月推进{customer}项目，目标完成约 {self.rng.randint(30, 60)}%"
                                 if behind else f"{customer}项目已签约，本月目标完成 {self.rng.randint(85, 110)}%"),
                    "obstacles": (f"{customer}采购流程变更，决策人换了两次" if behind else ""),
                    "support_needed": ("需要经理一起拜访客户高层" if behind else "希望参加大客户谈判培训"),
                    "next_actions": f"{mon}月底前和{customer}确认预算；整理下季度客户拜访计划",
                    "manager_feedback": feedback,
                }
            )  # fmt: skip


def build_company(seed: int = 2026) -> Company:
    """The company and its records, the same for the same seed."""
    return _Builder(seed).build()


# --- files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    kind: str
    path: Path
    content_type: str


_CSV = "text/csv"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_text(headers: Sequence[str], columns: Sequence[str], rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx(path: Path, columns: Sequence[str], rows: list[Row]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "面谈记录"
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row[c] for c in columns])
    for (cell,) in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "yyyy-mm-dd"
    book.save(path)


def write_files(company: Company, directory: Path) -> dict[str, ExportFile]:
    """Write each kind as its own export file; returns them by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, ExportFile] = {}
    for kind in IMPORT_ORDER:
        columns, rows = COLUMNS[kind], company.rows[kind]
        if kind == "employees":
            path = directory / "员工花名册.csv"
            path.write_bytes(_csv_text(EMPLOYEE_HEADERS_ZH, columns, rows).encode("gbk"))
        elif kind == "checkins":
            path = directory / "一对一面谈记录.xlsx"
            _xlsx(path, columns, rows)
        elif kind == "reviews":
            path = directory / f"绩效评分_{PREVIOUS_CYCLE}.csv"
            path.write_bytes(_csv_text(columns, columns, rows).encode("utf-8-sig"))
        else:
            path = directory / f"{kind}.csv"
            path.write_bytes(_csv_text(columns, columns, rows).encode("utf-8"))
        files[kind] = ExportFile(kind, path, _XLSX if path.suffix == ".xlsx" else _CSV)
    return files
