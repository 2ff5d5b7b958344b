"""Forecast the distribution of an employee's next-period outcome on a metric.

The model, per metric, on a transformed scale `z = g(y)` (log for positive metrics, or
non-negative ones with a few zeros, so effects are multiplicative, logit for rates/percentages so forecasts stay in bounds,
identity otherwise):

    z[i,t] = level[i,t] + b[i]*(t - t0) + s[season(t)] + r(tenure[i,t]) + noise[i,t]

* Seasonality `s` is estimated per role group (a role with enough people, else the whole
  metric) from the period effects of a robust two-way (person + period) decomposition,
  and kept only if season dummies explain the period effects beyond a linear trend
  (F-test, p < 0.01, at least two full years of data). Each person's own offsets around
  it are shrunk toward none by empirical Bayes and kept only when they predicted the
  group's last year better than the group's pattern alone (`_person_seasons`).
* Ramp-up `r(tenure) = A*exp(-tenure/lambda)` is learned cross-sectionally: how far people
  at a given tenure sit from the median of their role+level peers in the same period.
  It is kept only if it beats a constant (F-test, p < 0.01).
* Trend `b[i]` is a Theil-Sen slope over the person's last two years, shrunk toward the
  group's median slope by empirical Bayes (between-person slope variance against each
  slope's sampling variance); forecasts damp it (phi = 0.9 per period). How much of the
  trend a group keeps (none, half, all) is chosen by rolling one-step validation.
* `level` is a random walk observed with noise (local-level model). The lag-1 difference
  variance (2 eps + eta) is estimated per group robustly; its split, q = eta / eps, by
  the filter's prediction-error likelihood (Student-t) with each person's scale profiled
  out, so the data decide between "stable ability" (small walk, long memory) and
  "drifting". (Lag-1/lag-2 moments still serve the slope shrinkage and tau2.)
  A Kalman filter runs per person with the *peers' distribution as the prior*: the
  finest of role+level -> role -> all with enough people, plus a team effect shrunk by
  its own between-team variance. Short histories therefore lean on peers and long ones
  on the person; `shrinkage_weight` is the prior's remaining weight in the level.
  Innovations beyond 4 sd are dropped as one-off outliers (unless the next observation
  confirms a shift), beyond 2.5 sd they are clipped (Huber).
* Dispersion: each person's scale multiplier is the mean squared standardised innovation,
  partially pooled with the group's (prior weight NU0 observations). The predictive
  variance adds the level's posterior variance, the walk over the horizon, observation
  noise, slope uncertainty (times the filter's weighted age of its data, the slope's
  lever on the level) and seasonal-factor uncertainty; quantiles use Student-t with
  NU0 + n degrees of freedom and are mapped back through g^-1 (quantiles commute with
  monotone maps, so bounds and skew come for free). The spread is then scaled by how
  wide the group's one-step errors over its last columns ran against the model's own.
* Long series (three seasons and more) are also forecast by damped-trend exponential
  smoothing and by the Theta method, per series (`coach.targets.smoothing`), on the same
  deseasonalised scale. Per group, held-out one-step errors over the last
  SMOOTH_HELD_OUT columns, with the seasonal pattern, slopes and smoothing parameters all
  read from the columns before, choose the combination (COMBINATIONS: shares of the
  three forecasts, or their median per series); its spread then comes from the
  combination's own one-step errors.
* Short histories (1..3 own values): the forecast's centre and spread are calibrated on
  the group's standardised errors when its people had that few values (conformal-style).
* Cold start (no own history): the peer prior itself, at the new hire's tenure; a role
  that never reported the metric gets `NotApplicable` instead.

Hyperparameters are few and principled rather than tuned: PHI, NU0, the outlier
thresholds, the two test levels, MIN_PEERS and MIN_GROUP.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from coach.core.units import UnitKind
from coach.targets.data import TargetData
from coach.targets.errors import (
    InvalidPeriod,
    NoHistory,
    NotApplicable,
    PeriodNotAfterHistory,
    TargetError,
)
from coach.targets.models import (
    Basis,
    EmployeeInfo,
    MetricInfo,
    PeerScope,
    TargetRequest,
    TargetSuggestion,
)
from coach.targets.periods import (
    date_months,
    from_ordinal,
    ordinal_midpoint_months,
    season_length,
    to_ordinal,
)
from coach.targets.ranges import (
    level_for,
    quantile_key,
    quantile_levels,
    round_display,
    validate_probabilities,
)
from coach.targets.smoothing import Smoothed, smooth, theta

FloatArray = npt.NDArray[np.float64]
ScaleKind = Literal["log", "logit", "additive"]
PeerLevel = Literal["team", "role+level", "role", "department", "all"]
GroupRows = dict[str, npt.NDArray[np.int64]]  # each role group's person rows

PHI = 0.9  # trend damping per period (damped-trend forecasting; 0.8-0.98 is the usual range)
NU0 = 4.0  # prior weight, in observations, of the group's dispersion in a person's own
HUBER_K = 2.5  # innovations beyond this many sd are clipped
DROP_K = 4.0  # ... and beyond this many treated as one-off outliers
# Dispersion is estimated from innovations clipped at 1.5 sd: the quantiles we serve are
# central (0.2..0.8), so a robust core scale fits them better than a variance that heavy
# tails inflate.
SCALE_K = 1.5
SEASON_ALPHA = 0.01
RAMP_ALPHA = 0.01
RAMP_LAMBDAS = (1.5, 3.0, 6.0, 12.0)  # months; candidate ramp-up time constants
RAMP_VISIBLE = 0.005  # a ramp factor this far from 1 changes the target the basis reports
MIN_PEERS = 5  # peers needed for a peer level to be used
SHORT_HISTORY = 3  # histories this short get bands calibrated on peers' early errors
MIN_CALIBRATION = 20  # errors a short-history calibration needs
RECENT_COLUMNS = 4  # last columns whose one-step errors calibrate everyone's spread
MIN_GROUP = 30  # people a role needs to get its own seasonal, ramp and variance estimates
TREND_SHARES = (0.0, 0.5, 1.0)  # trend off, half, on: chosen per group by rolling validation
TREND_ORIGINS = 4  # columns the trend's rolling validation forecasts
# Damped-trend smoothing (`coach.targets.smoothing`) is offered to series with at least
# three seasons and SMOOTH_MIN_POINTS values; its share is chosen per group.
SMOOTH_MIN_SEASONS = 3
SMOOTH_MIN_POINTS = 12
# The (smoothing, Theta) shares of the level's forecast a group chooses from, the filter's
# being the rest: the filter, half of it and half smoothing, the smoothing, or the mean of
# the smoothing and Theta (combinations are what won the M3 competition). The filter or
# the combination alone did as well on the real development panels, but not on damped
# trends; a third to each did worse where the filter's level lags.
SMOOTH_SHARES: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.5, 0.5))
# A group may also choose the median of the three forecasts, per series: robust to the one
# of them that is off for a series, where any fixed shares carry it. Alone it did worse on
# M1 quarterly and better on Tourism quarterly; as one more choice, better on both.
# MEDIAN_SHARES are its shares where a weight is needed (a horizon's error carries).
MEDIAN_SHARES = (1.0 / 3.0, 1.0 / 3.0)
# Each choice as (smoothing share, Theta share, median of the three instead).
COMBINATIONS: tuple[tuple[float, float, bool], ...] = (
    *((s, t, False) for s, t in SMOOTH_SHARES),
    (*MEDIAN_SHARES, True),
)
SMOOTH_HELD_OUT = 8  # last columns whose held-out one-step errors choose the share
SEASON_YEARS = 5  # years of a person's history their own seasonal offsets come from
# A person's slope is read from their last TREND_YEARS, and never from fewer periods than
# TREND_MIN_POINTS (six years of an annual metric, two of a quarterly one).
TREND_YEARS = 2
TREND_MIN_POINTS = 6
COLD_DOF = 30.0
# Candidate signal-to-noise ratios eta/eps for the level's likelihood (0 = fixed level,
# 3 = nearly a random walk observed without noise), a quarter decade apart.
_Q_GRID = (0.0, *(10.0 ** np.arange(-3.0, 0.75, 0.25)))
# Innovations' likelihood: Student-t with 4 degrees of freedom, the usual robust choice
# (finite variance, tails heavy enough for one-off spikes).
_T_DOF = 4.0
_T_SCALE_ITERATIONS = 15
_Q_MAX_PEOPLE = 1000  # people whose innovations the q likelihood uses (speed only)

ZERO_SHARE_FOR_LOG = 0.1  # at most this share of zeros keeps a non-negative metric on log
_MAD = 1.4826
# E[min(U^2, k^2)] for U ~ N(0,1): makes the clipped mean square consistent for the variance.
_SCALE_CONST = float(
    1.0 - 2.0 * (SCALE_K * stats.norm.pdf(SCALE_K) + (1.0 - SCALE_K**2) * stats.norm.sf(SCALE_K))
)


@dataclass(frozen=True)
class Scale:
    """The transform g between the metric's units and the model scale."""

    kind: ScaleKind
    upper: float = 1.0
    eps: float = 1e-6
    nonnegative: bool = False
    offset: float = 0.0  # log(y + offset) for non-negative values with zeros

    def forward(self, y: FloatArray) -> FloatArray:
        """g(y)."""
        if self.kind == "log":
            return np.log(y + self.offset)
        if self.kind == "logit":
            p = np.clip(y / self.upper, self.eps, 1.0 - self.eps)
            return np.log(p) - np.log1p(-p)
        return y.astype(np.float64)

    def inverse(self, z: FloatArray) -> FloatArray:
        """g^-1(z)."""
        if self.kind == "log":
            return np.maximum(np.exp(z) - self.offset, 0.0) if self.offset else np.exp(z)
        if self.kind == "logit":
            return self.upper * special.expit(z)
        return np.maximum(z, 0.0) if self.nonnegative else z


def choose_scale(metric: MetricInfo, values: FloatArray) -> Scale:
    """Logit for rates and percentages, log for positive metrics, additive otherwise."""
    kind = metric.unit_kind
    lo, hi = float(values.min()), float(values.max())
    upper: float | None = None
    if kind == UnitKind.percent and lo >= 0 and hi <= 100:
        upper = 100.0
    elif (
        (kind == UnitKind.ratio or (kind == UnitKind.unspecified and metric.unit.strip() == ""))
        and lo >= 0
        and 0 < hi <= 1
    ):
        # Values confined to [0, 1] without a unit saying otherwise are read as a rate.
        upper = 1.0
    if upper is not None:
        p = values / upper
        inside = p[(p > 0) & (p < 1)]
        edge = np.concatenate([inside, 1.0 - inside]) if inside.size else np.array([0.01])
        # Exact 0/1 values are pulled in to half the closest interior value.
        eps = float(np.clip(0.5 * edge.min(), 1e-4, 0.01))
        return Scale("logit", upper=upper, eps=eps)
    if lo > 0:
        return Scale("log")
    positive = values[values > 0]
    if lo == 0 and positive.size and float(np.mean(values == 0)) < ZERO_SHARE_FOR_LOG:
        # A few zeros (a closed month, a region without visitors) should not push a
        # metric whose people differ by orders of magnitude onto an additive scale; the
        # offset is small against typical values, so effects stay multiplicative.
        return Scale("log", offset=float(np.quantile(positive, 0.05)) * 0.5)
    return Scale("additive", nonnegative=lo >= 0)


def _nanmedian(x: FloatArray, axis: int) -> FloatArray:
    """Median ignoring NaN; NaN, without a warning, where a slice has no values at all."""
    with warnings.catch_warnings():
        # Small organisations have periods or peer cells without a single value.
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(x, axis=axis), dtype=np.float64)


def _robust_var(x: FloatArray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 3:
        return math.nan
    return float((_MAD * np.median(np.abs(x - np.median(x)))) ** 2)


def _winsorise(x: FloatArray, k: float = 3.0) -> FloatArray:
    finite = x[np.isfinite(x)]
    if finite.size < 3:
        return x
    centre = float(np.median(finite))
    spread = _MAD * float(np.median(np.abs(finite - centre)))
    if spread <= 0:
        return x
    return np.clip(x, centre - k * spread, centre + k * spread)


def _right_aligned(matrix: FloatArray, last: npt.NDArray[np.int64], width: int) -> FloatArray:
    """Each row's `width` columns ending at its own last observation (NaN before column 0)."""
    idx = last[:, None] - width + 1 + np.arange(width)[None, :]
    out = np.take_along_axis(matrix, np.clip(idx, 0, None), axis=1)
    out[idx < 0] = np.nan
    return out


def _theil_sen(window: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Row-wise Theil-Sen slope of a right-aligned window, and each row's Sxx of used times."""
    width = window.shape[1]
    j, k = np.triu_indices(width, 1)
    pair_slopes = (window[:, k] - window[:, j]) / (k - j)
    n = np.isfinite(window).sum(axis=1)
    slopes = np.full(window.shape[0], np.nan)
    ok = n >= 3
    if ok.any():
        slopes[ok] = _nanmedian(pair_slopes[ok], axis=1)
    times = np.where(np.isfinite(window), np.arange(width, dtype=np.float64)[None, :], np.nan)
    with np.errstate(invalid="ignore"):
        centred = times - np.nanmean(np.where(n[:, None] > 0, times, 0.0), axis=1, keepdims=True)
    sxx = np.nansum(centred**2, axis=1)
    return slopes, sxx


def _two_way_period_effects(z: FloatArray) -> FloatArray:
    """Period effects of z[person, period] = a[person] + g[period] + e, robustly (winsorised)."""
    mask = np.isfinite(z)
    n_col = mask.sum(axis=0)
    n_row = mask.sum(axis=1)
    work = np.where(mask, z, 0.0)
    gamma = np.zeros(z.shape[1])
    for sweep in range(2):
        for _ in range(10):
            alpha = (work - gamma[None, :] * mask).sum(axis=1) / np.maximum(n_row, 1)
            gamma = (work - alpha[:, None] * mask).sum(axis=0) / np.maximum(n_col, 1)
            gamma -= gamma[n_col > 0].mean()
        if sweep == 0:
            fitted = alpha[:, None] + gamma[None, :]
            resid = np.where(mask, z - fitted, np.nan)
            work = np.where(mask, fitted + _winsorise(resid), 0.0)
    gamma[n_col < 3] = np.nan
    return gamma


@dataclass(frozen=True)
class Seasonality:
    """Seasonal offsets on the model scale (zeros when not detected)."""

    detected: bool
    factors: FloatArray
    var: float
    p_value: float


def _seasonality(gamma: FloatArray, first_ordinal: int, length: int) -> Seasonality:
    """The seasonal pattern of period effects, kept only if it passes the F-test."""
    fitted = _seasonal_fit(gamma, first_ordinal, length)
    if fitted is None or fitted.p_value >= SEASON_ALPHA:
        p_value = 1.0 if fitted is None else fitted.p_value
        return Seasonality(False, np.zeros(length), 0.0, p_value)
    return fitted


def _seasonal_fit(gamma: FloatArray, first_ordinal: int, length: int) -> Seasonality | None:
    """Season dummies plus a linear trend fitted to period effects, tested or not (None: too few)."""
    cols = np.flatnonzero(np.isfinite(gamma))
    n = cols.size
    if length < 2 or n < 2 * length or n - length - 1 < 3:
        return None  # a year has no seasons; or too few periods to tell
    season = (first_ordinal + cols) % length
    dummies = (season[:, None] == np.arange(length)[None, :]).astype(np.float64)
    if (dummies.sum(axis=0) < 2).any():
        return None
    t = cols.astype(np.float64)
    y = gamma[cols]
    base = np.column_stack([np.ones(n), t])
    full = np.column_stack([t, dummies])
    rss0 = float(np.sum((y - base @ np.linalg.lstsq(base, y, rcond=None)[0]) ** 2))
    coef = np.linalg.lstsq(full, y, rcond=None)[0]
    rss1 = float(np.sum((y - full @ coef) ** 2))
    dof = n - length - 1
    if rss1 <= 1e-15:
        p_value = 0.0 if rss0 > 1e-12 else 1.0
    else:
        f_stat = ((rss0 - rss1) / (length - 1)) / (rss1 / dof)
        p_value = float(stats.f.sf(f_stat, length - 1, dof))
    factors = coef[1:] - coef[1:].mean()
    var = rss1 / dof / float(dummies.sum(axis=0).mean())
    return Seasonality(True, factors, var, p_value)


def _group_seasonality(
    gamma: FloatArray, first_ordinal: int, length: int, company: Seasonality, people: int
) -> Seasonality:
    """A group's own pattern if significant; else the company's, shrunk toward the group's own.

    A role too small (or too short) for its own test still shares the calendar the whole
    company lives by; its own estimate keeps the weight people / (people + MIN_GROUP), as a
    role at MIN_GROUP people would have half its say.
    """
    own = _seasonality(gamma, first_ordinal, length)
    if own.detected or not company.detected:
        return own
    raw = _seasonal_fit(gamma, first_ordinal, length)
    if raw is None:
        return company
    weight = people / (people + MIN_GROUP)
    factors = company.factors + weight * (raw.factors - company.factors)
    var = (1.0 - weight) ** 2 * company.var + weight**2 * raw.var
    return Seasonality(True, factors - factors.mean(), var, company.p_value)


@dataclass(frozen=True)
class PersonSeasons:
    """People's own seasonal offsets around their group's, shrunk by empirical Bayes."""

    factors: FloatArray  # person x season (absolute: ordinal % season length)
    var: FloatArray  # each person's posterior variance of one offset


def _centred_moving_average(z: FloatArray, length: int) -> FloatArray:
    """The 2 x `length` centred moving average of each row (NaN where a window has a gap)."""
    out = np.full_like(z, np.nan)
    if z.shape[1] <= length:
        return out
    weights = np.r_[0.5, np.ones(length - 1), 0.5] / length
    windows = np.lib.stride_tricks.sliding_window_view(z, length + 1, axis=1)
    half = length // 2
    out[:, half : half + windows.shape[1]] = windows @ weights
    return out


def _person_seasons(zs: FloatArray, first_ordinal: int, length: int) -> PersonSeasons:
    """People's own offsets if they predict the group's last year better than none do.

    The offsets are estimated without the last year and scored on it: each person's
    deviations from their own mean that year, against the offsets (squared error, summed
    over the people with the whole year). Only a win out of sample switches them on, and
    the offsets then come from all the data.
    """
    none = PersonSeasons(np.zeros((zs.shape[0], length)), np.zeros(zs.shape[0]))
    if length < 2 or zs.shape[1] < 3 * length:
        return none
    trial = _shrunk_person_seasons(zs[:, :-length], first_ordinal, length)
    held = zs[:, -length:]
    whole = np.isfinite(held).all(axis=1)
    if whole.sum() < 3 or not trial.factors.any():
        return none
    season = (first_ordinal + zs.shape[1] - length + np.arange(length)) % length
    actual = held[whole] - held[whole].mean(axis=1, keepdims=True)
    predicted = trial.factors[whole][:, season]
    predicted = predicted - predicted.mean(axis=1, keepdims=True)
    if float(np.sum((actual - predicted) ** 2)) >= float(np.sum(actual**2)):
        return none
    return _shrunk_person_seasons(zs, first_ordinal, length)


def _shrunk_person_seasons(zs: FloatArray, first_ordinal: int, length: int) -> PersonSeasons:
    """Each person's seasonal deviation from the group's, shrunk toward none.

    Raw offsets are the person's mean detrended value (against a centred moving
    average) per season over the last SEASON_YEARS, centred. The between-person spread of
    true offsets (omega2) comes from alternate years' agreement; a person's offsets keep the weight omega2 / (omega2 + sampling variance), so people
    with long, clearly seasonal histories keep their own pattern and the rest borrow the
    group's. Series whose phase differs from the group's are the common case in pooled
    real panels; one pattern per role was most of the loss there.
    """
    n_persons = zs.shape[0]
    none = PersonSeasons(np.zeros((n_persons, length)), np.zeros(n_persons))
    keep = min(zs.shape[1], SEASON_YEARS * length)
    z = zs[:, zs.shape[1] - keep :]
    first = first_ordinal + zs.shape[1] - keep
    resid = z - _centred_moving_average(z, length)
    season = (first + np.arange(keep)) % length
    onehot = (season[:, None] == np.arange(length)[None, :]).astype(np.float64)
    seen = np.isfinite(resid)
    counts = seen.astype(np.float64) @ onehot
    sums = np.where(seen, resid, 0.0) @ onehot
    usable = (counts >= 2).all(axis=1)
    if usable.sum() < 3:
        return none
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    raw = np.where(usable[:, None], means - means.mean(axis=1, keepdims=True), 0.0)
    errors = np.where(seen, resid - raw[:, season], np.nan)
    dof = seen.sum(axis=1) - length
    group_var = _robust_var(errors[usable].ravel())
    if not math.isfinite(group_var) or group_var <= 0:
        return none
    own_ss = np.nansum(np.minimum(errors**2, (DROP_K**2) * group_var), axis=1)
    noise = (NU0 * group_var + own_ss) / (NU0 + np.maximum(dof, 0))
    with np.errstate(divide="ignore"):
        sampling = noise * np.mean(1.0 / np.maximum(counts, 1.0), axis=1) * (length - 1) / length
    omega2 = _between_person_season_var(resid, season, (first + np.arange(keep)) // length, length)
    if omega2 <= 0:
        return none
    weight = np.where(usable, omega2 / (omega2 + sampling), 0.0)
    post_var = np.where(usable, omega2 * (1.0 - weight), omega2)
    return PersonSeasons(weight[:, None] * raw, post_var)


def _centred_season_means(resid: FloatArray, onehot: FloatArray) -> FloatArray:
    """Each row's mean per season, centred across seasons (NaN without every season)."""
    seen = np.isfinite(resid)
    counts = seen.astype(np.float64) @ onehot
    sums = np.where(seen, resid, 0.0) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)
    return np.asarray(means - means.mean(axis=1, keepdims=True), dtype=np.float64)


def _between_person_season_var(
    resid: FloatArray, season: npt.NDArray[np.int64], year: npt.NDArray[np.int64], length: int
) -> float:
    """omega2 from the agreement of people's offsets in alternate years.

    Offsets measured in even and in odd years share only the person's true pattern, so
    the mean of their product estimates its variance without the bias a squared offset
    less a modelled sampling variance carries (persistent drift and spikes leak into a
    moving-average residual, which read as person-specific seasonality where everyone
    shared one pattern).
    """
    onehot = (season[:, None] == np.arange(length)[None, :]).astype(np.float64)
    even, odd = year % 2 == 0, year % 2 == 1
    a = _centred_season_means(np.where(even[None, :], resid, np.nan), onehot)
    b = _centred_season_means(np.where(odd[None, :], resid, np.nan), onehot)
    both = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    if both.sum() < 3:
        return 0.0
    return max(0.0, float(np.mean((a[both] * b[both]).sum(axis=1))) / (length - 1))


@dataclass(frozen=True)
class Ramp:
    """Ramp-up offset A*exp(-tenure/lam) on the model scale (A = 0 when not detected)."""

    amplitude: float = 0.0
    lam: float = 1.0

    def at(self, tenure: FloatArray) -> FloatArray:
        """Offset at these tenures in months; NaN tenure (unknown hire date) gives 0."""
        if self.amplitude == 0.0:
            return np.zeros_like(tenure)
        return np.where(np.isfinite(tenure), self.amplitude * np.exp(-tenure / self.lam), 0.0)


def _fit_ramp(deviation: FloatArray, tenure: FloatArray) -> Ramp:
    ok = np.isfinite(deviation) & np.isfinite(tenure)
    d = _winsorise(deviation[ok])
    tau = tenure[ok]
    n = d.size
    if n < 20 or int((tau < max(RAMP_LAMBDAS)).sum()) < 10:
        return Ramp()
    rss0 = float(np.sum((d - d.mean()) ** 2))
    best: tuple[float, float, float] | None = None
    for lam in RAMP_LAMBDAS:
        f = np.exp(-tau / lam)
        fc = f - f.mean()
        sff = float(fc @ fc)
        if sff <= 1e-12:
            continue
        amp = float(fc @ (d - d.mean())) / sff
        rss = rss0 - amp * amp * sff
        if best is None or rss < best[0]:
            best = (rss, amp, lam)
    if best is None or best[0] <= 0:
        return Ramp()
    rss1, amp, lam = best
    f_stat = ((rss0 - rss1) / 2) / (rss1 / (n - 3))
    if float(stats.f.sf(f_stat, 2, n - 3)) >= RAMP_ALPHA:
        return Ramp()
    return Ramp(amplitude=amp, lam=lam)


@dataclass
class GroupFit:
    """Parameters shared by a role group (or the whole metric)."""

    seasonality: Seasonality
    ramp: Ramp
    sigma2_eps: float = 0.0
    sigma2_eta: float = 0.0
    slope: float = 0.0
    slope_var: float = 0.0
    slope_between: float = 0.0
    tau2: float = 0.0
    scale_mult: float = 1.0
    # Per number of own values k (index k, 1..SHORT_HISTORY): (shift, spread) of the
    # forecast in its own sd units, calibrated on peers' errors at the same k.
    short: dict[int, tuple[float, float]] = field(default_factory=dict)
    spread: float = 1.0
    trend_share: float = 1.0  # how much of the shrunk slopes the filter's forecast keeps
    smooth_share: float = 0.0  # the damped-trend smoothing's weight in long series' level
    theta_share: float = 0.0  # ... and the Theta method's
    median: bool = False  # the level is the median of the three, not their weighted sum


def _peer_cells(emp: EmployeeInfo, scope: PeerScope) -> list[tuple[tuple[str, ...], PeerLevel]]:
    """The peer cells a prior may come from, finest first, before everyone.

    The department comes before the whole organisation: a metric two departments share
    under the same name (a defect rate in software and in assembly) is not one scale.
    `scope` "department" keeps the role cells inside the person's department, "role"
    pools a role across departments, "company" never narrows to a department at all.
    """
    within = emp.department if scope == "department" else ""
    cells: list[tuple[tuple[str, ...], PeerLevel]] = [
        (("rl", within, emp.role, emp.level), "role+level"),
        (("r", within, emp.role), "role"),
    ]
    if emp.department and scope != "company":
        cells.append((("d", emp.department), "department"))
    return cells


@dataclass
class PeerTable:
    """Medians of people's levels by peer cell, and team effects, for building priors."""

    medians: dict[tuple[str, ...], float]
    counts: dict[tuple[str, ...], int]
    raw_last: dict[tuple[str, ...], float]
    team_sum: dict[str, float]
    team_count: dict[str, int]
    team_noise: float
    team_between: float
    scope: PeerScope = "department"

    def prior(
        self, emp: EmployeeInfo, own_dev: float | None
    ) -> tuple[float, PeerLevel, int, float, tuple[str, ...]]:
        """(prior mean, peer level, peer count, team weight, cell key) for an employee."""
        self_count = 1 if own_dev is not None else 0
        cell: tuple[str, ...] = ("all",)
        level: PeerLevel = "all"
        for key, name in _peer_cells(emp, self.scope):
            if self.counts.get(key, 0) - self_count >= MIN_PEERS:
                cell, level = key, name
                break
        mean = self.medians[cell]
        count = self.counts[cell] - self_count
        weight = 0.0
        others = self.team_count.get(emp.team, 0) - self_count
        if emp.team and others >= 1 and self.team_between > 0:
            team_mean = (self.team_sum[emp.team] - (own_dev or 0.0)) / others
            weight = others / (others + self.team_noise / self.team_between)
            mean += weight * team_mean
            if weight >= 0.5:
                level = "team"
        return mean, level, count, weight, cell


@dataclass
class MetricFit:
    """Everything fitted for one metric, indexed by person row."""

    metric: MetricInfo
    scale: Scale
    season_len: int
    first_ordinal: int
    last_ordinal: int
    integer_valued: bool
    groups: dict[str, GroupFit]
    peers: PeerTable
    row_of: dict[int, int]
    group_of_role: dict[str, str]
    default_group: str
    person_group: list[str]
    level: FloatArray
    level_var: FloatArray
    slope: FloatArray
    slope_var: FloatArray
    slope_lever: FloatArray
    scale_mult: FloatArray
    n_obs: npt.NDArray[np.int64]
    outliers: npt.NDArray[np.int64]
    peer_weight: FloatArray
    prior_info: list[tuple[PeerLevel, int, tuple[str, ...]]]
    last_ordinal_of: npt.NDArray[np.int64]
    last_value: FloatArray
    own_median: FloatArray
    hire_months: FloatArray = field(repr=False)
    own_seasons: PersonSeasons = field(repr=False)
    blend: LevelBlend = field(repr=False)


def _hire_months(emp: EmployeeInfo) -> float:
    return date_months(emp.hire_date) if emp.hire_date is not None else math.nan


def fit_metric(data: TargetData, metric_id: str) -> MetricFit:
    """Fit the per-metric model (cached on `data`); `NoHistory` if the metric has none."""
    cache_key = f"fit:{metric_id}"
    cached = data._cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    fit = _fit_metric(data, metric_id)
    data._cache[cache_key] = fit
    return fit


@dataclass(frozen=True)
class _Panel:
    """One metric's history as person x period matrices (columns first..last ordinal)."""

    info: MetricInfo
    scale: Scale
    season_len: int
    first: int
    last: int
    persons: npt.NDArray[np.int64]  # employee index of each row
    emps: list[EmployeeInfo]
    zmat: FloatArray  # values on the model's scale
    ymat: FloatArray  # values as recorded
    hire: FloatArray  # hire date in months, per person
    tenure: FloatArray  # months since hire at each column's midpoint
    last_col: npt.NDArray[np.int64]  # each person's last observed column
    cells: npt.NDArray[np.str_]  # each person's role+level peer cell
    peer_scope: PeerScope

    @property
    def n_cols(self) -> int:
        return self.last - self.first + 1

    @property
    def n_persons(self) -> int:
        return int(self.persons.size)


def _panel(data: TargetData, metric_id: str) -> _Panel:
    info = data.metric(metric_id)
    hist = data.history[metric_id]
    if hist.size == 0:
        raise NoHistory(metric_id)
    scale = choose_scale(info, hist.value)
    z = scale.forward(hist.value)
    persons, row = np.unique(hist.employee, return_inverse=True)
    first, t0 = int(hist.ordinal.min()), int(hist.ordinal.max())
    n_cols = t0 - first + 1
    col = hist.ordinal - first
    zmat = np.full((persons.size, n_cols), np.nan)
    zmat[row, col] = z
    ymat = np.full((persons.size, n_cols), np.nan)
    ymat[row, col] = hist.value
    emps = [data.employees[int(i)] for i in persons]
    hire = np.array([_hire_months(e) for e in emps])
    mids = ordinal_midpoint_months(np.arange(first, t0 + 1), info.period_type)  # type: ignore[arg-type]
    tenure = np.maximum(np.asarray(mids, dtype=np.float64)[None, :] - hire[:, None], 0.0)
    last_col = np.array([np.flatnonzero(np.isfinite(r))[-1] for r in zmat], dtype=np.int64)
    return _Panel(
        info=info, scale=scale, season_len=season_length(info.period_type), first=first,
        last=t0, persons=persons, emps=emps, zmat=zmat, ymat=ymat, hire=hire, tenure=tenure,
        last_col=last_col, cells=np.array([f"{e.role}\x1f{e.level}" for e in emps]),
        peer_scope=data.peer_scope,
    )  # fmt: skip


def _role_groups(
    emps: list[EmployeeInfo],
) -> tuple[dict[str, str], list[str], GroupRows]:
    """Roles with enough people are their own group, the rest share "*": map, per person, rows."""
    roles = [e.role for e in emps]
    role_sizes: dict[str, int] = {}
    for r in roles:
        role_sizes[r] = role_sizes.get(r, 0) + 1
    group_of_role = {r: (r if n >= MIN_GROUP else "*") for r, n in role_sizes.items()}
    person_group = [group_of_role[r] for r in roles]
    group_rows = {
        g: np.flatnonzero(np.array([pg == g for pg in person_group]))
        for g in sorted(set(person_group))
    }
    return group_of_role, person_group, group_rows


def _deseasonalise_and_deramp(
    panel: _Panel, group_rows: GroupRows
) -> tuple[FloatArray, dict[str, GroupFit], PersonSeasons]:
    """Pass A: seasonality (group and own) and ramp per group, and the matrix without them.

    Both are estimated hierarchically: a group whose own seasonal test fails borrows the
    whole metric's pattern (`_group_seasonality`), and one whose ramp cannot be told from a
    constant takes the ramp fitted on everyone's deviations at the same tenure.
    """
    season_of_col = (panel.first + np.arange(panel.n_cols)) % panel.season_len
    company = _seasonality(_two_way_period_effects(panel.zmat), panel.first, panel.season_len)
    deseasoned = np.full_like(panel.zmat, np.nan)
    deviation = np.full_like(panel.zmat, np.nan)
    seasons: dict[str, Seasonality] = {}
    person_season = np.zeros((panel.n_persons, panel.season_len))
    person_season_var = np.zeros(panel.n_persons)
    for g, rows in group_rows.items():
        zg = panel.zmat[rows]
        gamma = _two_way_period_effects(zg)
        seas = _group_seasonality(gamma, panel.first, panel.season_len, company, rows.size)
        zs = zg - seas.factors[season_of_col][None, :]
        own = _person_seasons(zs, panel.first, panel.season_len)
        person_season[rows], person_season_var[rows] = own.factors, own.var
        deseasoned[rows] = zs - own.factors[:, season_of_col]
        deviation[rows] = _deviation_from_peers(deseasoned[rows], panel.cells[rows])
        seasons[g] = seas
    company_ramp = _fit_ramp(deviation, panel.tenure)
    xmat = np.full_like(panel.zmat, np.nan)
    groups: dict[str, GroupFit] = {}
    for g, rows in group_rows.items():
        ramp = _fit_ramp(deviation[rows], panel.tenure[rows])
        if ramp.amplitude == 0.0:
            ramp = company_ramp
        xmat[rows] = deseasoned[rows] - ramp.at(panel.tenure[rows])
        groups[g] = GroupFit(seasonality=seasons[g], ramp=ramp)
    return xmat, groups, PersonSeasons(person_season, person_season_var)


def _deviation_from_peers(zs: FloatArray, cells: npt.NDArray[np.str_]) -> FloatArray:
    """How far each value sits from its role+level cell's median (the group's, if few)."""
    deviation = np.full_like(zs, np.nan)
    group_median = _nanmedian(zs, axis=0)
    for cell in np.unique(cells):
        members = cells == cell
        sub = zs[members]
        med = _nanmedian(sub, axis=0)
        enough = np.isfinite(sub).sum(axis=0) >= 3
        deviation[members] = sub - np.where(enough, med, group_median)[None, :]
    return deviation


def _moment_variances(gf: GroupFit, xg: FloatArray) -> None:
    """Observation noise and walk variance of a group from lag-1 and lag-2 differences."""
    # Differences net of the group trend only: subtracting noisy per-person slopes would
    # add their estimation error (three times over) to V2 - V1, the walk's variance.
    d1 = xg[:, 1:] - xg[:, :-1] - gf.slope
    d2 = xg[:, 2:] - xg[:, :-2] - 2 * gf.slope
    v1, v2 = _robust_var(d1.ravel()), _robust_var(d2.ravel())
    if not math.isfinite(v1):
        # Too few consecutive pairs: fall back to the spread of levels across people.
        v1 = _robust_var(xg.ravel()) if np.isfinite(xg).sum() >= 3 else 1e-4
        v1 = max(v1, 1e-8)
        v2 = v1
    if not math.isfinite(v2):
        v2 = v1
    gf.sigma2_eps = float(np.clip(v1 - v2 / 2, 0.05 * v1 / 2, v1 / 2))
    gf.sigma2_eta = float(v1 - 2 * gf.sigma2_eps)


def _shrunk_slopes(
    gf: GroupFit, rs: FloatArray, sxx: FloatArray, n_window: npt.NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """People's slopes shrunk toward the group's by empirical Bayes, and their variances."""
    has = np.isfinite(rs)
    with np.errstate(divide="ignore", invalid="ignore"):
        sampling = 1.1 * gf.sigma2_eps / sxx + 1.2 * gf.sigma2_eta / n_window
    spread = _robust_var(rs)
    between = max(0.0, spread - float(np.median(sampling[has]))) if has.sum() >= 3 else 0.0
    gf.slope_between = between
    gf.slope_var = (spread / has.sum()) if has.sum() >= 3 else between
    if between > 0:
        w = np.where(has, between / (between + sampling), 0.0)
        post_var = np.where(has, 1.0 / (1.0 / between + 1.0 / sampling), between)
    else:
        w = np.zeros(rs.size)
        post_var = np.zeros(rs.size)
    return gf.slope + w * np.where(has, rs - gf.slope, 0.0), post_var + gf.slope_var


def _trend_share(gf: GroupFit, xg: FloatArray, width: int, season_len: int) -> float:
    """How much of the shrunk trend to keep (off, half, all), by rolling validation.

    At each of the group's last TREND_ORIGINS columns, slopes from the window before it
    (shrunk as the final ones are) project the mean of the last season's values forward;
    the share with the smallest absolute one-step error over everyone wins. Trends in
    real panels turn; a slope that only fits the past costs more than it earns.
    """
    n_cols = xg.shape[1]
    errors = np.zeros(len(TREND_SHARES))
    for c in range(max(3, n_cols - TREND_ORIGINS), n_cols):
        window = xg[:, max(0, c - width) : c]
        raw, sxx = _theil_sen(window)
        n_window = np.isfinite(window).sum(axis=1)
        slope, _ = _shrunk_slopes(replace(gf), raw, sxx, n_window)
        recent = window[:, -max(1, season_len // 2) :]
        age = (recent.shape[1] - np.arange(recent.shape[1]))[None, :].astype(np.float64)
        ok = np.isfinite(xg[:, c]) & np.isfinite(raw) & np.isfinite(recent).any(axis=1)
        if not ok.any():
            continue
        for k, share in enumerate(TREND_SHARES):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pred = np.nanmean(recent[ok] + share * slope[ok, None] * age, axis=1)
            errors[k] += float(np.sum(np.abs(xg[ok, c] - pred)))
    if not errors.any():
        return 1.0
    return TREND_SHARES[int(np.argmin(errors))]


@dataclass(frozen=True)
class _Slopes:
    """Pass B's result: people's slopes and the matrix with them removed."""

    slope: FloatArray
    slope_var: FloatArray
    xstar: FloatArray  # detrended, anchored at the last column
    prelim: FloatArray  # preliminary levels: median of the recent detrended window
    n_window: npt.NDArray[np.int64]  # observations in each person's recent window
    width: int  # the recent window's width in periods


def _fit_slopes(
    panel: _Panel,
    xmat: FloatArray,
    groups: dict[str, GroupFit],
    group_rows: GroupRows,
) -> _Slopes:
    """Pass B: slopes, variance components, slope shrinkage, detrended matrix."""
    width = max(TREND_MIN_POINTS, TREND_YEARS * panel.season_len)
    window = _right_aligned(xmat, panel.last_col, width)
    raw_slope, sxx = _theil_sen(window)
    n_window = np.isfinite(window).sum(axis=1)
    slope = np.zeros(panel.n_persons)
    slope_var = np.zeros(panel.n_persons)
    cols = np.arange(panel.n_cols, dtype=np.float64)
    for g, rows in group_rows.items():
        gf = groups[g]
        rs = raw_slope[rows]
        has = np.isfinite(rs)
        gf.slope = float(np.median(rs[has])) if has.any() else 0.0
        _moment_variances(gf, xmat[rows])
        slope[rows], slope_var[rows] = _shrunk_slopes(gf, rs, sxx[rows], n_window[rows])
        share = _trend_share(gf, xmat[rows], width, panel.season_len)
        gf.trend_share = share
        gf.slope *= share
        slope[rows] *= share
        slope_var[rows] *= share**2
    xstar = xmat - slope[:, None] * (cols[None, :] - (panel.n_cols - 1))
    prelim = _nanmedian(_right_aligned(xstar, panel.last_col, width), axis=1)
    return _Slopes(slope, slope_var, xstar, prelim, n_window, width)


def _peer_priors(
    panel: _Panel, slopes: _Slopes
) -> tuple[PeerTable, FloatArray, list[tuple[PeerLevel, int, tuple[str, ...]]]]:
    """Peer table from preliminary levels, and each person's prior mean and its source."""
    peers, team_dev = _peer_table(
        panel.emps, slopes.prelim, panel.ymat, panel.last_col, scope=panel.peer_scope
    )
    prior_mean = np.zeros(panel.n_persons)
    prior_info: list[tuple[PeerLevel, int, tuple[str, ...]]] = []
    for p, emp in enumerate(panel.emps):
        mean, peer_level, count, _, cell = peers.prior(emp, float(team_dev[p]))
        prior_mean[p] = mean
        prior_info.append((peer_level, count, cell))
    return peers, prior_mean, prior_info


def _between_person_variance(
    gf: GroupFit, resid: FloatArray, n_window: npt.NDArray[np.int64]
) -> float:
    """tau2: how far people's levels sit from their peer prior, net of estimation noise."""
    stable = n_window >= 3
    raw = _robust_var(resid[stable]) if stable.sum() >= 3 else _robust_var(resid)
    if not math.isfinite(raw):
        raw = gf.sigma2_eps + gf.sigma2_eta
    noise = float(
        np.median(
            (math.pi / 2) * gf.sigma2_eps / np.maximum(n_window, 1) + gf.sigma2_eta * n_window / 3
        )
    )
    return max(raw - noise, 0.05 * raw, 1e-10)


@dataclass(frozen=True)
class _Levels:
    """Pass C's result, per person."""

    level: FloatArray
    level_var: FloatArray
    scale_mult: FloatArray
    outliers: npt.NDArray[np.int64]
    peer_weight: FloatArray
    slope_lever: FloatArray
    innovations: FloatArray  # person x column: the filter's one-step errors


def _filter_group(gf: GroupFit, xstar: FloatArray, prior_mean: FloatArray) -> FilterResult:
    """Split the group's lag-1 variance by likelihood, then run the robust filter."""
    # The moment estimates serve the slope shrinkage and tau2; the filter and the
    # forecast use the likelihood split of the same lag-1 variance.
    v1 = 2.0 * gf.sigma2_eps + gf.sigma2_eta
    fallback = gf.sigma2_eta / gf.sigma2_eps if gf.sigma2_eps > 0 else 0.0
    q = _walk_ratio(xstar, prior_mean, gf.tau2, v1, fallback)
    gf.sigma2_eps = v1 / (2.0 + q)
    gf.sigma2_eta = q * gf.sigma2_eps
    return _robust_filter(xstar, prior_mean, gf.tau2, gf.sigma2_eps, gf.sigma2_eta)


def _filter_levels(
    slopes: _Slopes,
    prior_mean: FloatArray,
    groups: dict[str, GroupFit],
    group_rows: GroupRows,
) -> _Levels:
    """Pass C: between-person prior variance and the robust Kalman filter per group."""
    n_persons = prior_mean.size
    out = _Levels(
        level=np.zeros(n_persons), level_var=np.zeros(n_persons),
        scale_mult=np.ones(n_persons), outliers=np.zeros(n_persons, dtype=np.int64),
        peer_weight=np.ones(n_persons), slope_lever=np.zeros(n_persons),
        innovations=np.full(slopes.xstar.shape, np.nan),
    )  # fmt: skip
    for g, rows in group_rows.items():
        gf = groups[g]
        resid = slopes.prelim[rows] - prior_mean[rows]
        gf.tau2 = _between_person_variance(gf, resid, slopes.n_window[rows])
        res = _filter_group(gf, slopes.xstar[rows], prior_mean[rows])
        out.level[rows], out.level_var[rows], out.outliers[rows] = (
            res.level, res.level_var, res.dropped,
        )  # fmt: skip
        out.peer_weight[rows] = res.prior_weight
        out.innovations[rows] = res.innovations
        # An error db in the slope used to detrend moves the filtered level by db times the
        # filter's weighted age of its observations; the Theil-Sen window's mean age, used
        # before, overstated this lever for short-memory (high q) levels and understated
        # it for long ones.
        out.slope_lever[rows] = res.lever
        gf.scale_mult = float(res.su2.sum() / max(res.nu.sum(), 1)) / _SCALE_CONST
        gf.scale_mult = max(gf.scale_mult, 0.05)
        out.scale_mult[rows] = (NU0 * gf.scale_mult + res.su2 / _SCALE_CONST) / (NU0 + res.nu)
        gf.short = _short_history_calibration(res.early_u, gf.scale_mult)
        gf.spread = _spread_calibration(res.recent_u, out.scale_mult[rows], res.nu)
    return out


def counts_whole_units(unit_kind: UnitKind, values: Sequence[float] | FloatArray) -> bool:
    """Whether a metric counts whole things: its kind says so, or, of no stated kind, every
    value is whole."""
    # A count recorded with decimals (a quarter's average per month, "4.87家") is still
    # a count: nobody can sign 4.87 new clients.
    if unit_kind != UnitKind.unspecified:
        return unit_kind == UnitKind.counts
    array = np.asarray(values, dtype=float)
    return bool(np.all(array == np.round(array)))


def _integer_valued(metric: MetricInfo, values: FloatArray) -> bool:
    """Counts get whole-number targets."""
    return counts_whole_units(metric.unit_kind, values)


def _spread_calibration(recent_u: FloatArray, scale_mult: FloatArray, nu: FloatArray) -> float:
    """Ratio of the group's recent one-step 0.2..0.8 error range to the model's own.

    The robust core scale is right for one noise shape; real panels' errors are often
    wider in the middle (many small moves) or narrower (a few big ones), and the bands
    we serve are exactly 0.2..0.8. Clipped to 0.7..1.5: a correction, not a new model.
    """
    z = recent_u / np.sqrt(np.maximum(scale_mult, 1e-12))[:, None]
    z = z[np.isfinite(z)]
    if z.size < MIN_CALIBRATION:
        return 1.0
    lo, hi = np.quantile(z, (0.2, 0.8))
    t80 = float(stats.t.ppf(0.8, NU0 + float(np.median(nu))))
    return float(np.clip((hi - lo) / (2.0 * t80), 0.7, 1.5))


def _short_history_calibration(
    early_u: FloatArray, scale_mult: float
) -> dict[int, tuple[float, float]]:
    """Conformal-style bands for people with 1..SHORT_HISTORY values, from peers' errors.

    Each peer's standardised error when they had only k values is a draw of what a
    forecast from k values misses by; its 0.2 and 0.8 quantiles, against the model's
    own, give the shift and the spread that make such bands hold. A new hire's first
    values carry ramp-up and peer-prior errors the model's Student-t does not know.
    """
    u = early_u[:, 1:]
    u = u[np.isfinite(u)]
    if u.size < MIN_CALIBRATION:
        return {}
    # One calibration for all short lengths: per length, small groups have too few errors.
    lo, hi = np.quantile(u, (0.2, 0.8))
    root = math.sqrt(max(scale_mult, 1e-12))
    out: dict[int, tuple[float, float]] = {}
    for k in range(1, SHORT_HISTORY + 1):
        t80 = float(stats.t.ppf(0.8, NU0 + k))
        spread = float(np.clip((hi - lo) / (2.0 * t80 * root), 0.5, 3.0))
        shift = float(np.clip((hi + lo) / (2.0 * root), -1.0, 1.0))
        out[k] = (shift, spread)
    return out


@dataclass(frozen=True)
class LevelBlend:
    """Per person: how the level combines the three forecasts, their states, the spread."""

    weight: FloatArray  # the smoothing's share (0 with theta_weight 0: the filter alone)
    smoothed: Smoothed  # over all people (zeros where weight is 0)
    sd: FloatArray  # one-step sd of the blended forecast, calibrated on recent errors
    theta_weight: FloatArray
    theta: Smoothed  # over all people (zeros where theta_weight is 0)
    median: npt.NDArray[np.bool_]  # the median of the three forecasts, not the weighted sum


def _no_smoothing(n_persons: int, season_len: int) -> Smoothed:
    zeros = np.zeros(n_persons)
    return Smoothed(
        alpha=zeros.copy(), beta=zeros.copy(), phi=np.ones(n_persons), level=zeros.copy(),
        trend=zeros.copy(), season=np.zeros((n_persons, max(season_len, 1))),
        errors=np.zeros((n_persons, 0)),
    )  # fmt: skip


def _no_blend(n_persons: int, season_len: int) -> LevelBlend:
    return LevelBlend(
        weight=np.zeros(n_persons), smoothed=_no_smoothing(n_persons, season_len),
        sd=np.zeros(n_persons), theta_weight=np.zeros(n_persons),
        theta=_no_smoothing(n_persons, season_len), median=np.zeros(n_persons, dtype=bool),
    )  # fmt: skip


def _held_out_filter_errors(
    x: FloatArray, last_col: npt.NDArray[np.int64], prior_mean: FloatArray, gf: GroupFit,
    validate_from: int, width: int,
) -> FloatArray:  # fmt: skip
    """The filter's one-step errors from `validate_from` on, with slopes read before it.

    The final slopes come from the last TREND_YEARS, the very columns validation holds
    out; detrending with them would make the filter look better there than it forecasts.
    """
    window = _right_aligned(x, np.minimum(last_col, validate_from - 1), width)
    raw, sxx = _theil_sen(window)
    has = np.isfinite(raw)
    early = replace(gf, slope=float(np.median(raw[has])) if has.any() else 0.0)
    slope, _ = _shrunk_slopes(early, raw, sxx, np.isfinite(window).sum(axis=1))
    slope = slope * gf.trend_share
    cols = np.arange(x.shape[1], dtype=np.float64)
    xstar = x - slope[:, None] * (cols[None, :] - (validate_from - 1))
    res = _robust_filter(xstar, prior_mean, gf.tau2, gf.sigma2_eps, gf.sigma2_eta)
    return res.innovations[:, validate_from:]


def _seasons_read_before(
    panel: _Panel, samples: GroupRows, end: int
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """The sampled rows net of seasonal and ramp offsets estimated on columns before `end`.

    Validation must not see its own columns through the seasonal pattern either: a
    fixed pattern fitted on them flatters the filter, whose forecast leans on it most.
    The offsets come from the samples alone (each group's its own); returns the sorted
    union of the sampled rows and the matrix's rows for them.
    """
    union = np.unique(np.concatenate(list(samples.values())))
    group_rows = {g: np.searchsorted(union, rows) for g, rows in samples.items()}
    early = replace(
        panel, last=panel.first + end - 1, persons=panel.persons[union],
        emps=[panel.emps[int(i)] for i in union], zmat=panel.zmat[union, :end],
        ymat=panel.ymat[union, :end], hire=panel.hire[union], tenure=panel.tenure[union, :end],
        last_col=np.minimum(panel.last_col[union], end - 1), cells=panel.cells[union],
    )  # fmt: skip
    _, groups, own = _deseasonalise_and_deramp(early, group_rows)
    season_of_col = (panel.first + np.arange(panel.n_cols)) % panel.season_len
    x = panel.zmat[union] - own.factors[:, season_of_col]
    for g, rows in group_rows.items():
        gf = groups[g]
        x[rows] -= gf.seasonality.factors[season_of_col][None, :] + gf.ramp.at(
            panel.tenure[union[rows]]
        )
    return union, x


def _blend_levels(
    panel: _Panel, xmat: FloatArray, levels: _Levels, prior_mean: FloatArray,
    groups: dict[str, GroupFit], group_rows: GroupRows, width: int,
) -> LevelBlend:  # fmt: skip
    """Pass D: damped-trend smoothing for long series, blended in where it validates better.

    Per group, the long series' honest one-step errors over the last SMOOTH_HELD_OUT
    columns (seasons, slopes and parameters read from the columns before) are set against
    the filter's over the same columns, and the combination of COMBINATIONS (the shares
    of the smoothing and Theta, or the three forecasts' median) with the smallest absolute
    error wins. Long real series whose trend bends are where a local level with a shrunk
    straight slope lost most to per-series smoothing.
    """
    blend = _no_blend(panel.n_persons, panel.season_len)
    n_obs = np.isfinite(panel.zmat).sum(axis=1)
    long = n_obs >= max(SMOOTH_MIN_SEASONS * panel.season_len, SMOOTH_MIN_POINTS)
    validate_from = panel.n_cols - SMOOTH_HELD_OUT
    if validate_from < SMOOTH_MIN_POINTS or long.sum() < MIN_PEERS:
        return blend
    # One choice per group: an evenly spaced sample of its long series makes it as well
    # as all of them would, and only the chosen model is then fitted to everyone.
    samples: GroupRows = {}
    for g, rows in group_rows.items():
        sub = rows[long[rows]]
        if sub.size >= MIN_PEERS:
            keep = np.linspace(0, sub.size - 1, min(sub.size, _Q_MAX_PEOPLE)).astype(np.int64)
            samples[g] = sub[keep]
    if not samples:
        return blend
    union, xearly = _seasons_read_before(panel, samples, validate_from)
    for g, sample in samples.items():
        sub = group_rows[g][long[group_rows[g]]]
        x = xearly[np.searchsorted(union, sample)]
        _, honest = smooth(x, panel.season_len, validate_from)
        _, honest_theta = theta(x, panel.season_len, validate_from)
        held_f = _held_out_filter_errors(
            x, panel.last_col[sample], prior_mean[sample], groups[g], validate_from, width
        )
        held_s = honest[:, validate_from:]
        held_t = honest_theta[:, validate_from:]
        both = np.isfinite(held_f) & np.isfinite(held_s) & np.isfinite(held_t)
        if both.sum() < MIN_CALIBRATION:
            continue
        scores = [
            float(np.abs(_combined(held_f, held_s, held_t, s, t, m)[both]).sum())
            for s, t, m in COMBINATIONS
        ]
        s, t, m = COMBINATIONS[int(np.argmin(scores))]
        if s == 0.0 and t == 0.0:
            continue
        groups[g].smooth_share, groups[g].theta_share, groups[g].median = s, t, m
        fitted, _ = smooth(xmat[sub], panel.season_len, validate_from)
        fitted_theta, _ = theta(xmat[sub], panel.season_len, validate_from)
        in_sample = _combined(levels.innovations[sub], fitted.errors, fitted_theta.errors, s, t, m)
        sd = _pooled_error_sd(in_sample)
        sampled_sd = sd[np.searchsorted(sub, sample)]
        held = _combined(held_f, held_s, held_t, s, t, m) / sampled_sd[:, None]
        sd = sd * _error_spread(held, float(np.median(n_obs[sub])))
        blend.weight[sub], blend.theta_weight[sub], blend.median[sub] = s, t, m
        blend.sd[sub] = sd
        for name in ("alpha", "beta", "phi", "level", "trend", "season"):
            getattr(blend.smoothed, name)[sub] = getattr(fitted, name)
            getattr(blend.theta, name)[sub] = getattr(fitted_theta, name)
    return blend


def _combined(
    filtered: FloatArray, smoothed: FloatArray, theta: FloatArray, s: float, t: float,
    median: bool = False,
) -> FloatArray:  # fmt: skip
    """The errors of the forecast that gives the smoothing share s, Theta t, the filter the rest.

    With `median`, of the forecast that is the median of the three: an error is the
    actual less a forecast, so the median forecast's error is the three errors' median.
    """
    if median:
        return np.asarray(np.median(np.stack([filtered, smoothed, theta]), axis=0))
    return (1.0 - s - t) * filtered + s * smoothed + t * theta


def _pooled_error_sd(errors: FloatArray) -> FloatArray:
    """Each row's robust one-step error sd (mean |e| for a normal), pooled with the group's."""
    n = np.isfinite(errors).sum(axis=1).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        own = math.sqrt(math.pi / 2) * np.nanmean(np.abs(errors), axis=1)
    own = np.where(np.isfinite(own), own, 0.0)
    group = float(np.median(own[n > 0])) if (n > 0).any() else 0.0
    var = (NU0 * group**2 + n * own**2) / (NU0 + n)
    return np.asarray(np.sqrt(np.maximum(var, 1e-12)), dtype=np.float64)


def _error_spread(standardised: FloatArray, n_obs: float) -> float:
    """Ratio of held-out standardised errors' 0.2..0.8 range to the Student-t's (0.7..1.5)."""
    z = standardised[np.isfinite(standardised)]
    if z.size < MIN_CALIBRATION:
        return 1.0
    lo, hi = np.quantile(z, (0.2, 0.8))
    t80 = float(stats.t.ppf(0.8, NU0 + n_obs))
    return float(np.clip((hi - lo) / (2.0 * t80), 0.7, 1.5))


def _fit_metric(data: TargetData, metric_id: str) -> MetricFit:
    panel = _panel(data, metric_id)
    group_of_role, person_group, group_rows = _role_groups(panel.emps)
    xmat, groups, own_seasons = _deseasonalise_and_deramp(panel, group_rows)
    slopes = _fit_slopes(panel, xmat, groups, group_rows)
    peers, prior_mean, prior_info = _peer_priors(panel, slopes)
    levels = _filter_levels(slopes, prior_mean, groups, group_rows)
    blend = _blend_levels(panel, xmat, levels, prior_mean, groups, group_rows, slopes.width)
    values = data.history[metric_id].value
    rows = np.arange(panel.n_persons)
    return MetricFit(
        metric=panel.info, scale=panel.scale, season_len=panel.season_len,
        first_ordinal=panel.first, last_ordinal=panel.last,
        integer_valued=_integer_valued(panel.info, values), groups=groups, peers=peers,
        row_of={int(e): i for i, e in enumerate(panel.persons)}, group_of_role=group_of_role,
        default_group="*" if "*" in groups else max(group_rows, key=lambda g: group_rows[g].size),
        person_group=person_group, level=levels.level, level_var=levels.level_var,
        slope=slopes.slope, slope_var=slopes.slope_var, slope_lever=levels.slope_lever,
        scale_mult=levels.scale_mult, n_obs=np.isfinite(panel.zmat).sum(axis=1),
        outliers=levels.outliers, peer_weight=levels.peer_weight, prior_info=prior_info,
        last_ordinal_of=panel.first + panel.last_col,
        last_value=panel.ymat[rows, panel.last_col],
        own_median=_nanmedian(_right_aligned(panel.ymat, panel.last_col, slopes.width), axis=1),
        hire_months=panel.hire, own_seasons=own_seasons, blend=blend,
    )  # fmt: skip


def _cell_for(peers: PeerTable, emp: EmployeeInfo, *, own: bool) -> tuple[str, ...]:
    self_count = 1 if own else 0
    for key, _ in _peer_cells(emp, peers.scope):
        if peers.counts.get(key, 0) - self_count >= MIN_PEERS:
            return key
    return ("all",)


def _peer_table(
    emps: list[EmployeeInfo], prelim: FloatArray, ymat: FloatArray,
    last_col: npt.NDArray[np.int64], *, scope: PeerScope,
) -> tuple[PeerTable, FloatArray]:  # fmt: skip
    keyed: dict[tuple[str, ...], list[int]] = {("all",): list(range(len(emps)))}
    for p, e in enumerate(emps):
        for key, _ in _peer_cells(e, scope):
            keyed.setdefault(key, []).append(p)
    last_raw = ymat[np.arange(len(emps)), last_col]
    medians = {k: float(np.median(prelim[v])) for k, v in keyed.items()}
    counts = {k: len(v) for k, v in keyed.items()}
    raw_last = {k: float(np.median(last_raw[v])) for k, v in keyed.items()}
    table = PeerTable(medians, counts, raw_last, {}, {}, 0.0, 0.0, scope)
    # Team effects: deviations from each member's own peer cell, winsorised, grouped by team.
    dev = np.array([prelim[p] - medians[_cell_for(table, e, own=True)] for p, e in enumerate(emps)])
    dev = _winsorise(dev)
    teams: dict[str, list[int]] = {}
    for p, e in enumerate(emps):
        if e.team:
            teams.setdefault(e.team, []).append(p)
    sums = {t: float(dev[v].sum()) for t, v in teams.items()}
    sizes = {t: len(v) for t, v in teams.items()}
    multi = [v for v in teams.values() if len(v) >= 2]
    if len(multi) >= 3:
        # One-way random-effects ANOVA by moments: between-team variance of the true effects.
        within = float(
            sum(((dev[v] - dev[v].mean()) ** 2).sum() for v in multi)
            / max(sum(len(v) - 1 for v in multi), 1)
        )
        team_means = np.array([dev[v].mean() for v in multi])
        sampling = float(np.mean([within / len(v) for v in multi]))
        between = max(0.0, float(team_means.var(ddof=1)) - sampling)
        table.team_noise, table.team_between = within, between
    table.team_sum, table.team_count = sums, sizes
    return table, dev


@dataclass(frozen=True)
class FilterResult:
    """The robust filter's state at the last column, per person (arrays over people)."""

    level: FloatArray
    level_var: FloatArray
    su2: FloatArray  # sum of squared standardised innovations, clipped at SCALE_K
    nu: FloatArray  # number of observations
    dropped: npt.NDArray[np.int64]  # one-off outliers set aside
    prior_weight: FloatArray  # the peers' prior's remaining weight in the level
    lever: FloatArray  # weighted age of the data in the level (in periods)
    later_u2: FloatArray  # squared standardised innovations after the first observation
    later_logf: FloatArray  # sum of log innovation variances over those observations
    early_u: FloatArray  # person x k: signed standardised innovation of the (k+1)-th value
    recent_u: FloatArray  # person x column: signed standardised innovations, last columns
    innovations: FloatArray  # person x column: one-step errors after the first observation


def _robust_filter(
    x: FloatArray, prior: FloatArray, tau2: float, s2eps: float | FloatArray,
    s2eta: float | FloatArray,
) -> FilterResult:  # fmt: skip
    """Local-level Kalman filter over columns, vectorised over people, robust to outliers."""
    n = x.shape[0]
    m = prior.copy()
    var = np.full(n, tau2)
    started = np.zeros(n, dtype=bool)
    pending = np.zeros(n)  # sign of a dropped outlier awaiting confirmation, else 0
    su2 = np.zeros(n)
    nu = np.zeros(n)
    dropped = np.zeros(n, dtype=np.int64)
    weight = np.ones(n)
    # Sum over observations of (filter weight x age in periods at the last column): the
    # level's sensitivity to an error in the slope used to detrend x.
    age_lever = np.zeros(n)
    later_u2 = np.full(x.shape, np.nan)
    later_logf = np.zeros(n)
    early_u = np.full((n, SHORT_HISTORY + 1), np.nan)
    recent_u = np.full((n, RECENT_COLUMNS), np.nan)
    innovations = np.full(x.shape, np.nan)
    first_recent = x.shape[1] - RECENT_COLUMNS
    for j in range(x.shape[1]):
        var = np.where(started, var + s2eta, var)
        obs = np.isfinite(x[:, j])
        f = var + s2eps
        sd = np.sqrt(f)
        v = np.where(obs, x[:, j] - m, 0.0)
        u = v / sd
        sign = np.sign(u)
        # A first observation is judged against the peers' prior: being far from peers is a
        # between-person difference, not an outlier, so only later ones can be set aside.
        extreme = obs & started & (np.abs(u) > DROP_K)
        # Two extreme innovations in a row in the same direction are a shift, not a one-off.
        confirmed = extreme & (pending == sign)
        drop = extreme & ~confirmed
        clipped = np.where(confirmed | ~started, v, np.clip(v, -HUBER_K * sd, HUBER_K * sd))
        use = obs & ~drop
        gain = var / f
        age_lever = np.where(started, age_lever + (1.0 - weight), age_lever)
        age_lever = np.where(use, (1.0 - gain) * age_lever, age_lever)
        m = np.where(use, m + gain * clipped, m)
        weight = np.where(use, weight * (1.0 - gain), weight)
        var = np.where(use, (1.0 - gain) * var, var)
        su2 += np.where(obs, np.minimum(u * u, SCALE_K**2), 0.0)
        nu += obs
        later = obs & started
        later_u2[:, j] = np.where(later, u * u, np.nan)
        innovations[:, j] = np.where(later, v, np.nan)
        if j >= first_recent:
            recent_u[:, j - first_recent] = np.where(later, u, np.nan)
        early = later & (nu <= SHORT_HISTORY + 1)
        rows_k = np.flatnonzero(early)
        early_u[rows_k, (nu[rows_k] - 1).astype(np.int64)] = u[rows_k]
        later_logf += np.where(later, np.log(f), 0.0)
        dropped += drop
        pending = np.where(obs, np.where(drop, sign, 0.0), pending)
        started |= obs
    return FilterResult(
        m,
        var,
        su2,
        nu,
        dropped,
        weight,
        age_lever,
        later_u2,
        later_logf,
        early_u,
        recent_u,
        innovations,
    )


def _innovation_criterion(later_u2: FloatArray, later_logf: FloatArray) -> float:
    """-2 x the Student-t profile log-likelihood of the innovations; smaller is better.

    Innovations after each person's first observation, each person's own scale s
    concentrated out (by the EM fixed point of a t scale):
    sum_i [sum log f + n_i log s_i + (nu + 1) sum log(1 + u^2 / (nu s_i))].
    Heavy tails matter here: under a Gaussian likelihood even capped one-off spikes read
    as evidence of a noisier, slower-moving level, and the walk's variance came out
    about half its true size when 2% of values were spikes.
    """
    u2 = later_u2
    n_i = np.isfinite(u2).sum(axis=1)
    use = n_i >= 2
    if not use.any():
        return math.nan
    u2, n_i = u2[use], n_i[use]
    s = np.maximum(np.nanmean(np.minimum(u2, DROP_K**2), axis=1), 1e-300)
    for _ in range(_T_SCALE_ITERATIONS):
        w = (_T_DOF + 1.0) / (_T_DOF + u2 / s[:, None])
        s = np.maximum(np.nanmean(w * u2, axis=1), 1e-300)
    return float(
        np.sum(later_logf[use])
        + np.sum(n_i * np.log(s))
        + (_T_DOF + 1.0) * np.nansum(np.log1p(u2 / (_T_DOF * s[:, None])))
    )


def _walk_ratio(x: FloatArray, prior: FloatArray, tau2: float, v1: float, fallback: float) -> float:
    """Signal-to-noise ratio q = eta / eps of the local level, by maximum likelihood.

    The lag-1/lag-2 moment split is fragile: eta is a small difference of two large,
    noisy variances, and a robust (MAD) variance of differences pooled over people with
    different noise levels is not additive in the components, which biased q by a factor
    of several (too short a memory for noisy metrics, too long for calm ones). The
    standard estimator for structural time-series models is the prediction-error
    likelihood; here its Student-t profile form (`_innovation_criterion`), with a common
    q and each person's own scale concentrated out (the model's own structure:
    scale_mult multiplies both variances), maximised over a log grid. The lag-1
    difference variance v1 = 2 eps + eta only fixes the overall scale, to which the
    criterion is invariant apart from the outlier rule.
    Without two observations from anyone, the moment estimate `fallback` stands.
    """
    if x.shape[0] > _Q_MAX_PEOPLE:
        # One common parameter: an evenly spaced subset of a few thousand people's
        # innovations pins it far below the grid's resolution, at a fraction of the cost.
        keep = np.linspace(0, x.shape[0] - 1, _Q_MAX_PEOPLE).astype(np.int64)
        x, prior = x[keep], prior[keep]
    # Every q at once, as blocks of rows: one pass over the columns instead of one per q.
    n, qs = x.shape[0], np.array(_Q_GRID)
    eps = np.repeat(v1 / (2.0 + qs), n)
    res = _robust_filter(
        np.tile(x, (qs.size, 1)), np.tile(prior, qs.size), tau2, eps, np.repeat(qs, n) * eps
    )
    crits = np.array([
        _innovation_criterion(res.later_u2[k * n : (k + 1) * n], res.later_logf[k * n : (k + 1) * n])
        for k in range(qs.size)
    ])  # fmt: skip
    if not np.isfinite(crits).any():
        return fallback
    return float(qs[int(np.nanargmin(crits))])


@dataclass(frozen=True)
class Forecast:
    """One request's forecast on the model scale, before mapping to quantiles."""

    mean: float
    sd: float
    dof: float
    season_offset: float
    ramp_offset: float
    ramp_months: float | None
    trend_step: float
    horizon: int
    tenure: float | None
    row: int | None
    peer_level: PeerLevel
    peer_count: int
    peer_cell: tuple[str, ...]
    peer_weight: float
    smooth_share: float = 0.0  # the damped-trend smoothing's weight in the level
    theta_share: float = 0.0  # the Theta method's
    median: bool = False  # the level is the median of the filter's, smoothing's and Theta's


def _forecast(fit: MetricFit, emp_index: int, emp: EmployeeInfo, ordinal: int) -> Forecast:
    row = fit.row_of.get(emp_index)
    group_key = fit.person_group[row] if row is not None else fit.group_of_role.get(emp.role, "*")
    group = fit.groups.get(group_key, fit.groups[fit.default_group])
    horizon = ordinal - fit.last_ordinal
    steps = max(horizon, 0)
    damped = sum(PHI**j for j in range(1, steps + 1)) if horizon > 0 else float(horizon)
    season = float(group.seasonality.factors[ordinal % fit.season_len])
    if row is not None:
        season += float(fit.own_seasons.factors[row, ordinal % fit.season_len])
    hire = _hire_months(emp)
    mid = ordinal_midpoint_months(ordinal, fit.metric.period_type)
    tenure = max(0.0, mid - hire) if math.isfinite(hire) else None
    ramp = float(group.ramp.at(np.array([tenure if tenure is not None else np.nan]))[0])
    if row is not None:
        slope = float(fit.slope[row])
        level = float(fit.level[row])
        var = (
            fit.scale_mult[row] * (fit.level_var[row] + steps * group.sigma2_eta + group.sigma2_eps)
            + fit.slope_var[row] * (damped + fit.slope_lever[row]) ** 2
        )
        dof = NU0 + float(fit.n_obs[row])
        peer_level, peer_count, cell = fit.prior_info[row]
        weight = float(fit.peer_weight[row])
    else:
        slope = group.slope
        level, peer_level, peer_count, _, cell = fit.peers.prior(emp, None)
        var = (
            group.scale_mult
            * (
                group.tau2 * (1 + 1 / max(peer_count, 1))
                + steps * group.sigma2_eta
                + group.sigma2_eps
            )
            + (group.slope_var + group.slope_between) * damped**2
        )
        dof = COLD_DOF
        weight = 1.0
    var += group.seasonality.var
    if row is not None:
        var += float(fit.own_seasons.var[row])
    mean = level + slope * damped + season + ramp
    sd = math.sqrt(max(var, 1e-12))
    trend_step = slope * (PHI ** max(steps, 1))
    blended = row is not None and steps > 0
    share = float(fit.blend.weight[row]) if blended else 0.0
    theta_share = float(fit.blend.theta_weight[row]) if blended else 0.0
    if row is not None and share + theta_share > 0.0:
        level_s, season_s, step_s, level_t, step_t, sd = _smoothed_forecast(
            fit, row, ordinal, steps
        )
        own = 1.0 - share - theta_share
        if fit.blend.median[row]:
            mean = float(np.median([level + slope * damped, level_s + season_s, level_t]))
        else:
            season += share * season_s
            mean = own * (level + slope * damped) + share * level_s + theta_share * level_t
        mean += season + ramp
        trend_step = own * trend_step + share * step_s + theta_share * step_t
    elif row is not None and int(fit.n_obs[row]) in group.short:
        shift, spread = group.short[int(fit.n_obs[row])]
        mean += shift * sd
        sd *= spread
    elif row is not None:
        sd *= group.spread
    return Forecast(
        mean=mean,
        sd=sd,
        dof=dof,
        season_offset=season,
        ramp_offset=ramp,
        ramp_months=group.ramp.lam if ramp != 0.0 else None,
        trend_step=trend_step,
        horizon=horizon,
        tenure=tenure,
        row=row,
        peer_level=peer_level,
        peer_count=peer_count,
        peer_cell=cell,
        peer_weight=weight,
        smooth_share=share,
        theta_share=theta_share,
        median=share + theta_share > 0.0 and bool(fit.blend.median[row]),
    )


def _smoothed_forecast(
    fit: MetricFit, row: int, ordinal: int, steps: int
) -> tuple[float, float, float, float, float, float]:
    """One person's smoothing and Theta forecasts `steps` ahead, and the blend's sd.

    Returns the smoothing's level + damped trend, its seasonal correction and last
    step's trend; Theta's level + drift and its drift; the blend's predictive sd.
    """
    sm, th = fit.blend.smoothed, fit.blend.theta
    share, theta_share = float(fit.blend.weight[row]), float(fit.blend.theta_weight[row])
    phi, alpha, beta = float(sm.phi[row]), float(sm.alpha[row]), float(sm.beta[row])
    powers = phi ** np.arange(1, steps + 1)
    level = float(sm.level[row]) + float(sm.trend[row]) * float(powers.sum())
    season = float(sm.season[row, (ordinal - fit.first_ordinal) % sm.season.shape[1]])
    drift = float(th.trend[row])
    # ETS(A,Ad,N): each earlier step's error carries into the forecast with weight
    # alpha + beta * (phi + ... + phi^j); SES with drift carries alpha. The blend's
    # carries are the two weighted by their shares.
    carried = (
        share * (alpha + beta * np.cumsum(powers[:-1])) + theta_share * float(th.alpha[row])
    ) / (share + theta_share)
    sd = float(fit.blend.sd[row]) * math.sqrt(1.0 + float(np.sum(carried**2)))
    step = float(sm.trend[row]) * float(powers[-1])
    theta_season = float(th.season[row, (ordinal - fit.first_ordinal) % th.season.shape[1]])
    return level, season, step, float(th.level[row]) + drift * steps + theta_season, drift, sd


def _ratio(scale: Scale, mean: float, offset: float) -> float:
    with_it = float(scale.inverse(np.array([mean]))[0])
    without = float(scale.inverse(np.array([mean - offset]))[0])
    if offset == 0.0 or without <= 0 or with_it <= 0:
        return 1.0
    return with_it / without


def suggest_target(
    data: TargetData, request: TargetRequest, *, lang: str = "zh"
) -> TargetSuggestion:
    """Suggest a commit / target / stretch range for one employee, metric and period."""
    from coach.targets.rationale import build_rationale

    validate_probabilities(request.commit_probability, request.stretch_probability)
    emp = data.employee(request.employee_id)
    info = data.metric(request.metric)
    try:
        ordinal = to_ordinal(request.period, info.period_type)
    except InvalidPeriod as exc:
        raise InvalidPeriod(request.period, info.period_type, info.metric) from exc
    fit = fit_metric(data, info.metric)
    emp_index = data.employee_index[emp.employee_id]
    row = fit.row_of.get(emp_index)
    if row is None and emp.role and emp.role not in fit.group_of_role:
        # A role that never reported the metric has no target for it (an assembler's
        # story points), rather than one borrowed from other roles.
        raise NotApplicable(info.metric, emp.employee_id, emp.role)
    # Own history: the period must follow the employee's last value. Cold start: it must
    # follow the metric's last period, since peers' latest values are the starting point.
    last = int(fit.last_ordinal_of[row]) if row is not None else fit.last_ordinal
    if ordinal <= last:
        raise PeriodNotAfterHistory(
            request.period, from_ordinal(last, info.period_type), info.metric, emp.employee_id
        )
    fc = _forecast(fit, emp_index, emp, ordinal)
    levels = quantile_levels(
        request.commit_probability, request.stretch_probability, info.direction
    )
    z = fc.mean + fc.sd * special.stdtrit(fc.dof, np.array(levels))
    values = fit.scale.inverse(z)
    quantiles = {quantile_key(q): float(v) for q, v in zip(levels, values, strict=True)}
    by_level = dict(zip(levels, values.tolist(), strict=True))
    iv = fit.integer_valued
    commit = round_display(
        by_level[level_for(request.commit_probability, info.direction)], integer_valued=iv
    )
    stretch = round_display(
        by_level[level_for(request.stretch_probability, info.direction)], integer_valued=iv
    )
    target = round_display(by_level[0.5], integer_valued=iv)
    median = float(by_level[0.5])
    trend = median - float(fit.scale.inverse(np.array([fc.mean - fc.trend_step]))[0])
    features = ["local level", f"{fit.scale.kind} scale"]
    seasonal = fc.season_offset != 0.0
    if fc.smooth_share > 0.0:
        features.append("exponential smoothing")
    if fc.theta_share > 0.0:
        features.append("Theta method")
    if fc.median:
        features.append("median of the three forecasts")
    if fc.trend_step != 0.0:
        features.append("damped trend")
    if seasonal:
        features.append("seasonality")
    ramp_factor = _ratio(fit.scale, fc.mean, fc.ramp_offset)
    # Said only when it moves the target visibly, as the rationale says it.
    ramp_applied = abs(ramp_factor - 1.0) >= RAMP_VISIBLE
    if ramp_applied:
        features.append("ramp-up")
    prefix = "cold start from peers: " if row is None else "partial pooling: "
    method = prefix + " + ".join(features)
    basis = Basis(
        own_periods=int(fit.n_obs[row]) if row is not None else 0,
        peer_count=fc.peer_count,
        peer_group=fc.peer_level,
        method=method,
        scale=fit.scale.kind,
        seasonality=seasonal,
        seasonal_factor=_ratio(fit.scale, fc.mean, fc.season_offset),
        trend=trend,
        trend_pct=trend / median if median else 0.0,
        horizon=fc.horizon,
        tenure_months=fc.tenure,
        ramp_factor=ramp_factor,
        ramp_applied=ramp_applied,
        ramp_months=fc.ramp_months if ramp_applied else None,
        outliers_dropped=int(fit.outliers[row]) if row is not None else 0,
        last_value=float(fit.last_value[row]) if row is not None else None,
        last_period=from_ordinal(int(fit.last_ordinal_of[row]), info.period_type)
        if row is not None
        else None,
        own_median=float(fit.own_median[row]) if row is not None else None,
        peer_median=fit.peers.raw_last.get(fc.peer_cell),
        shrinkage_weight=fc.peer_weight,
        predictive_sd=fc.sd,
    )
    text, numbers = build_rationale(
        info=info,
        period=request.period,
        commit=commit,
        target=target,
        stretch=stretch,
        commit_probability=request.commit_probability,
        stretch_probability=request.stretch_probability,
        basis=basis,
        integer_valued=iv,
        lang=lang,
    )
    return TargetSuggestion(
        employee_id=emp.employee_id,
        metric=info.metric,
        period=request.period,
        quantiles=quantiles,
        commit=commit,
        target=target,
        stretch=stretch,
        commit_probability=request.commit_probability,
        stretch_probability=request.stretch_probability,
        unit=info.unit,
        direction=info.direction,
        basis=basis,
        rationale=text,
        rationale_numbers=numbers,
        integer_valued=iv,
    )


def suggest_targets(
    data: TargetData, requests: Sequence[TargetRequest], *, lang: str = "zh"
) -> list[TargetSuggestion | TargetError]:
    """Suggest ranges for many requests; a failing request yields its typed error in place."""
    results: list[TargetSuggestion | TargetError] = []
    for request in requests:
        try:
            results.append(suggest_target(data, request, lang=lang))
        except TargetError as exc:
            results.append(exc)
    return results
