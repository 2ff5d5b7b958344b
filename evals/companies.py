"""Drafts for everyone in two companies, read as a manager and an employee would.

The demo company (`coach.demo`) and a second company built blind from the record formats
(`tests/company/generator.py`, its seed frozen here) imported through the product's importer
from the CSV/XLSX files an HR team would upload. In each, every person gets every coaching
draft kind in Chinese and English from the offline engine, and four figures are taken:

1. false claims per family, by the frozen independent checker `evals.claims`;
2. repetition: the share of feedback and development sentences recurring verbatim for at
   least three people (`evals.draft_text.repetition`);
3. evidence use: the share of people with specific manager feedback in a check-in of the
   draft's cycle (specific by `coach.quality.check_comments`) whose feedback draft rests a
   strength or improvement on it;
4. audience: after each manager approves every feedback and development draft, the share of
   sentences the employee is shown at `/v1/me/feedback` and `/v1/me/development` that are
   manager preparation.

Every figure is printed beside the one measured before the composers were reworked.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from coach.chains.records import CoachingKind
from coach.chains.service import generate
from coach.core.cycles import cycle_span, half_of
from coach.core.db import make_engine, migrate, session_scope
from coach.core.errors import CoachError
from coach.core.models import CheckIn, Draft, DraftStatus, Employee, Role
from coach.core.settings import Settings
from coach.demo import TODAY as DEMO_TODAY
from coach.demo import seed_demo
from coach.drafts.store import GenerationFailed
from coach.imports import ImportKind, import_file
from coach.kinds import register_all
from coach.knowledge import KnowledgeBase
from coach.llm import OfflineEngine
from coach.org.users import Principal, create_user
from coach.quality import check_comments

from .claims import FAMILIES, CheckedDraft, check_stored_drafts
from .draft_text import (
    DraftText,
    ManagerComment,
    Share,
    draft_sentences,
    is_manager_preparation,
    most_repeated,
    repetition,
    speaks_in_third_person,
    uses_manager_feedback,
)

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
KINDS: tuple[CoachingKind, ...] = ("checkin_topics", "feedback", "development")
READ_KINDS = ("feedback", "development")
ME_PATHS = {"feedback": "/v1/me/feedback", "development": "/v1/me/development"}
# What `/v1/me/*` says about an approved item besides its content: not text for the employee.
_ME_METADATA = {"draft_id", "kind", "employee_id", "approved_by", "approved_at", "edited"}

SECOND_COMPANY_SEED = 2026
# sha256 of the second company's rows at the frozen seed: a changed generator changes the
# company, and figures taken on another company are not comparable with the ones before.
SECOND_COMPANY_FINGERPRINT = "ea0912b24813abbefd139dc2b4c4afb53ae41a871282352e6c86cd6c250dd642"


@dataclass
class CompanyFigures:
    """What one company's drafts show."""

    name: str
    people: int = 0
    drafts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    claims: Counter[str] = field(default_factory=Counter)
    false_claims: Counter[str] = field(default_factory=Counter)
    false_examples: list[str] = field(default_factory=list)
    repetition: dict[str, Share] = field(default_factory=dict)
    repeated_examples: list[tuple[int, str]] = field(default_factory=list)
    evidence: dict[str, Share] = field(default_factory=dict)
    evidence_missed: list[str] = field(default_factory=list)
    audience: Share = field(default_factory=lambda: Share(0, 0))
    third_person: Share = field(default_factory=lambda: Share(0, 0))
    audience_examples: list[str] = field(default_factory=list)
    note: str = ""


# --- the companies ------------------------------------------------------------------------


def seed_demo_company(session: Session, settings: Settings) -> date:
    """The demo company; its as-of day."""
    seed_demo(session)
    return DEMO_TODAY


def _second_company() -> Any:
    # The generator lives with the tests (a checkout has it; an installed wheel does not).
    from tests.company import generator

    return generator


def second_company_fingerprint() -> str:
    """sha256 of the second company's rows at the frozen seed."""
    company = _second_company().build_company(SECOND_COMPANY_SEED)
    rows = json.dumps(company.rows, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(rows.encode()).hexdigest()


def import_second_company(session: Session, settings: Settings, workdir: Path) -> date:
    """The second company, written as export files and imported kind by kind; its as-of day."""
    generator = _second_company()
    files = generator.write_files(
        generator.build_company(SECOND_COMPANY_SEED), workdir / "second-company-files"
    )
    for kind in generator.IMPORT_ORDER:
        data = files[kind].path.read_bytes()
        import_file(
            session, ImportKind(kind), data, actor="eval", review_scale=settings.review_scale
        )
        session.flush()
    as_of: date = generator.AS_OF
    return as_of


# --- drafting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    """Who asks, approves and reads: HR, each manager by employee id, each employee's token."""

    hr: Principal
    managers: dict[str, str]
    employees: dict[str, str]


def create_accounts(session: Session) -> Accounts:
    """An HR account, one per manager and one per employee, each linked to its person."""
    people = session.exec(select(Employee).order_by(col(Employee.employee_id))).all()
    hr, _ = create_user(session, name="eval-hr", role=Role.hr, actor="eval")
    assert hr.id is not None
    managers = {}
    for manager_id in sorted({p.manager_id for p in people if p.manager_id}):
        _, token = create_user(
            session, name=f"eval-manager-{manager_id}", role=Role.manager,
            employee_id=manager_id, actor="eval",
        )  # fmt: skip
        managers[manager_id] = token
    employees = {
        p.employee_id: create_user(
            session, name=f"eval-employee-{p.employee_id}", role=Role.employee,
            employee_id=p.employee_id, actor="eval",
        )[1]
        for p in people
    }  # fmt: skip
    return Accounts(Principal(user_id=hr.id, name=hr.name, role=Role.hr), managers, employees)


async def _draft_everyone(
    engine: Engine, accounts: Accounts, figures: CompanyFigures, *, kb: KnowledgeBase,
    settings: Settings, as_of: date,
) -> None:  # fmt: skip
    for employee_id in sorted(accounts.employees):
        for lang in LANGS:
            for kind in KINDS:
                try:
                    await generate(
                        engine, accounts.hr, kind=kind, employee_id=employee_id,
                        chat=OfflineEngine(), settings=settings, knowledge=kb, as_of=as_of,
                        cycle="latest" if kind == "feedback" else None, lang=lang,
                        request={"lang": lang},
                    )  # fmt: skip
                    figures.drafts[kind] += 1
                except GenerationFailed as exc:
                    figures.errors.append(f"{kind} for {employee_id} ({lang}) failed: {exc}")
                except CoachError:
                    figures.refused[kind] += 1  # too few records: the product says so


def _lang(draft: Draft) -> str:
    request = draft.inputs.get("request") or {}
    return str(request.get("lang", "zh"))


# --- the four figures ---------------------------------------------------------------------


def _claims(checked: Sequence[CheckedDraft], figures: CompanyFigures) -> None:
    for draft in checked:
        for claim in draft.claims:
            figures.claims[claim.family] += 1
            if claim.verdict == "false":
                figures.false_claims[claim.family] += 1
                if len(figures.false_examples) < 3:
                    figures.false_examples.append(
                        f"{draft.employee_id} {draft.kind} [{claim.family}] {claim.text}"
                    )


def _repetition(drafts: Sequence[Draft], figures: CompanyFigures) -> None:
    read = [d for d in drafts if d.kind in READ_KINDS and d.output]
    texts = [(DraftText(d.employee_id, d.kind, draft_sentences(d.output)), _lang(d)) for d in read]
    figures.repetition = repetition(t for t, _ in texts)
    for lang in LANGS:
        shares = repetition(t for t, written_in in texts if written_in == lang)
        if "all" in shares:
            figures.repetition[lang] = shares["all"]
    figures.repeated_examples = most_repeated(t for t, _ in texts)


def _cycle_window(draft: Draft, as_of: date) -> tuple[date, date]:
    snapshot = draft.inputs.get("snapshot") or {}
    span = cycle_span(str(snapshot.get("cycle") or "")) or cycle_span(half_of(as_of))
    assert span is not None
    return span[0], min(span[1], as_of)


def specific_comments(
    session: Session, employee_id: str, window: tuple[date, date]
) -> list[ManagerComment]:
    """The manager's comments in the person's check-ins of the window that are not vague."""
    checkins = session.exec(
        select(CheckIn).where(CheckIn.employee_id == employee_id).order_by(col(CheckIn.date))
    ).all()
    dated = [
        c for c in checkins
        if c.manager_feedback and c.manager_feedback.strip() and window[0] <= c.date <= window[1]
    ]  # fmt: skip
    # The comment's own language decides how it is read, not the language of the draft.
    checks = check_comments([c.manager_feedback or "" for c in dated])
    return [
        ManagerComment(c.checkin_id, c.manager_feedback or "")
        for c, check in zip(dated, checks, strict=True)
        if not check.vague
    ]


def _evidence(
    session: Session, drafts: Sequence[Draft], figures: CompanyFigures, as_of: date
) -> None:
    counts: dict[str, list[int]] = {}
    for draft in drafts:
        if draft.kind != "feedback" or not draft.output:
            continue
        lang = _lang(draft)
        comments = specific_comments(session, draft.employee_id, _cycle_window(draft, as_of))
        if not comments:
            continue
        used = uses_manager_feedback(draft.output, comments)
        quoted = uses_manager_feedback(draft.output, comments, by_text_only=True)
        for key, hit in ((lang, used), (f"{lang} quoted", quoted)):
            tally = counts.setdefault(key, [0, 0])
            tally[0] += hit
            tally[1] += 1
        if not used and lang == "zh" and len(figures.evidence_missed) < 3:
            figures.evidence_missed.append(f"{draft.employee_id}: {comments[0].text}")
    figures.evidence = {key: Share(hits, total) for key, (hits, total) in counts.items()}


def _approve_all(client: TestClient, session: Session, accounts: Accounts) -> list[str]:
    errors = []
    managers = {e.employee_id: e.manager_id for e in session.exec(select(Employee)).all()}
    drafts = session.exec(
        select(Draft).where(
            col(Draft.kind).in_(READ_KINDS), Draft.status == DraftStatus.pending
        ).order_by(col(Draft.employee_id), col(Draft.id))
    ).all()  # fmt: skip
    for draft in drafts:
        manager = managers.get(draft.employee_id)
        if manager is None:
            continue  # the top of the company: nobody above to approve
        answer = client.post(
            f"/v1/drafts/{draft.id}/approve", headers=_auth(accounts.managers[manager])
        )
        if answer.status_code != 200:
            errors.append(f"approving {draft.id} answered {answer.status_code}: {answer.text}")
    return errors


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def employee_visible_sentences(item: Mapping[str, Any]) -> list[str]:
    """The sentences of one approved item as `/v1/me/*` returns it, metadata left out."""
    shown = {key: value for key, value in item.items() if key not in _ME_METADATA}
    return draft_sentences(shown, flags=True)


def _audience(client: TestClient, accounts: Accounts, figures: CompanyFigures) -> None:
    sentences: list[str] = []
    for employee_id, token in sorted(accounts.employees.items()):
        for kind, path in ME_PATHS.items():
            answer = client.get(path, params={"limit": 100}, headers=_auth(token))
            if answer.status_code != 200:
                figures.errors.append(f"{path} for {employee_id}: {answer.status_code}")
                continue
            for item in answer.json()["data"]:
                shown = employee_visible_sentences(item)
                sentences += shown
                for sentence in shown:
                    if is_manager_preparation(sentence) and len(figures.audience_examples) < 3:
                        figures.audience_examples.append(f"{employee_id} {kind}: {sentence}")
    figures.audience = Share(sum(map(is_manager_preparation, sentences)), len(sentences))
    figures.third_person = Share(sum(map(speaks_in_third_person, sentences)), len(sentences))


async def measure_company(
    name: str,
    seed: Callable[[Session, Settings], date],
    workdir: Path,
    kb: KnowledgeBase,
) -> CompanyFigures:
    """Seed a company, draft for everyone, and take the four figures."""
    home = workdir / name
    home.mkdir(parents=True)
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'coach.db'}")
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    register_all()
    figures = CompanyFigures(name)
    with session_scope(engine) as session:
        as_of = seed(session, settings)
        accounts = create_accounts(session)
    figures.people = len(accounts.employees)
    await _draft_everyone(engine, accounts, figures, kb=kb, settings=settings, as_of=as_of)
    with Session(engine) as session:
        _claims(check_stored_drafts(session, as_of=as_of), figures)
        drafts = session.exec(select(Draft).order_by(col(Draft.employee_id), col(Draft.id))).all()
        _repetition(drafts, figures)
        _evidence(session, drafts, figures, as_of)
    engine.dispose()
    read_as_employees(settings, kb, accounts, figures)
    return figures


def read_as_employees(
    settings: Settings, kb: KnowledgeBase, accounts: Accounts, figures: CompanyFigures
) -> None:
    """Managers approve every feedback and development draft; employees read `/v1/me/*`."""
    from importlib import import_module

    from coach.cli import shipped

    create_app = import_module(f"{shipped('api')}.main").create_app
    app = create_app(settings, chat_engine=OfflineEngine(), knowledge=kb)
    with TestClient(app) as client, Session(app.state.engine) as session:
        figures.errors += _approve_all(client, session, accounts)
        _audience(client, accounts, figures)
    app.state.engine.dispose()


async def measure_companies(workdir: Path, kb: KnowledgeBase) -> list[CompanyFigures]:
    """The figures of the demo company and of the second company built from files."""
    demo = await measure_company("demo", seed_demo_company, workdir, kb)
    try:
        _second_company()
    except ModuleNotFoundError:
        second = CompanyFigures("files", note="needs a checkout: tests/company/generator.py")
        return [demo, second]
    second = await measure_company(
        "files", lambda s, st: import_second_company(s, st, workdir), workdir, kb
    )
    if second_company_fingerprint() != SECOND_COMPANY_FINGERPRINT:
        second.note = "the generator changed: not the company the figures before were taken on"
    return [demo, second]


# --- the report ---------------------------------------------------------------------------

# Measured with the composers as they were before the drafts were reworked (2026-12-01).
_FAMILIES_BEFORE = {
    "demo": {"extreme": 26, "frequency": 197, "percent_points": 8, "fractional_count": 30},
    "files": {"extreme": 6, "frequency": 6, "pace": 2, "percent_points": 3},
}
BEFORE: dict[str, dict[str, float | None]] = {
    name: {
        **{f"false claims: {f}": families.get(f, 0) for f in FAMILIES},
        "false claims: all": sum(families.values()),
    }
    for name, families in _FAMILIES_BEFORE.items()
}
BEFORE["demo"] |= {
    "claims checked": 947, "repetition: all": 2115 / 2939, "repetition: feedback": 846 / 1348,
    "repetition: development": 1269 / 1591, "repetition: zh": 1068 / 1480,
    "repetition: en": 1047 / 1459, "evidence use: zh": 10 / 18, "evidence use: zh quoted": 0.0,
    "evidence use: en": 10 / 18, "audience: manager prep shown": 390 / 2939,
    "audience: 他/她/员工 shown": 316 / 2939,
}  # fmt: skip
BEFORE["files"] |= {
    "claims checked": 461, "repetition: all": 900 / 1412, "repetition: feedback": 362 / 670,
    "repetition: development": 538 / 742, "repetition: zh": 450 / 706,
    "repetition: en": 450 / 706, "evidence use: zh": 0.0, "evidence use: zh quoted": 0.0,
    "evidence use: en": 0.0, "audience: manager prep shown": 206 / 1338,
    "audience: 他/她/员工 shown": 140 / 1338,
}  # fmt: skip
GOALS = {"false": "0", "repetition": "< 10%", "evidence": ">= 90%", "audience": "0%"}


def _figure_rows(figures: CompanyFigures) -> dict[str, float | None]:
    rows: dict[str, float | None] = {}
    for family in FAMILIES:
        rows[f"false claims: {family}"] = figures.false_claims[family]
    rows["false claims: all"] = sum(figures.false_claims.values())
    rows["claims checked"] = sum(figures.claims.values())
    for key in ("all", "feedback", "development", "zh", "en"):
        rows[f"repetition: {key}"] = figures.repetition.get(key, Share(0, 0)).share
    for key in ("zh", "zh quoted", "en"):
        rows[f"evidence use: {key}"] = figures.evidence.get(key, Share(0, 0)).share
    rows["audience: manager prep shown"] = figures.audience.share
    rows["audience: 他/她/员工 shown"] = figures.third_person.share
    return rows


def _goal(row: str) -> str:
    if row.startswith("false claims"):
        return GOALS["false"]
    if row.startswith("repetition"):
        return GOALS["repetition"]
    if row.startswith("evidence"):
        return GOALS["evidence"]
    if row == "audience: manager prep shown":
        return GOALS["audience"]
    return "-"


def _cell(value: float | None, row: str) -> str:
    if value is None:
        return "-"
    if row.startswith(("false", "claims")):
        return str(int(value))
    return f"{100 * value:.1f}%"


def _pair(now: float | None, before: float | None, row: str) -> str:
    return f"{_cell(now, row)} ({_cell(before, row)})"


def report(companies: Sequence[CompanyFigures]) -> bool:
    """Print the table of figures beside those before; True when nothing went wrong."""
    rows = {c.name: _figure_rows(c) for c in companies}
    names = [c.name for c in companies]
    header = (
        f"{'figure':<32}" + "".join(f"{n + ' now (before)':>24}" for n in names) + f"{'goal':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows[names[0]]:
        cells = "".join(
            f"{_pair(rows[n][row], BEFORE.get(n, {}).get(row), row):>24}" for n in names
        )
        print(f"{row:<32}{cells}{_goal(row):>9}")
    print()
    ok = True
    for c in companies:
        _details(c)
        ok &= not c.errors
    return ok


def _details(c: CompanyFigures) -> None:
    print(f"{c.name}: {c.people} people, drafts {dict(c.drafts)}, refused {dict(c.refused)}")
    if c.note:
        print(f"    note: {c.note}")
    audience = c.audience
    print(f"    employee-visible sentences {audience.total}, manager preparation {audience.hits}")
    used = ", ".join(
        f"{key} {c.evidence[key].hits}/{c.evidence[key].total}" for key in sorted(c.evidence)
    )
    print(f"    people with specific manager feedback whose feedback draft uses it: {used or '-'}")
    for example in c.false_examples:
        print(f"    false claim: {example}")
    for count, sentence in c.repeated_examples:
        print(f"    repeated for {count} people: {sentence}")
    for example in c.evidence_missed:
        print(f"    manager feedback unused: {example}")
    for example in c.audience_examples:
        print(f"    shown to the employee: {example}")
    for error in c.errors:
        print(f"    ERROR: {error}")


def main() -> None:
    """Measure both companies and print the table (exits 1 only when something failed)."""
    import asyncio

    from coach.knowledge import HashingEmbedder, ensure_shipped_library, open_knowledge_base

    with tempfile.TemporaryDirectory(prefix="coach-eval-companies-") as tmp:
        workdir = Path(tmp)
        kb = open_knowledge_base(chroma_path=workdir / "chroma", embedder=HashingEmbedder())
        ensure_shipped_library(kb)
        ok = report(asyncio.run(measure_companies(workdir, kb)))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
