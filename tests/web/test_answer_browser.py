"""In a real Chromium: the employee sees the AI label on /me, objects to an item, and the
manager and HR then see the objection; the pages an employee opens show no internals."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import PHONE, SCREENSHOTS, LiveServer, serve, shot, sign_in, signed_in
from tests.web.test_readable_pages import MODEL_INTERNALS

pytestmark = pytest.mark.browser
OBJECTION = "反馈里说我三季度没有跟进老客户,但 9 月的回访记录都在系统里。"
NEVER_FOR_EMPLOYEES = (*MODEL_INTERNALS, "demo-manager", "demo-employee", "revenue", "E012",
                       "E011", "practice_id", "实践 ID", '{"', "draft.")  # fmt: skip


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: the feedback approved here must not reach other modules' pages."""
    yield from serve(tmp_path_factory.mktemp("answer-home"))


def _approved(server: LiveServer, kind: str = "feedback") -> str:
    manager = signed_in(server.app, server.tokens.manager)
    made = manager.client.post(
        f"/team/E012/generate/{kind}", data={"csrf_token": manager.csrf}, follow_redirects=False
    )
    draft_id = str(made.headers["location"].rsplit("/", 1)[-1])
    manager.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": manager.csrf})
    return draft_id


def test_the_employee_objects_and_the_manager_and_hr_see_it(
    browser: Browser, live_server: LiveServer
) -> None:
    _approved(live_server, "development")
    draft_id = _approved(live_server)
    emp_context, employee = sign_in(browser, live_server, live_server.tokens.employee)
    employee.goto(f"{live_server.url}/me")
    item = employee.locator(f"#draft-{draft_id}")
    expect(item.locator(".ai-label")).to_contain_text(
        re.compile(r"AI 辅助起草 · 经 陈静 于 \d{4}年")
    )
    shot(employee, "me-labelled-laptop")

    item.get_by_text("对这条内容有意见或异议?").click()
    item.get_by_label("异议").check()
    item.get_by_label("你想说的话").fill(OBJECTION)
    item.scroll_into_view_if_needed()
    employee.screenshot(path=str(SCREENSHOTS / "me-answer-form-laptop.png"))
    item.get_by_role("button", name="提交给经理和 HR").click()
    expect(employee.get_by_role("status")).to_contain_text("已记录")
    answered = employee.locator(f"#draft-{draft_id} .responses")
    expect(answered).to_contain_text(OBJECTION)
    expect(answered).to_contain_text("异议")
    shot(employee, "me-objection-laptop")
    visible = employee.locator("main").inner_text()
    for raw in NEVER_FOR_EMPLOYEES:
        assert raw not in visible, raw
    emp_context.close()

    phone_context, phone = sign_in(browser, live_server, live_server.tokens.employee, PHONE)
    phone.goto(f"{live_server.url}/me#draft-{draft_id}")
    expect(phone.locator(f"#draft-{draft_id} .responses")).to_contain_text(OBJECTION)
    shot(phone, "me-objection-phone")
    phone.locator(".practice-link a").first.click()
    expect(phone.locator("#practice-title")).to_be_visible()
    practice_text = phone.locator("main").inner_text()
    for raw in NEVER_FOR_EMPLOYEES:
        assert raw not in practice_text, raw
    shot(phone, "practice-phone")
    phone_context.close()

    for token, name in ((live_server.tokens.manager, "manager"), (live_server.tokens.hr, "hr")):
        context, page = sign_in(browser, live_server, token)
        page.goto(f"{live_server.url}/drafts/{draft_id}")
        expect(page.locator("#responses")).to_contain_text(OBJECTION)
        expect(page.locator("#responses")).to_contain_text("李强")
        shot(page, f"draft-objection-{name}-laptop")
        context.close()


def test_hr_reads_the_audit_trail_at_laptop_and_phone_width(
    browser: Browser, live_server: LiveServer
) -> None:
    _approved(live_server)
    for viewport, suffix in ((None, "laptop"), (PHONE, "phone")):
        context, page = sign_in(browser, live_server, live_server.tokens.hr,
                                *([viewport] if viewport else []))  # fmt: skip
        page.goto(f"{live_server.url}/hr/events")
        page.get_by_label("动作").select_option(label="草稿已批准")
        page.get_by_role("button", name="筛选").click()
        rows = page.locator("table.events tbody tr")
        expect(rows.first).to_contain_text("草稿已批准")
        expect(rows.first).to_contain_text("陈静(经理)")
        text = page.locator("main").inner_text()
        assert "manager:demo-manager" not in text and '{"' not in text
        shot(page, f"audit-trail-{suffix}")
        context.close()
