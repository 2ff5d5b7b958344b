"""Detectors of specific-feedback ingredients and the feature vector the classifier reads.

Detectors run on the comment with stock phrases masked out, so "需要提升" or "按时完成任务"
cannot pass for an impact or a behaviour.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")
_CONTENT = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]")

# Bounded repeats: with `+`, every position inside a long run of digits starts a scan to the
# run's end, which made a 5000-digit comment take seconds (found by fuzzing the API).
_NUM = r"(?:\d{1,15}(?:[.,]\d{1,15}){0,5}|[一二两三四五六七八九十百千半几]{1,10})"
_UNIT = (
    r"(?:%|％|个百分点|万|亿|千|元|块|美元|台币|ms|秒|分钟|分种|小时|天|周|个月|月|年|次|个|人|家|条|件|单|张"
    r"|位|场|台|批|篇|倍|通|箱|公里|km|k|x|名|辆|套|成|轮|号(?![线机])|工单|份|笔|项|道|页|点|qps"
    r"|遍|趟|例|处|圈)"
)
# "二十余例", "三十多单": an approximate count is still a count.
_MEASURED = re.compile(
    rf"(?<![A-Za-z]){_NUM}\s*(?:余|多)?\s*{_UNIT}|百分之[零一二两三四五六七八九十百点\d.]{{1,8}}",
    re.IGNORECASE,
)
_EN_COUNTED = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty|hundred|half"
    r"|twice|a\s+dozen)\s+(?:\w+\s+)?(?:days?|weeks?|hours?|minutes?|months?|times|customers?|clients?"
    r"|accounts?|deals?|tickets?|orders?|people|bugs?|calls?|shifts?|afternoons?|members?)\b|\btwice\b"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|hundred|dozen)\s+(?:[a-z]+\s+)?(?!things|ways|areas|aspects|years|others|times)[a-z]{3,}s\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"(?<![A-Za-z])[$¥€£]?\d+(?:[.,]\d+)*\s*(?:%|k\b|m\b|x\b|ms\b|s\b)?")
_YEAR = re.compile(r"(?:19|20)\d\d\s*年?")
# Counting words like "一个好员工" or "一名优秀员工" carry no quantity.
_TRIVIAL_QUANTITY = re.compile(r"^(?:一|几)(?:个|名|位|种|点|些|次)$")
_CHANGE = re.compile(
    r"从\S{0,12}?(?:降|升|提|缩短|减|增|涨|到)|(?:降|升|提高|提升|缩短|减少|增加|涨)(?:到|了|至)"
    r"|翻(?:了)?(?:一|两|三)?倍|[+-]\d|\b(?:from|down|up)\s+(?:from\s+)?[$]?\d"
    r"|\b(?:by|to)\s+[$]?\d+(?:\.\d+)?\s*%",
    re.IGNORECASE,
)
_STRONG_TIME = re.compile(
    r"上周[一二三四五六日天]?|这周[一二三四五六日天]|本周[一二三四五六日天]|周[一二三四五六日天]|星期[一二三四五六日天]"
    r"|上个?月|上个?季度|上半年|下半年|昨[天晚]|今[天早晚]|前天|当天|当场|第二天|凌晨|夜班|早班|晚班"
    r"|晚上|早上|下午|上午|中午|半夜|深夜|\d{1,2}\s*月(?:\d{1,2}\s*[日号])?|[一二三四五六七八九十]+月份?"
    r"|\bQ[1-4]\b|第[一二三四1-4]季度|双十[一二]|双1[12]|国庆|春节|年底|年初|月底|月初|年会|\d+\s*点"
    r"|\b(?:(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|yesterday|today|tonight|this\s+morning|last\s+(?:week|month|quarter|night|sprint|year)"
    r"|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day|weekend"
    r"|(?:in\s+)?(?:january|february|march|april|june|july|august|september|october|november|december)"
    r"|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|may\s+\d|mid-quarter"
    r"|month-end|year-end|overnight|this\s+week"
    r"|(?:on\s+)?the\s+\d{1,2}(?:st|nd|rd|th)(?:\s+of\s+[a-z]+)?|\d{1,2}(?:st|nd|rd|th)\s+of\s+[a-z]+)\b",
    re.IGNORECASE,
)
_WEAK_TIME = re.compile(
    r"本季度|这个季度|本月|这个月|今年|本年度|这一年|这半年|过去半年|最近|近期|平时|这段时间|今后|未来"
    r"|\b(?:this\s+(?:year|quarter|half|month)|throughout\s+the\s+year|lately|recently|next\s+year)\b",
    re.IGNORECASE,
)
_ENTITY = re.compile(
    r"《[^》]{1,30}》|“[^”]{1,30}”|「[^」]{1,30}」|\"[^\"]{1,30}\""
    r"|(?<![A-Za-z])[A-Z][a-z]+[A-Z][A-Za-z]*|(?<![A-Za-z])[A-Z]{2,}\d*(?![A-Za-z])|\b[A-Z]\d+\b"
    r"|(?<![A-Za-z])[A-Z](?:客户|公司|产品|项目|线|区)|\d+号(?:线|机|工位|仓|门|库)"
    r"|[\u4e00-\u9fff]{2,4}(?:集团|公司|超市|物流|电器|银行|医院|科技|门店|分店)"
    r"|\b(?:line|press|shift|store|room|ticket|order)\s+#?\d+",
)
_GENERIC_CAPS = frozenset(
    {"OK", "KPI", "OKR", "HR", "NA", "TBD", "AI", "ASAP", "FYI", "PS", "CEO", "BOSS", "TOP", "GOOD"}
)
_EN_PROPER = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]{2,}\b")
_SITUATION = re.compile(
    r"会议|会上|周会|站会|例会|评审|复盘|电话|通话|现场|值班|交接|故障|事故|投诉|活动|谈判|拜访|访谈|审计|盘点"
    r"|上线|发布|演示|面试|面谈|培训|直播|排查|告警|换模|换型|首件|来料|报价|方案|工单|订单|合同|需求|版本"
    r"|代码评审|测试|巡检|点检|对账|月结|关账|入职|离职|招聘|陈列|收银|配送|发货|仓库|线索|回款|预算"
    r"|\b(?:meeting|review|call|demo|stand-?up|interview|audit|launch|release|outage|incident|on-?call"
    r"|shift|event|webinar|negotiation|visit|deal|contract|ticket|sprint|deploy\w*|pull\s+request|PR"
    r"|proposal|spec|queue|register|display|warehouse|customer|client|account|renewal|pilot)s?\b",
    re.IGNORECASE,
)
_ZH_STRONG_VERB = re.compile(
    r"主导|牵头|推动|负责了|搭建|修复|修好|修完|上线|重构|迁移|拜访|签下|签了|拿下|挽回|找回|定位|排查|发现"
    r"|拦截|调整|优化|整理|写了|编写|写的|做的|做了|改成|改了|组织了|策划|带着|带领|教我|教会|手把手|提出"
    r"|接手|跟进|联系|补发|补上|补录|追回|核对|停线|停机|打断|给出|回访|提供了|交付了|承接|打电话|发给|录成|做成|答复|回复了|完成了|坚持|迟到|漏了|漏掉|漏装|错过|延误|拒绝|否定|回滚"
    r"|恢复|处理了|处理完|解决了|导入|引入|设计了|合并|拆成|安排|约了|访谈|复盘|讲解|画了|主动|当场|帮我"
    r"|帮客户|帮顾客|帮忙|没有跑|没跑|没有按|没按|没有做|没做|没有写|写错|填错|算错|用错|退错|送错|开了|到场"
    r"|检查|清点|协调|说服|砍掉|面了|录进|录入|申报|提交了|交了|发现了|处里|完城|拜方",
)
_EN_IRREGULAR = re.compile(
    r"\b(?:led|built|wrote|ran|found|caught|cut|brought|sent|took|made|gave|hit|won|spent|shipped|closed"
    r"|fixed|rewrote|stopped|opened|left|met|set\s+up|paired|walked|covered|spotted|flagged|pulled"
    r"|switched|rerouted|rearranged|introduced|invited|interrupted|missed|forgot|skipped|rejected|filed"
    r"|hired|grew|rolled\s+out|handled|migrated|posted|noticed|helped|stayed|sold|signed|saved|delivered"
    r"|redesigned|added|reduced|raised|lifted|dropped|fell|rose|doubled|recovered|restored|shut)\b",
    re.IGNORECASE,
)
_EN_PAST = re.compile(r"\b[a-z]{3,}ed\b", re.IGNORECASE)
_EN_ADJ_ED = frozenset(
    [
        "dedicated",
        "motivated",
        "talented",
        "detailed",
        "experienced",
        "skilled",
        "interested",
        "committed",
        "respected",
        "valued",
        "focused",
        "balanced",
        "appreciated",
        "animated",
        "excited",
        "tired",
        "needed",
        "expected",
        "exceeded",
        "required",
        "advanced",
        "concerned",
        "qualified",
        "informed",
        "oriented",
        "limited",
        "rounded",
        "organized",
        "sophisticated",
    ]
)
_IMPACT_WORD = re.compile(
    r"提升|提高|降低|下降|降到|降了|减少|增加|缩短|节省|省了|省下|省出|翻倍|涨了|增长|挽回|避免|拦截|恢复|归零"
    r"|为零|零事故|零投诉|零错发|零停机|撤回|续签|下单|复购|闭环|通过|采纳|达成|转化|返工|延误|投诉|差评|流失"
    r"|损失|白屏|挂了|超时|错乱|出错|不满|生气|受挫|尴尬|满分|表扬信|点名表扬|批了|批准|拍板|签字"
    r"|\b(?:renewed|signed|bought|ordered|approved|accepted|asked\s+for|increased|reduced|cut|saved|saving|dropped|fell|rose|grew|doubled|improved|avoided|prevented"
    r"|recovered|restored|lifted|boosted|raised|went\s+from|zero|delayed|slipped|overloaded|complaints?"
    r"|rework|kept|let\s+us|resolution|conversion|revenue|churn)\b",
    re.IGNORECASE,
)
_CAUSAL = re.compile(
    r"因为|由于|导致|所以|因此|使得|从而|结果|以致|以免|以便|这样|避免了|让(?:我|团队|大家|客户|开发|测试)"
    r"|\b(?:because|resulting|led\s+to|so\s+that|which\s+(?:meant|kept|let|made|saved|cut|is\s+why)"
    r"|thanks\s+to|as\s+a\s+result|so\s+we|which\s+would|that\s+would|so)\b",
    re.IGNORECASE,
)
_SUGGEST = re.compile(
    r"建议|下次|下回|以后|下周|下个?月|下季度|下个?迭代|下个?sprint|(?<![申邀聘宴提])请(?!假|病假|示)|可以试试|可以尝试|试试|不妨|务必|记得"
    r"|明天|明早|\b(?:tomorrow|next\s+(?:time|sprint|month|week|quarter)|(?<!\bi\s)(?<!always\s)(?<!\bwe\s)try|please|i\s+suggest|suggest|recommend|consider"
    r"|going\s+forward|from\s+(?:monday|now\s+on|next)|make\s+sure|before\s+(?:you|the\s+next|sending)"
    r"|starting\s+next|instead\s+of|block\s+\d+)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[^。!?!?;;\n]+")
# The dialogue audit's own cue list, which its hand-labelled figures were measured with:
# obligation words (应该, should) count as advice there, bare time words (以后, 下周) do not.
_IMPROVEMENT_CUES = re.compile(
    r"建议|下次|下个|需要改进|可以尝试|不妨|请(?=在|把|补|先|用|提前|每)|希望你|要注意|应当|应该|改进"
    r"|\bnext time\b|\bsuggest|\brecommend|\btry to\b|\bconsider\b|\bshould\b|\bcould\b"
    r"|\bgoing forward\b|\bplease\b",
    re.IGNORECASE,
)
# What follows an improvement cue must say what to do, not only "do better".
_EMPTY_ADVICE = re.compile(
    r"^[\s,,、]*(?:继续|再接再厉|加强|提高|提升|努力|加油|保持|多沟通|改进|注意)*[\s,,、。.!!]*$"
    r"|^\s*(?:work harder|keep it up|do better|improve)\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[。!?!?;;\n]+|(?<=[a-z0-9])\.\s+", re.IGNORECASE)
_NEGATION = re.compile(r"(?:不|没|未|缺|无|难以)$|(?:\bnot|n't|\bno|\bnever)\s+$", re.IGNORECASE)
_NGRAM_CLEAN = re.compile(r"\s+")


def content_units(text: str) -> int:
    """Count meaning-bearing units: one per CJK character, one per Latin word, one per number."""
    return len(_CJK.findall(text)) + len(_LATIN_WORD.findall(text)) + len(re.findall(r"\d+", text))


def has_content(text: str) -> bool:
    """Tell whether the text holds any letter, digit or CJK character."""
    return _CONTENT.search(text) is not None


def detect_lang(text: str) -> str:
    """Return "zh" when CJK characters dominate (or the text has no words), else "en"."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    # A CJK character carries roughly what an English word does, so compare counts directly.
    return "zh" if cjk >= words else "en"


def _meaningful_numbers(masked: str) -> int:
    count = 0
    for m in _MEASURED.finditer(masked):
        if _TRIVIAL_QUANTITY.match(m.group()) or _YEAR.fullmatch(m.group()):
            continue
        count += 1
    count += len(_EN_COUNTED.findall(masked))
    for m in _DIGITS.finditer(masked):
        if _YEAR.match(m.group()) and len(m.group().strip()) == 4:
            continue
        count += 1
    return count


_ZH_WEAK_VERB = re.compile(
    r"处理|完成|接待|面试|招聘|签约|发货|交付|解决|回复|整理|组织|培训|带|做|写|改|跑|打|接|送|修|查|谈|讲|教|帮"
)
# A verb followed by 了 and an object ("发现了", "改了三处") reads as a reported action.
_ZH_PERFECTIVE = re.compile(r"(?<![太很真好极多少])[\u4e00-\u9fff]了(?=[\u4e00-\u9fff0-9])")


def _zh_actions(masked: str) -> int:
    count = len(_ZH_STRONG_VERB.findall(masked)) + len(_ZH_PERFECTIVE.findall(masked))
    for clause in _CLAUSE.findall(masked):
        if _ZH_WEAK_VERB.search(clause) and (
            _MEASURED.search(clause) or _STRONG_TIME.search(clause) or _ENTITY.search(clause)
        ):
            count += 1
    return count


# Concrete acts: constructions that report one thing a person did to a particular object,
# whatever the verb. "把X转给了Y", "没核对就…", "Left the dock door open". Abstract verbs that
# only sound like acts (推动, 发挥, demonstrated, contributed) are not among them.
_ZH_BA_ACT = re.compile(
    r"把[^,,。;;!!??]{1,20}?[\u4e00-\u9fff](?:了|成|到|给|进|在|掉|错|反|回|下来|出来|上去|整齐|干净|清楚"
    r"|妥当|标[示注出明])"
)
# Moving a thing somewhere ("端回厨房", "寄回去了", "送到仓库") is a deed on that thing.
_ZH_MOVED = re.compile(
    r"[端送寄拿搬退放带领推转递抬拉扛运换拎](?:回|到|去|给|进|成)(?!来说|说|[不没])"
    # "挺过来了", "熬过去了" are getting through a hard time, not moving a thing.
    r"|(?<![挺熬撑走缓醒活混])[\u4e00-\u9fff](?:回去|回来|过去|过来|出去|进去|上去|下来|出来)了"
)
# A perfective verb on a short, concrete object at the end of a clause: "盖了防水布",
# "送了甜品". Abstract or quantity-only objects ("得到了提升", "了不少") are not objects.
# Gains without a figure ("降低了成本", "推动了进展") are what pseudo-specific text is made of.
_ZH_DONE_TO = re.compile(
    r"(?<![太很真好极多少得])(?![低高升善化强进动展长大来])[\u4e00-\u9fff]了([\u4e00-\u9fff]{0,3}[^\W的地得\d_A-Za-z])"
    r"(?=[,,。.!!;;\s]|$)"
)
_ABSTRACT_OBJECT = re.compile(
    r"提升|提高|改善|认可|好评|表扬|锻炼|成长|进步|肯定|不少|很多|一些|许多|大家|自己|进一步|更多|一定|情绪"
    r"|经验|信心|氛围|士气|基础|作用|贡献|关系|能力|水平|效率|质量|心态|意识|思路|视野|方向|成绩|成果|价值"
    r"|^(?:下来|起来|下去|过来|过去|出来|上来|回来|很多|许多)$"
)
# "别让她牵头", "不要派他去": an instruction not to do something reports no act.
_PROHIBITION = re.compile(
    r"(?:别|不要|不让|不必|不用|勿)(?:再|先)?(?:让|给|派|安排|叫)?(?:她们|他们|她|他)?[\u4e00-\u9fff]{0,3}"
)
# "忘锁后门" is a lapse as much as "忘了锁"; "不忘初心" and "难忘" are not.
_ZH_LAPSE = re.compile(
    r"(?:没有?|未|(?<![不难健])忘(?:了|记了?)?|漏了?)(?:按规定|按时|提前|当面|及时|先)?(?!发现|发生)(?:戴|核对|检查|验|带"
    r"|加|说|跑|写|发|通知|确认|锁|关|做|道歉|按|巡检|联系|核实|报|交|回|清理|清|还|归还|放回|登记|记录|记|签"
    r"|打卡|收|盖|擦|倒|熄|断|拔|拿|取|退|办结|办理|申请|履行|复核|审核|上报|交接|提交|更新|消毒|执行|备案|归档"
    r"|请示|报备|核查|测试|验收)"
    # Going ahead before the step that should come first: "没等监理验收就浇筑", "没有批改完作业就发回".
    r"|(?:没有?|未|还没)(?!什么|问题|任何|多少|办法)[^,,。;;!!??]{1,14}?就(?![好行是算可能会要得])[\u4e00-\u9fff]"
    # A step left out, whatever the verb: "倒车时没有鸣笛", "没有在试管上贴标签".
    r"|(?<=[时后前里上])(?:没有|没|未)(?!问题|什么|任何|进步|提升|提高|改善|达到|达成|预期|亮点|变化|太|明显|成长|突破"
    r"|意识|能力|想到|意见|办法|时间|必要|关系|发现|发生|有|能|办法|出现|看到)(?:在[^,,。;;]{1,8}?)?[\u4e00-\u9fff]{2}"
)
_ZH_DEED = re.compile(
    r"(?:发现|定位|修复|修好|回滚|停机|停线|下架|退回|换了|改成|改回|删掉|加上|补上|补齐|补发|续上|拍了照"
    r"|写进|发到|发给|转给|录错|填错|发反|算错|拿出|查明|查到|打断|挂断|争辩|吵了|扔在|问了|约了|陪|带着"
    r"|当场|当天就|上门|换到|换上|做成|录成|贴在|写了|画了|拆成|砍掉|重新排|重排|调整了|排查|回访|访谈"
    r"|面试|拜访|主导|牵头|搭建|重构|迁移|签下|拿下|挽回|拦截|接手|核对|清点|说服|打电话|回复了|答复"
    r"|[上写发算打填记听看]成了|[写弄搞拿放看听记发送退上装贴标]错"
    r"|[看玩刷]手机|抽烟|吸烟|打瞌睡|吼了|骂了|摔了|记住了|记下了|[删关下扔撤拆换]掉了?|只回|只写|只发|只说"
    r"|(?:老|总|总是|老是|经常|常常|比较常|动不动就)请假|叫不动"
    # "模具是他周末来换的": who did it, told as a cleft.
    r"|是[\u4e00-\u9fff]{0,6}?(?:换|修|写|做|改|装|调|拆|搬|送|画|查|补)的"
    # A Latin verb used in a Chinese sentence: "cc 了其他人", "revert 了那次提交".
    r"|(?<![A-Za-z])[a-z]{2,12}\s?了(?!很多|不少|一些|大量|许多|好多|挺多|很大|一下)(?=[\u4e00-\u9fff])"
    # "把同一品牌的不同口味按颜色排列": a particular way of handling a particular thing.
    r"|把[^,,。;;!!??]{2,20}?(?:按|照着?|依)[^,,。;;!!??]{1,8}?(?:排|放|摆|分|归|贴|挂|整理|标)"
    r"|把[^,,。;;!!??]{1,10}?用[^,,。;;!!??]{1,10}?[\u4e00-\u9fff]"
    r"|按(?:照)?[\u4e00-\u9fff]{1,6}?(?:排序|排列|分类|归类|分组|编号|标注|标记)"
    # Acting at once or ahead of time on something: "顺手拿吸油棉擦了", "提前打印好装订".
    r"|(?:提前|顺手|即刻|马上|立刻|立即|当即|随手|事先|先)(?:给|帮|把|拿|拎|跟|和|问|打印|准备|保留|留|换|擦|叫|停|打|写|发"
    r"|关|锁|备|送|做|包|放|收|站|确认|检查|通知|联系|报|挪|清|贴|补)"
    # A habit or lapse stated as the act itself: "老是不说引流管的量", "每天收工不清理钢筋头".
    r"|(?:老是|总是|每次都?|每天都?|每回|次次都?|经常|一直|从来)[\u4e00-\u9fff]{0,4}?(?:不|没|没有)(?:说|讲|清理|清|写|交|查"
    r"|锁|关|带|戴|擦|放|报|问|回|核对|检查|记录|登记|签|填|洗|收|盖|扫|拿|还|交接|提醒|通知)"
    r"|(?:都会|总会|会主动|都先|都会先)(?:跟|和|给|帮|问|把|站|留|写|拿|换|提醒|确认|检查|核对|准备|打)"
    # A procedure followed step by step: "先核实再退", "先备份后升级".
    r"|先[\u4e00-\u9fff]{1,6}?(?:再|后|然后)[\u4e00-\u9fff])"
)
_EN_ACT = re.compile(
    r"\b(?!(?:demonstrat|show|contribut|support|help|work|play|exceed|improv|deliver|handl|driv|increas"
    r"|continu|prov|seem|need|expect|bring|learn|focus|dedicat|motivat|engag|involv|interest|manag"
    r"|maintain|achiev|complet|collaborat|communicat|strengthen|develop|excel|lead|showcas|embrac"
    r"|foster|ensur|establish|inspir|execut|own|stepp|partner|empower|navigat|balanc|exhibit|impress"
    r"|pleas|amaz|surpris|delight|satisf|appreciat|valu|respect|admir|trust|discuss|mention)\w*)"
    r"[a-z]{3,}ed\s+(?:\w+\s+)?(?:the|a|an|his|her|their|our|its|every|all|two|three|both|each|to|on"
    r"|up|down|out|off|directly|\d)\b"
    r"|\b(?:left|sent|gave|forgot|hung|ran|wrote|built|caught|set\s+up|found|cut|shut|told|sold|spent"
    r"|lost|broke|threw|paid|rewrote)\b(?!['’])"
    # A step left out, the English "没有按…": "Didn't escalate the outage", "never logged the call".
    r"|\b(?:didn'?t|did\s+not|never|failed\s+to)\s+(?!(?:show|demonstrat|meet|seem|try|want|need|care"
    r"|contribut|improv|help|support|communicat|engag|tak|mak|do|have|be|get|go)\w*\s)[a-z]{3,}\s+"
    r"(?:up\s+|back\s+|out\s+)?(?:the|a|an|his|her|their|any|either)\b"
    # A terse note of a habit: "Greets people at the door.", "Labels every bin before lunch."
    r"|\bkept\s+[a-z]+ing\s+(?:the|a|an|his|her|their|me|us|them)\b"
    r"|(?:^|[.;]\s+)(?:(?:always|usually|often|still|now)\s+)?(?!(?:Is|Has|Does|Shows|Works|Needs|Seems|Takes|Makes|Brings|Remains|Stays|Keeps"
    r"|Continues|Demonstrates|Gets|Goes|Tries|Wants|Loves|Likes|Cares|Helps|Supports|Exceeds|Meets"
    r"|Delivers|Handles|Leads|Manages|Communicates|Contributes|Displays|Exhibits|Knows|Says|Thinks|Feels"
    r"|Gives|Puts|Sets|Owns|Drives|Treats|Approaches|Values|Respects|Wins|Earns|Inspires)\b)[A-Z][a-z]{2,}s\s+"
    r"(?:people|customers|guests|patients|callers|visitors|clients|the|every|each|all|his|her|their)\b"
    # A terse note that starts with what was done: "Put the caller on hold…", "Put up the tape…".
    r"|(?:^|[.;]\s+)(?:put|set|cut|shut|hit|let|read|swept|dug|tore|hung|lit|spilt|spilled)"
    r"\s+(?:up\s+|down\s+|away\s+|back\s+|out\s+|off\s+|on\s+)?(?:the|a|an|his|her|their|two|three|all)\b",
    re.IGNORECASE,
)
# "She shares her lesson plans a week ahead": a habit described by what is done to what.
_EN_HABIT = re.compile(
    r"\b(?:she|he|they)\s+(?:always\s+|usually\s+|often\s+|now\s+|still\s+|never\s+)?"
    r"(?!(?:show|demonstrat|bring|work|handl|tak|keep|mak|giv|get|treat|approach|seem|care|love|like|want"
    r"|tri|know|feel|think|believ|hope|need|lead|own|manag|maintain|deliver|exceed|meet|continu|remain"
    r"|stay|go|do|has|is|was|help|support|contribut|driv|communicat|collaborat|put|puts)\w*\s)"
    r"[a-z]{3,}s\s+(?:her|his|their|the|every|each|all)\s+[a-z]",
    re.IGNORECASE,
)
_CONCRETE_RESULT = re.compile(
    r"报错|宕机|挂了|白屏|超时|投诉|差评|延误|漏发|错发|退货|罚款|返工|停产|到账|催款|没买|少了|多了|恢复"
    r"|再没|按时送达|当天就出|看懂了|找到了|就能|当场同意|同意续签|写了感谢|谢谢"
    r"|(?:全年级|全校|全组|全公司|全店|全区|全市|全省|全国|全行|全厂|全部门|全班)(?:第[一二三四五六七八九十\d]+|前[一二三四五六七八九十\d]+"
    r"|最高|最低|排名第)"
    r"|(?:满意度|调查|测评|考试|测验|问卷)[^,,。;;]{0,14}?(?:[零一二两三四五六七八九十百]{1,4}|\d{1,3})\s*分(?!钟)"
    r"|\b(?:broke|crashed|failed|complained|refunded|returned|arrived\s+late|left\s+without|now\s+\w+"
    r"|the\s+wrong\s+[a-z]{3,}"
    r"|(?:didn'?t|did\s+not|doesn'?t|wasn'?t|weren'?t)\s+(?:work|load|arrive|match|add\s+up|print|ship|open"
    r"|start|save|sync|balance|pass|compile)\w*|stopped\s+working|went\s+down|was\s+down)\b",
    re.IGNORECASE,
)


# A particular thing named by its owner: "the indemnity cap in the Orion draft", "the retry
# logic of the Hermes gateway". The capitalised name is what makes it one thing, not a kind.
_NAMED_OBJECT = re.compile(
    r"\bthe\s+(?:[a-z][a-z-]*\s+){1,3}(?:in|of|on|for|from|behind)\s+(?:the\s+|our\s+)?"
    r"(?!(?:Team|Company|Year|Quarter|Department|Group|Office|Q[1-4]|FY)\b)[A-Z][A-Za-z0-9]+"
)


# One occasion pinned to a day: "昨晚那个抢救", "上周六的flash sale", "the wedding party last
# night". A month or a quarter holds many meetings, so "10月的会议上" does not pin one down.
_DAY = (
    r"(?:昨晚|昨天|今天|今早|前天|刚才|那天|上周[一二三四五六日天]|周[一二三四五六日天]|星期[一二三四五六日天]"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号])"
)
_PINNED_OCCASION = re.compile(
    _DAY + r"(?:的|那个|那场|那次|那台|那单|那位)?\s*[\u4e00-\u9fffA-Za-z ]{0,8}?"
    r"(?:抢救|手术|会议|例会|演示|发布|活动|盘点|培训|验收|检查|谈判|接待|婚宴|宴会|直播|促销|sale|event|party"
    r"|故障|事故|投诉|夜班|早班|晚班|值班|交接|面试|汇报|路演|展会|考试|巡检|抽检|审计)"
    r"|\b(?:the|that)\s+(?:[a-z]+\s+){0,2}(?:party|event|meeting|demo|launch|outage|incident|shift|call"
    r"|sale|audit|inspection|visit|presentation)\s+(?:last\s+night|yesterday|this\s+morning|on\s+[A-Z][a-z]+day)\b",
    re.IGNORECASE,
)


def named_objects(masked: str) -> int:
    """Count particular objects named by a proper name, or occasions pinned to a day."""
    return len(_NAMED_OBJECT.findall(masked)) + len(_PINNED_OCCASION.findall(masked))


def concrete_acts(masked: str) -> int:
    """Count reported acts on particular objects, outside stock phrases."""
    masked = _PROHIBITION.sub(lambda m: " " * len(m.group()), masked)
    zh = len(_ZH_BA_ACT.findall(masked)) + len(_ZH_LAPSE.findall(masked))
    zh += len(_ZH_MOVED.findall(masked))
    zh += sum(1 for obj in _ZH_DONE_TO.findall(masked) if not _ABSTRACT_OBJECT.search(obj))
    en = len(_EN_ACT.findall(masked)) + len(_EN_HABIT.findall(masked))
    return zh + len(_ZH_DEED.findall(masked)) + en


# "过去一年里", "几个月来": a stretch of time, not a measured result.
_LOOSE_PERIOD = re.compile(
    r"(?:过去|这|近|整整)?[一几半]\s*(?:年|个月|个季度|段时间)(?:来|里|中|以来|多)?"
)


# "3号线", "5号机", "2号仓": a number that names a place or a machine measures nothing.
_PLACE_NUMBER = re.compile(r"\d+\s*号(?:线|机|工位|仓|门|库|楼|房|桌|窗口|柜台)")


def concrete_results(masked: str, times: list[tuple[int, int]] | None = None) -> int:
    """Count checkable results: measured numbers that are not dates, changes, concrete outcomes.

    ``times`` are the spans of _STRONG_TIME in ``masked`` when the caller has them already.
    """
    if times is None:
        times = [m.span() for m in _STRONG_TIME.finditer(masked)]
    untimed = _LOOSE_PERIOD.sub(" ", _YEAR.sub(" ", mask(masked, times)))
    untimed = _PLACE_NUMBER.sub(" ", untimed)
    outcome = len(_CONCRETE_RESULT.findall(untimed))
    return _meaningful_numbers(untimed) + len(_CHANGE.findall(untimed)) + outcome


def _en_actions(masked: str) -> int:
    past = sum(1 for m in _EN_PAST.finditer(masked) if m.group().lower() not in _EN_ADJ_ED)
    return past + len(_EN_IRREGULAR.findall(masked))


def _entities(masked: str) -> int:
    found = [m.group() for m in _ENTITY.finditer(masked)]
    count = sum(1 for e in found if e.strip().upper() not in _GENERIC_CAPS)
    return count + len(_EN_PROPER.findall(masked))


def sentences(text: str) -> list[str]:
    """Split text into stripped, non-empty sentences (English full stops included)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def affirmed(pattern: re.Pattern[str], sentence: str) -> list[re.Match[str]]:
    """Matches of `pattern` in `sentence` that no negation word right before cancels."""
    return [
        m for m in pattern.finditer(sentence) if not _NEGATION.search(sentence[: m.start()][-4:])
    ]


@dataclass(frozen=True, slots=True)
class SuggestionRule:
    """What counts as a suggestion: its cue words, and what must come with a cue."""

    cues: re.Pattern[str]
    split: Callable[[str], list[str]]
    actionable: Callable[[str, re.Match[str]], bool]
    first_cue_only: bool
    skip_negated: bool


def find_suggestion(text: str, rule: SuggestionRule) -> tuple[bool, bool]:
    """Return (cue present, actionable suggestion present) of ``text`` under ``rule``."""
    marker = False
    for sentence in rule.split(text):
        cues = affirmed(rule.cues, sentence) if rule.skip_negated else rule.cues.finditer(sentence)
        for match in cues:
            marker = True
            if rule.actionable(sentence, match):
                return True, True
            if rule.first_cue_only:
                break
    return marker, False


def _concrete_enough(clause: str, cue: re.Match[str]) -> bool:
    rest = clause[cue.start() :]
    concrete = (
        _STRONG_TIME.search(rest) is not None
        or _MEASURED.search(rest) is not None
        or _ENTITY.search(rest) is not None
        or _SITUATION.search(rest) is not None
    )
    return content_units(rest) >= 8 or (concrete and content_units(rest) >= 4)


def _something_to_do(sentence: str, cue: re.Match[str]) -> bool:
    rest = sentence[cue.end() :]
    words = len(re.findall(r"[A-Za-z]+", rest))
    chars = len(re.findall(r"[\u4e00-\u9fff]", rest))
    return (chars >= 6 or words >= 3) and not _EMPTY_ADVICE.match(rest)


# The vague-comment check: the first cue of a clause, with enough (or concrete) words from it on.
FEEDBACK_SUGGESTION = SuggestionRule(
    cues=_SUGGEST, split=_CLAUSE.findall, actionable=_concrete_enough, first_cue_only=True,
    skip_negated=False,
)  # fmt: skip
# The dialogue audit is stricter: a negated cue does not count, and the words after the cue
# must say what to do rather than only "继续努力".
IMPROVEMENT_SUGGESTION = SuggestionRule(
    cues=_IMPROVEMENT_CUES, split=sentences, actionable=_something_to_do, first_cue_only=False,
    skip_negated=True,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Signals:
    """Raw detector output for one comment (on the masked text)."""

    numbers: int
    changes: int
    strong_time: int
    weak_time: int
    entities: int
    situations: int
    actions: int
    impact_words: int
    causal: int
    suggest_marker: bool
    suggestion: bool
    units: int
    masked_units: int
    vague_spans: int
    labels: int
    scores: int
    content: bool
    acts: int = 0
    results: int = 0
    objects: int = 0

    @property
    def behavior(self) -> bool:
        """Observable action stated outside stock phrases."""
        return self.actions > 0

    @property
    def situation(self) -> bool:
        """A when/where anchor: a point in time, a named thing or a concrete occasion."""
        return self.strong_time > 0 or self.entities > 0 or self.situations > 0

    @property
    def impact(self) -> bool:
        """A result that could be checked."""
        return self.numbers > 0 or self.changes > 0 or self.impact_words > 0 or self.causal > 0


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out the given spans (same length) so detectors ignore stock phrases."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def signals(
    text: str,
    vague_spans: list[tuple[int, int]],
    labels: int,
    scores: int,
    hidden: list[tuple[int, int]] | None = None,
) -> Signals:
    """Run every detector on ``text`` with ``vague_spans`` and ``hidden`` masked out."""
    masked = mask(text, [*vague_spans, *(hidden or [])])
    times = [m.span() for m in _STRONG_TIME.finditer(masked)]
    marker, suggestion = find_suggestion(masked, FEEDBACK_SUGGESTION)
    return Signals(
        numbers=_meaningful_numbers(masked),
        changes=len(_CHANGE.findall(masked)),
        strong_time=len(times),
        weak_time=len(_WEAK_TIME.findall(text)),
        entities=_entities(masked),
        situations=len(_SITUATION.findall(masked)),
        actions=_zh_actions(masked) + _en_actions(masked),
        impact_words=len(_IMPACT_WORD.findall(masked)),
        causal=len(_CAUSAL.findall(masked)),
        suggest_marker=marker,
        suggestion=suggestion,
        units=content_units(text),
        masked_units=content_units(masked),
        vague_spans=len(vague_spans),
        labels=labels,
        scores=scores,
        content=has_content(text),
        acts=concrete_acts(masked),
        results=concrete_results(masked, times),
        objects=named_objects(masked),
    )


FEATURE_NAMES: tuple[str, ...] = (
    "numbers",
    "changes",
    "strong_time",
    "weak_time",
    "entities",
    "situations",
    "actions",
    "impact_words",
    "causal",
    "suggest_marker",
    "suggestion",
    "log_units",
    "log_masked_units",
    "vague_share",
    "vague_spans",
    "labels",
    "scores",
    "no_content",
    "elements",
)


def feature_vector(s: Signals) -> list[float]:
    """Turn signals into the hand-made feature row, capped so long texts do not dominate."""

    def cap(value: int, top: int = 3) -> float:
        return float(min(value, top))

    units = max(s.units, 1)
    elements = s.behavior + s.situation + s.impact + s.suggestion
    return [
        cap(s.numbers),
        cap(s.changes),
        cap(s.strong_time),
        cap(s.weak_time, 2),
        cap(s.entities),
        cap(s.situations),
        cap(s.actions),
        cap(s.impact_words),
        cap(s.causal, 2),
        float(s.suggest_marker),
        float(s.suggestion),
        math.log1p(s.units),
        math.log1p(s.masked_units),
        1.0 - s.masked_units / units,
        cap(s.vague_spans, 5),
        cap(s.labels, 2),
        cap(s.scores, 2),
        float(not s.content),
        float(elements),
    ]


def normalize(text: str) -> str:
    """Fold width and case and map digits to 0, so n-grams generalise across numbers."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _NGRAM_CLEAN.sub(" ", re.sub(r"\d", "0", folded)).strip()


def ngrams(text: str) -> list[str]:
    """Character 1-3 grams plus Latin word uni- and bigrams of the normalised text."""
    norm = normalize(text)
    grams = [norm[i : i + n] for n in (1, 2, 3) for i in range(len(norm) - n + 1)]
    words = _LATIN_WORD.findall(norm)
    grams += ["w:" + w for w in words]
    grams += ["w:" + a + "_" + b for a, b in itertools.pairwise(words)]
    return grams


def feature_matrix(rows: list[list[float]]) -> np.ndarray:
    """Stack hand-made feature rows into a float matrix."""
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))
