"""How template-like the offline development suggestions read across the demo company.

Drafts a development plan for every person in the demo company with the offline engine
and counts the sentences that recur verbatim for at least three people. Run with
`python -m evals.development_repetition` (`--dump` prints every suggestion). Uses a
temporary SQLite database and the hashing embedder, like `evals.drafts`.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlmodel import Session, col, select

from coach.chains import development
from coach.chains.records import load_snapshot
from coach.chains.schemas import DevelopmentPlan
from coach.core.db import make_engine, migrate
from coach.core.errors import Conflict
from coach.core.models import Employee
from coach.demo import TODAY, seed_demo
from coach.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from evals.draft_text import DraftText, Share, most_repeated, repetition, split_sentences

BAR = 0.10


def plan_texts(plan: DevelopmentPlan) -> list[str]:
    """Every text field of a plan a reader sees as prose."""
    out: list[str] = []
    for s in plan.suggestions:
        m = s.milestones
        out += [s.why, s.first_step, m.day_30, m.day_60, m.day_90]
    return out


def plan_repetition(plans: Mapping[str, DevelopmentPlan]) -> tuple[Share, list[tuple[int, str]]]:
    """The share of sentences recurring verbatim for three people or more (as `coach eval
    drafts` counts them), and the most shared sentences."""
    texts = [
        DraftText(person, "development", [s for t in plan_texts(plan) for s in split_sentences(t)])
        for person, plan in plans.items()
    ]
    return repetition(texts).get("all", Share(0, 0)), most_repeated(texts, n=8)


def demo_plans(kb: KnowledgeBase, workdir: Path) -> dict[str, DevelopmentPlan]:
    """The offline development plan of every demo person with a manager (refusals left out)."""
    engine = make_engine(f"sqlite:///{workdir / 'demo.db'}")
    migrate(engine)
    plans: dict[str, DevelopmentPlan] = {}
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
        people = session.exec(select(Employee).where(col(Employee.manager_id).is_not(None))).all()
        for person in people:
            snapshot = load_snapshot(
                session, employee_id=person.employee_id, draft_kind="development", as_of=TODAY
            )
            matches = development.retrieve(kb, development.find_gaps(snapshot))
            try:
                development.ensure_enough(matches)
            except Conflict:
                continue
            snapshot = development.with_practices(snapshot, matches)
            plans[person.employee_id] = development.compose_plan(snapshot, matches)
    engine.dispose()
    return plans


def main(argv: Sequence[str] | None = None) -> int:
    """Print the repetition figure; exit status 1 above the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dump", action="store_true", help="print every suggestion")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coach-eval-devrep-") as tmp:
        kb = open_knowledge_base(chroma_path=Path(tmp) / "chroma", embedder=HashingEmbedder())
        ensure_shipped_library(kb)
        plans = demo_plans(kb, Path(tmp))
    if args.dump:
        for person, plan in plans.items():
            for s in plan.suggestions:
                m = s.milestones
                print(
                    f"{person} [{s.practice_id}] {s.gap}\n  why: {s.why}\n  first: {s.first_step}"
                )
                print(f"  30: {m.day_30}\n  60: {m.day_60}\n  90: {m.day_90}")
    share, examples = plan_repetition(plans)
    suggestions = sum(len(p.suggestions) for p in plans.values())
    print(f"development repetition: {len(plans)} people, {suggestions} suggestions")
    print(
        f"sentences recurring verbatim for >= 3 people: {share.hits}/{share.total} = "
        f"{100 * (share.share or 0):.1f}% (bar < {100 * BAR:.0f}%)"
    )
    for n, sentence in examples:
        print(f"  {n:>3} people: {sentence}")
    return 0 if (share.share or 0) < BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
