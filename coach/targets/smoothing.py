"""Damped-trend exponential smoothing and the Theta method, per series by small grids, vectorised.

The recursion is additive ETS(A,Ad,A) on the engine's model scale, after the engine's own
seasonal and ramp-up offsets are removed (on the log scale of a positive metric that is
multiplicative seasonality, as in ETS(M,Ad,M)):

    e[t] = x[t] - (l + phi * b + s[t % m])
    l   <- l + phi * b + alpha * e[t]
    b   <- phi * b + beta * e[t]
    s[t % m] <- s[t % m] + gamma * e[t]

The seasonal states start at zero and correct the engine's (shrunk) pattern where the
series' own keeps drifting from it. Every (alpha, beta, phi, gamma) of `GRID` runs on
every series at once, one column at a time; each series keeps the combination with the
smallest AIC under Laplace errors (`_aic_factor`), then the best of its alpha and gamma
each moved halfway to a grid neighbour (`_refined`). A missing value advances the state
without an update.

The Theta method (`theta`) is the same recursion with beta 0, phi 1 and the trend fixed
at half the series' least-squares slope, its seasonal states starting at the series'
own classical indices.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ALPHAS = (0.05, 0.15, 0.3, 0.5, 0.8, 1.0)
BETAS = (0.0, 0.02, 0.08, 0.2)
PHIS = (0.8, 0.9, 0.98)
GAMMAS = (0.0, 0.1, 0.25)
# Combinations that keep the usual admissible region: beta <= alpha, alpha + gamma <= 1.
GRID: tuple[tuple[float, float, float, float], ...] = tuple(
    (a, b, p, g)
    for a, b, p, g in itertools.product(ALPHAS, BETAS, PHIS, GAMMAS)
    if b <= a and a + g <= 1.0 + 1e-9 and not (b == 0.0 and p != PHIS[-1])
)
BURN_IN = 2  # a series' first errors after this many values count toward its score


@dataclass(frozen=True)
class Smoothed:
    """Each series' chosen parameters, final states and one-step errors."""

    alpha: FloatArray
    beta: FloatArray
    phi: FloatArray
    level: FloatArray
    trend: FloatArray
    season: FloatArray  # series x m, indexed by column % m (shift by the first ordinal)
    errors: FloatArray  # series x column: one-step errors (NaN where none)


def _run(
    xt: FloatArray, params: FloatArray, period: int, score_until: int, *, keep_errors: bool,
    trend0: FloatArray | None = None, season0: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """The recursion on the series of xt (column x series), series r with params[r].

    Column-major, so each step reads one contiguous row. The trends start at `trend0`
    (zero without it); with beta 0 and phi 1 they stay there, a fixed drift.

    Returns (level, trend, season, errors, score before `score_until`, total score), where
    a score is the mean absolute one-step error after each row's first BURN_IN values
    (errors is empty unless `keep_errors`).
    """
    n_cols, n = xt.shape
    alpha, beta, phi, gamma = (np.ascontiguousarray(p) for p in params.T)
    finite = np.isfinite(xt)
    x0 = np.where(finite, xt, 0.0)
    level = np.zeros(n)
    trend = np.zeros(n) if trend0 is None else np.array(trend0, dtype=np.float64)
    season = np.zeros((period, n)) if season0 is None else np.array(season0.T, dtype=np.float64)
    started = np.zeros(n, dtype=bool)
    seen = np.zeros(n)
    errors = np.full((n_cols, n) if keep_errors else (0, n), np.nan)
    early_sum, early_n = np.zeros(n), np.zeros(n)
    total_sum, total_n = np.zeros(n), np.zeros(n)
    e, damped, abs_e = np.empty(n), np.empty(n), np.empty(n)
    for c in range(n_cols):
        obs = finite[c]
        valid = obs & started
        s = season[c % period]
        np.multiply(phi, trend, out=damped)
        # Zero where there is nothing to learn from: the state then only moves on.
        np.subtract(x0[c], level, out=e)
        e -= damped
        e -= s
        e *= valid
        scored = valid & (seen >= BURN_IN)
        np.abs(e, out=abs_e)
        abs_e *= scored
        total_sum += abs_e
        total_n += scored
        if c < score_until:
            early_sum += abs_e
            early_n += scored
        if keep_errors:
            errors[c] = np.where(valid, e, np.nan)
        level += damped
        level += alpha * e
        np.add(damped, beta * e, out=trend)
        s += gamma * e
        new = obs & ~started
        level[new] = x0[c][new]
        started |= obs
        seen += obs
    errors = errors.T
    season = season.T
    level[~started] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        early = np.where(early_n > 0, early_sum / early_n, np.inf)
        total = np.where(total_n > 0, total_sum / total_n, np.inf)
    return level, trend, season, errors, early, total


def _aic_factor(grid: FloatArray, x: FloatArray) -> FloatArray:
    """exp(k / n) per series and combination: AIC's penalty on a mean absolute error.

    Under Laplace errors -2 log L = 2 n log(mean |e|) + const, so ranking by AIC is ranking
    by mean |e| * exp(k / n), with k the smoothing weights the combination frees (alpha;
    beta with phi; gamma). Without it a trend or seasonal update fitted to a short
    history's noise wins in sample and costs out of it.
    """
    k = _free_weights(grid)
    n = _scored_count(np.isfinite(x).sum(axis=1))
    return np.asarray(np.exp(k[None, :] / n[:, None]), dtype=np.float64)


def _free_weights(params: FloatArray) -> FloatArray:
    """The smoothing weights each (alpha, beta, phi, gamma) frees: alpha; beta, phi; gamma."""
    return np.asarray(1.0 + 2.0 * (params[:, 1] > 0) + (params[:, 3] > 0), dtype=np.float64)


def _scored_count(n_values: IntArray) -> FloatArray:
    """The error count AIC's penalty divides by, for series of `n_values` values."""
    return np.asarray(np.maximum(n_values - BURN_IN - 1, 1), dtype=np.float64)


def smooth(x: FloatArray, period: int, validate_from: int) -> tuple[Smoothed, FloatArray]:
    """Fit every row of x; and the honest one-step errors from column `validate_from` on.

    The second result uses, per row, the parameters that scored best *before*
    `validate_from`, so its errors there are out of sample: what rolling validation
    compares against the engine's other level models.
    """
    n = x.shape[0]
    grid = np.array(GRID)
    g = grid.shape[0]
    xt = np.ascontiguousarray(x.T)
    params = np.tile(grid, (n, 1))
    period = max(period, 1)
    _, _, _, _, early, total = _run(
        np.repeat(xt, g, axis=1), params, period, validate_from, keep_errors=False
    )
    early = early.reshape(n, g) * _aic_factor(grid, x[:, :validate_from])
    total = total.reshape(n, g) * _aic_factor(grid, x)
    early_best = np.argmin(early, axis=1)
    total_best = np.argmin(total, axis=1)
    chosen = _refined(
        np.hstack([xt, xt]), np.vstack([grid[total_best], grid[early_best]]), period,
        np.concatenate([np.full(n, x.shape[1]), np.full(n, validate_from)]),
    )  # fmt: skip
    level, trend, season, errors, _, _ = _run(
        np.hstack([xt, xt]), chosen, period, 0, keep_errors=True
    )
    fitted = Smoothed(
        alpha=chosen[:n, 0], beta=chosen[:n, 1], phi=chosen[:n, 2],
        level=level[:n], trend=trend[:n], season=season[:n], errors=errors[:n],
    )  # fmt: skip
    return fitted, errors[n:]


def _refined(xt: FloatArray, chosen: FloatArray, period: int, until: IntArray) -> FloatArray:
    """Each series' grid choice, or the best of the alpha/gamma midpoints around it.

    The grid is coarse where most series' scores are flat between its values; a step
    halfway to each neighbour costs nine runs per series where a grid as fine would
    cost hundreds. Series r (column r of xt) scores its columns before until[r] by the
    grid's AIC; candidates keep beta <= alpha and alpha + gamma <= 1.
    """
    candidates = _midpoint_candidates(chosen)
    rows, per_row = candidates.shape[:2]
    params = candidates.reshape(rows * per_row, 4)
    owner = np.repeat(np.arange(rows), per_row)
    scores = np.full(rows * per_row, np.inf)
    for stop in np.unique(until):
        sub = np.flatnonzero(until[owner] == stop)
        cols = owner[sub]
        _, _, _, _, early, _ = _run(
            np.ascontiguousarray(xt[:, cols]), params[sub], period, int(stop), keep_errors=False
        )
        n = _scored_count(np.isfinite(xt[: int(stop), cols]).sum(axis=0))
        scores[sub] = early * np.exp(_free_weights(params[sub]) / n)
    admissible = (params[:, 1] <= params[:, 0]) & (params[:, 0] + params[:, 3] <= 1.0 + 1e-9)
    scores = np.where(admissible, scores, np.inf).reshape(rows, per_row)
    return np.asarray(candidates[np.arange(rows), np.argmin(scores, axis=1)], dtype=np.float64)


def _midpoint_candidates(chosen: FloatArray) -> FloatArray:
    """Each chosen (alpha, beta, phi, gamma) with alpha and gamma moved halfway or kept.

    Row x 9 x 4: every pair of (halfway down, kept, halfway up) for alpha and for gamma;
    the fifth is the choice itself, so refining never scores worse in sample.
    """
    alphas = _between(ALPHAS, chosen[:, 0])
    gammas = _between(GAMMAS, chosen[:, 3])
    out = np.repeat(chosen[:, None, :], 9, axis=1)
    for j, (a, g) in enumerate(itertools.product(alphas, gammas)):
        out[:, j, 0] = a
        out[:, j, 3] = g
    return out


def _between(values: tuple[float, ...], chosen: FloatArray) -> tuple[FloatArray, ...]:
    """The midpoint to the grid neighbour below, the value itself, the midpoint above.

    At an end of the grid the missing neighbour is the value itself.
    """
    grid = np.array(values)
    i = np.searchsorted(grid, chosen - 1e-9)
    lower = grid[np.maximum(i - 1, 0)]
    upper = grid[np.minimum(i + 1, grid.size - 1)]
    return (lower + chosen) / 2.0, chosen, (upper + chosen) / 2.0


THETA_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
THETA_GAMMAS = GAMMAS


def half_slopes(x: FloatArray) -> FloatArray:
    """Half of each row's least-squares slope over its values (0 with fewer than two)."""
    finite = np.isfinite(x)
    t = np.where(finite, np.arange(x.shape[1], dtype=np.float64)[None, :], 0.0)
    n = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = t.sum(axis=1) / n
        x_mean = np.where(finite, x, 0.0).sum(axis=1) / n
        dt = np.where(finite, t - t_mean[:, None], 0.0)
        sxy = (dt * np.where(finite, x - x_mean[:, None], 0.0)).sum(axis=1)
        slope = sxy / (dt**2).sum(axis=1)
    return np.asarray(np.where((n >= 2) & np.isfinite(slope), 0.5 * slope, 0.0), dtype=np.float64)


def seasonal_indices(x: FloatArray, period: int) -> FloatArray:
    """Each row's additive seasonal indices (row x period, by column % period), classically.

    The mean, per season, of the row's deviations from its centred moving average over a
    year (2 x period for an even period), centred to sum to zero; zeros where a season
    has no deviation to average, or for a period of one.
    """
    n, n_cols = x.shape
    if period < 2 or n_cols < period + 1:
        return np.zeros((n, max(period, 1)))
    weights = np.full(period + 1, 1.0 / period)
    if period % 2 == 0:
        weights[[0, -1]] = 0.5 / period
    else:
        weights = np.full(period, 1.0 / period)
    width = weights.size
    windows = np.lib.stride_tricks.sliding_window_view(x, width, axis=1)
    trend = np.full_like(x, np.nan)
    trend[:, width // 2 : width // 2 + windows.shape[1]] = windows @ weights
    dev = x - trend
    season_of_col = np.arange(n_cols) % period
    out = np.zeros((n, period))
    for k in range(period):
        cols = dev[:, season_of_col == k]
        has = np.isfinite(cols).sum(axis=1)
        out[:, k] = np.where(has > 0, np.nansum(cols, axis=1) / np.maximum(has, 1), np.nan)
    known = np.isfinite(out).all(axis=1)
    centred = out[known] - out[known].mean(axis=1, keepdims=True)
    out = np.zeros((n, period))
    out[known] = centred
    return out


def theta(x: FloatArray, period: int, validate_from: int) -> tuple[Smoothed, FloatArray]:
    """The Theta method on every row of x; and its honest one-step errors from `validate_from`.

    Simple exponential smoothing with a drift of half the series' least-squares slope:
    the M3 competition's winner, which Hyndman & Billah (2003) showed to be exactly SES
    with that drift. As there, each series is deseasonalised by its own classical
    indices (`seasonal_indices`); here they start seasonal states that a small gamma may
    update, since a pattern read over a whole long history is out of date at its end.
    (alpha, gamma) is the grid's pair with the smallest mean absolute one-step error; the
    honest errors use the pair, the indices and the drift read before `validate_from`.
    """
    n = x.shape[0]
    period = max(period, 1)
    gammas = THETA_GAMMAS if period > 1 else (0.0,)
    grid = np.array([(a, 0.0, 1.0, c) for a in THETA_ALPHAS for c in gammas if a + c <= 1.0 + 1e-9])
    g = grid.shape[0]
    season_of_col = np.arange(x.shape[1]) % period
    s_full = seasonal_indices(x, period)
    s_early = seasonal_indices(x[:, :validate_from], period)
    drift = np.concatenate(
        [
            half_slopes(x - s_full[:, season_of_col]),
            half_slopes((x - s_early[:, season_of_col])[:, :validate_from]),
        ]
    )
    s0 = np.vstack([s_full, s_early])
    xt = np.ascontiguousarray(x.T)
    both = np.hstack([xt, xt])
    _, _, _, _, early, total = _run(
        np.repeat(both, g, axis=1), np.tile(grid, (2 * n, 1)), period, validate_from,
        keep_errors=False, trend0=np.repeat(drift, g), season0=np.repeat(s0, g, axis=0),
    )  # fmt: skip
    total_best = np.argmin(total.reshape(2 * n, g)[:n], axis=1)
    early_best = np.argmin(early.reshape(2 * n, g)[n:], axis=1)
    chosen = np.vstack([grid[total_best], grid[early_best]])
    level, trend, season, errors, _, _ = _run(
        both, chosen, period, 0, keep_errors=True, trend0=drift, season0=s0
    )
    fitted = Smoothed(
        alpha=chosen[:n, 0], beta=chosen[:n, 1], phi=chosen[:n, 2],
        level=level[:n], trend=trend[:n], season=season[:n], errors=errors[:n],
    )  # fmt: skip
    return fitted, errors[n:]
