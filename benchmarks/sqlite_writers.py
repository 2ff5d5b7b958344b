"""How long SQLite writers of one process wait for the database, with and without turns.

N threads each run short write transactions (five inserts, then 10 ms of work inside the
transaction, then commit) on one WAL database for a fixed time. "busy timeout" is a plain
SQLAlchemy engine: a writer that finds the database locked sleeps and retries inside SQLite.
"turns" is the engine `coach.core.db.make_engine` builds, whose writers queue on a lock of
the process (`coach.core.sqlite_writes`). Printed: transactions, and the wait before each
transaction could start writing (p50, p99, max), and how many gave up.

Run: ``python -m benchmarks.sqlite_writers [--threads 16] [--seconds 15]``
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from coach.core.db import SQLITE_BUSY_TIMEOUT_S, make_engine
from coach.core.errors import Busy


def _plain_engine(url: str, threads: int) -> Engine:
    engine = create_engine(
        url, pool_size=threads, max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )  # fmt: skip
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA journal_mode=WAL"))
    return engine


def _engine_with_turns(url: str, threads: int) -> Engine:
    return make_engine(url, pool_size=threads, max_overflow=0)


def _run(engine: Engine, threads: int, seconds: float) -> tuple[list[float], int]:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)")
    waits: list[float] = []
    failures = [0]
    guard = threading.Lock()

    def writer() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            asked = time.monotonic()
            try:
                with engine.connect() as conn:
                    conn.execute(text("INSERT INTO t (v) VALUES (0)"))
                    started = time.monotonic()
                    for i in range(4):
                        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": i})
                    time.sleep(0.01)
                    conn.commit()
                with guard:
                    waits.append(started - asked)
            except (OperationalError, Busy):
                with guard:
                    failures[0] += 1

    pool = [threading.Thread(target=writer) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    return sorted(waits), failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    print(f"{args.threads} writer threads, {args.seconds:.0f} s each case, WAL, one process")
    print("| engine | transactions | wait p50 ms | p99 ms | max ms | gave up |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in (("busy timeout", _plain_engine), ("turns", _engine_with_turns)):
            url = f"sqlite:///{Path(tmp) / (label.replace(' ', '-') + '.db')}"
            waits, failed = _run(build(url, args.threads), args.threads, args.seconds)
            n = len(waits)
            cells = [waits[n // 2], waits[min(n - 1, int(n * 0.99))], waits[-1]] if n else [0.0] * 3
            ms = " | ".join(f"{w * 1000:.0f}" for w in cells)
            print(f"| {label} | {n} | {ms} | {failed} |", flush=True)


if __name__ == "__main__":
    main()
