"""How target suggestions and the HR dialogue audit scale with organisation size.

For each size (default 1k, 10k and 50k employees) a fresh SQLite database is filled with a
synthetic organisation: a manager tree with eight direct reports per manager, three metrics
(one quarterly, two monthly, one of them lower-is-better) with twelve periods of history
each, and twelve months of check-ins (about 90 % of people each month) whose manager
feedback is drawn from the labelled comment set, with `feedback_check` stored from
`coach.quality.check_comments` (run once per distinct text: the check is deterministic).
Rows go in with SQLAlchemy core `insert()`.

Then, each step timed with its own peak RSS (VmHWM reset before the step):

* `load_target_data` for the three metrics, then `suggest_targets` on 1,000 requests;
* `suggest_batch_and_draft` on the same 1,000 (what `/v1/targets/suggest-batch` does:
  scope checks, drafts and audit events), as HR;
* one `POST /v1/targets/suggest` through the ASGI app, as HR and as a manager whose scope
  is a subtree of about an eighth of the organisation;
* `dialogue_audit` for the latest month (domain function) and `GET /v1/audit/dialogues`.

Each size runs in its own process so memory figures do not leak between sizes.
Run: ``python -m benchmarks.scaling [--sizes 1000,10000,50000] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from sqlmodel import Session

from benchmarks.machine import machine, peak_mib, reset_peak, rss_mib
from coach.core.db import engine_for, migrate, session_scope
from coach.core.models import CheckIn, Employee, Metric, MetricValue, Role
from coach.core.settings import DEFAULT_MAX_OPEN_REQUESTS, Settings
from coach.kinds import register_all
from coach.org.users import Principal, create_user
from coach.oversight.dialogue import dialogue_audit
from coach.quality import check_comments
from coach.targets import TargetRequest, TargetSuggestion, suggest_targets
from coach.targets.periods import format_period
from coach.targets.service import load_target_data, suggest_batch_and_draft

ROOT = Path(__file__).resolve().parents[1]
COMMENTS = ROOT / "evals" / "data" / "comments.jsonl"
BRANCHING = 8
BATCH = 1000
# (metric, name, unit, direction, period type, typical value)
METRICS = (
    ("sales_revenue", "销售额", "万元", "higher_is_better", "quarter", 100.0),
    ("tickets_resolved", "解决工单数", "件", "higher_is_better", "month", 300.0),
    ("defect_rate", "不良率", "%", "lower_is_better", "month", 2.0),
)
QUARTERS = [format_period(2023 + (3 + k) // 4, (3 + k) % 4 + 1, "quarter") for k in range(12)]
MONTHS = [format_period(2025 + (9 + k) // 12, (9 + k) % 12 + 1, "month") for k in range(12)]
NEXT = {"quarter": "2026Q4", "month": "2026-10"}
AUDIT_MONTH = MONTHS[-1]
CHUNK = 20_000

_PROGRESS = ["重点工作按计划推进,完成约{n}%", "本月目标完成{n}%,两个需求延期", "完成季度计划的{n}%"]
_OBSTACLES = ["跨部门接口人变动,需求确认变慢", "客户预算冻结,签约推迟", "测试环境不稳定", "", ""]
_SUPPORT = ["希望协调一次与财务的对接会", "需要一次产品培训", "无", "", ""]
_NEXT = ["整理客户清单并逐一回访", "完成接口文档更新", "参加标准作业复训", "梳理本月工单分类"]
_REPLY = ["", "同意,下月重点跟进。", "希望能多一些培训机会。"]

T = TypeVar("T")


def _chunks(rows: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def generate(
    engine: Engine, n: int, seed: int = 1, *, with_checkins: bool = True
) -> dict[str, int]:
    """Write an organisation of `n` employees with history (and check-ins); return row counts."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    hire_month = np.where(
        rng.random(n) < 0.1,
        _month_index(date(2025, 1, 1)) + rng.integers(0, 20, n),  # recent hires
        _month_index(date(2012, 1, 1)) + rng.integers(0, 140, n),
    )
    levels = rng.integers(1, 6, n)
    employees = [
        {
            "employee_id": f"E{i:06d}", "name": f"员工{i:06d}", "role": f"role{i % 4}",
            "level": f"L{levels[i]}", "department": f"D{i % 10}",
            "team": f"T{(i - 1) // BRANCHING:06d}" if i else "T-root",
            "manager_id": f"E{(i - 1) // BRANCHING:06d}" if i else None,
            "hire_date": date(int(hire_month[i]) // 12, int(hire_month[i]) % 12 + 1, 1),
            "updated_at": now,
        }
        for i in range(n)
    ]  # fmt: skip
    values: list[dict[str, Any]] = []
    ability = rng.normal(0, 0.3, size=(n, len(METRICS)))
    for m, (metric, _, _, direction, period_type, base) in enumerate(METRICS):
        periods = QUARTERS if period_type == "quarter" else MONTHS
        # A period counts once the person was hired before it ended.
        ends = np.array(
            [_month_index(date(int(p[:4]), 1, 1)) + (int(p[5]) * 3 if period_type == "quarter"
             else int(p[5:]) ) - 1 for p in periods]
        )  # fmt: skip
        sign = -1 if direction == "lower_is_better" else 1
        trend = sign * 0.01 * np.arange(len(periods))
        level_effect = sign * 0.08 * (levels - 3)
        noise = rng.normal(0, 0.15, size=(n, len(periods)))
        matrix = base * np.exp(ability[:, m : m + 1] + level_effect[:, None] + trend + noise)
        observed = (hire_month[:, None] <= ends[None, :]) & (rng.random((n, len(periods))) > 0.03)
        for i, k in zip(*np.nonzero(observed), strict=True):
            values.append({"employee_id": employees[i]["employee_id"], "metric": metric,
                           "period": periods[k], "value": round(float(matrix[i, k]), 3)})  # fmt: skip

    texts = [json.loads(line)["text"] for line in COMMENTS.read_text("utf-8").splitlines() if line]
    texts = texts if with_checkins else []
    checks = [c.model_dump(mode="json") for c in check_comments([t.strip() for t in texts])]
    pick = random.Random(seed)
    checkins: list[dict[str, Any]] = []
    for month in MONTHS if with_checkins else ():
        year, mon = int(month[:4]), int(month[5:])
        month_index = year * 12 + mon - 1
        for i in range(1, n):
            if hire_month[i] > month_index or pick.random() < 0.1:
                continue  # not yet hired, or missed this month's check-in
            t = pick.randrange(len(texts))
            checkins.append({
                "checkin_id": f"C-{i:06d}-{year}{mon:02d}", "employee_id": f"E{i:06d}",
                "manager_id": f"E{(i - 1) // BRANCHING:06d}", "date": date(year, mon, pick.randint(1, 28)),
                "progress": pick.choice(_PROGRESS).format(n=pick.randint(50, 100)),
                "obstacles": pick.choice(_OBSTACLES), "support_needed": pick.choice(_SUPPORT),
                "next_actions": pick.choice(_NEXT), "manager_feedback": texts[t],
                "employee_comment": pick.choice(_REPLY), "feedback_check": checks[t],
                "created_at": now, "updated_at": now,
            })  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(Metric),
            [{"metric": m, "name": name, "unit": unit, "direction": d, "period_type": p}
             for m, name, unit, d, p, _ in METRICS],
        )  # fmt: skip
        for table, rows in (
            (Employee, employees),
            (MetricValue, values),
            (CheckIn, checkins),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
    return {"employees": n, "metric_values": len(values), "checkins": len(checkins)}


@contextmanager
def _measure(results: dict[str, Any], name: str) -> Iterator[None]:
    reset_peak()
    started = time.perf_counter()
    cpu = time.process_time()
    yield
    results[name] = {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "peak_mib": round(peak_mib(), 1),
    }


def _timed(results: dict[str, Any], name: str, fn: Callable[[], T]) -> T:
    with _measure(results, name):
        return fn()


def run_size(n: int, workdir: Path) -> dict[str, Any]:
    """Generate an organisation of `n` employees and time every step on it."""
    settings = Settings(home=workdir / "home")
    engine = engine_for(settings)
    migrate(engine)
    register_all()
    results: dict[str, Any] = {"employees": n, "rss_start_mib": round(rss_mib(), 1)}
    results["rows"] = _timed(results, "generate", lambda: generate(engine, n))
    with session_scope(engine) as session:
        hr_user, hr_token = create_user(session, name="bench-hr", role=Role.hr)
        hr = Principal(user_id=hr_user.id or 0, name=hr_user.name, role=Role.hr)
        # E000001 heads an eighth of the tree; its scope is a recursive CTE over that subtree.
        _, manager_token = create_user(
            session, name="bench-manager", role=Role.manager, employee_id="E000001"
        )

    pick = random.Random(7)
    requests = [
        TargetRequest(employee_id=f"E{pick.randrange(n):06d}", metric=METRICS[k % 3][0],
                      period=NEXT[METRICS[k % 3][4]])
        for k in range(BATCH)
    ]  # fmt: skip
    with _measure(results, "load_target_data"), Session(engine) as session:
        data = load_target_data(session, [m[0] for m in METRICS])
    with _measure(results, "suggest_targets_1000"):
        out = suggest_targets(data, requests)
    results["suggest_errors"] = sum(not isinstance(r, TargetSuggestion) for r in out)
    results["load_and_suggest_1000_seconds"] = round(
        results["load_target_data"]["seconds"] + results["suggest_targets_1000"]["seconds"], 3
    )
    del data, out
    with _measure(results, "suggest_batch_and_draft_1000"), session_scope(engine) as session:
        batch = suggest_batch_and_draft(session, hr, requests, open_limit=DEFAULT_MAX_OPEN_REQUESTS)
    results["batch_errors"] = sum(not hasattr(r, "draft_id") for r in batch)
    del batch

    client = TestClient(_app(settings))
    body = {"employee_id": "E000009", "metric": "sales_revenue", "period": NEXT["quarter"]}
    # The first call through a new app pays one-off costs (templates, first connection).
    client.post(
        "/v1/targets/suggest", headers={"Authorization": f"Bearer {hr_token}"},
        json={**body, "employee_id": "E000010"},
    ).raise_for_status()  # fmt: skip
    for who, token in (("hr", hr_token), ("manager", manager_token)):
        headers = {"Authorization": f"Bearer {token}"}
        with _measure(results, f"api_suggest_{who}"):
            response = client.post("/v1/targets/suggest", json=body, headers=headers)
        response.raise_for_status()

    with Session(engine) as session:
        report = _timed(
            results, "dialogue_audit", lambda: dialogue_audit(session, month=AUDIT_MONTH)
        )
    results["audit_checkins"] = report.overall.checkins
    results["audit_managers"] = len(report.managers)
    with _measure(results, "api_audit_dialogues"):
        response = client.get(
            "/v1/audit/dialogues", params={"month": AUDIT_MONTH},
            headers={"Authorization": f"Bearer {hr_token}"},
        )  # fmt: skip
    response.raise_for_status()
    results["api_audit_bytes"] = len(response.content)
    results["db_mib"] = round((workdir / "home" / "coach.db").stat().st_size / 2**20, 1)
    return results


def _app(settings: Settings) -> Any:
    from api.main import create_app

    return create_app(settings)


COLUMNS = (
    ("generate", "generate+insert"),
    ("load_target_data", "load_target_data"),
    ("suggest_targets_1000", "suggest_targets 1k"),
    ("suggest_batch_and_draft_1000", "batch+drafts 1k"),
    ("api_suggest_hr", "POST suggest (hr)"),
    ("api_suggest_manager", "POST suggest (mgr)"),
    ("dialogue_audit", "dialogue_audit"),
    ("api_audit_dialogues", "GET audit/dialogues"),
)


def table(sizes: list[dict[str, Any]]) -> str:
    """Seconds and peak RSS per step (rows) and size (columns)."""
    head = f"{'step':<22}" + "".join(f"{s['employees']:>10,} emp{'':>13}" for s in sizes)
    sub = f"{'':<22}" + "".join(f"{'seconds':>12} {'peak MiB':>13}" for _ in sizes)
    lines = [head, sub]
    for key, label in COLUMNS:
        cells = "".join(f"{s[key]['seconds']:>12.2f} {s[key]['peak_mib']:>13.0f}" for s in sizes)
        lines.append(f"{label:<22}{cells}")
    lines.append(
        f"{'load+suggest 1k':<22}"
        + "".join(f"{s['load_and_suggest_1000_seconds']:>12.2f} {'':>13}" for s in sizes)
    )
    for s in sizes:
        rows = s["rows"]
        lines.append(
            f"{s['employees']:,} employees: {rows['metric_values']:,} metric values, "
            f"{rows['checkins']:,} check-ins, database {s['db_mib']} MiB; audit month "
            f"{s['audit_checkins']:,} check-ins, {s['audit_managers']:,} managers; "
            f"errors: suggest {s['suggest_errors']}, batch {s['batch_errors']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run each size in a child process (or one size in this one with --size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="Comma list of org sizes.")
    parser.add_argument("--quick", action="store_true", help="Sizes 1,000 and 10,000 only.")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="Write the results here as JSON.")
    args = parser.parse_args(argv)
    if args.size:
        with tempfile.TemporaryDirectory(prefix="coach-scale-") as tmp:
            result = run_size(args.size, Path(tmp))
        text = json.dumps(result, ensure_ascii=False)
        if args.json:
            args.json.write_text(text, "utf-8")
        else:
            print(text)
        return
    sizes = [1000, 10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="coach-scale-") as tmp:
        for n in sizes:
            out = Path(tmp) / f"{n}.json"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "benchmarks.scaling", "--size", str(n), "--json", str(out)],
                check=True, cwd=ROOT,
            )  # fmt: skip
            results.append(json.loads(out.read_text("utf-8")))
            print(f"{n:,} employees done in {time.perf_counter() - started:.0f} s", flush=True)
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "sizes": results}, ensure_ascii=False, indent=1),
            "utf-8",
        )


if __name__ == "__main__":
    main()
