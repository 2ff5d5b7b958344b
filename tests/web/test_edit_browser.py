"""Editing a feedback draft in a real Chromium, at laptop and phone width: the manager edits
items in fields, adds one, is told beside a field what is wrong, approves; the employee then
sees the edited text and the manager sees what changed from the AI draft."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import LAPTOP, PHONE, LiveServer, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_feedback_is_edited_in_fields_and_the_employee_sees_the_edit(
    browser: Browser, live_server: LiveServer, width: str, viewport: dict[str, int]
) -> None:
    mgr_context, manager = sign_in(browser, live_server, live_server.tokens.manager, viewport)
    manager.goto(f"{live_server.url}/team/E012")
    manager.get_by_role("button", name="生成反馈草稿").click()
    manager.wait_for_url(re.compile(r"/drafts/[0-9a-f]{32}$"))
    manager.get_by_text("修改后批准", exact=True).first.click()
    expect(manager.locator("textarea.code")).to_have_count(0)  # no JSON box any more

    marker = f"客户当周续签{uuid.uuid4().hex[:4]}"
    strength = manager.locator("#f-strengths-0-text")
    strength.fill(f"{strength.input_value()}经理补充:{marker}。")
    manager.get_by_role("button", name="增加一条 · 优点").click()
    added = manager.locator("#edit-strengths .edit-item").last
    added.get_by_label("内容").fill("短")
    manager.locator("#edit-approve").click()

    # Refused beside the field, with what was typed kept.
    expect(manager.get_by_role("alert").first).to_contain_text("需要修改")
    need = manager.locator("#edit-strengths .edit-item").last
    expect(need.locator(".field-error").first).to_contain_text("至少 10 个字")
    expect(need.locator(".field-error").last).to_contain_text("请至少引用一条记录")
    expect(manager.locator("#f-strengths-0-text")).to_have_value(re.compile(marker))
    need.scroll_into_view_if_needed()
    shot(manager, f"draft-edit-error-{width}")

    need.get_by_label("内容").fill(
        "十一月你主动整理了新人上手文档,三位新同事当周就能独立处理工单。"
    )
    # An item that cites nothing yet has the other records open beside it.
    need.locator("input[type=checkbox]").first.check()
    manager.locator("#edit-approve").click()
    expect(manager.locator(".status-approved")).to_be_visible()
    expect(manager.locator("#approved-version")).to_contain_text("修改后批准的版本")
    changes = manager.locator(".changes")
    expect(changes.locator("ins").filter(has_text=marker)).to_be_visible()
    expect(changes.locator(".change-added")).to_contain_text("新人上手文档")
    manager.locator("#changes-title").scroll_into_view_if_needed()
    shot(manager, f"draft-approved-diff-{width}")

    emp_context, employee = sign_in(browser, live_server, live_server.tokens.employee, viewport)
    employee.goto(f"{live_server.url}/me")
    expect(employee.locator("#feedback-title").locator("..")).to_contain_text(marker)
    expect(employee.locator("body")).to_contain_text("新人上手文档")
    shot(employee, f"me-edited-feedback-{width}")
    emp_context.close()
    mgr_context.close()
