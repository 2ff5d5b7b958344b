"""What counts as concretely identified: lapses, counted acts, dates, named objects, sarcasm.

Every example is written for these tests (none is in a data split).
"""

from __future__ import annotations

import pytest

from coach.quality import check_comment


def categories(text: str) -> set[str]:
    return {f.category for f in check_comment(text).findings}


# Sarcasm is a warning of its own; the verdict follows the facts around it.
@pytest.mark.parametrize(
    "text",
    [
        "他的“严谨”大家都见识了,上周的对账单有四处金额填错,财务退回了两次。",
        '真是"贴心"的服务,客人点的无糖豆浆上成了甜的,还是客人自己尝出来的。',
        'Really "thorough" QA: the release notes listed the wrong version and two fixes that never shipped.',
    ],
)
def test_sarcasm_over_concrete_facts_is_specific_with_a_warning(text: str) -> None:
    result = check_comment(text)
    assert not result.vague
    sarcasm = [f for f in result.findings if f.category == "sarcasm"]
    assert sarcasm and all(f.severity == "warning" for f in sarcasm)


@pytest.mark.parametrize(
    "text",
    ['他真是"靠谱",交代的事又没下文了。', '服务真是"周到",又被说了。'],
)
def test_sarcasm_over_nothing_identified_stays_vague(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "sarcasm" in {f.category for f in result.findings}


# Lapses: a bare 忘 before a verb, 没 before a tidy-up verb, are reported acts.
@pytest.mark.parametrize(
    "text",
    [
        "下班前忘关打印室的空调。",
        "本周三次忘记登记访客。",
        "收工后没清理搅拌机里的残料。",
        "借走的万用表没还回工具间。",
    ],
)
def test_short_lapses_without_numbers_are_specific(text: str) -> None:
    assert not check_comment(text).vague


def test_a_lapse_is_not_read_into_a_set_phrase() -> None:
    assert check_comment("不忘初心,工作认真负责。").vague


# A verb with 了 and an empty object ("很多事情", "大量工作") is not an act.
@pytest.mark.parametrize(
    "text",
    [
        "在年底盘点中出了不少力,处理了很多事情,整体还算顺利。",
        "这个季度在客户维护方面做了大量工作,关系更紧密了。",
        "为新门店开业准备了很多东西,付出了许多努力。",
    ],
)
def test_verb_with_an_empty_object_is_not_an_act(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "pseudo_specific" in {f.category for f in result.findings}


# First-person self-appraisal boilerplate says nothing about what was done.
@pytest.mark.parametrize(
    "text",
    [
        "本人自入职以来,虚心向前辈请教,较快地适应了工作节奏,坚持原则,今后将继续加强学习。",
        "作为一名仓管员,我一直严格要求自己,认真对待每一张单据,圆满地完成了全年的各项工作任务。",
        "在过去的一年中,我认真做好每一次巡检,积极参与部门的各项活动,团结同事,业务水平有了一定的提升。",
    ],
)
def test_self_appraisal_boilerplate_is_vague(text: str) -> None:
    assert check_comment(text).vague


# An English ordinal date is a date, not a result.
@pytest.mark.parametrize(
    "text",
    [
        "Fantastic energy at the offsite on the 3rd, you really lifted everyone! 🎉",
        "Wonderful presence at the town hall on the 22nd.",
    ],
)
def test_an_ordinal_date_does_not_make_praise_specific(text: str) -> None:
    assert check_comment(text).vague


# A named object is a particular thing someone worked on.
@pytest.mark.parametrize(
    "text",
    [
        "Good spot on the rounding bug in the Falcon invoice export; can you add a test for it?",
        "Nice work on the retry logic of the Hermes gateway.",
    ],
)
def test_a_named_object_is_identified(text: str) -> None:
    assert not check_comment(text).vague


# Counted repetitions are results: 遍, 趟, 例.
@pytest.mark.parametrize(
    "text",
    [
        "辛苦了,周年庆的开场舞你带大家排练了三遍,上台一个动作都没错。",
        "辛苦了,这周往返仓库跑了四趟,把缺的货都补齐了。",
        "很棒,今年独立完成了十余例胃镜检查。",
    ],
)
def test_counted_repetitions_are_results(text: str) -> None:
    assert not check_comment(text).vague


# Protected attributes: religious dress and age said as "五十多了".
@pytest.mark.parametrize(
    "text",
    [
        "他戴着头巾,客户那边可能会有顾虑,展会就别派他去了。",
        "她包着头巾上岗,顾客会不自在,调去后仓吧。",
        "老刘都四十多了,学新系统肯定慢,培训名额给别人吧。",
        "She wears a hijab, so maybe keep her off the front desk.",
    ],
)
def test_religious_dress_and_age_get_a_warning(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "possible_bias" in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "他刚订婚,出差的活先别派他去了。",
        "那个胖乎乎的小伙就别放在收银台了,调去后厨吧。",
        "He just got engaged, so I'd keep him off the overseas rotation for now.",
    ],
)
def test_engagement_and_weight_remarks_get_a_warning(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "possible_bias" in categories(text)


def test_an_instruction_not_to_do_something_is_no_act() -> None:
    result = check_comment("她下个月休产假,新门店的筹备就别让她牵头了。")
    assert result.vague


# Acts without a number: moving a thing somewhere, doing something to a named object.
@pytest.mark.parametrize(
    "text",
    [
        "客人落在大堂的雨伞你及时送到了房间。",
        "供应商寄错的样品当天就寄回去了。",
        "暴雨前给露天的设备罩了防雨布。",
        "佢今朝幫客人換咗房卡,仲寫咗交接記錄。",
    ],
)
def test_short_acts_on_a_thing_are_specific(text: str) -> None:
    assert not check_comment(text).vague


@pytest.mark.parametrize(
    "text",
    [
        "非常棒,值得表扬。刚才那位客人说咖啡凉了,你马上端回吧台重做,还送了块蛋糕 😊",
        "你很靠谱,继续加油!中午客人说面条太软,你直接端回后厨重煮了一碗。",
    ],
)
def test_a_report_of_acts_with_some_praise_in_it_is_specific(text: str) -> None:
    assert not check_comment(text).vague


# Pseudo-specific wording: an unnamed occasion, unquantified gains, unnamed modules.
@pytest.mark.parametrize(
    "text",
    [
        "在这次系统切换期间,我承担了更多工作,得到了同事的一致好评。",
        "在年度促销过程中贡献了自己的力量,门店销售实现了显著增长。",
        "主导了若干核心模块的改造,进一步优化了系统性能。",
        "在 Q2 的 launch 中贡献了很多 idea,推动了团队方向的统一。",
    ],
)
def test_unnamed_occasions_and_unquantified_gains_are_vague(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "pseudo_specific" in {f.category for f in result.findings}


@pytest.mark.parametrize(
    "text",
    [
        "She was instrumental in the spring onboarding push and helped the team reach its targets.",
        "Made significant contributions to several cross-functional efforts that benefited many customers.",
        "In Q3 he led multiple high-visibility initiatives that drove measurable improvements.",
    ],
)
def test_english_contribution_boilerplate_is_vague(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert "pseudo_specific" in {f.category for f in result.findings}


# A line or machine number says where, not how much; "带来了显著的" has no object.
@pytest.mark.parametrize(
    "text",
    [
        "在3号线的安全整改中起到了带头作用,带来了明显的改善。",
        "上半年我 own 了多个核心 feature,带来了显著的 revenue 和体验提升。",
    ],
)
def test_a_place_number_or_a_modifier_is_no_result_or_object(text: str) -> None:
    assert check_comment(text).vague
