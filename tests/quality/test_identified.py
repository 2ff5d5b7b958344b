"""A verdict rests on what the comment identifies, not on what merely sounds specific.

Each comment here is written for this test; none comes from an evaluation split.
"""

from __future__ import annotations

import pytest

from coach.quality import check_comment

VAGUE = [
    # Grades and scorecard figures name no act or result.
    "二季度绩效评定A-,和去年差不多。",
    "Q4 rating: 4 out of 5. In line with last year.",
    "综合评价为基本称职。",
    "KPI完成率112%,继续保持。",
    "超额完成了年度的回款目标,成绩突出。",
    # Advice to learn from anyone, about anything.
    "建议多向资深同事请教,尽快提高业务熟练度。",
    # Occasions and gains that identify nothing.
    "在重要场合表现得体,维护了公司形象。",
    # Buzzwords and nicknames of praise.
    "这一年 ownership 意识很强,做事很 proactive,跟大家 collaboration 也很顺畅。",
    "他简直是我们店里的顶梁柱,没他不行。",
    # A self-appraisal of effort; "try" here is no advice.
    "I always try to stay calm and help my colleagues wherever I can, and I have grown a lot.",
    "今年挺难的,但我都熬过来了,明年继续努力。",
    # Scorecard figures and grades, however they are put.
    "上季度考核系数1.05,等级A。",
    "门店达标率99%,值得肯定。",
    "这次先给3.25吧。",
    "今年就报个合格吧。",
    "October: NPS 62, AHT within target. Meets.",
    # A change with no size and nothing named.
    "退货率有所下降,服务意识有一定提高。",
    "回款同比增长15%,成绩喜人。",
    "技能考核88分,良好。",
    "Reached 104% of quota. Great quarter.",
    "Rated Exceeds. Well earned.",
    "你的努力大家都看在眼里,明年会更好。",
    "团结同志,履职尽责,圆满完成了各项工作任务。",
    "全年各项指标完成率均在100%以上,值得表扬。",
    "Recommend attending a workshop to enhance presentation skills.",
    "Revenue up 11% YoY. Keep it up!",
    "I always go above and beyond and bring energy and positivity to the team.",
]

SPECIFIC = [
    # Going ahead before the step that should come first.
    "未经审批就开始施工。",
    # Lapses named by the step that was skipped.
    "交接班记录未更新,也未上报护士长。",
    # Misconduct observed, with no number or date.
    "值班时在护士站刷手机。",
    # A Latin verb in a Chinese sentence is still an act.
    "在群里 cc 了客户的私人邮箱。",
    # Handling a thing a particular way.
    "把退货单按日期排列,找起来快多了。",
    "先核对身份再发卡,没有一次漏核。",
    # Terse English notes and habits that say what is done to what.
    "She files the incident reports before every handover.",
    "Put the pallet jack in front of the fire exit.",
    # Sarcasm with the facts that contradict it.
    "Great job 'checking' the invoice: the totals didn't match the order.",
    # Measured results written in words.
    "客户回访问卷里给了她九十二分。",
    "报表误差控制在百分之二以内。",
    "Two shipment labels were printed with the old address.",
    # Habits and lapses told as the act itself.
    "老是不写交接本上的体温记录。",
    "每次都提前把会议室的投影调好。",
    "都会跟病人确认过敏史再配药。",
    "Labels every bin before the morning pick.",
    # One occasion pinned to a day.
    "前天那场直播你控场控得很稳。",
    "Nice recovery on the launch call yesterday.",
    "每次周报都只回一个“收到”,从来不看内容。",
    "这台叉车的电池是她下班后来换的。",
    "Kept telling the customer to restart the router without checking the line.",
    "Always checks the fridge temperature log before the lunch rush.",
    "没有核实身份就办理了挂失。",
    "卸货时没有戴安全帽。",
    "她把过期药品用黄色袋子单独封存。",
    # A ranking is a checkable result.
    "这个月回款全组第一。",
]


@pytest.mark.parametrize("text", VAGUE)
def test_comments_that_identify_nothing_are_vague(text: str) -> None:
    assert check_comment(text).vague, text


@pytest.mark.parametrize("text", SPECIFIC)
def test_comments_that_identify_an_act_or_result_are_specific(text: str) -> None:
    assert not check_comment(text).vague, text
