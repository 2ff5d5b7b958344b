"""The verdict rests on what a comment identifies, not on words that sound like it.

One group per pattern that fooled the checker on text the team had not written; every example
is new (none is in a data split).
"""

from __future__ import annotations

import pytest

from coach.quality import check_comment, check_comments


def categories(text: str) -> set[str]:
    return {f.category for f in check_comment(text).findings}


# 1. Situation-sounding words and consequence verbs identify nothing.
@pytest.mark.parametrize(
    "text",
    [
        "在季度复盘会议期间,他积极推动了团队协作水平的提高。",
        "在客户项目的推进过程中,带来了很多积极的影响。",
        "During the client meeting she drove alignment, resulting in better outcomes.",
    ],
)
def test_situation_words_without_anything_identified_are_vague(text: str) -> None:
    assert check_comment(text).vague


# 2. Pseudo-specific templates stay vague and are named as such.
@pytest.mark.parametrize(
    "text",
    [
        "在某次客户项目中表现亮眼,超额完成了既定的目标。",
        "参与了多个重要项目,发挥了关键作用。",
        "Took the lead on the recent launch and played a key role in its success.",
    ],
)
def test_pseudo_specific_templates_are_vague(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "pseudo_specific" in {f.category for f in result.findings}


# 3. A date does not cancel a stock phrase; a rating in a chatty sentence is caught.
@pytest.mark.parametrize(
    "text",
    ["你在11月的发布会上表现得非常出色!", "Great job in the March 14 review, really proud of you."],
)
def test_a_date_does_not_cancel_stock_praise(text: str) -> None:
    assert check_comment(text).vague


@pytest.mark.parametrize(
    "text",
    ["这次聊下来,我给你打个B,其他都挺好的。", "Chatted about the half; I'd rate you a 3 for now."],
)
def test_a_bare_rating_inside_a_chatty_sentence_is_caught(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "score_without_evidence" in {f.category for f in result.findings}


# 4. Sarcasm is its own finding; stock advice is not a next step.
@pytest.mark.parametrize(
    "text",
    ["你可真是'细心',合同金额又写错了。", 'So "punctual" lately: late to stand-up again.'],
)
def test_sarcasm_is_named_as_a_warning(text: str) -> None:
    sarcasm = [f for f in check_comment(text).findings if f.category == "sarcasm"]
    assert sarcasm and all(f.severity == "warning" for f in sarcasm)


@pytest.mark.parametrize(
    "text",
    [
        "建议多参加一些培训,提升表达能力。",
        "Consider some training to improve your presentation skills.",
    ],
)
def test_stock_advice_is_vague(text: str) -> None:
    assert check_comment(text).vague


# 5. Short concrete acts without a number or a date are specific, in either script.
@pytest.mark.parametrize(
    "text",
    [
        "Unplugged the sample freezer to charge his phone.",
        "把客户的退款申请误点成了驳回。",
        "交接班时没有核对保险柜里的现金。",
        "他把客戶寄來的樣品弄丟了,還說沒收到。",
    ],
)
def test_short_concrete_acts_are_specific(text: str) -> None:
    result = check_comment(text)
    assert not result.vague
    assert not {"vague_praise", "vague_criticism"} & {f.category for f in result.findings}


def test_traditional_characters_read_like_simplified_ones() -> None:
    traditional, simplified = check_comments(["工作態度認真,溝通順暢。", "工作态度认真,沟通顺畅。"])
    assert traditional.vague and simplified.vague
    assert [f.category for f in traditional.findings] == [f.category for f in simplified.findings]
    assert all(f.text == "工作態度認真,溝通順暢。"[f.start : f.end] for f in traditional.findings)


# 6. Hints: a warning for protected attributes, a gentle next step, varied and built from the text.
@pytest.mark.parametrize(
    "text, lang",
    [
        ("她刚怀孕,这次晋升先缓一缓。", "zh"),
        ("He's close to retirement age, so no stretch goals for him.", "en"),
    ],
)
def test_protected_attribute_remarks_get_a_warning(text: str, lang: str) -> None:
    result = check_comment(text)
    warnings = [f for f in result.findings if f.severity == "warning"]
    assert warnings and all(f.category == "possible_bias" for f in warnings)
    assert warnings[0].message.startswith("警告" if lang == "zh" else "Warning")
    # The warning replaces the generic "describe the behaviour" finding.
    assert "vague_praise" not in {f.category for f in result.findings}


@pytest.mark.parametrize(
    "text, question",
    [
        ("上周二你把漏发的三箱货当天补发给了客户。", "下一步是什么?"),
        ("Rebuilt the shift rota so nobody works two closes in a row.", "What's the next step?"),
    ],
)
def test_specific_comment_without_next_step_gets_a_gentle_note(text: str, question: str) -> None:
    result = check_comment(text)
    assert not result.vague
    notes = [f for f in result.findings if f.category == "next_step"]
    assert len(notes) == 1 and notes[0].severity == "note"
    assert notes[0].message.startswith(question)
    assert notes[0].text == text[notes[0].start : notes[0].end] and notes[0].text


def test_specific_comment_with_a_next_step_gets_no_note() -> None:
    text = "周四的演示超时了二十分钟;下次请先把议程控制在三项以内,每项十分钟。"
    assert "next_step" not in categories(text)


def test_hints_quote_the_comment_and_vary_between_comments() -> None:
    texts = ["工作认真负责。", "表现非常出色。", "沟通能力强。", "执行力不错。"]
    results = check_comments(texts)
    assert len({r.findings[0].hint for r in results}) > 1
    for result in results:
        assert result.findings[0].text in result.findings[0].message


def test_rewrite_reuses_the_comment_s_own_anchor() -> None:
    result = check_comment("上周五的团建,你表现得很好!")
    praise = [f for f in result.findings if f.category == "vague_praise"]
    assert praise and "上周五" in praise[0].hint


def test_english_hints_stay_english() -> None:
    result = check_comment("Played a key role in several important projects this year.")
    assert result.vague and result.findings
    assert all(f.hint.isascii() and f.message.isascii() for f in result.findings)
