"""A target range in a real Chromium: the manager reads it in words, changes the levels as
numbers and approves; the employee then sees those numbers, the metric's name and who approved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import LiveServer, shot, sign_in

pytestmark = pytest.mark.browser


def test_manager_edits_a_target_as_numbers_and_the_employee_sees_them(
    browser: Browser, live_server: LiveServer
) -> None:
    mgr_context, manager = sign_in(browser, live_server, live_server.tokens.manager)
    manager.goto(f"{live_server.url}/team/E012")
    card = manager.locator("#metric-revenue")
    card.get_by_role("button", name=re.compile("建议 .* 目标区间")).click()
    manager.locator("#metric-revenue").get_by_role("link", name="打开草稿").click()
    manager.wait_for_url(re.compile(r"/drafts/[0-9a-f]{32}$"))

    expect(manager.locator("#level-commit")).to_contain_text("约八成把握达到")
    expect(manager.locator("#level-stretch")).to_contain_text("约两成把握达到")
    internals = manager.locator("#internals")
    expect(internals.get_by_text("同事数据的参考权重", exact=True)).to_be_hidden()
    internals.get_by_text("计算依据").click()
    expect(internals.get_by_text("同事数据的参考权重", exact=True)).to_be_visible()
    shot(manager, "target-draft-laptop")

    manager.get_by_text("修改三档目标后批准").click()
    manager.get_by_label("承诺值(万元)").fill("95")
    manager.get_by_label("目标值(万元)").fill("115")
    manager.get_by_label("挑战值(万元)").fill("150")
    manager.locator("#edit-approve").click()
    expect(manager.locator(".status-approved")).to_be_visible()

    emp_context, employee = sign_in(browser, live_server, live_server.tokens.employee)
    employee.goto(f"{live_server.url}/me")
    row = employee.get_by_role("row", name=re.compile("销售回款"))
    for shown in ("95万元", "115万元", "150万元"):
        expect(row).to_contain_text(shown)
    expect(employee.locator("#targets-title + table")).to_contain_text("经 陈静 于")
    shot(employee, "me-target-laptop")
    emp_context.close()
    mgr_context.close()
