"""The pages in a real Chromium: sign-in per role, the draft flow, the live vague hint, HR charts."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LAPTOP, PHONE, LiveServer, shot, sign_in

pytestmark = pytest.mark.browser


def _api(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_each_role_signs_in_to_its_start_page(browser: Browser, live_server: LiveServer) -> None:
    tokens = live_server.tokens
    for token, path, heading in (
        (tokens.manager, "/team", "我的团队"),
        (tokens.employee, "/me", "你的绩效"),
        (tokens.hr, "/hr/dialogues", "对话质量"),
        (tokens.admin, "/hr/events", "审计日志"),
    ):
        context, page = sign_in(browser, live_server, token)
        assert page.url.endswith(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.get_by_role("button", name="退出").click()
        expect(page).to_have_url(re.compile(r"/signin$"))
        page.goto(f"{live_server.url}{path}")  # signed out: back to the sign-in page
        expect(page).to_have_url(re.compile(r"/signin\?next="))
        context.close()


def test_wrong_token_is_refused(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/team")
    expect(page).to_have_url(re.compile(r"/signin\?next=/team"))
    page.get_by_label("API 令牌").fill("coach_not-a-token")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("令牌无效")
    context.close()


def test_feedback_draft_reaches_the_employee_only_after_approval(
    browser: Browser, live_server: LiveServer
) -> None:
    tokens = live_server.tokens
    emp_context, employee = sign_in(browser, live_server, tokens.employee)
    expect(employee.locator("body")).to_contain_text("还没有经审批的反馈")

    mgr_context, manager = sign_in(browser, live_server, tokens.manager)
    manager.get_by_role("link", name="李强").click()
    expect(manager.get_by_role("heading", level=1)).to_contain_text("李强")
    manager.get_by_role("button", name="生成反馈草稿").click()
    manager.wait_for_url(re.compile(r"/drafts/[0-9a-f]{32}$"))
    draft_url = manager.url
    expect(manager.locator(".status-pending")).to_be_visible()
    expect(manager.locator("aside.evidence").first).to_be_visible()  # items show what they cite
    draft = _api(live_server, tokens.manager).get(f"/v1/drafts/{draft_url.rsplit('/', 1)[1]}")
    summary = draft.json()["output"]["summary"]
    shot(manager, "draft-pending-laptop")

    # The employee is refused the pending draft about themselves, and sees none of its text.
    response = employee.goto(draft_url)
    assert response is not None and response.status == 403
    expect(employee.get_by_role("heading", level=1)).to_contain_text("没有权限")
    assert summary not in employee.content()
    employee.goto(f"{live_server.url}/me")
    assert summary not in employee.content()

    # Edit and approve: the employee then sees the edited version, with who approved it.
    marker = f"经理补充{uuid.uuid4().hex[:6]}"
    manager.get_by_text("修改后批准", exact=True).first.click()
    box = manager.get_by_label("总结", exact=True)
    box.fill(f"{box.input_value()} {marker}")
    manager.locator("#edit-approve").click()
    expect(manager.locator(".status-approved")).to_be_visible()
    expect(manager.get_by_role("status")).to_contain_text("已批准")

    employee.goto(f"{live_server.url}/me")
    expect(employee.locator("body")).to_contain_text(marker)
    expect(employee.locator(".approval").first).to_contain_text("陈静")
    expect(employee.locator(".approval").first).to_contain_text("经理修改过")
    shot(employee, "me-approved-laptop")
    emp_context.close()
    mgr_context.close()


def test_employee_gets_403_for_a_pending_draft_about_themselves(
    browser: Browser, live_server: LiveServer
) -> None:
    tokens = live_server.tokens
    created = _api(live_server, tokens.manager).post(
        "/v1/development/suggestions", json={"employee_id": "E012"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    texts = [s["why"] for s in body["output"]["suggestions"]]
    context, page = sign_in(browser, live_server, tokens.employee)
    response = page.goto(f"{live_server.url}/drafts/{body['draft_id']}")
    assert response is not None and response.status == 403
    html = page.content()
    assert not any(text in html for text in texts)
    shot(page, "forbidden-laptop")
    context.close()


def test_vague_feedback_gets_a_hint_while_typing(browser: Browser, live_server: LiveServer) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.goto(f"{live_server.url}/team/E012/checkin")
    page.get_by_label("进展").fill("客户回访完成八成")
    feedback = page.get_by_label("给 TA 的反馈")
    feedback.press_sequentially("表现良好，继续努力", delay=20)
    check = page.locator("#feedback-check")
    expect(check.locator("mark").first).to_have_text("表现良好")
    expect(check).to_contain_text("请补充具体事例")
    expect(check).to_contain_text("“表现良好”")  # the hint quotes what it flagged
    expect(check.locator(".verdict")).to_have_attribute("data-vague", "true")
    shot(page, "checkin-hint-laptop")
    feedback.fill("")
    feedback.press_sequentially(
        "11月12日你在华东客户的投诉升级会上先复述了客户诉求，当天给出补偿方案，客户撤回了投诉。"
        "建议下次提前一天把方案发给法务审核。需要我帮你协调法务的时间。",
        delay=5,
    )
    expect(check.locator(".verdict")).to_have_attribute("data-vague", "false")
    page.get_by_role("button", name="保存面谈").click()
    expect(page.get_by_role("status")).to_contain_text("面谈已保存")
    context.close()


def test_target_range_is_drawn_on_the_metric_chart(
    browser: Browser, live_server: LiveServer
) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.goto(f"{live_server.url}/team/E012")
    card = page.locator("article[id^=metric-]").first
    card.get_by_role("button", name=re.compile("建议 .* 目标区间")).click()
    expect(page.get_by_role("status")).to_contain_text("待审批草稿")
    card = page.locator("article[id^=metric-]").first
    expect(card.locator(".range")).to_contain_text("承诺值")
    datasets = card.locator("canvas").evaluate("c => Chart.getChart(c).data.datasets.length")
    assert datasets == 4  # history + commit, target, stretch
    shot(page, "person-laptop")
    context.close()


def test_hr_dashboard_draws_its_charts(browser: Browser, live_server: LiveServer) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.hr)
    for chart_id in ("chart-managers", "chart-trend"):
        canvas = page.locator(f"#{chart_id}")
        expect(canvas).to_be_visible()
        size = canvas.evaluate("c => [c.width, c.height, !!Chart.getChart(c)]")
        assert size[0] > 0 and size[1] > 0 and size[2], size
    kinds = page.evaluate(
        "['chart-managers','chart-trend'].map(i => Chart.getChart(i).config.type)"
    )
    assert kinds == ["bar", "line"]
    shot(page, "hr-dialogues-laptop")
    page.goto(f"{live_server.url}/hr/dialogues?month=2026-11")  # the demo's last month
    page.locator("table a[href^='/hr/dialogues/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("面谈记录")
    page.get_by_label("添加备注").fill("反馈缺少具体事例,已与经理沟通")
    page.get_by_role("button", name="添加备注").click()
    expect(page.get_by_role("status")).to_contain_text("备注已保存")
    expect(page.locator("body")).to_contain_text("反馈缺少具体事例")
    csv = page.request.get(f"{live_server.url}/hr/dialogues.csv")
    assert csv.ok and "经理编号" in csv.text()
    context.close()


PAGES = {
    "manager": ["/team", "/team/E012", "/drafts", "/team/E012/checkin"],
    "employee": ["/me"],
    "hr": [
        "/hr/dialogues",
        "/hr/calibration",
        "/hr/warnings",
        "/hr/fairness",
        "/hr/themes",
        "/hr/events",
        "/practices?q=复盘",
    ],
}


@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_main_pages_fit_the_screen(browser: Browser, live_server: LiveServer, width: str) -> None:
    viewport = LAPTOP if width == "laptop" else PHONE
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{live_server.url}/signin")
    shot(page, f"signin-{width}")
    context.close()
    for role, paths in PAGES.items():
        context, page = sign_in(browser, live_server, getattr(live_server.tokens, role), viewport)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow}px wider than a {width} screen"
            name = path.strip("/").replace("/", "-").split("?")[0] or "home"
            shot(page, f"{role}-{name}-{width}")
        context.close()


def test_english_toggle_is_remembered(browser: Browser, live_server: LiveServer) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Drafts waiting for you")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待审批的草稿")
    context.close()


def test_keyboard_reaches_the_skip_link_first(browser: Browser, live_server: LiveServer) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "跳到正文"
    context.close()


def _refusals(page: Page) -> list[str]:
    """Content-Security-Policy refusals and script errors the page reports from now on."""
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.on("pageerror", lambda e: refused.append(str(e)))
    return refused


def test_pages_keep_to_the_content_security_policy(
    browser: Browser, live_server: LiveServer
) -> None:
    for role, paths in PAGES.items():
        context, page = sign_in(browser, live_server, getattr(live_server.tokens, role))
        refused = _refusals(page)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and "script-src 'self'" in (
                response.headers.get("content-security-policy") or ""
            )
            page.wait_for_load_state("networkidle")
        assert refused == [], f"{role}: {refused}"
        context.close()
