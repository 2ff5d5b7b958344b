"""Rolling-origin backtest of target-range suggestions against three baselines.

For each metric and each origin among its last periods, the engine sees only history up
to the origin and forecasts the next period for every employee who has an actual then.
Scores: pinball loss at 0.2/0.5/0.8 divided by the metric's mean |actual| (so metrics add
up), and calibration (share of actuals below q0.2 and below q0.8; ideal 0.2 and 0.8).

Baselines: (a) "last x 1.1": q0.5 = last value improved by 10% (x1.1, or x0.9 when lower
is better), q0.2/q0.8 = that -/+ 10%; (b) the person's own historical quantiles;
(c) peers' last-period quantiles (same role+level, else role, else all). (a) and (b)
fall back to (c) for people without history.

On the base variant a fifth row, ``ceiling``, is the oracle of `evals.target_ceiling`:
the best forecast possible with the generator's own parameters, so the share of the
baseline's loss it removes is the most any engine could show there.

The ``small`` variant is the base generator as five separate 34-person companies.

Run: ``python -m evals.targets`` (base and shifted), ``--variant small`` or ``--variant all``.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from coach.targets import TargetData, TargetRequest, TargetSuggestion, suggest_targets
from coach.targets.models import EmployeeInfo, HistoryPoint, MetricInfo
from coach.targets.periods import from_ordinal, to_ordinal

from .target_ceiling import CeilingOracle
from .target_data import SyntheticDataset, generate

LEVELS = (0.2, 0.5, 0.8)
METHODS = ("engine", "last_x1.1", "own_quantiles", "peer_quantiles")
BASELINES = METHODS[1:]
CEILING = "ceiling"
Category = Literal["established", "new_hire", "cold_start"]
ORIGINS = {"quarter": 4, "month": 6}  # forecast the last 4 quarters / 6 months one step ahead
# "small": five companies of 34 people each, as a small customer would have them.
EvalVariant = Literal["base", "shifted", "small"]
SMALL_COMPANIES = 5
SMALL_SIZE = 34


@dataclass(frozen=True)
class Case:
    """One scored forecast: an employee-metric-period with its actual and behaviour category."""

    metric: str
    employee_id: str
    period: str
    actual: float
    category: Category
    own_points: int = 0  # the person's values before the period


@dataclass
class Scores:
    """Accumulated forecasts of every method for the cases of one metric."""

    cases: list[Case] = field(default_factory=list)
    forecasts: dict[str, list[tuple[float, ...]]] = field(default_factory=lambda: defaultdict(list))


def _pinball(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    diff = actual - forecast
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def _baselines(
    metric: MetricInfo,
    emp: EmployeeInfo,
    own: list[float],
    peers: dict[tuple[str, ...], list[float]],
) -> dict[str, tuple[float, float, float]]:
    peer_values: list[float] = []
    for key in (("rl", emp.role, emp.level), ("r", emp.role), ("all",)):
        peer_values = peers.get(key, [])
        if len(peer_values) >= 3:
            break
    pq = np.quantile(peer_values, LEVELS) if peer_values else np.array([np.nan] * 3)
    peer = (float(pq[0]), float(pq[1]), float(pq[2]))
    if not own:
        return {"last_x1.1": peer, "own_quantiles": peer, "peer_quantiles": peer}
    factor = 1.1 if metric.direction == "higher_is_better" else 0.9
    mid = own[-1] * factor
    oq = np.quantile(own, LEVELS)
    return {
        "last_x1.1": (mid * 0.9, mid, mid * 1.1),
        "own_quantiles": (float(oq[0]), float(oq[1]), float(oq[2])),
        "peer_quantiles": peer,
    }


def backtest(dataset: SyntheticDataset) -> dict[str, Scores]:
    """Run the rolling-origin backtest and collect every method's quantile forecasts."""
    employees = {e.employee_id: e for e in dataset.employees}
    oracle = CeilingOracle(dataset) if dataset.latent else None
    by_metric: dict[str, list[HistoryPoint]] = defaultdict(list)
    for point in dataset.history:
        by_metric[point.metric].append(point)
    results: dict[str, Scores] = {}
    for metric in dataset.metrics:
        pt = metric.period_type
        points = by_metric[metric.metric]
        ordinals = np.array([to_ordinal(p.period, pt) for p in points])
        last = int(ordinals.max())
        scores = Scores()
        for origin in range(last - ORIGINS[pt], last):
            train = [p for p, o in zip(points, ordinals, strict=True) if o <= origin]
            test = [p for p, o in zip(points, ordinals, strict=True) if o == origin + 1]
            data = TargetData.build(dataset.employees, [metric], train)
            own: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for p, o in zip(points, ordinals, strict=True):
                if o <= origin:
                    own[p.employee_id].append((int(o), p.value))
            peers: dict[tuple[str, ...], list[float]] = defaultdict(list)
            for emp_id, series in own.items():
                o, v = max(series)
                if o == origin:
                    e = employees[emp_id]
                    for key in (("rl", e.role, e.level), ("r", e.role), ("all",)):
                        peers[key].append(v)
            period = from_ordinal(origin + 1, pt)
            requests = [TargetRequest(employee_id=p.employee_id, metric=metric.metric, period=period)
                        for p in test]  # fmt: skip
            suggestions = suggest_targets(data, requests)
            for point, suggestion in zip(test, suggestions, strict=True):
                if not isinstance(suggestion, TargetSuggestion):
                    raise RuntimeError(f"engine failed on {point}: {suggestion}")
                values = [v for _, v in sorted(own.get(point.employee_id, []))]
                emp = employees[point.employee_id]
                category = _category(emp, values, period, pt)
                scores.cases.append(
                    Case(metric.metric, emp.employee_id, period, point.value, category, len(values))
                )
                q = suggestion.quantiles
                scores.forecasts["engine"].append((q["0.2"], q["0.5"], q["0.8"]))
                for name, f in _baselines(metric, emp, values, peers).items():
                    scores.forecasts[name].append(f)
                if oracle is not None:
                    low, mid, high = oracle.quantiles(emp.employee_id, metric, period, LEVELS)
                    scores.forecasts[CEILING].append((low, mid, high))
        results[metric.metric] = scores
    return results


def _category(emp: EmployeeInfo, series: list[float], period: str, pt: str) -> Category:
    if not series:
        return "cold_start"
    if emp.hire_date is not None:
        months_per = 3 if pt == "quarter" else 1
        start_months = to_ordinal(period, pt) * months_per  # type: ignore[arg-type]
        hire = emp.hire_date.year * 12 + emp.hire_date.month - 1
        if start_months - hire < 12:
            return "new_hire"
    return "established"


def _methods(results: dict[str, Scores]) -> tuple[str, ...]:
    """The engine, the baselines, and the ceiling when the data set has one."""
    present = all(CEILING in scores.forecasts for scores in results.values())
    return (*METHODS, CEILING) if results and present else METHODS


def summarise(results: dict[str, Scores]) -> dict[str, dict[str, dict[str, float]]]:
    """Per metric and method: normalised pinball at each level, total, calibration, n."""
    methods = _methods(results)
    table: dict[str, dict[str, dict[str, float]]] = {}
    pooled: dict[str, list[dict[str, float]]] = defaultdict(list)
    for metric, scores in results.items():
        actual = np.array([c.actual for c in scores.cases])
        norm = float(np.mean(np.abs(actual)))
        table[metric] = {}
        for method in methods:
            f = np.array(scores.forecasts[method])
            row = {f"pl{q}": _pinball(actual, f[:, i], q) / norm for i, q in enumerate(LEVELS)}
            row["total"] = sum(row[f"pl{q}"] for q in LEVELS)
            row["below_q0.2"] = float(np.mean(actual < f[:, 0]))
            row["below_q0.8"] = float(np.mean(actual < f[:, 2]))
            row["n"] = float(actual.size)
            table[metric][method] = row
            pooled[method].append(row)
    table["TOTAL"] = {}
    for method in methods:
        rows = pooled[method]
        n = sum(r["n"] for r in rows)
        total = {
            k: float(np.mean([r[k] for r in rows])) for k in ("pl0.2", "pl0.5", "pl0.8", "total")
        }
        for k in ("below_q0.2", "below_q0.8"):
            total[k] = sum(r[k] * r["n"] for r in rows) / n
        total["n"] = n
        table["TOTAL"][method] = total
    return table


SHORT_HISTORY = 3  # people with this many values or fewer have a short history


def short_history_calibration(results: dict[str, Scores]) -> dict[str, float]:
    """The engine's share of actuals below q0.2 and q0.8 for histories of 1..SHORT_HISTORY."""
    below_low = below_high = n = 0
    for scores in results.values():
        f = np.array(scores.forecasts["engine"])
        for i, case in enumerate(scores.cases):
            if 1 <= case.own_points <= SHORT_HISTORY:
                n += 1
                below_low += case.actual < f[i, 0]
                below_high += case.actual < f[i, 2]
    if not n:
        return {"n": 0.0, "below_q0.2": float("nan"), "below_q0.8": float("nan")}
    return {"n": float(n), "below_q0.2": below_low / n, "below_q0.8": below_high / n}


def by_category(results: dict[str, Scores]) -> dict[str, dict[str, float]]:
    """Engine vs best baseline total pinball per behaviour category (pooled over metrics)."""
    methods = _methods(results)
    out: dict[str, dict[str, float]] = {}
    for category in ("established", "new_hire", "cold_start"):
        sums: dict[str, float] = defaultdict(float)
        n = 0
        for scores in results.values():
            actual_all = np.array([c.actual for c in scores.cases])
            norm = float(np.mean(np.abs(actual_all)))
            idx = [i for i, c in enumerate(scores.cases) if c.category == category]
            if not idx:
                continue
            n += len(idx)
            a = actual_all[idx]
            for method in methods:
                f = np.array(scores.forecasts[method])[idx]
                sums[method] += (
                    sum(_pinball(a, f[:, i], q) * len(idx) for i, q in enumerate(LEVELS)) / norm
                )
        if n:
            out[category] = {m: sums[m] / n for m in methods} | {"n": float(n)}
    return out


def backtest_small_companies(seed: int) -> dict[str, Scores]:
    """The base generator as SMALL_COMPANIES separate companies of SMALL_SIZE people, pooled.

    Each company is fitted on its own (no role reaches the engine's group size), and
    their cases are scored together.
    """
    pooled: dict[str, Scores] = {}
    for k in range(SMALL_COMPANIES):
        for metric, scores in backtest(generate(seed=seed + k, n_employees=SMALL_SIZE)).items():
            into = pooled.setdefault(metric, Scores())
            into.cases.extend(scores.cases)
            for method, forecasts in scores.forecasts.items():
                into.forecasts[method].extend(forecasts)
    return pooled


def evaluate(*, variant: EvalVariant = "base", seed: int = 7, n_employees: int = 800) -> dict:
    """Generate data, backtest, and return the summary tables with the bars' verdicts."""
    started = time.perf_counter()
    if variant == "small":
        results = backtest_small_companies(seed)
    else:
        results = backtest(generate(seed=seed, n_employees=n_employees, variant=variant))
    elapsed = time.perf_counter() - started
    table = summarise(results)
    total = table["TOTAL"]
    best_name = min(BASELINES, key=lambda m: total[m]["total"])
    improvement = 1 - total["engine"]["total"] / total[best_name]["total"]
    engine = total["engine"]
    ceiling = 1 - total[CEILING]["total"] / total[best_name]["total"] if CEILING in total else None
    return {
        "variant": variant,
        "seed": seed,
        "table": table,
        "categories": by_category(results),
        "short_history": short_history_calibration(results),
        "best_baseline": best_name,
        "improvement_vs_best": improvement,
        "ceiling_vs_best": ceiling,
        "calibration_ok": abs(engine["below_q0.2"] - 0.2) <= 0.05
        and abs(engine["below_q0.8"] - 0.8) <= 0.05,
        "pinball_ok": improvement >= 0.25,
        "seconds": elapsed,
    }


def render(report: dict) -> str:
    """Format a report as the plain-text tables the runner prints."""
    lines = [f"== variant {report['variant']} (seed {report['seed']}) =="]
    header = f"{'metric':<18}{'method':<16}{'PL0.2':>8}{'PL0.5':>8}{'PL0.8':>8}{'total':>8}{'<q0.2':>8}{'<q0.8':>8}{'n':>7}"
    lines.append(header)
    for metric, rows in report["table"].items():
        for method, r in rows.items():
            lines.append(
                f"{metric:<18}{method:<16}{r['pl0.2']:>8.4f}{r['pl0.5']:>8.4f}{r['pl0.8']:>8.4f}"
                f"{r['total']:>8.4f}{r['below_q0.2']:>8.3f}{r['below_q0.8']:>8.3f}{int(r['n']):>7d}"
            )
        lines.append("")
    lines.append("normalised total pinball by category (pooled over metrics):")
    for category, row in report["categories"].items():
        cells = "  ".join(f"{m}={v:.4f}" for m, v in row.items() if m != "n")
        lines.append(f"  {category:<12} n={int(row['n']):<6d} {cells}")
    short = report["short_history"]
    lines.append(
        f"short histories (<= {SHORT_HISTORY} values, n={int(short['n'])}): "
        f"{short['below_q0.2']:.3f} below q0.2, {short['below_q0.8']:.3f} below q0.8"
    )
    lines.append(
        f"engine vs best baseline ({report['best_baseline']}): "
        f"{report['improvement_vs_best']:.1%} lower total pinball "
        f"[bar >= 25%: {'PASS' if report['pinball_ok'] else 'FAIL'}]; "
        f"calibration [bar +/-0.05: {'PASS' if report['calibration_ok'] else 'FAIL'}]; "
        f"backtest {report['seconds']:.1f}s"
    )
    if report["ceiling_vs_best"] is not None:
        lines.append(
            f"ceiling (oracle knowing the generator's parameters): "
            f"{report['ceiling_vs_best']:.1%} lower than the best baseline; the engine gets "
            f"{report['improvement_vs_best'] / report['ceiling_vs_best']:.0%} of the way there"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the backtest tables for the requested generator variants (`argv`: sys.argv[1:])."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["base", "shifted", "small", "both", "all"],
                        default="both")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--employees", type=int, default=800)
    args = parser.parse_args(argv)
    named: dict[str, list[EvalVariant]] = {
        "both": ["base", "shifted"], "all": ["base", "shifted", "small"],
    }  # fmt: skip
    variants = named.get(args.variant, [args.variant])
    for variant in variants:
        print(render(evaluate(variant=variant, seed=args.seed, n_employees=args.employees)))
        print()


if __name__ == "__main__":
    main()
