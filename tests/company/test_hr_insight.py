"""Fairness, themes and the nine-box on a company built from its export files.

The generated company gets HR's attribute file (gender, age band) and a planted disparity: the
women's manager feedback is mostly vague, in a mix of vague praise and vague criticism that
leaves the criticism rate as it was. Age bands are handed out independently of everything, so
that attribute is the clean one. Obstacles and support requests are cleared, then one
recurring obstacle and one recurring support request are planted in one team's April.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, select

from api.main import create_app
from coach.core.models import Draft, Role
from coach.core.settings import Settings
from coach.org.users import create_user
from tests.company.generator import IMPORT_ORDER, Company, build_company, write_files
from tests.conftest import _ENV_VARS
from tests.factories import auth, upgraded
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, LAPTOP, serving, shot, signed_in

WOMEN = {
    "YH1003", "YH2001", "YH2004", "YH2006", "YH2102", "YH2104", "YH2201", "YH2203", "YH2205",
}  # fmt: skip
OLDER = {"YH1001", "YH1004"}  # the one age band too small to show
MONTH = "2026-04"
SOUTH = "华南大区"
OBSTACLE = "{c}的法务审批一直在排队，合同迟迟签不下来，回款也跟着推迟"
OBSTACLE_PEOPLE = ("YH2101", "YH2103", "YH2105")
SUPPORT = "需要经理帮忙协调{c}的信息部门开通数据接口权限"
SUPPORT_PEOPLE = ("YH2102", "YH2104")
LONER = ("YH2003", "本月请了一周假，拜访计划整体顺延")  # raised once: no theme
VAGUE_PRAISE, VAGUE_CRITICISM = "整体还不错，保持。", "态度要再端正一些。"
REVIEW_CYCLE = "2025H2"


def _band(employee_id: str) -> str:
    if employee_id in OLDER:
        return "45-54"
    return "25-34" if int(employee_id[-1]) % 2 else "35-44"


def _plant(company: Company) -> None:
    rows = sorted(company.rows["checkins"], key=lambda r: (str(r["date"]), str(r["checkin_id"])))
    turns: dict[str, int] = {}
    for row in rows:
        row["obstacles"], row["support_needed"] = "", ""
        person = str(row["employee_id"])
        if person in WOMEN:
            turn = turns[person] = turns.get(person, -1) + 1
            if turn % 3:
                row["manager_feedback"] = VAGUE_CRITICISM if turn % 3 == 1 else VAGUE_PRAISE
    april = {str(r["employee_id"]): r for r in rows if f"{r['date']:%Y-%m}" == MONTH}
    for person, customer in zip(OBSTACLE_PEOPLE, ("美的集团", "招商银行", "顺丰速运"), strict=True):
        april[person]["obstacles"] = OBSTACLE.format(c=customer)
    for person, customer in zip(SUPPORT_PEOPLE, ("华润万家", "格力电器"), strict=True):
        april[person]["support_needed"] = SUPPORT.format(c=customer)
    april[LONER[0]]["obstacles"] = LONER[1]


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


@dataclass
class HRDesk:
    client: TestClient
    app: FastAPI
    company: Company
    admin: str
    hr: str
    managers: dict[str, str]
    employee: str

    def upload(self, kind: str, data: bytes) -> None:
        response = self.client.post(
            f"/v1/imports/{kind}", headers=auth(self.admin),
            files={"file": (f"{kind}.csv", data, "text/csv")},
        )  # fmt: skip
        assert response.status_code == 200, (kind, response.text)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, _database: str) -> Iterator[HRDesk]:
    root = tmp_path_factory.mktemp("hr-insight")
    company = build_company()
    _plant(company)
    files = write_files(company, root / "exports")
    with pytest.MonkeyPatch.context() as env:
        for name in _ENV_VARS:
            env.delenv(name, raising=False)
        app = create_app(upgraded(Settings(home=root / "home", database_url=_database)))
        with Session(app.state.engine) as session:
            _, admin = create_user(session, name="系统管理员", role=Role.admin)
            _, hr = create_user(session, name="人力资源-周敏", role=Role.hr)
            session.commit()
        with TestClient(app) as client:
            desk = HRDesk(client, app, company, admin, hr, {}, "")
            for kind in IMPORT_ORDER:
                desk.upload(kind, files[kind].path.read_bytes())
            people = [p.employee_id for p in company.people]
            desk.upload(
                "attributes",
                _csv(["员工编号", "性别", "年龄段"],
                     [[p, "女" if p in WOMEN else "男", _band(p)] for p in people]),
            )  # fmt: skip
            with Session(app.state.engine) as session:
                leads = sorted({p.manager_id for p in company.people if p.manager_id})
                desk.managers = {
                    m: create_user(session, name=f"经理-{m}", role=Role.manager, employee_id=m)[1]
                    for m in leads
                }
                _, desk.employee = create_user(
                    session, name="员工-YH2001", role=Role.employee, employee_id="YH2001"
                )
                session.commit()
            yield desk
        app.state.engine.dispose()


def _fairness(desk: HRDesk, attribute: str) -> dict[str, object]:
    response = desk.client.get(
        f"/v1/insights/fairness?attribute={attribute}", headers=auth(desk.hr)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- fairness ---------------------------------------------------------------------------


def test_the_planted_disparity_alone_is_flagged(desk: HRDesk) -> None:
    report = _fairness(desk, "gender")
    flagged = [(d["measure"], d["value"]) for d in report["disparities"]]  # type: ignore[attr-defined]
    assert flagged == [("vague_share", "女")], report
    groups = {g["value"]: g for g in report["groups"]}  # type: ignore[attr-defined]
    women, men = groups["女"], groups["男"]
    assert (women["people"], men["people"]) == (9, 11)
    assert women["rates"]["vague_share"]["share"] > men["rates"]["vague_share"]["share"] + 0.15
    disparity = report["disparities"][0]  # type: ignore[index]
    assert disparity["p"] < 0.05 and "核查" in disparity["message"]
    assert "不是结论" in str(report["rule"]) and "vague_share" in report["definitions"]  # type: ignore[operator]


def test_the_clean_attribute_has_no_flags_and_a_small_group_is_withheld(desk: HRDesk) -> None:
    report = _fairness(desk, "age_band")
    assert report["disparities"] == [], report["disparities"]
    groups = {g["value"]: g for g in report["groups"]}  # type: ignore[attr-defined]
    assert set(groups) == {"25-34", "35-44", "45-54"}
    small = groups["45-54"]
    assert small["suppressed"] and small["people"] is None
    assert all(rate is None for rate in small["rates"].values())
    assert not groups["25-34"]["suppressed"] and groups["25-34"]["people"] >= 5


def test_a_period_limits_the_records_and_bad_input_names_the_field(desk: HRDesk) -> None:
    url = "/v1/insights/fairness?attribute=gender"
    whole = desk.client.get(url, headers=auth(desk.hr)).json()
    later = desk.client.get(f"{url}&period=2026H1", headers=auth(desk.hr)).json()
    total = {g["value"]: g["rates"]["vague_share"]["total"] for g in whole["groups"]}
    part = {g["value"]: g["rates"]["vague_share"]["total"] for g in later["groups"]}
    assert all(0 < part[v] < total[v] for v in total), (part, total)
    for query, field in (
        ("attribute=salary", "attribute"),
        ("attribute=gender&period=H1", "period"),
    ):
        bad = desk.client.get(f"/v1/insights/fairness?{query}", headers=auth(desk.hr))
        assert bad.status_code == 422 and field in bad.text, bad.text


def test_fairness_is_for_hr_only(desk: HRDesk) -> None:
    url = "/v1/insights/fairness?attribute=gender"
    for token in (*desk.managers.values(), desk.employee):
        assert desk.client.get(url, headers=auth(token)).status_code == 403


# --- themes -----------------------------------------------------------------------------


def _themes(desk: HRDesk, token: str, month: str = MONTH) -> dict[str, object]:
    response = desk.client.get(f"/v1/insights/themes?month={month}", headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _found(report: dict[str, object]) -> set[tuple[str, str, int, tuple[str, ...]]]:
    return {
        (team["team"], theme["kind"], theme["people"], tuple(theme["record_ids"]))
        for team in report["teams"]  # type: ignore[attr-defined]
        for theme in team["themes"]
    }


def _ids(people: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"CI-{p}-{MONTH.replace('-', '')}" for p in people)


def test_hr_finds_exactly_the_planted_recurring_obstacle_and_support_request(desk: HRDesk) -> None:
    report = _themes(desk, desk.hr)
    assert _found(report) == {
        (SOUTH, "obstacle", 3, _ids(OBSTACLE_PEOPLE)),
        (SOUTH, "support", 2, _ids(SUPPORT_PEOPLE)),
    }
    south = next(t for t in report["teams"] if t["team"] == SOUTH)  # type: ignore[attr-defined]
    assert "美的集团" in south["themes"][0]["text"]
    east = next(t for t in report["teams"] if t["team"] == "华东大区")  # type: ignore[attr-defined]
    assert east["obstacles"] == 1 and east["themes"] == []
    assert _found(_themes(desk, desk.hr, "2026-03")) == set()


def test_a_manager_sees_the_themes_of_their_own_people_only(desk: HRDesk) -> None:
    assert _found(_themes(desk, desk.managers["YH1003"])) == _found(_themes(desk, desk.hr))
    east = _themes(desk, desk.managers["YH1002"])
    assert _found(east) == set() and {t["team"] for t in east["teams"]} == {"华东大区"}  # type: ignore[attr-defined]
    refused = desk.client.get(f"/v1/insights/themes?month={MONTH}", headers=auth(desk.employee))
    assert refused.status_code == 403
    bad = desk.client.get("/v1/insights/themes?month=2026-13", headers=auth(desk.hr))
    assert bad.status_code == 422 and "month" in bad.text


# --- nine-box ---------------------------------------------------------------------------


def _calibration(desk: HRDesk) -> dict[str, object]:
    response = desk.client.get(
        f"/v1/insights/calibration?cycle={REVIEW_CYCLE}", headers=auth(desk.hr)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _import_potential(desk: HRDesk) -> dict[str, int]:
    rated = sorted({str(r["employee_id"]) for r in desk.company.rows["reviews"]})
    potential = {p: 1 + n % 3 for n, p in enumerate(rated)}
    desk.upload(
        "potential",
        _csv(["cycle", "employee_id", "potential"],
             [[REVIEW_CYCLE, p, v] for p, v in potential.items()]),
    )  # fmt: skip
    return potential


def test_the_nine_box_places_everyone_rated_once_potential_is_imported(desk: HRDesk) -> None:
    potential = _import_potential(desk)  # without it there is no nine-box: see test_insights
    box = _calibration(desk)["nine_box"]
    assert box is not None and len(box["cells"]) == 9  # type: ignore[index, arg-type]
    placed = {p["employee_id"]: c for c in box["cells"] for p in c["people"]}  # type: ignore[index]
    # The director's scores name no reviewer, so calibration has no rating of him to place.
    assert set(placed) == set(potential) - {"YH1001"}
    assert (box["without_rating"], box["without_potential"]) == (1, 0)  # type: ignore[index]
    assert all(placed[p]["potential"] == v for p, v in potential.items() if p in placed)
    for person, cell in placed.items():
        score = next(x["performance"] for x in cell["people"] if x["employee_id"] == person)
        assert cell["performance"] == min(3, 1 + int(3 * (score - 1) / 4))
    page = signed_in(desk.app, desk.hr).client.get(f"/hr/calibration?cycle={REVIEW_CYCLE}")
    assert 'id="nine-box"' in page.text and "明星" in page.text


# --- attributes stay with HR ------------------------------------------------------------


def test_attributes_are_absent_from_manager_and_employee_pages_and_prompts(desk: HRDesk) -> None:
    person = "YH2102"  # 孙丽: a woman aged 35-44 in the south team
    manager_web = signed_in(desk.app, desk.managers["YH1003"]).client
    employee_web = signed_in(desk.app, desk.employee).client
    for client, path in (
        (manager_web, "/team"),
        (manager_web, f"/team/{person}"),
        (employee_web, "/me"),
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        for word in ("性别", "年龄段", "gender", "age_band", "35-44", "25-34"):
            assert word not in response.text, (path, word)
    for token, path in (
        (desk.managers["YH1003"], f"/v1/employees/{person}"),
        (desk.employee, "/v1/employees/YH2001"),
    ):
        response = desk.client.get(path, headers=auth(token))
        assert response.status_code == 200, (path, response.text[:300])
        for word in ("性别", "年龄段", "gender", "age_band", "35-44", "25-34"):
            assert word not in response.text, (path, word)
    drafted = desk.client.post(
        "/v1/checkins/topics", headers=auth(desk.managers["YH1003"]),
        json={"employee_id": person, "date": date(2026, 5, 20).isoformat()},
    )  # fmt: skip
    assert drafted.status_code in (200, 201), drafted.text
    with Session(desk.app.state.engine) as session:
        # A draft keeps the facts its prompt was rendered from, as they were sent.
        facts = [json.dumps(d.inputs, ensure_ascii=False) for d in session.exec(select(Draft))]
    assert facts and any(person in f or "孙丽" in f for f in facts)
    for sent in facts:
        for word in ("性别", "年龄段", "gender", "age_band", "35-44"):
            assert word not in sent, word


# --- pages ------------------------------------------------------------------------------


def test_the_hr_pages_show_the_figures_with_their_definitions(desk: HRDesk) -> None:
    web = signed_in(desk.app, desk.hr).client
    fair = web.get("/hr/fairness?attribute=gender")
    assert fair.status_code == 200, fair.text[:300]
    assert "不是结论" in fair.text and "两比例 z 检验" in fair.text
    vague = fair.text[fair.text.index('id="fairness-vague_share"') :]
    vague = vague[: vague.index("</svg>")]
    assert vague.count('class="bar flagged"') == 1 and vague.count("<rect") == 2
    ages = web.get("/hr/fairness?attribute=age_band")
    assert "不足 5 人,不显示" in ages.text and "没有达到标记规则的差异" in ages.text
    assert web.get("/hr/fairness?attribute=salary").status_code == 422
    themes = web.get(f"/hr/themes?month={MONTH}")
    assert themes.status_code == 200 and themes.text.count("<rect") == 2
    assert all(i in themes.text for i in _ids(OBSTACLE_PEOPLE) + _ids(SUPPORT_PEOPLE))
    warnings = web.get("/hr/warnings?as_of=2026-05-20")
    assert warnings.status_code == 200 and 'id="warnings-chart"' in warnings.text
    assert "个百分点" in warnings.text and "天没有面谈记录" in warnings.text
    manager = signed_in(desk.app, desk.managers["YH1003"]).client
    for path in ("/hr/fairness", "/hr/themes", "/hr/warnings"):
        assert manager.get(path).status_code == 403, path


@pytest.mark.browser
def test_the_hr_pages_open_in_a_browser_and_fit_a_laptop(desk: HRDesk) -> None:
    _import_potential(desk)
    paths = {
        "hr-warnings": "/hr/warnings?as_of=2026-05-20",
        "hr-fairness-gender": "/hr/fairness?attribute=gender",
        "hr-fairness-age": "/hr/fairness?attribute=age_band",
        "hr-themes": f"/hr/themes?month={MONTH}",
        "hr-nine-box": f"/hr/calibration?cycle={REVIEW_CYCLE}",
    }
    with serving(desk.app) as url, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(f"{url}/signin")
        page.get_by_label("API 令牌").fill(desk.hr)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="公平性").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("公平性监测 · 性别")
        for name, path in paths.items():
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("svg.dot-plot").first).to_be_visible()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
            shot(page, f"{name}-laptop")
        page.goto(f"{url}/hr/fairness?attribute=gender")
        expect(page.locator("#disparities")).to_contain_text("「女」组的空泛反馈占比")
        page.get_by_label("分组属性").select_option("age_band")
        page.get_by_role("button", name="查看").click()
        expect(page.locator("#disparities")).to_contain_text("没有达到标记规则的差异")
        context.close()
        chromium.close()
