"""How template-like the offline development suggestions read across the demo company.

Drafts a development plan for every person in the demo company with the offline engine
and counts the sentences that recur verbatim for at least three people. Run with
`python -m evals.development_repetition` (`--dump` prints every suggestion). Uses a
temporary SQLite database and the hashing embedder, like `evals.drafts`.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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

MIN_PEOPLE = 3
BAR = 0.10
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")


@dataclass(frozen=True)
class Repetition:
    """Sentences recurring verbatim for `MIN_PEOPLE` or more people, and all sentences."""

    recurring: int
    total: int
    examples: list[tuple[str, int]]

    @property
    def share(self) -> float:
        """Share of sentence occurrences that recur (0 when there are none)."""
        return self.recurring / self.total if self.total else 0.0


def sentences(text: str) -> list[str]:
    """The sentences of a Chinese text, each with its closing mark."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip(" 。！？；!?;")]


def plan_texts(plan: DevelopmentPlan) -> list[str]:
    """Every text field of a plan a reader sees as prose."""
    out: list[str] = []
    for s in plan.suggestions:
        m = s.milestones
        out += [s.why, s.first_step, m.day_30, m.day_60, m.day_90]
    return out


def repetition(texts_by_person: Mapping[str, Iterable[str]]) -> Repetition:
    """Count the sentence occurrences whose text appears for `MIN_PEOPLE` people or more."""
    people: dict[str, set[str]] = defaultdict(set)
    occurrences: list[str] = []
    for person, texts in texts_by_person.items():
        for text in texts:
            for sentence in sentences(text):
                people[sentence].add(person)
                occurrences.append(sentence)
    common = {s: len(p) for s, p in people.items() if len(p) >= MIN_PEOPLE}
    examples = sorted(common.items(), key=lambda kv: -kv[1])
    return Repetition(sum(s in common for s in occurrences), len(occurrences), examples)


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
    result = repetition({p: plan_texts(plan) for p, plan in plans.items()})
    suggestions = sum(len(p.suggestions) for p in plans.values())
    print(f"development repetition: {len(plans)} people, {suggestions} suggestions")
    print(
        f"sentences recurring verbatim for >= {MIN_PEOPLE} people: "
        f"{result.recurring}/{result.total} = {100 * result.share:.1f}% (bar < {100 * BAR:.0f}%)"
    )
    for sentence, n in result.examples[:8]:
        print(f"  {n:>3} people: {sentence}")
    return 0 if result.share < BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
