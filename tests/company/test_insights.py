"""HR insight on a company built from its export files, with known patterns planted in them.

The generated company (tests/company/generator.py) is taken as its files would be, then made
clean where the generator is uniform (its concrete feedback is one sentence with the customer
swapped, for everyone) and given exactly one instance of each pattern HR should find. Each test
asserts that the pattern is found where it was planted and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.main import create_app
from coach.core.models import Role
from coach.core.settings import Settings
from coach.org.users import Principal, create_user
from coach.oversight.warnings import early_warnings
from tests.company.generator import IMPORT_ORDER, Company, Row, build_company, write_files
from tests.conftest import _ENV_VARS
from tests.factories import auth, upgraded

MONTH = "2026-05"
COPYING_MANAGER = "YH1003"  # 林晓梅: one sentence, the customer swapped, to three people
UNANSWERED = "CI-YH2102-202604"
LENIENT_MANAGER = "YH1002"  # 陈思远: a point more for everyone, for the same results
REVIEW_CYCLE = "2025H2"
OFF_TRACK_KR = "KR-YH2101-11"  # 徐磊's sales, at 40% of the pace
GAP = "YH2203"  # 高雪: her April and May check-ins never happened
DECLINING = "YH2104"  # 朱琳: 2026Q1 sales half of 2025Q1's
STUCK = "YH2002"  # 张伟: the same obstacle in his last three check-ins
PLANTED = {
    ("YH2101", "kr_off_track"), (GAP, "checkin_gap"), (DECLINING, "metric_decline"),
    (STUCK, "repeated_obstacle"), ("YH2102", "unmet_support"),
}  # fmt: skip  # 孙丽 asks for legal help; neither 1:1 nor the next answers

# Concrete feedback a careful manager writes: each check-in gets its own pair of sentences.
OBSERVATIONS = (
    "{m}月{d}日{c}的续约沟通里，你提前准备了近三个月的使用数据，客户当场认可了方案。",
    "这个月你把{c}的报价从初稿到定稿只用了两天，比上月快了一半。",
    "{c}的投诉你在当天就给出处理方案，客户回访打了满分。",
    "你整理的{c}项目周报把风险写得很清楚，总监在例会上直接采用了。",
    "{m}月你独立完成了{c}的首次演示，客户随后约了第二轮技术交流。",
    "你在{c}的招标答疑里补上了交付时间表，评分表上这一项拿了满分。",
    "本月你跟进{c}的回款，{d}日前收回了逾期的两笔款项。",
    "你带新同事走访{c}三次，他现在已经能单独回答常见问题。",
    "{c}的需求变更你拉了一次三方会议，把返工控制在一天以内。",
    "你把{c}的历史工单分了类，找出了三个重复出现的问题。",
    "{m}月{d}日{c}的现场培训由你主讲，参会人员的满意度是九成。",
    "你为{c}设计的季度复盘模板，已经被另外两个小组借用。",
)
SUGGESTIONS = (
    "下次在方案里加上实施里程碑，减少客户来回确认。",
    "建议把这套做法写成清单，放进团队知识库。",
    "下个月试着由你主持周会的客户案例分享。",
    "接下来把大客户的决策链画出来，月底前和我过一遍。",
    "建议报价前先和售前对齐交付周期，避免后面改价。",
    "下季度可以挑一个老客户做深度经营计划。",
    "下一步把跟进节奏固定到每周二，便于大家配合。",
    "建议在合同评审前多留一天给法务和财务。",
    "试着把演示时长压到二十分钟，把问答留得更充分。",
    "下次拜访前先看一遍客户最近的工单记录。",
    "月底前把本季度的丢单原因整理成三条，我们一起复盘。",
    "建议每次会后当天发纪要，把待办写明负责人。",
)
COPIED = (
    "{m}月{d}日{c}的方案评审里，你提前把报价拆成三档，客户当场确认了第二档；"
    "下次把交付周期也写进方案，减少来回确认。"
)


def _plant_dialogues(company: Company) -> None:
    per_manager: dict[str, int] = {}
    copies_left = 3
    for row in sorted(company.rows["checkins"], key=lambda r: (str(r["date"]), r["checkin_id"])):
        manager, day = str(row["manager_id"]), row["date"]
        assert isinstance(day, date)
        row["support_needed"], row["obstacles"] = "", ""
        if row["manager_feedback"] and len(str(row["manager_feedback"])) > 20:
            k = per_manager[manager] = per_manager.get(manager, -1) + 1
            pair = OBSERVATIONS[k % 12] + SUGGESTIONS[(k // 12 + k) % 12]
            if manager == COPYING_MANAGER and f"{day:%Y-%m}" == MONTH and copies_left:
                pair, copies_left = COPIED, copies_left - 1
            customer = str(row["progress"])[:4]
            row["manager_feedback"] = pair.format(m=day.month, d=day.day - 2, c=customer)
    assert copies_left == 0, "the copying manager needs three concrete May check-ins"
    asked = _row(company, UNANSWERED)
    asked["support_needed"] = "需要法务协助审核华润万家的框架合同"


def _row(company: Company, checkin_id: str) -> Row:
    return next(r for r in company.rows["checkins"] if r["checkin_id"] == checkin_id)


def _plant_ratings(company: Company) -> None:
    # The generator draws last half's results apart from its scores; here they agree, so that
    # a manager whose people did better may rate higher without being called lenient.
    by_person: dict[str, list[Row]] = {}
    for review in company.rows["reviews"]:
        by_person.setdefault(str(review["employee_id"]), []).append(review)
    for employee_id, reviews in by_person.items():
        mean = sum(float(str(r["score"])) for r in reviews) / len(reviews)
        final = round(100 + 20 * (mean - 3.75))
        for update in company.rows["progress"]:
            if update["kr_id"] == f"KR-{employee_id}-H2":
                update["value"] = final if update["date"] == "2025-12-31" else round(final / 2)
    for review in company.rows["reviews"]:
        if review["reviewer_id"] == LENIENT_MANAGER:
            review["score"] = min(5, int(str(review["score"])) + 1)


def _plant_progress(company: Company) -> None:
    # Everyone's key results on pace (the generator lags a third of the people and rounds small
    # counts down), then one key result far behind.
    start, due = date(2026, 1, 1), date(2026, 6, 30)
    krs = {str(k["kr_id"]): k for k in company.rows["key_results"]}
    for update in company.rows["progress"]:
        kr, day = krs[str(update["kr_id"])], date.fromisoformat(str(update["date"]))
        if day < start:
            continue
        pace = 0.4 if kr["kr_id"] == OFF_TRACK_KR else 1.05
        share = min(1.0, pace * (day - start).days / (due - start).days)
        baseline, target = float(str(kr["baseline"])), float(str(kr["target"]))
        update["value"] = round(baseline + (target - baseline) * share, 1)


def _plant_people(company: Company) -> None:
    company.rows["checkins"] = [
        r for r in company.rows["checkins"]
        if not (r["employee_id"] == GAP and str(r["date"]) >= "2026-04")
    ]  # fmt: skip
    sales = {
        str(h["period"]): h
        for h in company.rows["history"]
        if h["employee_id"] == DECLINING and h["metric"] == "sales_amount"
    }
    sales["2026Q1"]["value"] = round(float(str(sales["2025Q1"]["value"])) / 2, 1)
    stuck = sorted(
        (r for r in company.rows["checkins"] if r["employee_id"] == STUCK),
        key=lambda r: str(r["date"]),
    )[-3:]
    for row, customer in zip(stuck, ("美的集团", "招商银行", "顺丰速运"), strict=True):
        row["obstacles"] = f"{customer}采购流程变更，决策人换了两次"


def plant(company: Company) -> Company:
    """The generated company made clean, then given one instance of each pattern."""
    _plant_dialogues(company)
    _plant_ratings(company)
    _plant_progress(company)
    _plant_people(company)
    return company


@dataclass
class Office:
    client: TestClient
    engine: Engine
    company: Company
    hr: str
    managers: dict[str, str]
    employee: str


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, _database: str) -> Iterator[Office]:
    root = tmp_path_factory.mktemp("insights")
    company = plant(build_company())
    files = write_files(company, root / "exports")
    with pytest.MonkeyPatch.context() as env:
        for name in _ENV_VARS:
            env.delenv(name, raising=False)
        app = create_app(upgraded(Settings(home=root / "home", database_url=_database)))
        with Session(app.state.engine) as session:
            _, admin = create_user(session, name="系统管理员", role=Role.admin)
            session.commit()
        with TestClient(app) as client:
            for kind in IMPORT_ORDER:
                export = files[kind]
                with export.path.open("rb") as handle:
                    response = client.post(
                        f"/v1/imports/{kind}", headers=auth(admin),
                        files={"file": (export.path.name, handle, export.content_type)},
                    )  # fmt: skip
                assert response.status_code == 200, (kind, response.text)
            with Session(app.state.engine) as session:
                _, hr = create_user(session, name="人力资源-周敏", role=Role.hr)
                leads = sorted({p.manager_id for p in company.people if p.manager_id})
                managers = {
                    m: create_user(session, name=f"经理-{m}", role=Role.manager, employee_id=m)[1]
                    for m in leads
                }
                _, employee = create_user(
                    session, name="员工-YH2001", role=Role.employee, employee_id="YH2001"
                )
                session.commit()
            yield Office(client, app.state.engine, company, hr, managers, employee)
        app.state.engine.dispose()


# --- dialogue audit ---------------------------------------------------------------------


def test_the_copy_paste_manager_alone_is_flagged_and_their_copies_discounted(
    office: Office,
) -> None:
    response = office.client.get(
        f"/v1/audit/dialogues?month={MONTH}&sample_rate=1", headers=auth(office.hr)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    flagged = {m["manager_id"]: m["flags"] for m in report["managers"] if m["flags"]}
    assert flagged == {COPYING_MANAGER: ["copy_paste"]}
    copies = {m["manager_id"]: m["copies"] for m in report["managers"] if m["checkins"]}
    assert copies == {m: 2 if m == COPYING_MANAGER else 0 for m in copies} and len(copies) == 4
    copied = [s for s in report["sample"] if s["copy_of"]]
    assert {s["manager_id"] for s in copied} == {COPYING_MANAGER} and len(copied) == 2
    assert all(not s["parts"]["positive"] for s in copied)
    originals = {s["copy_of"] for s in copied}
    assert len(originals) == 1 and originals <= {s["checkin_id"] for s in report["sample"]}
    for m in report["managers"]:
        vague = sum(
            s["vague"] is True for s in report["sample"] if s["manager_id"] == m["manager_id"]
        )
        assert m["effective"] == m["checkins"] - vague - m["copies"], m["manager_id"]


def test_a_support_request_counts_only_when_the_manager_answered_it(office: Office) -> None:
    report = office.client.get(
        "/v1/audit/dialogues?month=2026-04&sample_rate=1", headers=auth(office.hr)
    ).json()
    asked = [s for s in report["sample"] if s["support_needed"]]
    assert [s["checkin_id"] for s in asked] == [UNANSWERED]
    assert asked[0]["parts"]["resource"] is False
    assert all(m["resource_share"] == 0.0 for m in report["managers"] if m["checkins"])


# --- calibration ------------------------------------------------------------------------


def test_the_lenient_manager_alone_is_flagged_after_adjusting_for_results(office: Office) -> None:
    response = office.client.get(
        f"/v1/insights/calibration?cycle={REVIEW_CYCLE}", headers=auth(office.hr)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    rows = {m["manager_id"]: m for m in report["managers"]}
    assert {m: r["flags"] for m, r in rows.items() if r["flags"]} == {
        LENIENT_MANAGER: ["lenient"]
    }, rows
    lenient = rows[LENIENT_MANAGER]
    assert lenient["name"] == "陈思远" and lenient["n"] == 5 and lenient["p"] < 0.05
    assert lenient["difference"] >= 0.5 and "Welch" in lenient["reasons"][0]
    assert report["adjusted_for_results"] and report["slope"] > 0
    # The director rated three managers: too few to judge, and said so.
    assert rows["YH1001"]["p"] is None and "少于 4 人" in rows["YH1001"]["reasons"][0]
    assert sum(d["scores"] for d in report["dimensions"]) == report["organisation"]["scores"]
    assert report["nine_box"] is None  # no potential ratings imported


def test_calibration_is_for_hr_only(office: Office) -> None:
    url = f"/v1/insights/calibration?cycle={REVIEW_CYCLE}"
    assert office.client.get(url, headers=auth(office.managers[LENIENT_MANAGER])).status_code == 403
    assert office.client.get(url, headers=auth(office.employee)).status_code == 403
    bad = office.client.get("/v1/insights/calibration?cycle=H2", headers=auth(office.hr))
    assert bad.status_code == 422 and "cycle" in bad.text


# --- early warnings ---------------------------------------------------------------------


def _warnings(office: Office, token: str) -> list[dict[str, object]]:
    response = office.client.get("/v1/insights/warnings?as_of=2026-05-20", headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["data"])
    return list(body["data"])


def test_hr_finds_exactly_the_planted_warnings_with_their_evidence(office: Office) -> None:
    found = _warnings(office, office.hr)
    assert {(w["employee_id"], w["kind"]) for w in found} == PLANTED, found
    assert len(found) == len(PLANTED)
    by_kind = {w["kind"]: w for w in found}
    assert by_kind["kr_off_track"]["evidence_ids"] == [OFF_TRACK_KR]
    assert "落后" in str(by_kind["kr_off_track"]["message"])
    assert by_kind["checkin_gap"]["evidence_ids"] == ["CI-YH2203-202603"]
    assert "超过面谈周期 35 天" in str(by_kind["checkin_gap"]["message"])
    assert by_kind["metric_decline"]["evidence_ids"] == [
        "sales_amount:2025Q1",
        "sales_amount:2026Q1",
    ]
    assert by_kind["repeated_obstacle"]["evidence_ids"] == [
        "CI-YH2002-202603", "CI-YH2002-202604", "CI-YH2002-202605",
    ]  # fmt: skip
    assert by_kind["unmet_support"]["evidence_ids"] == [UNANSWERED, "CI-YH2102-202605"]
    assert "法务" in str(by_kind["unmet_support"]["message"])


def test_a_manager_sees_only_warnings_about_their_own_people(office: Office) -> None:
    south = _warnings(office, office.managers["YH1003"])
    assert {(w["employee_id"], w["kind"]) for w in south} == {
        ("YH2101", "kr_off_track"), (DECLINING, "metric_decline"), ("YH2102", "unmet_support"),
    }  # fmt: skip
    success = _warnings(office, office.managers["YH1004"])
    assert {(w["employee_id"], w["kind"]) for w in success} == {(GAP, "checkin_gap")}
    director = _warnings(office, office.managers["YH1001"])
    assert {(w["employee_id"], w["kind"]) for w in director} == PLANTED
    refused = office.client.get("/v1/insights/warnings", headers=auth(office.employee))
    assert refused.status_code == 403


def test_warning_thresholds_are_settings(office: Office, tmp_path: Path) -> None:
    lenient = Settings(home=tmp_path, warning_kr_behind_points=50, checkin_cadence_days=90)
    with Session(office.engine) as session:
        hr = Principal(user_id=0, name="hr", role=Role.hr, employee_id=None)
        found = early_warnings(session, hr, as_of=date(2026, 5, 20), settings=lenient)
    kinds = {(w.employee_id, w.kind) for w in found.data}
    assert kinds == PLANTED - {("YH2101", "kr_off_track"), (GAP, "checkin_gap")}
