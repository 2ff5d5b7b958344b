"""Template repetition and evidence use of the offline feedback and check-in topic drafts.

Run with `python -m evals.repetition`. Seeds the demo company into a temporary SQLite
database, drafts feedback and check-in topics offline for every person with a manager, and
prints:

- repetition: the share of sentences (split at 。!?;) that occur verbatim in the drafts of
  at least three people, per kind;
- evidence use: the share of people whose manager wrote specific feedback in a check-in
  (the vague check finds it specific) whose feedback draft cites that check-in among its
  strengths or improvements;
- topics: the share of people with an obstacle stated in several check-ins whose topics
  cite those check-ins, and with a commitment in a check-in whose topics follow it up.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from coach.chains import checkin_topics, feedback
from coach.chains.common import recurring
from coach.chains.records import Snapshot, load_snapshot
from coach.chains.schemas import CheckinTopics, FeedbackDraft
from coach.core.db import make_engine, migrate
from coach.core.errors import Conflict
from coach.core.models import Employee
from coach.demo import TODAY, seed_demo
from coach.quality import check_comments

_SENTENCE = re.compile("(?<=[\u3002\uff01\uff1f\uff1b!?;])")
SHARED_BY = 3
# Read independently of the composer: what a manager takes on in their own words.
_PROMISE = re.compile(r"我来|我会|我去|我帮你|由我")


@dataclass
class Figures:
    """Counts behind the printed shares."""

    sentences: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    with_feedback: int = 0
    feedback_used: int = 0
    with_recurring: int = 0
    recurring_used: int = 0
    with_promise: int = 0
    promise_used: int = 0


def sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, without empty ones."""
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 1]


def _feedback_texts(draft: FeedbackDraft) -> list[str]:
    texts = [draft.summary, *(s.text for s in draft.strengths)]
    texts += [f"{m.behavior}。{m.impact}。{m.suggestion}" for m in draft.improvements]
    texts += [a.action for a in draft.next_actions] + [r.need for r in draft.resource_needs]
    return texts


def _topic_titles(draft: CheckinTopics) -> list[str]:
    return [f"{t.title}。" for t in draft.topics]


def _topic_reasons(draft: CheckinTopics) -> list[str]:
    return [t.why_now for t in draft.topics]


def _count(figures: Figures, kind: str, person: str, texts: list[str]) -> None:
    for text in texts:
        for sentence in sentences(text):
            figures.sentences[kind][sentence].add(person)


def _measure_feedback(figures: Figures, snapshot: Snapshot, draft: FeedbackDraft) -> None:
    written = [c for c in snapshot.checkins if c.manager_feedback.strip()]
    checks = check_comments([c.manager_feedback for c in written], snapshot.lang)
    specific = {c.id for c, check in zip(written, checks, strict=True) if not check.vague}
    if not specific:
        return
    figures.with_feedback += 1
    cited = {i for s in draft.strengths for i in s.evidence_ids}
    cited |= {i for m in draft.improvements for i in m.evidence_ids}
    figures.feedback_used += bool(specific & cited)


def _measure_topics(figures: Figures, snapshot: Snapshot, draft: CheckinTopics) -> None:
    cited = {i for t in draft.topics for i in t.evidence_ids}
    repeated = [g for _, g in recurring(snapshot.checkins, "obstacles") if len(g) >= 2]
    if repeated:
        figures.with_recurring += 1
        figures.recurring_used += any({c.id for c in g} <= cited for g in repeated)
    promised = {c.id for c in snapshot.checkins if _PROMISE.search(c.manager_feedback)}
    if promised:
        figures.with_promise += 1
        figures.promise_used += bool(promised & cited)


def measure(workdir: Path) -> Figures:
    """Draft for every demo person and count."""
    engine = make_engine(f"sqlite:///{workdir / 'demo.db'}")
    migrate(engine)
    figures = Figures()
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
        people = session.exec(select(Employee).where(col(Employee.manager_id).is_not(None))).all()
        for person in people:
            pid = person.employee_id
            snap = load_snapshot(session, employee_id=pid, draft_kind="feedback", as_of=TODAY,
                                 cycle="latest")  # fmt: skip
            try:
                draft = feedback.compose_feedback(snap)
            except Conflict:
                draft = None
            if draft is not None:
                _count(figures, "feedback", pid, _feedback_texts(draft))
                _measure_feedback(figures, snap, draft)
            snap = load_snapshot(session, employee_id=pid, draft_kind="checkin_topics", as_of=TODAY)
            topics = checkin_topics.compose_topics(snap)
            _count(figures, "topic titles", pid, _topic_titles(topics))
            _count(figures, "topic why_now", pid, _topic_reasons(topics))
            _measure_topics(figures, snap, topics)
    return figures


def _share(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}% ({n}/{d})" if d else "  -"


def report(figures: Figures) -> None:
    """Print the figures and the most repeated sentences."""
    for kind, found in figures.sentences.items():
        total = sum(len(people) for people in found.values())
        shared = sum(len(people) for people in found.values() if len(people) >= SHARED_BY)
        print(f"repetition {kind:<15} {_share(shared, total)} sentence uses shared by >=3 people")
        top = sorted(found.items(), key=lambda kv: -len(kv[1]))[:3]
        for sentence, people in top:
            if len(people) >= SHARED_BY:
                print(f"    x{len(people):<3} {sentence}")
    print(
        f"evidence use: manager's specific feedback cited  {_share(figures.feedback_used, figures.with_feedback)}"
    )
    print(
        f"topics: obstacle in several check-ins is a topic {_share(figures.recurring_used, figures.with_recurring)}"
    )
    print(f"topics: commitment in a check-in followed up     {_share(figures.promise_used, figures.with_promise)}")  # fmt: skip


def main() -> None:
    """Run and print."""
    with tempfile.TemporaryDirectory(prefix="coach-eval-repetition-") as tmp:
        report(measure(Path(tmp)))


if __name__ == "__main__":
    main()
