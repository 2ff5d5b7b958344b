"""What each finding says, in the writer's language, with a rewrite built from the comment.

Every category has a few wordings; which one a finding gets depends on the flagged words, so the
same comment always reads the same while a page of findings does not repeat one sentence. The
rewrite quotes the flagged words and reuses the comment's own anchor (a date, an occasion) when
it has one, leaving the parts only the writer knows as （…） blanks.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_ANCHOR = re.compile(
    r"(?:上|这|本|下)?周[一二三四五六日天]|星期[一二三四五六日天]|昨天|今天|上周|上个?月|\d{1,2}\s*月(?:\d{1,2}\s*[日号])?"
    r"|[一二三四五六七八九十]+月份?|Q[1-4]|第[一二三四1-4]季度|双十[一二]|国庆|春节|年底|月底"
    r"|\b(?:yesterday|last\s+(?:week|month|quarter|sprint)|(?:on\s+)?(?:mon|tues|wednes|thurs|fri)day"
    r"|in\s+(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)|Q[1-4])\b",
    re.IGNORECASE,
)
_TRIM = " \t\n,,。.!!?？;;、:：~～"


@dataclass(frozen=True, slots=True)
class Advice:
    """The message and hint of one finding."""

    message: str
    hint: str


# Per category and language: messages, then hint templates. {span} is the flagged text, {anchor}
# the comment's own time or occasion (or a blank to fill), {rest} the comment outside the span.
_TEXTS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "vague_praise": {
        "zh": (
            (
                "“{span}”是泛泛的表扬,没有说明对方具体做了什么。",
                "“{span}”放在谁身上都成立,对方看不出哪件事做对了。",
            ),
            (
                "写一件事代替它,例如:“{anchor}你（做了什么）,结果（带来了什么）。”",
                "说出让你写下“{span}”的那件事:“{anchor}（哪次、做了什么）,所以（结果）。”",
                "补上事实:“{anchor}你（具体行为）,（谁）因此（得到了什么结果）。”",
            ),
        ),
        "en": (
            (
                "'{span}' is generic praise: it does not say what the person did.",
                "'{span}' could be said of anyone; the reader cannot tell what went well.",
            ),
            (
                "Replace it with one instance, e.g. '{anchor}you (did what), which (result).'",
                "Name what made you write '{span}': '{anchor}you (action), so (outcome).'",
                "Add the fact behind it: '{anchor}you (what you saw them do); as a result (what changed).'",
            ),
        ),
    },
    "vague_criticism": {
        "zh": (
            (
                "“{span}”是笼统的批评或建议,对方不知道具体要改什么。",
                "“{span}”没有指出哪一次、哪件事,对方无从下手。",
            ),
            (
                "换成一次经过和一个做法:“{anchor}（哪次）你（做了/没做什么）,导致（影响）;下次请（具体做法）。”",
                "说清要改的那件事和下一步:“（哪天、哪件事）出现了（什么问题）,下次（什么时候）先（做什么）。”",
                "把“{span}”落到一次事实上:“{anchor}（具体经过）,希望下次（可检查的做法）。”",
            ),
        ),
        "en": (
            (
                "'{span}' is vague criticism or advice: the person cannot tell what to change.",
                "'{span}' names no instance, so there is nothing to act on.",
            ),
            (
                "Name one instance and a step: '{anchor}(when) you (did what), which (impact); next time, (what to do).'",
                "Say what happened and what to do instead: 'On (day), (what went wrong); before the next (occasion), (step).'",
                "Tie '{span}' to a fact: '{anchor}(what happened); next time please (checkable action).'",
            ),
        ),
    },
    "personality_label": {
        "zh": (
            ("“{span}”是性格标签,不是可观察的行为。", "“{span}”评价的是人,而不是做过的事。"),
            (
                "改为描述行为:“{anchor}在（什么场合）你（说了/做了什么）,结果（对工作的影响）。”",
                "去掉“{span}”,写下你看到的那一幕:“（哪次会议/哪件事）上,你（具体言行）。”",
            ),
        ),
        "en": (
            (
                "'{span}' is a personality label, not observable behaviour.",
                "'{span}' judges the person rather than something they did.",
            ),
            (
                "Describe the behaviour instead: '{anchor}in (which situation) you (said/did what), and (effect on the work).'",
                "Drop '{span}' and write the moment you saw: 'In (which meeting), you (what was said or done).'",
            ),
        ),
    },
    "empty_template": {
        "zh": (
            ("空白或模板化的回复,没有反馈内容。", "这是一句套话,没有任何可用的反馈。"),
            (
                "至少写一条做得好的具体事例、一条改进建议和一项需要的支持。",
                "写一件最近看到的事:“（哪天）你（做了什么）,（结果）;下次（建议）。”",
            ),
        ),
        "en": (
            (
                "An empty or boilerplate reply with no feedback in it.",
                "A stock reply that carries no feedback.",
            ),
            (
                "Write at least one concrete strength, one improvement suggestion and one support need.",
                "Write one recent instance: 'On (day) you (did what), (result); next time (suggestion).'",
            ),
        ),
    },
    "score_without_evidence": {
        "zh": (
            ("“{span}”只有分数或评级,没有说明依据。", "评级“{span}”没有任何事实支撑。"),
            (
                "补上依据:“给“{span}”,是因为（哪项成果或行为）。”",
                "说明打分的理由:“{anchor}你（完成了什么/做了什么）,所以是“{span}”。”",
            ),
        ),
        "en": (
            (
                "'{span}' is a score or rating without the evidence behind it.",
                "The rating '{span}' stands without any fact behind it.",
            ),
            (
                "Add the evidence: '{span}, because (which result or action).'",
                "Say why: '{anchor}you (what you delivered), which is why I rated it {span}.'",
            ),
        ),
    },
    "absolute_language": {
        "zh": (
            ("绝对化的表述“{span}”容易引起争辩。", "“{span}”一词让对方只想找反例。"),
            (
                "换成具体的次数和时间,例如“最近三次周会中有两次……”。",
                "把“{span}”换成“（多长时间内）有（几）次……”。",
            ),
        ),
        "en": (
            (
                "Absolute words like '{span}' invite argument rather than change.",
                "'{span}' makes the reader look for the exception.",
            ),
            (
                "Replace it with how often and when, e.g. 'in two of the last three stand-ups...'.",
                "Say '(how many) times in (which period)' instead of '{span}'.",
            ),
        ),
    },
    "possible_bias": {
        "zh": (
            (
                "警告:“{span}”涉及受保护的个人特征(如生育、年龄、性别、婚姻、民族、宗教、残障、健康),"
                "与工作表现无关,写进评价可能构成歧视。",
            ),
            (
                "删去“{span}”及据此作出的判断,只评价可观察的工作行为和结果;"
                "工作安排如需调整,请与本人沟通并按制度处理。",
            ),
        ),
        "en": (
            (
                "Warning: '{span}' refers to a protected characteristic (pregnancy, age, gender,"
                " marital status, ethnicity, religion, disability, health) that has nothing to do"
                " with performance; putting it in a review may be discriminatory.",
            ),
            (
                "Remove '{span}' and any judgement drawn from it; comment only on observable work"
                " and results, and discuss any change of duties with the person under policy.",
            ),
        ),
    },
    "pseudo_specific": {
        "zh": (
            (
                "“{span}”听起来具体,却没有指明是哪一次、哪个对象或什么结果。",
                "“{span}”是套用的说法,读者说不出指的是哪件事。",
            ),
            (
                "说出名字和经过:把“{span}”换成（哪个项目/会议、哪天）,你（做了什么）,结果（可核对的变化）。",
                "把“{span}”写实:“{anchor}在（具体名称）上,你（具体行为）,（数字或看得见的结果）。”",
            ),
        ),
        "en": (
            (
                "'{span}' sounds specific but names no particular occasion, object or result.",
                "'{span}' is template wording; the reader cannot tell which event it means.",
            ),
            (
                "Name it: replace '{span}' with (which project or meeting, when), what they did, and the checkable result.",
                "Make '{span}' concrete: '{anchor}on (named project), you (action), and (measurable outcome).'",
            ),
        ),
    },
    "sarcasm": {
        "zh": (
            (
                "反讽:“{span}”用表扬的词说问题,对方难以据此改进,也容易伤人。",
                "“{span}”是反话,批评藏在表扬里,读起来像嘲讽。",
            ),
            (
                "直接写事实和期望:“{rest}”——再加上影响和下次的具体做法。",
                "去掉“{span}”,平实地说:“{rest}”,并说明希望下次怎么做。",
            ),
        ),
        "en": (
            (
                "Sarcasm: '{span}' states a problem in words of praise; it stings and cannot be acted on.",
                "'{span}' is meant ironically, so the criticism is hidden inside praise.",
            ),
            (
                "State the facts and the expectation plainly: '{rest}', then the impact and the next step.",
                "Drop '{span}' and say it straight: '{rest}', and what you expect next time.",
            ),
        ),
    },
    "next_step": {
        "zh": (
            ("下一步是什么?", "下一步是什么?这条反馈已经具体了。"),
            (
                "可以再加一句下一步,例如:“下次（什么场合）时,请继续/改为（具体做法）。”",
                "不妨补一句接下来怎么做:“接下来（什么时候前）,（做什么）。”",
            ),
        ),
        "en": (
            ("What's the next step?", "What's the next step? The feedback is already specific."),
            (
                "Consider adding one, e.g. 'Next time (occasion), keep doing / instead do (step).'",
                "You could add what comes next: 'By (when), (what to do).'",
            ),
        ),
    },
}


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[zlib.crc32(key.encode("utf-8")) % len(options)]


def anchor_of(text: str, lang: str) -> str:
    """The comment's own time or occasion, as the start of a rewrite ("" when it has none)."""
    found = _ANCHOR.search(text)
    if found is None:
        return ""
    words = found.group().strip()
    return f"{words}," if lang == "zh" else f"{words[0].upper()}{words[1:]}, "


def _rest(text: str, start: int, end: int) -> str:
    outside = (text[:start].strip(_TRIM) + " " + text[end:].strip(_TRIM)).strip()
    return outside or "（发生了什么）"


def advise(text: str, start: int, end: int, category: str, lang: str) -> Advice:
    """Message and hint of a finding on text[start:end], in ``lang`` (zh or en)."""
    messages, hints = _TEXTS[category][lang]
    span = text[start:end].strip(_TRIM) or text.strip(_TRIM)
    fields = {"span": span, "anchor": anchor_of(text, lang), "rest": _rest(text, start, end)}
    if lang == "en" and fields["rest"] == "（发生了什么）":
        fields["rest"] = "(what happened)"
    key = f"{category}:{span}"
    return Advice(
        message=_pick(messages, key).format(**fields),
        hint=_pick(hints, key[::-1]).format(**fields),
    )
