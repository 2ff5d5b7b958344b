"""A manager's digest, built only from what that manager may see: the early warnings and the
draft inbox they get through the API, both scoped to the people below them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, select

from coach.core.models import DraftStatus, Employee, Role, User
from coach.core.settings import Settings
from coach.drafts.registry import kind_label
from coach.drafts.store import list_drafts
from coach.org.users import Principal, employee_names
from coach.oversight.warnings import EarlyWarning, WarningKind, early_warnings

# The inbox shows the rest; a digest that lists fifty drafts is not read.
MAX_DRAFTS_LISTED = 20

WARNING_NAMES: dict[WarningKind, str] = {
    "kr_off_track": "关键结果落后",
    "checkin_gap": "面谈间隔过长",
    "metric_decline": "指标下滑",
    "repeated_obstacle": "同一障碍反复出现",
    "unmet_support": "支持需求未回应",
}


class DraftWaiting(BaseModel):
    name: str
    kind: str
    created_on: date


class Digest(BaseModel):
    """What one manager is reminded of on one day."""

    user_id: int
    manager_name: str
    day: date
    checkins_due: list[EarlyWarning]
    drafts: list[DraftWaiting]
    drafts_total: int
    warnings: list[EarlyWarning]

    @property
    def is_empty(self) -> bool:
        """Nothing to remind of: no message is sent."""
        return not (self.checkins_due or self.drafts_total or self.warnings)

    @property
    def title(self) -> str:
        """The message's title (the e-mail's subject)."""
        return f"绩效教练提醒 {self.day}：{self.manager_name}"

    def lines(self, *, bold: str = "**") -> list[str]:
        """The digest as lines; `bold` marks the section headings (empty for plain text)."""
        out = [f"{self.manager_name}，你好。截至 {self.day}，需要你关注的事项："]
        if self.checkins_due:
            out += ["", f"{bold}待面谈（{len(self.checkins_due)} 人）{bold}"]
            out += [f"- {w.name}：{w.message}" for w in self.checkins_due]
        if self.drafts_total:
            out += ["", f"{bold}待你审批的 AI 草稿（{self.drafts_total} 份）{bold}"]
            out += [
                f"- {d.name} 的{kind_label(d.kind)}（{d.created_on} 生成）" for d in self.drafts
            ]
            if self.drafts_total > len(self.drafts):
                out.append(f"- 另有 {self.drafts_total - len(self.drafts)} 份，见草稿收件箱")
        if self.warnings:
            out += ["", f"{bold}预警（{len(self.warnings)} 条）{bold}"]
            out += [f"- {w.name} · {WARNING_NAMES[w.kind]}：{w.message}" for w in self.warnings]
        return out


def manager_accounts(session: Session) -> list[User]:
    """The active manager accounts linked to a person: the digests' recipients."""
    return list(
        session.exec(
            select(User)
            .where(
                col(User.role) == Role.manager,
                col(User.employee_id).is_not(None),
                col(User.disabled).is_(False),
            )
            .order_by(col(User.id))
        ).all()
    )


def compose_digest(session: Session, user: User, *, day: date, settings: Settings) -> Digest:
    """One manager's digest as of `day`: nothing about anyone outside their tree."""
    if user.id is None or user.employee_id is None:
        raise ValueError(f"account {user.name!r} is not a saved account linked to a person")
    principal = Principal(
        user_id=user.id, name=user.name, role=user.role, employee_id=user.employee_id
    )
    warnings = early_warnings(session, principal, as_of=day, settings=settings).data
    direct = set(
        session.exec(
            select(Employee.employee_id).where(col(Employee.manager_id) == user.employee_id)
        ).all()
    )
    # A gap below a direct report is their manager's 1:1 to hold, so for this one a warning.
    due = [w for w in warnings if w.kind == "checkin_gap" and w.employee_id in direct]
    rest = [w for w in warnings if w not in due]
    drafts, total = list_drafts(
        session, principal, status=DraftStatus.pending, limit=MAX_DRAFTS_LISTED
    )
    names = employee_names(session, [user.employee_id, *(d.employee_id for d in drafts)])
    return Digest(
        user_id=user.id,
        manager_name=names.get(user.employee_id, user.name),
        day=day,
        checkins_due=due,
        drafts=[
            DraftWaiting(
                name=names.get(d.employee_id, d.employee_id),
                kind=d.kind,
                created_on=d.created_at.date(),
            )
            for d in drafts
        ],
        drafts_total=total,
        warnings=rest,
    )
