"""How fast audit events can be appended by many writers at once, on PostgreSQL.

N threads each run transactions of one `record_event` followed by a commit, for a fixed time;
either every thread writes about objects of its own (distinct objects: `goal:T<n>-<i>`) or all
of them write about one object. `--hold-ms` keeps each transaction open that long after its
event (as a request's other writes and its commit would), which is what a lock held until
commit costs everyone queued behind it. Each case runs on a fresh database created on the
server of the URL and dropped afterwards.

Only public functions are used (`make_engine`, `migrate`, `session_scope`, `record_event`),
so the same script runs unchanged on an older checkout, which is how the scheme before it
(one lock for every append) is measured:

    bash scripts/with-postgres.sh python -m benchmarks.audit_chain --label "per object"
    (cd <older checkout> && bash scripts/with-postgres.sh python <this file> --label "global")
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import make_url, text
from sqlmodel import Session, func, select

from coach.core.audit import record_event, verify_chain
from coach.core.db import make_engine, migrate, session_scope
from coach.core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[1]


def _revision() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def _fresh_database(url: str) -> tuple[str, str]:
    """Create an empty database next to `url`'s; returns its URL and name."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def _drop_database(url: str, name: str) -> None:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_case(url: str, *, threads: int, same_object: bool, seconds: float, hold_s: float) -> float:
    """Events per second appended by `threads` writers for `seconds`; the chain must verify."""
    db_url, name = _fresh_database(url)
    engine = make_engine(db_url)
    try:
        migrate(engine)
        counts = [0] * threads
        start = threading.Barrier(threads + 1)
        stop = threading.Event()

        def writer(n: int) -> None:
            start.wait()
            while not stop.is_set():
                object_id = "shared" if same_object else f"T{n}-{counts[n]}"
                with session_scope(engine) as session:
                    record_event(
                        session, actor=f"bench{n}", action="update", object_type="goal",
                        object_id=object_id, after={"i": counts[n]},
                    )  # fmt: skip
                    if hold_s:
                        time.sleep(hold_s)
                counts[n] += 1

        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        start.wait()
        began = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        with Session(engine) as session:
            stored = session.exec(select(func.count()).select_from(AuditEvent)).one()
            report = verify_chain(session)
        if not report.ok or stored != sum(counts):
            raise SystemExit(f"chain broken or events lost: {report.problems[:3]}, {stored}")
        return sum(counts) / elapsed
    finally:
        engine.dispose()
        _drop_database(url, name)


def main(argv: list[str] | None = None) -> None:
    """Print events/s for each case as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("COACH_TEST_DATABASE_URL") or os.environ.get("COACH_DATABASE_URL"),
        help="A PostgreSQL URL whose role may create databases (default: the environment's).",
    )
    parser.add_argument("--label", default="this checkout", help="Name of the scheme measured.")
    parser.add_argument("--threads", default="1,4,16", help="Comma list of writer counts.")
    parser.add_argument("--hold-ms", default="0,2", help="Comma list of hold times (ms).")
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each case.")
    args = parser.parse_args(argv)
    if not args.url or not args.url.startswith("postgresql"):
        parser.error("needs a PostgreSQL URL (--url, or run under scripts/with-postgres.sh)")
    print(f"# {args.label} ({_revision()}), {args.seconds:.0f} s per case, events/s")
    print(f"{'objects':<10}{'threads':>8}{'hold ms':>9}{'events/s':>11}")
    for hold_ms in (float(h) for h in args.hold_ms.split(",")):
        for same_object in (False, True):
            for threads in (int(t) for t in args.threads.split(",")):
                rate = run_case(
                    args.url, threads=threads, same_object=same_object, seconds=args.seconds,
                    hold_s=hold_ms / 1000,
                )  # fmt: skip
                label = "one" if same_object else "distinct"
                print(f"{label:<10}{threads:>8}{hold_ms:>9.0f}{rate:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
