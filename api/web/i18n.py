"""Page strings in Chinese (first) and English; `t(key)` fails loudly on a missing key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # frame
    "app": ("绩效教练", "Coach"),
    "skip": ("跳到正文", "Skip to content"),
    "nav": ("主导航", "Main navigation"),
    "nav_team": ("我的团队", "My team"),
    "nav_inbox": ("待审批", "Inbox"),
    "nav_me": ("我的绩效", "My performance"),
    "nav_dialogues": ("对话质量", "Dialogue quality"),
    "nav_events": ("审计日志", "Audit log"),
    "nav_calibration": ("评分校准", "Calibration"),
    "nav_practices": ("实践库", "Practice library"),
    "signout": ("退出", "Sign out"),
    "lang_switch": ("语言", "Language"),
    "back": ("返回", "Back"),
    "home": ("回到首页", "Go to the start page"),
    "working": ("正在生成…", "Working…"),
    "none": ("无", "none"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page_of": ("第 {start}–{end} 条,共 {count} 条", "{start}–{end} of {count}"),
    # sign-in
    "signin_title": ("登录", "Sign in"),
    "signin_intro": (
        "用管理员发给你的 API 令牌登录(演示数据:运行 coach demo 获取令牌)。",
        "Sign in with the API token your administrator gave you (demo: run coach demo).",
    ),
    "token": ("API 令牌", "API token"),
    "signin_button": ("登录", "Sign in"),
    "signin_error": ("令牌无效或已停用,请重试。", "That token is invalid or disabled. Try again."),
    # errors
    "error_403": ("没有权限查看这个页面", "You may not see this page"),
    "error_404": ("页面不存在", "Page not found"),
    "error_409": ("操作与当前状态冲突", "This conflicts with the current state"),
    "error_422": ("输入有误", "Please check your input"),
    "error_other": ("出错了", "Something went wrong"),
    "error_403_help": (
        "你的角色不能访问这里。未经审批的 AI 内容只对负责审批的经理和 HR 可见。",
        "Your role cannot open this. Unapproved AI content is visible only to the approving manager and HR.",
    ),
    # team
    "team_title": ("我的团队", "My team"),
    "team_empty": ("你还没有直属下属。", "You have no direct reports yet."),
    "col_person": ("成员", "Person"),
    "col_latest_checkin": ("最近面谈", "Latest check-in"),
    "col_open_drafts": ("待审批草稿", "Open drafts"),
    "col_off_track": ("落后的目标", "Goals off track"),
    "no_checkin": ("还没有面谈记录", "No check-in yet"),
    "vague_badge": ("反馈空泛", "vague feedback"),
    "specific_badge": ("反馈具体", "specific feedback"),
    "all_on_track": ("全部正常", "all on track"),
    "progress_vs_expected": ("进度 {p}% / 应达 {e}%", "progress {p}% / expected {e}%"),
    # person
    "person_actions": ("AI 助手", "AI assistant"),
    "person_actions_help": (
        "生成的内容是草稿,经你审批后才会给到员工。",
        "What the assistant makes is a draft; the employee sees it only after you approve it.",
    ),
    "gen_checkin_topics": ("生成面谈话题", "Suggest check-in topics"),
    "gen_feedback": ("生成反馈草稿", "Draft feedback"),
    "gen_development": ("生成发展建议", "Suggest development"),
    "record_checkin": ("记录一次面谈", "Record a check-in"),
    "metrics_title": ("指标历史与建议目标", "Metric history and suggested targets"),
    "metrics_empty": ("没有这个人的指标历史。", "No metric history for this person."),
    "peer_range_caveat": (
        "基于 {count} 位{group}同事,本人尚无数据,仅供参考。",
        "Based on {count} {group} peers; this person has no data yet, so treat it as a guide.",
    ),
    "draft_peer_range": ("按同事水平起草 {period} 目标", "Draft a {period} target from peers"),
    "suggest_range": ("建议 {period} 目标区间", "Suggest a range for {period}"),
    "range_commit": ("承诺值", "Commit"),
    "range_target": ("目标值", "Target"),
    "range_stretch": ("挑战值", "Stretch"),
    "history": ("历史", "History"),
    "range_draft": ("建议区间草稿", "Suggested range draft"),
    "open_draft": ("打开草稿", "Open the draft"),
    "person_drafts": ("关于 TA 的待审批草稿", "Pending drafts about this person"),
    "chart_label": (
        "{name} 的历史值与 {period} 建议区间",
        "{name}: history and the suggested range for {period}",
    ),
    # drafts
    "inbox_title": ("待审批的草稿", "Drafts waiting for you"),
    "inbox_empty": ("还没有待审批的草稿。", "No drafts are waiting for approval."),
    "col_kind": ("类型", "Kind"),
    "col_employee": ("员工", "Employee"),
    "col_created": ("生成时间", "Created"),
    "col_status": ("状态", "Status"),
    "status_pending": ("待审批", "pending"),
    "status_approved": ("已批准", "approved"),
    "status_rejected": ("已驳回", "rejected"),
    "draft_title": ("{kind} · {employee}", "{kind} · {employee}"),
    "provenance": (
        "来源:{provider} {model},模板 {template}",
        "Made by {provider} {model}, template {template}",
    ),
    "quality_flags": ("审批前请核对", "Check before approving"),
    "sufficiency_title": ("记录充分度(仅经理可见)", "How much the records support (manager only)"),
    "evidence": ("引用的记录", "Cited records"),
    "evidence_missing": (
        "引用了不存在的记录:{ids}",
        "Cites records that are not in the inputs: {ids}",
    ),
    "own_history": ("依据的历史数据", "History it rests on"),
    "with_unit": ("{name}({unit})", "{name} ({unit})"),
    "target_for": ("{name} · {metric} · {period}", "{name} · {metric} · {period}"),
    "target_levels": ("建议的三档目标", "The three suggested levels"),
    "level_value": ("{value}{unit}", "{value} {unit}"),
    "likely": ("约{share}把握达到", "about {pct}% likely to be reached"),
    "likely_sure": ("几乎一定能达到", "almost certain to be reached"),
    "likely_hardly": ("很难达到", "hardly likely to be reached"),
    "lower_is_better": ("这项指标越低越好。", "Lower is better for this metric."),
    "basis_title": ("为什么是这个区间", "Why this range"),
    "basis_own": (
        "依据{name}近 {periods} 期的{metric},最近一期({period})为 {value}。",
        "It rests on {name}'s last {periods} periods of {metric}; the latest ({period}) was {value}.",
    ),
    "basis_own_none": (
        "{name}还没有{metric}的历史数据,区间按同事的水平估算。",
        "{name} has no {metric} history yet, so the range is estimated from peers.",
    ),
    "basis_peers": (
        "同时参考了 {count} 位{group}同事的水平(中位数 {median}){extra}。",
        "It also weighs {count} {group} peers (median {median}){extra}.",
    ),
    "basis_no_peers": (
        "没有可比的同事数据,只按本人的历史估算{extra}。",
        "No comparable peers were found, so only the person's own history counts{extra}.",
    ),
    "basis_trend": (",并考虑了每期约 {pct} 的变化趋势", ", with a trend of about {pct} a period"),
    "basis_season": (",并按季节规律做了调整", ", adjusted for the season"),
    "peer_team": ("同团队", "same-team"),
    "peer_role+level": ("同岗位同职级", "same role and level"),
    "peer_role": ("同岗位", "same-role"),
    "peer_department": ("同部门", "same-department"),
    "peer_all": ("全公司", "company-wide"),
    "internals": ("计算依据", "How it was calculated"),
    "internals_help": (
        "模型内部的数值,供经理和 HR 核对;员工看不到这部分。",
        "The model's internal figures, for managers and HR to check; employees never see them.",
    ),
    "engine_rationale": ("引擎给出的说明", "The engine's explanation"),
    "i_quantiles": ("预测分布的分位数", "Predicted percentiles"),
    "i_method": ("模型", "Model"),
    "i_scale": ("计算尺度", "Scale"),
    "i_own_median": ("本人近期中位数", "Own recent median"),
    "i_peer_median": ("同事中位数", "Peer median"),
    "i_shrinkage": ("同事数据的参考权重", "Weight given to peers"),
    "i_trend": ("每期趋势", "Trend per period"),
    "i_seasonal_factor": ("季节系数", "Seasonal factor"),
    "i_horizon": ("预测跨度(期)", "Horizon (periods)"),
    "i_tenure": ("到目标期的司龄(月)", "Tenure at the target period (months)"),
    "i_ramp": ("新人爬坡系数", "Ramp-up factor"),
    "i_outliers": ("降权的异常值", "Outliers down-weighted"),
    "i_sd": ("预测标准差(模型尺度)", "Predictive SD (model scale)"),
    "edit_numbers": ("修改三档目标后批准", "Change the levels and approve"),
    "edit_numbers_help": (
        "填写数字即可;说明文字会按你批准的数字重新生成,请在备注里说明修改原因。",
        "Enter numbers only; the explanation is reworded with the numbers you approve; say why in the note.",
    ),
    "decide": ("审批", "Decide"),
    "jump_decide": ("去审批 ↓", "Go to the decision ↓"),
    "approve_as_is": ("直接批准", "Approve as is"),
    "note": ("备注(可选)", "Note (optional)"),
    "edit_and_approve": ("修改后批准", "Edit and approve"),
    "edit_help": (
        "逐条修改、增加或删除;每条旁边是它引用的记录,可以取消或添加引用。批准时逐项校验,有问题会标在对应位置。",
        "Edit, add or remove items; beside each are the records it cites, which you can change. Each field is checked on approval and problems are shown beside it.",
    ),
    "add_item": ("增加一条", "Add one"),
    "practice_chosen": ("选用的实践", "Practice chosen"),
    "remove_item": ("删除这条", "Remove this one"),
    "item_n": ("第 {n} 条", "Item {n}"),
    "cited_records": ("引用的记录", "Cited records"),
    "cite_more": ("引用其他记录", "Cite other records"),
    "no_citation_yet": ("还没有引用记录。", "No record cited yet."),
    "form_has_errors": (
        "有 {n} 处需要修改,已在对应位置标出;你填写的内容都保留着。",
        "{n} fields need a change, marked beside each; everything you typed is kept.",
    ),
    "shown_approved": (
        "下面是经理批准的版本(与 AI 原稿相同)。",
        "Shown: the approved version (as the AI drafted it).",
    ),
    "shown_approved_edited": (
        "下面是经理修改后批准的版本,不是 AI 原稿。",
        "Shown: the version the manager edited and approved, not the AI draft.",
    ),
    "see_changes": ("查看与 AI 原稿的差异", "See what changed from the AI draft"),
    "changes_title": ("与 AI 原稿相比改了 {n} 处", "{n} changes from the AI draft"),
    "change_added": ("新增", "added"),
    "change_removed": ("删除", "removed"),
    "change_changed": ("修改", "changed"),
    "err_missing": ("必填", "Required"),
    "err_short_text": ("太短:至少 {n} 个字", "Too short: at least {n} characters"),
    "err_long_text": ("太长:最多 {n} 个字", "Too long: at most {n} characters"),
    "err_few_items": ("至少需要 {n} 条", "At least {n} needed"),
    "err_many_items": ("最多 {n} 条", "At most {n}"),
    "err_no_citation": ("请至少引用一条记录", "Cite at least one record"),
    "err_choice": ("请从列表中选择", "Choose one of the options"),
    "err_date": ("请填写日期", "Enter a date"),
    "reject": ("驳回", "Reject"),
    "reject_reason": ("驳回原因(必填)", "Reason for rejecting (required)"),
    "decisions": ("审批记录", "Decisions"),
    "decided_by": ("{who} 于 {when} {what}", "{who} {what} on {when}"),
    "decision_approve": ("批准", "approved"),
    "decision_edit": ("修改后批准", "edited and approved"),
    "decision_reject": ("驳回", "rejected"),
    "read_only": ("只有该员工的上级经理可以审批。", "Only a manager above this person can decide."),
    # check-in
    "checkin_title": ("记录面谈:{name}", "Record a check-in: {name}"),
    "checkin_help": (
        "一次面谈包括进展、最大的障碍或风险、需要的支持,并以下一步行动结束。",
        "A check-in covers progress, the biggest obstacle or risk and the support needed, and ends with next actions.",
    ),
    "f_date": ("日期", "Date"),
    "err_checkin_date": (
        "请填写面谈日期,例如 2026-12-01。",
        "Give the check-in date, e.g. 2026-12-01.",
    ),
    "err_checkin_long": (
        "最多 5000 字,请删减后再保存。",
        "At most 5,000 characters; shorten it and save again.",
    ),
    "err_checkin_empty": (
        "进展和经理反馈至少填写一项。",
        "Write at least the progress or the feedback.",
    ),
    "f_progress": ("进展", "Progress"),
    "f_obstacles": ("障碍与风险", "Obstacles and risks"),
    "f_support_needed": ("需要的支持", "Support needed"),
    "f_next_actions": ("下一步行动", "Next actions"),
    "f_manager_feedback": ("给 TA 的反馈", "Your feedback"),
    "feedback_help": (
        "至少写一个正面事例、一条改进建议和一项资源支持。输入时会提示空泛的说法,并显示三项是否齐全。",
        "Give one positive point, one improvement and one resource need; vague wording is flagged as you type, with which of the three are there.",
    ),
    "save_checkin": ("保存面谈", "Save check-in"),
    "check_start": (
        "开始输入反馈后,这里会显示检查结果。",
        "Start typing feedback to see the check here.",
    ),
    "check_vague": (
        "这段反馈比较空泛,请补充具体事例。",
        "This feedback is vague: add a concrete example.",
    ),
    "check_ok": ("反馈具体,很好。", "Specific feedback, well done."),
    "check_has": ("包含", "Contains"),
    # employee
    "me_title": ("你的绩效", "Your performance"),
    "me_intro": (
        "这里是经理审批过、给到你的目标、反馈和发展计划。",
        "Here are the targets, feedback and development plan your manager approved for you.",
    ),
    "me_targets": ("你的目标", "Your targets"),
    "me_targets_empty": ("你的经理还没有批准目标。", "Your manager has not approved a target yet."),
    "me_feedback": ("给你的反馈", "Feedback for you"),
    "me_feedback_empty": ("你还没有经审批的反馈。", "You have no approved feedback yet."),
    "me_development": ("你的发展计划", "Your development plan"),
    "me_development_empty": (
        "你还没有经审批的发展计划。",
        "You have no approved development plan yet.",
    ),
    "ai_label": (
        "AI 辅助起草 · 经 {who} 于 {when} 审批",
        "AI-assisted draft · approved by {who} on {when}",
    ),
    "edited_badge": ("经理修改过", "edited by the manager"),
    "responses_title": ("员工的意见与异议", "The employee's comments and objections"),
    "responses_mine": ("你的意见与异议", "Your comments and objections"),
    "response_comment": ("意见", "Comment"),
    "response_objection": ("异议", "Objection"),
    "respond_summary": ("对这条内容有意见或异议?", "A comment on this, or an objection?"),
    "respond_kind": ("类型", "Kind"),
    "respond_text": ("你想说的话", "What you want to say"),
    "respond_button": ("提交给经理和 HR", "Send to my manager and HR"),
    "col_metric": ("指标", "Metric"),
    "col_period": ("周期", "Period"),
    # HR
    "dlg_title": ("对话质量 · {month}", "Dialogue quality · {month}"),
    "month": ("月份", "Month"),
    "show": ("查看", "Show"),
    "csv": ("导出 CSV", "Export CSV"),
    "kpi_completion": ("面谈完成率", "Check-in completion"),
    "kpi_effective": ("有效反馈占比", "Effective feedback"),
    "kpi_complete": ("三要素齐全", "All three parts"),
    "kpi_checkins": ("面谈记录数", "Check-ins"),
    "kpi_copies": ("复制粘贴", "Copy-paste"),
    "flag_copy_paste": ("复制粘贴", "copy-paste"),
    "copy_badge": ("复制自 {id}", "copy of {id}"),
    "definitions": ("指标定义", "Definitions"),
    "cal_title": ("评分校准 · {cycle}", "Rating calibration · {cycle}"),
    "cal_cycle": ("考核周期", "Review cycle"),
    "cal_discuss": ("校准会上要讨论的经理", "Managers to discuss in calibration"),
    "cal_nobody": ("没有经理的评分明显偏离。", "No manager's ratings stand out."),
    "cal_no_reviews": (
        "还没有导入绩效评分；导入后这里按经理比较评分。",
        "No review scores yet; once imported, ratings are compared here per manager.",
    ),
    "cal_chart": (
        "各经理平均分（空心：原始，实心：按客观达成调整后；竖线：全公司）",
        "Mean score per manager (hollow: raw, filled: adjusted for results; line: organisation)",
    ),
    "cal_rule": ("判断规则", "The rule"),
    "cal_people": ("评价人数", "People rated"),
    "cal_mean": ("平均分", "Mean"),
    "cal_adjusted": ("调整后", "Adjusted"),
    "cal_difference": ("与其他人差", "Difference"),
    "cal_sd_ratio": ("离散度比", "Spread ratio"),
    "cal_distribution": ("分数分布", "Distribution"),
    "cal_dimensions": ("各维度分布", "Per dimension"),
    "col_dimension": ("维度", "Dimension"),
    "flag_lenient": ("偏宽松", "lenient"),
    "flag_severe": ("偏严格", "severe"),
    "flag_central_tendency": ("趋中", "central tendency"),
    "nine_box": ("九宫格:绩效 × 潜力", "Nine-box: performance × potential"),
    "nine_performance": ("绩效(校准后)", "Performance (calibrated)"),
    "nine_potential": ("潜力", "Potential"),
    "nine_missing": (
        "{rating} 人有潜力评级但本周期没有可校准的评分,{potential} 人有评分但没有潜力评级,未放入九宫格。",
        "{rating} with a potential but no calibrated score, {potential} rated without a potential: not placed.",
    ),
    "level_1": ("低", "low"),
    "level_2": ("中", "medium"),
    "level_3": ("高", "high"),
    "nav_warnings": ("预警", "Warnings"),
    "nav_fairness": ("公平性", "Fairness"),
    "nav_themes": ("共性问题", "Themes"),
    "warn_title": ("预警 · 截至 {day}", "Early warnings · as of {day}"),
    "warn_as_of": ("截至日期", "As of"),
    "warn_chart": ("各类预警数量", "Warnings by kind"),
    "warn_none": ("没有预警。", "No warnings."),
    "warn_kr_off_track": ("关键结果落后", "Key result off track"),
    "warn_checkin_gap": ("面谈间隔过长", "Check-in gap"),
    "warn_metric_decline": ("指标下滑", "Metric decline"),
    "warn_repeated_obstacle": ("反复出现的障碍", "Repeated obstacle"),
    "warn_unmet_support": ("支持需求未回应", "Unmet support request"),
    "warn_def_kr_off_track": (
        "关键结果的完成进度比周期时间进度落后至少 {points} 个百分点(以最近一次进度更新的日期计)。",
        "Progress at least {points} points behind the share of the cycle elapsed at the last update.",
    ),
    "warn_def_checkin_gap": (
        "距上次面谈(或入职)超过 {days} 天没有面谈记录。",
        "No check-in for more than {days} days since the last one (or the hire date).",
    ),
    "warn_def_metric_decline": (
        "最新一期指标比上一年同期差至少 {share}(按指标方向)。",
        "The latest period at least {share} worse than the same period a year before.",
    ),
    "warn_def_repeated_obstacle": (
        "最近 {times} 次面谈都提到相似的障碍(字符三元组相似度 ≥ 50%)。",
        "The last {times} check-ins all name a similar obstacle.",
    ),
    "warn_def_unmet_support": (
        "提出的支持需求在下一次面谈中没有经理承诺安排,或 {days} 天内没有下一次面谈。",
        "A support request no manager took on by the next check-in, or within {days} days.",
    ),
    "col_evidence": ("依据记录", "Evidence"),
    "col_why": ("原因", "Why"),
    "fair_title": ("公平性监测 · {attribute}", "Fairness · {attribute}"),
    "fair_attribute": ("分组属性", "Group by"),
    "fair_period": ("周期(留空为全部)", "Cycle (empty for all)"),
    "fair_signal": (
        "这是值得核查的信号,不是结论:差异可能来自岗位、任期或团队构成,请结合具体记录判断。",
        "A signal to examine, not a verdict: a gap may come from roles, tenure or team make-up.",
    ),
    "fair_flags": ("需要核查的差异", "Gaps to examine"),
    "fair_none": ("没有达到标记规则的差异。", "No gap meets the rule."),
    "fair_chart": ("{measure}(红色:比其他人显著偏高)", "{measure} (red: significantly higher)"),
    "fair_group": ("组", "Group"),
    "fair_people": ("人数", "People"),
    "fair_withheld": ("不足 {n} 人,不显示", "under {n} people: withheld"),
    "fair_without": ("{n} 人没有该属性的值,不计入。", "{n} people have no value: not counted."),
    "fair_no_attributes": (
        "还没有导入员工属性(导入类型 attributes:性别、年龄段);导入后这里按组比较反馈。",
        "No attributes imported yet (import kind attributes); once imported, groups are compared here.",
    ),
    "theme_title": ("共性问题 · {month}", "Themes · {month}"),
    "theme_month": ("月份", "Month"),
    "theme_chart": ("反复出现的主题(提到的人数)", "Recurring themes (people raising them)"),
    "theme_none": (
        "本月没有多人反复提到的障碍或支持需求。",
        "No obstacle or support request raised by several people this month.",
    ),
    "theme_counts": (
        "{checkins} 次面谈,{obstacles} 次提到障碍,{support} 次提出支持需求",
        "{checkins} check-ins, {obstacles} naming an obstacle, {support} asking for support",
    ),
    "theme_obstacle": ("障碍", "Obstacle"),
    "theme_support": ("支持需求", "Support request"),
    "col_team": ("团队", "Team"),
    "col_theme": ("主题(最早的一条原文)", "Theme (its earliest text)"),
    "col_count": ("次数", "Times"),
    "col_people": ("人数", "People"),
    "col_records": ("记录", "Records"),
    "chart_managers": ("各经理:完成率与有效反馈", "Per manager: completion and effective feedback"),
    "chart_trend": ("近几个月趋势", "Trend over recent months"),
    "col_manager": ("经理", "Manager"),
    "col_vague_phrases": ("常见空泛说法", "Common vague phrases"),
    "sample_title": ("本月抽样({n} 条)", "This month's sample ({n} records)"),
    "sample_empty": ("这个月没有抽到记录。", "Nothing was sampled this month."),
    "col_date": ("日期", "Date"),
    "col_feedback": ("经理反馈", "Manager feedback"),
    "col_verdict": ("判断", "Verdict"),
    "parts_positive": ("正面事例", "positive point"),
    "parts_improvement": ("改进建议", "improvement"),
    "parts_resource": ("资源支持", "resource need"),
    "record_title": ("面谈记录 {id}", "Check-in {id}"),
    "findings": ("检查发现", "Findings"),
    "no_findings": ("没有发现空泛说法。", "No vague wording found."),
    "notes": ("HR 评审备注", "HR review notes"),
    "notes_empty": ("还没有备注。", "No notes yet."),
    "add_note": ("添加备注", "Add note"),
    "events_title": ("审计日志", "Audit log"),
    "filter": ("筛选", "Filter"),
    "f_actor": ("操作人", "Actor"),
    "f_action": ("动作", "Action"),
    "f_object_type": ("对象类型", "Object type"),
    "f_object_id": ("对象 ID", "Object id"),
    "f_all": ("全部", "All"),
    "open": ("查看", "Open"),
    "f_since": ("从(含)", "From (incl.)"),
    "f_until": ("到(含)", "To (incl.)"),
    "events_one_object": ("只显示一个对象的记录。", "Showing one object's events."),
    "events_all_objects": ("显示全部", "Show all"),
    "events_this_object": ("只看这个对象的记录", "Only this object's events"),
    "col_time": ("时间", "Time"),
    "col_object": ("对象", "Object"),
    "col_detail": ("详情", "Detail"),
    "events_empty": ("没有符合条件的事件。", "No events match."),
    "practices_title": ("实践库", "Practice library"),
    "back_to_practices": ("← 返回实践库", "← Back to the practice library"),
    "applies_to": ("适用于:{who}", "For: {who}"),
    "read_practice": ("阅读实践:{title}", "Read the practice: {title}"),
    "search": ("搜索", "Search"),
    "search_label": ("描述一个需要改进的方面", "Describe a gap to work on"),
    "search_empty": ("没有找到相关实践。", "No matching practice."),
    "matched_sentence": ("匹配的句子:", "Matched sentence:"),
    "rerank_label": ("让语言模型重排前 8 条", "Let the language model reorder the first 8"),
    "rerank_used": (
        "前 8 条按 {model} 的判断重新排序。",
        "The first 8 are in the order {model} chose.",
    ),
    "rerank_kept": ("保留离线排序:{reason}", "Offline order kept: {reason}"),
    "documents": ("全部实践({n})", "All practices ({n})"),
    "documents_empty": ("实践库还是空的。", "The library is empty."),
    "upload": (
        "上传实践(.md/.txt/.docx/.pdf)",
        "Upload a practice (.md/.txt/.docx/.pdf)",
    ),
    "upload_help": (
        "Markdown(可带 front matter:id、title、tags…)、纯文本、Word 或 PDF。"
        "没有 front matter 时,标题取第一个标题行,id 取文件名。同 id 会替换旧版本。",
        "Markdown (front matter optional: id, title, tags…), plain text, Word or PDF. Without "
        "front matter the title is the first heading and the id the file name. The same id "
        "replaces the old version.",
    ),
    "upload_button": ("上传", "Upload"),
    # flashes
    "flash_target_suggested": (
        "已生成建议区间,作为待审批草稿保存。",
        "Range suggested and saved as a pending draft.",
    ),
    "flash_request_sent": (
        "已提交给经理审批;经理批准后你会在「我的」页面看到内容。",
        "Sent to your manager: you will see the content on your page once it is approved.",
    ),
    "flash_approved": ("已批准,员工现在可以看到。", "Approved: the employee can now see it."),
    "flash_rejected": ("已驳回。", "Rejected."),
    "flash_checkin_saved": ("面谈已保存。", "Check-in saved."),
    "flash_note_saved": ("备注已保存。", "Note saved."),
    "flash_response_saved": (
        "已记录,你的经理和 HR 会看到。",
        "Recorded: your manager and HR will see it.",
    ),
    "flash_uploaded": ("实践已上传。", "Practice uploaded."),
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "summary": ("总结", "Summary"), "strengths": ("优点", "Strengths"),
    "improvements": ("改进", "Improvements"), "next_actions": ("下一步行动", "Next actions"),
    "resource_needs": ("资源需求", "Resource needs"), "topics": ("话题", "Topics"),
    "suggestions": ("发展建议", "Suggestions"), "text": ("内容", "Text"),
    "behavior": ("行为", "Behaviour"), "impact": ("影响", "Impact"),
    "suggestion": ("建议", "Suggestion"), "action": ("行动", "Action"), "owner": ("负责人", "Owner"),
    "due_date": ("截止日期", "Due"), "need": ("需求", "Need"), "rank": ("排序", "Rank"),
    "kind": ("类型", "Kind"), "title": ("标题", "Title"), "why_now": ("为什么是现在", "Why now"),
    "questions": ("提问", "Questions"), "practice_id": ("实践 ID", "Practice id"),
    "practice_title": ("实践", "Practice"), "gap": ("差距", "Gap"), "why": ("理由", "Why"),
    "first_step": ("第一步", "First step"), "milestones.day_30": ("30 天", "30 days"),
    "milestones.day_60": ("60 天", "60 days"), "milestones.day_90": ("90 天", "90 days"),
    "commit": ("承诺值", "Commit"), "target": ("目标值", "Target"), "stretch": ("挑战值", "Stretch"),
    "rationale": ("依据", "Rationale"), "period": ("周期", "Period"), "metric": ("指标", "Metric"),
    "unit": ("单位", "Unit"), "employee_id": ("员工", "Employee"),
    "manager_prep": ("面谈准备(仅经理可见)", "Preparation (manager only)"),
    "evidence_ids": ("引用的记录", "Cited records"),
    "summary_evidence_ids": ("引用的记录", "Cited records"),
}  # fmt: skip


VALUE_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("owner", "employee"): ("员工", "employee"), ("owner", "manager"): ("经理", "manager"),
    ("kind", "off_track_kr"): ("落后的关键结果", "key result off track"),
    ("kind", "kr_checkpoint"): ("关键结果检查点", "key result checkpoint"),
    ("kind", "obstacle"): ("障碍", "obstacle"), ("kind", "support_request"): ("支持请求", "support request"),
    ("kind", "open_action"): ("未完成的行动", "open action"), ("kind", "achievement"): ("值得认可的成绩", "achievement"),
    ("kind", "development"): ("个人发展", "development"), ("kind", "goal_setting"): ("目标设定", "goal setting"),
    ("level", "enough"): ("充分", "enough"), ("level", "thin"): ("较少", "thin"),
    ("level", "not_enough"): ("不足", "not enough"),
    ("record", "profile"): ("档案", "profile"), ("record", "key_result"): ("关键结果", "key result"),
    ("record", "checkin"): ("面谈", "check-in"), ("record", "review"): ("评估", "review"),
    ("record", "event"): ("关键事件", "event"), ("record", "practice"): ("实践", "practice"),
}  # fmt: skip


def value_label(key: str, value: str, lang: Lang) -> str:
    """A content value in the page language when it is a known code (owner, topic kind)."""
    pair = VALUE_LABELS.get((key.rsplit(".", 1)[-1], value))
    return pair[0 if lang == "zh" else 1] if pair else value


def translator(lang: Lang) -> Callable[..., str]:
    """`t(key, **values)` for one language."""
    index = 0 if lang == "zh" else 1

    def t(key: str, **values: object) -> str:
        text = STRINGS[key][index]
        return text.format(**values) if values else text

    return t


def field_label(key: str, lang: Lang) -> str:
    """A content field's label, or the key itself when it has none."""
    pair = FIELD_LABELS.get(key)
    return pair[0 if lang == "zh" else 1] if pair else key


def date_text(value: dt.date, lang: Lang, *, time: bool = False) -> str:
    """A date as the page language writes it (2026年12月1日 / 2026-12-01), with HH:MM if asked."""
    day = (
        f"{value.year}年{value.month}月{value.day}日"
        if lang == "zh"
        else value.strftime("%Y-%m-%d")
    )
    if time and isinstance(value, dt.datetime):
        return f"{day} {value:%H:%M}"
    return day
