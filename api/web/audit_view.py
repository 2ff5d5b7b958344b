"""Audit events as HR reads them: actions in words, people by name, details as fields.

The chain stores codes (`draft.ready`, `manager:demo-manager`, ids); this module is the one
table that turns them into the page language. An unknown code is shown as it is, so a new
action is never hidden, only not yet translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from coach.core.audit import AuditEventPublic
from coach.core.models import Role
from coach.drafts.registry import kind_label
from coach.org.users import employee_names, people_behind

from .i18n import Lang

SHORT_ID = 8

ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("新建", "created"),
    "update": ("修改", "updated"),
    "delete": ("删除", "deleted"),
    "import": ("导入", "imported"),
    "export": ("导出", "exported"),
    "draft.ready": ("草稿已生成", "draft generated"),
    "draft.failed": ("草稿生成失败", "draft generation failed"),
    "draft.approve": ("草稿已批准", "draft approved"),
    "draft.edit": ("草稿修改后批准", "draft edited and approved"),
    "draft.reject": ("草稿已驳回", "draft rejected"),
    "draft.comment": ("员工提出意见", "employee commented"),
    "draft.objection": ("员工提出异议", "employee objected"),
    "target.official": ("目标已生效", "target made official"),
    "batch.create": ("批量生成开始", "batch started"),
    "batch.finish": ("批量生成完成", "batch finished"),
    "knowledge.upsert": ("实践已上传", "practice uploaded"),
    "knowledge.delete": ("实践已删除", "practice deleted"),
    "disable": ("停用账号", "account disabled"),
    "enable": ("启用账号", "account enabled"),
    "rotate_token": ("更换令牌", "token rotated"),
}
OBJECTS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "employee": ("员工", "employee"),
    "checkin": ("面谈", "check-in"),
    "user": ("账号", "account"),
    "goal": ("目标", "goal"),
    "key_event": ("关键事件", "key event"),
    "official_target": ("正式目标", "official target"),
    "practice": ("实践", "practice"),
    "progress": ("进展", "progress"),
    "review_score": ("评分", "review score"),
    "batch": ("批量任务", "batch"),
    "demo": ("演示数据", "demo data"),
    "dialogue_audit": ("对话质量报告", "dialogue-quality report"),
    "dialogue_note": ("HR 备注", "HR note"),
    "audit_events": ("审计日志", "audit log"),
}
DETAIL_FIELDS: dict[str, tuple[str, str]] = {
    "kind": ("类型", "kind"),
    "employee_id": ("员工", "employee"),
    "edit_ratio": ("修改幅度", "share edited"),
    "changed_fields": ("改动的字段", "fields changed"),
    "provider": ("生成引擎", "engine"),
    "status": ("状态", "status"),
    "response_id": ("回应编号", "response no."),
    "draft_id": ("草稿", "draft"),
    "difference": ("与建议的差异", "difference from the suggestion"),
    "purpose": ("目的", "purpose"),
    "changed": ("改动", "changed"),
    "filters": ("筛选条件", "filters"),
    "path": ("文件", "file"),
    "managers": ("经理人数", "managers"),
    "total": ("人数", "people"),
    "key_results": ("关键结果数", "key results"),
    "vague": ("反馈空泛", "vague feedback"),
    "checkin_id": ("面谈", "check-in"),
    "name": ("账号", "account"),
}
VALUES: dict[str, tuple[str, str]] = {
    "offline": ("离线引擎", "offline engine"),
    "openai": ("大模型接口", "LLM API"),
    "generating": ("生成中", "generating"),
    "data subject access": ("本人查阅", "data subject access"),
    "data subject erasure": ("本人要求删除", "data subject erasure"),
    "comment": ("意见", "comment"),
    "objection": ("异议", "objection"),
    "positive": ("正面", "positive"),
    "negative": ("负面", "negative"),
    "neutral": ("中性", "neutral"),
}
ACTORS: dict[str, tuple[str, str]] = {
    "system": ("系统", "system"),
    "cli": ("命令行", "command line"),
}
ROLES: dict[str, tuple[str, str]] = {
    Role.admin.value: ("管理员", "admin"),
    Role.hr.value: ("HR", "HR"),
    Role.manager.value: ("经理", "manager"),
    Role.employee.value: ("员工", "employee"),
}


@dataclass(frozen=True)
class EventRow:
    """One event as the audit browser shows it."""

    id: int
    event: AuditEventPublic
    actor: str
    action: str
    object_kind: str
    object_name: str
    object_short: str
    link: str | None
    details: list[tuple[str, str]]


def _pick(table: dict[str, tuple[str, str]], code: str, lang: Lang) -> str:
    pair = table.get(code)
    return pair[0 if lang == "zh" else 1] if pair else code


def short_id(value: str) -> str:
    """A long generated id cut to its first characters; short keys stay as they are."""
    return value[:SHORT_ID] + "…" if len(value) > SHORT_ID + 4 else value


def _account(actor: str) -> tuple[str, str]:
    """(role, account name) of an actor label like `manager:demo-manager`."""
    role, _, name = actor.partition(":")
    return (role, name) if name and role in ROLES else ("", actor)


class EventNames:
    """The names behind some actors' accounts and some employee ids, looked up once."""

    def __init__(
        self, session: Session, *, actors: Iterable[str], employee_ids: Iterable[str] = ()
    ) -> None:
        self.people = people_behind(session, (_account(a)[1] for a in actors))
        self.employees = employee_names(session, employee_ids)

    @classmethod
    def of(cls, session: Session, events: Sequence[AuditEventPublic]) -> EventNames:
        """The names a page of events mentions: actors, subjects, employees acted on."""
        employee_ids = [str(e.detail.get("employee_id") or "") for e in events]
        employee_ids += [e.object_id for e in events if e.object_type == "employee"]
        return cls(session, actors=[e.actor for e in events], employee_ids=employee_ids)

    def actor(self, actor: str, lang: Lang) -> str:
        role, account = _account(actor)
        if not role:
            return _pick(ACTORS, actor, lang)
        person = self.people.get(account, account)
        return f"{person}({_pick(ROLES, role, lang)})" if lang == "zh" else f"{person} ({role})"


def _value(key: str, value: Any, names: EventNames, lang: Lang) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if key == "employee_id":
        return names.employees.get(str(value), str(value))
    if key == "edit_ratio" and isinstance(value, int | float):
        return f"{value:.0%}"
    if key == "kind" and (label := kind_label(str(value), lang)) != value:
        return label
    if key.endswith("_id") and isinstance(value, str):
        return short_id(value)
    if isinstance(value, list):
        return "、".join(_value(key, v, names, lang) for v in value) or "—"
    if isinstance(value, dict):
        return ";".join(f"{k} {_value(k, v, names, lang)}" for k, v in value.items()) or "—"
    return _pick(VALUES, str(value), lang) if value is not None else "—"


def _details(detail: dict[str, Any], names: EventNames, lang: Lang) -> list[tuple[str, str]]:
    return [
        (_pick(DETAIL_FIELDS, key, lang), _value(key, value, names, lang))
        for key, value in detail.items()
    ]


def _object_name(event: AuditEventPublic, names: EventNames) -> str:
    if event.object_type == "employee":
        return names.employees.get(event.object_id, event.object_id)
    subject = names.employees.get(str(event.detail.get("employee_id") or ""))
    return subject or ""


def event_rows(session: Session, events: Iterable[AuditEventPublic], lang: Lang) -> list[EventRow]:
    """A page of events in words, with names looked up once for the page."""
    events = list(events)
    names = EventNames.of(session, events)
    return [
        EventRow(
            id=e.id, event=e, actor=names.actor(e.actor, lang),
            action=_pick(ACTIONS, e.action, lang),
            object_kind=_pick(OBJECTS, e.object_type, lang),
            object_name=_object_name(e, names),
            object_short=short_id(e.object_id),
            link=f"/drafts/{e.object_id}" if e.object_type == "draft" else None,
            details=_details(e.detail, names, lang),
        )
        for e in events
    ]  # fmt: skip


def action_choices(lang: Lang) -> list[tuple[str, str]]:
    """(code, words) of every known action, for the filter."""
    return [(code, _pick(ACTIONS, code, lang)) for code in ACTIONS]


def actor_choices(session: Session, actors: Iterable[str], lang: Lang) -> list[tuple[str, str]]:
    """(actor label, the person's name) of these actors, sorted by name, for the filter."""
    actors = list(actors)
    names = EventNames(session, actors=actors)
    return sorted(((a, names.actor(a, lang)) for a in actors), key=lambda pair: pair[1])


def object_choices(lang: Lang) -> list[tuple[str, str]]:
    """(code, words) of every known object type, for the filter."""
    return [(code, _pick(OBJECTS, code, lang)) for code in OBJECTS]


def _day(field: str, text: str, errors: dict[str, str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = "请填写有效日期,例如 2026-12-01 / a date like 2026-12-01"
        return None


def day_range(
    since: str, until: str
) -> tuple[tuple[dt.datetime | None, dt.datetime | None], dict[str, str]]:
    """The UTC instants from the start of `since` to the end of `until` (both days included),
    and the error of each field that is not a valid day or range."""
    errors: dict[str, str] = {}
    first, last = _day("since", since, errors), _day("until", until, errors)
    if first and last and last < first:
        errors["until"] = "结束日期不能早于开始日期 / must not be before the first day"
    start = dt.datetime.combine(first, dt.time(), dt.UTC) if first else None
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC) if last else None
    return (start, end), errors
