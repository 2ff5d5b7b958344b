"""Themes: the obstacles and support requests several people of one team raise in one month.

Texts are compared as the early warnings compare obstacles: lower-cased letters and digits,
their character trigrams, Jaccard similarity of at least `THEME_SIMILARITY` (one customer's
name swapped for another's keeps a sentence the same). Each text joins the first theme whose
first text it is that similar to, in date order, so a theme is named by its earliest text.
A theme is recurring, and reported, when `MIN_PEOPLE` or more people of the team raised it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.core.models import CheckIn
from coach.org.users import Principal
from coach.oversight.approvals import month_bounds
from coach.oversight.dialogue import letters_and_digits, resolve_month, similarity, trigrams
from coach.oversight.warnings import OBSTACLE_SIMILARITY, people_in_view
from coach.quality.parts import has_resource_need

ThemeKind = Literal["obstacle", "support"]
THEME_SIMILARITY = OBSTACLE_SIMILARITY
MIN_PEOPLE = 2
NO_TEAM = "（未分组）"

RULE = (
    f"同一团队同一月份内，障碍或支持需求的文字去掉标点后，字符三元组 Jaccard 相似度 ≥ {THEME_SIMILARITY:.0%} "
    f"归为同一主题（换了客户名仍算同一句）；至少 {MIN_PEOPLE} 人提到才算反复出现的主题。"
    "支持需求只计有实际内容的（“无”“暂无”等不计）。"
)
KIND_NAMES: dict[str, str] = {"obstacle": "障碍", "support": "支持需求"}


class Theme(BaseModel):
    kind: ThemeKind
    text: str = Field(description="The theme's earliest text, as written.")
    count: int = Field(description="Check-ins that raised it.")
    people: int = Field(description="Different people who raised it.")
    record_ids: list[str] = Field(description="The check-ins, earliest first.")


class TeamThemes(BaseModel):
    team: str
    checkins: int = Field(description="The team's check-ins in the month.")
    obstacles: int = Field(description="Check-ins naming an obstacle.")
    support_requests: int = Field(description="Check-ins asking for support.")
    themes: list[Theme]


class Themes(BaseModel):
    month: str
    rule: str
    teams: list[TeamThemes]


@dataclass
class _Cluster:
    first: frozenset[str]
    text: str
    checkins: list[CheckIn] = field(default_factory=list)


def _cluster(pairs: list[tuple[CheckIn, str]]) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    for checkin, text in pairs:
        grams = trigrams(letters_and_digits(text))
        home = next((c for c in clusters if similarity(c.first, grams) >= THEME_SIMILARITY), None)
        if home is None:
            home = _Cluster(first=grams, text=text.strip())
            clusters.append(home)
        home.checkins.append(checkin)
    return clusters


def _themes(kind: ThemeKind, pairs: list[tuple[CheckIn, str]]) -> list[Theme]:
    found = []
    for cluster in _cluster(pairs):
        people = {c.employee_id for c in cluster.checkins}
        if len(people) >= MIN_PEOPLE:
            found.append(
                Theme(
                    kind=kind, text=cluster.text, count=len(cluster.checkins), people=len(people),
                    record_ids=[c.checkin_id for c in cluster.checkins],
                )
            )  # fmt: skip
    return found


def _team(checkins: list[CheckIn], name: str) -> TeamThemes:
    obstacles = [(c, c.obstacles) for c in checkins if c.obstacles.strip()]
    support = [(c, c.support_needed) for c in checkins if has_resource_need(c.support_needed)]
    themes = _themes("obstacle", obstacles) + _themes("support", support)
    return TeamThemes(
        team=name, checkins=len(checkins), obstacles=len(obstacles),
        support_requests=len(support),
        themes=sorted(themes, key=lambda t: (-t.people, -t.count, t.kind, t.text)),
    )  # fmt: skip


def themes(
    session: Session, principal: Principal, *, month: str, today: date | None = None
) -> Themes:
    """Recurring obstacles and support requests per team in a month, of the people in view."""
    resolved = resolve_month(month, today=today)
    start, end = month_bounds(resolved)
    people = {p.employee_id: p for p in people_in_view(session, principal)}
    checkins = session.exec(
        select(CheckIn)
        .where(col(CheckIn.employee_id).in_(list(people)))
        .where(col(CheckIn.date) >= start.date(), col(CheckIn.date) < end.date())
        .order_by(col(CheckIn.date), col(CheckIn.checkin_id))
    ).all()
    by_team: dict[str, list[CheckIn]] = defaultdict(list)
    for checkin in checkins:
        person = people[checkin.employee_id]
        by_team[person.team or person.department or NO_TEAM].append(checkin)
    return Themes(
        month=resolved,
        rule=RULE,
        teams=[_team(rows, name) for name, rows in sorted(by_team.items())],
    )
