#!/usr/bin/env python3
"""Generate the independent reference fixtures for llmalpha's research statistics.

ResearchStatisticsTests.swift compares FactorStatistics, FactorIC, NormalDistribution,
DeflatedSharpe and BacktestOverfitting against these files. Every expected value comes from
pandas, numpy, scipy or statsmodels, or from the straightforward definitions written out below
with numpy (CSCV: one train/test split at a time on the actual rows). Nothing here is computed by
llmalpha.

Input: reference-btcusdt-1h.csv (written by make_fixtures.py): its `close` column, 3000 BTCUSDT
1h bars from 2024-01-01 00:00 UTC.

Outputs (next to this script):
  research-btcusdt-1h.csv          close, the two factors below and the forward returns at
                                   horizons 1, 4 and 24, as pandas computes them.
  research-btcusdt-1h-scalars.csv  one-number references (`name,value`), listed in the header.
  research-normal.csv              scipy's standard normal cdf on a grid of x and ndtri on a grid
                                   of p.
  research-small-case.csv          a 14-bar factor/forward pair with NaN, ties and exactly
                                   integer qcut edges (11 valid pairs, 5 and 2 bins).
  research-cscv-returns.csv        a seeded 44 x 6 return matrix (trial_5 duplicates trial_2).
  research-cscv-s8.csv             CSCV on that matrix with 8 blocks, one row per split.

Factors: zrev_48 = -(close - mean_48) / std_48 (pandas rolling, ddof=0), and zrev_48_round1 =
zrev_48 rounded to 1 decimal (numpy round-half-even; many ties) with NaN at bars 1000...1009 and
1450...1670 (bar period 6 of 240 bars keeps only 19 valid pairs, below the 60 needed).

Format: leading `#` comment lines (what, generator, library versions), a header, then rows.
Numbers are written with repr(float) (shortest round-trip); NaN is an empty field.

Usage (keep the venv outside the repo):
    python3 -m venv /tmp/rsvenv && /tmp/rsvenv/bin/pip install numpy pandas scipy statsmodels
    /tmp/rsvenv/bin/python3 Tests/PrimitivesTests/Fixtures/make_research_fixtures.py
It works from any working directory and is deterministic: same input + same library versions
give byte-identical files.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import platform
import sys

try:
    import numpy as np
    import pandas as pd
    import scipy
    import scipy.special
    import scipy.stats
    import statsmodels
    import statsmodels.api as sm
except ImportError as error:
    sys.exit(f"make_research_fixtures: {error}. Run it with a python that has numpy, pandas, scipy "
             "and statsmodels, e.g.\n  python3 -m venv /tmp/rsvenv && /tmp/rsvenv/bin/pip install "
             "numpy pandas scipy statsmodels\n  /tmp/rsvenv/bin/python3 make_research_fixtures.py")

HERE = os.path.dirname(os.path.abspath(__file__))

HORIZONS = [1, 4, 24]
PERIOD_BARS = 240
QUANTILES = 5
EULER_GAMMA = 0.5772156649015329  # numpy.euler_gamma
CSCV_SEED = 20240101


# --------------------------------------------------------------------------------------------
# Inputs


def load_close() -> pd.Series:
    bars = pd.read_csv(os.path.join(HERE, "reference-btcusdt-1h.csv"), comment="#")
    if len(bars) != 3000 or bars["close"].isna().any():
        sys.exit("make_research_fixtures: reference-btcusdt-1h.csv is not the 3000-bar slice")
    return bars["close"].astype(np.float64)


def factors(close: pd.Series) -> dict[str, np.ndarray]:
    mean = close.rolling(48).mean()
    std = close.rolling(48).std(ddof=0)
    zrev = (-(close - mean) / std).to_numpy()
    rounded = np.round(zrev, 1)
    rounded[1000:1010] = np.nan
    rounded[1450:1671] = np.nan
    return {"zrev_48": zrev, "zrev_48_round1": rounded}


def forward_return(close: pd.Series, h: int) -> np.ndarray:
    return (close.shift(-h) / close - 1.0).to_numpy()


# --------------------------------------------------------------------------------------------
# Factor statistics, one library call per definition


def valid_pairs(f: np.ndarray, r: np.ndarray):
    keep = ~(np.isnan(f) | np.isnan(r))
    return np.flatnonzero(keep), f[keep], r[keep]


def spearman(a, b) -> float:
    return float(scipy.stats.spearmanr(a, b).statistic)


def default_lags(n: int, h: int) -> int:
    return max(h - 1, int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0))))


def hac(f: np.ndarray, r: np.ndarray, lags: int) -> tuple[float, float]:
    """statsmodels OLS rank(r) ~ 1 + rank(f), HAC (Bartlett) with `lags`, statsmodels defaults
    otherwise (fit(cov_type='HAC') uses no small-sample correction and normal p-values)."""
    rx = scipy.stats.rankdata(f)
    ry = scipy.stats.rankdata(r)
    res = sm.OLS(ry, sm.add_constant(rx)).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    if res.cov_kwds.get("use_correction", False) or res.use_t:
        sys.exit("make_research_fixtures: statsmodels HAC defaults changed (use_correction/use_t)")
    return float(res.tvalues[1]), float(res.pvalues[1])


def period_ics(bars: np.ndarray, f: np.ndarray, r: np.ndarray, period: int) -> list[float]:
    minimum = max(10, period // 4)
    out = []
    for k in np.unique(bars // period):
        sel = bars // period == k
        if sel.sum() < minimum:
            continue
        rho = spearman(f[sel], r[sel])
        if not math.isnan(rho):
            out.append(rho)
    return out


def quantile_means(f: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    bins = pd.qcut(pd.Series(f).rank(method="first"), q, labels=False)
    return pd.Series(r).groupby(bins.to_numpy()).mean().reindex(range(q)).to_numpy()


def factor_scalars(name: str, f: np.ndarray, fwd: dict[int, np.ndarray]) -> dict[str, float]:
    out: dict[str, float] = {}
    for h in HORIZONS:
        p = f"{name}_h{h}_"
        bars, fv, rv = valid_pairs(f, fwd[h])
        n = len(fv)
        lags = default_lags(n, h)
        t, pv = hac(fv, rv, lags)
        ics = period_ics(bars, fv, rv, PERIOD_BARS)
        means = quantile_means(fv, rv, QUANTILES)
        out[p + "observations"] = n
        out[p + "ic"] = spearman(fv, rv)
        out[p + "hac_lags"] = lags
        out[p + "hac_t"] = t
        out[p + "hac_p"] = pv
        out[p + "period_ic_count"] = len(ics)
        for k, v in enumerate(ics):
            out[p + f"period_ic_{k}"] = v
        out[p + "ir"] = float(np.mean(ics) / np.std(ics, ddof=1))
        for i, v in enumerate(means):
            out[p + f"quantile_mean_{i}"] = float(v)
        out[p + "monotonicity"] = spearman(np.arange(QUANTILES), means)
        # FactorIC (the factor layer's report): t = ic * sqrt((n/h - 2) / (1 - ic^2)).
        ic = out[p + "ic"]
        out[f"factor_ic_{name}_h{h}_t"] = ic * math.sqrt((n / h - 2) / (1 - ic * ic))
    lagged = pd.Series(f).shift(1).to_numpy()
    out[f"{name}_rank_autocorrelation_lag1"] = float(
        scipy.stats.spearmanr(f, lagged, nan_policy="omit").statistic)
    return out


def variant_scalars(f: np.ndarray, fwd: dict[int, np.ndarray]) -> dict[str, float]:
    """Non-default parameters on zrev_48: explicit HAC lags, 10 quantiles, lag-24 autocorrelation."""
    out: dict[str, float] = {}
    _, fv, rv = valid_pairs(f, fwd[24])
    for lags in (0, 10, 50):
        out[f"zrev_48_h24_lags{lags}_hac_t"], out[f"zrev_48_h24_lags{lags}_hac_p"] = hac(fv, rv, lags)
    _, fv4, rv4 = valid_pairs(f, fwd[4])
    means = quantile_means(fv4, rv4, 10)
    for i, v in enumerate(means):
        out[f"zrev_48_h4_q10_quantile_mean_{i}"] = float(v)
    out["zrev_48_h4_q10_monotonicity"] = spearman(np.arange(10), means)
    lagged = pd.Series(f).shift(24).to_numpy()
    out["zrev_48_rank_autocorrelation_lag24"] = float(
        scipy.stats.spearmanr(f, lagged, nan_policy="omit").statistic)
    return out


# --------------------------------------------------------------------------------------------
# A small case with exactly integer qcut edges


SMALL_FACTOR = [0.5, -1.25, 2.0, float("nan"), 0.5, 3.5, -0.75, 1.0, 0.5, -2.0, 4.25, 1.0, -0.5, 2.5]
SMALL_FORWARD = [0.01, -0.02, 0.015, 0.03, 0.0, 0.04, -0.01, float("nan"), 0.005, -0.03, 0.02,
                 0.012, -0.004, float("nan")]


def small_scalars() -> dict[str, float]:
    f, r = np.array(SMALL_FACTOR), np.array(SMALL_FORWARD)
    _, fv, rv = valid_pairs(f, r)
    if len(fv) != 11:
        sys.exit("make_research_fixtures: the small case must have 11 valid pairs")
    out: dict[str, float] = {"small_observations": len(fv), "small_ic": spearman(fv, rv)}
    out["small_lags2_hac_t"], out["small_lags2_hac_p"] = hac(fv, rv, 2)
    for q in (5, 2):
        means = quantile_means(fv, rv, q)
        for i, v in enumerate(means):
            out[f"small_q{q}_quantile_mean_{i}"] = float(v)
        out[f"small_q{q}_monotonicity"] = spearman(np.arange(q), means)
    return out


# --------------------------------------------------------------------------------------------
# Moments, normal distribution, deflated Sharpe ratio


def moment_scalars(name: str, x: np.ndarray) -> dict[str, float]:
    x = x[~np.isnan(x)]
    return {
        f"moments_{name}_mean": float(np.mean(x)),
        f"moments_{name}_std": float(np.std(x, ddof=1)),
        f"moments_{name}_skewness": float(scipy.stats.skew(x, bias=True)),
        f"moments_{name}_kurtosis": float(scipy.stats.kurtosis(x, fisher=False, bias=True)),
    }


def expected_max_sharpe(n: int, variance: float) -> float:
    norm = scipy.stats.norm
    return math.sqrt(variance) * ((1 - EULER_GAMMA) * norm.ppf(1 - 1 / n)
                                  + EULER_GAMMA * norm.ppf(1 - 1 / (n * math.e)))


def psr(sr: float, sr0: float, t: int, skew: float, kurt: float) -> float:
    return float(scipy.stats.norm.cdf((sr - sr0) * math.sqrt(t - 1)
                                      / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr * sr)))


def dsr_scalars(returns: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    # Bailey & Lopez de Prado (2014), section 4's example, in per-day units.
    sr, var = 2.5 / math.sqrt(250), 0.5 / 250
    sr0 = expected_max_sharpe(100, var)
    out["dsr_paper_threshold"] = sr0
    out["dsr_paper_dsr"] = psr(sr, sr0, 1250, -3.0, 10.0)
    # The 1h returns of the fixture, as if chosen among 50 trials with Sharpe variance 1e-4.
    x = returns[~np.isnan(returns)]
    sr = float(np.mean(x) / np.std(x, ddof=1))
    skew = float(scipy.stats.skew(x, bias=True))
    kurt = float(scipy.stats.kurtosis(x, fisher=False, bias=True))
    sr0 = expected_max_sharpe(50, 1e-4)
    out["dsr_return_1_threshold"] = sr0
    out["dsr_return_1_dsr"] = psr(sr, sr0, len(x), skew, kurt)
    out["psr_return_1_vs_0"] = psr(sr, 0.0, len(x), skew, kurt)
    return out


NORMAL_X = [-38.0, -30.0, -20.0, -10.0, -8.5, -5.0, -3.0, -2.0, -1.5, -1.0, -0.7071067811865476,
            -0.5, -1e-10, 0.0, 1e-10, 0.25, 0.5, 1.0, 1.959963984540054, 2.5, 3.0, 5.0, 8.0]
NORMAL_P = [1e-300, 1e-100, 1e-20, 1e-12, 1.3887943864964021e-11, 1e-8, 1e-4, 0.01, 0.025,
            0.0749, 0.075, 0.1, 0.25, 0.4, 0.5, 0.6, 0.9, 0.925, 0.9251, 0.975, 0.99, 0.9999,
            0.99999999]


# --------------------------------------------------------------------------------------------
# CSCV straight from the paper's definitions, one split at a time on the actual rows


def cscv_returns() -> np.ndarray:
    rng = np.random.default_rng(CSCV_SEED)
    m = rng.normal(0.0, 0.01, size=(44, 6))
    m[:, 0] += 0.004  # a real edge
    m[:, 5] = m[:, 2]  # a duplicate: ties in and out of sample
    return m


def sharpe_or_minus_inf(x: np.ndarray) -> float:
    std = np.std(x, ddof=1)
    return float(np.mean(x) / std) if std > 0 else -math.inf


def cscv(m: np.ndarray, s: int) -> tuple[list[tuple[int, int, float, float, float]], float, float, float]:
    t, n = m.shape
    m = np.nan_to_num(m[t % s:], nan=0.0)
    b = m.shape[0] // s
    rows = []
    for combo in itertools.combinations(range(s), s // 2):
        mask = sum(1 << i for i in combo)
        train_rows = np.concatenate([np.arange(i * b, (i + 1) * b) for i in combo])
        test_rows = np.setdiff1d(np.arange(s * b), train_rows)
        train = [sharpe_or_minus_inf(m[train_rows, j]) for j in range(n)]
        test = [sharpe_or_minus_inf(m[test_rows, j]) for j in range(n)]
        best = int(np.argmax(train))  # first maximum: lowest index on ties
        omega = scipy.stats.rankdata(test)[best] / (n + 1)
        rows.append((mask, best, train[best], test[best], math.log(omega / (1 - omega))))
    rows.sort()
    logits = np.array([r[4] for r in rows])
    train_best = np.array([r[2] for r in rows])
    test_best = np.array([r[3] for r in rows])
    slope = float(scipy.stats.linregress(train_best, test_best).slope)
    return rows, float(np.mean(logits <= 0)), float(np.mean(test_best < 0)), slope


# --------------------------------------------------------------------------------------------
# Output


def fmt(v) -> str:
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        sys.exit("make_research_fixtures: infinite value in a reference")
    return repr(v)


def versions() -> str:
    return (f"numpy {np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
            f"statsmodels {statsmodels.__version__}, python {platform.python_version()}")


COMMON = [
    "Generator: Tests/PrimitivesTests/Fixtures/make_research_fixtures.py (do not edit; rerun it).",
    None,  # libraries, filled in by main()
    "Numbers: repr(float), shortest round-trip; NaN is an empty field.",
]


def write_table(name: str, comments: list[str], columns: dict[str, list]) -> None:
    names = list(columns)
    length = len(columns[names[0]])
    assert all(len(v) == length for v in columns.values())
    with open(os.path.join(HERE, name), "w", newline="") as f:
        for line in comments + COMMON:
            f.write(f"# {line}\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in range(length):
            w.writerow([fmt(columns[k][i]) for k in names])


def main() -> None:
    COMMON[1] = f"Libraries: {versions()}."
    close = load_close()
    fs = factors(close)
    fwd = {h: forward_return(close, h) for h in HORIZONS}

    write_table("research-btcusdt-1h.csv", [
        "Inputs of the research-statistics references: close of reference-btcusdt-1h.csv,",
        "zrev_48 = -(close - close.rolling(48).mean()) / close.rolling(48).std(ddof=0),",
        "zrev_48_round1 = np.round(zrev_48, 1) with NaN at 1000...1009 and 1450...1670,",
        "forward_return_<h> = close.shift(-h) / close - 1 (pandas).",
    ], {"close": close.to_numpy(), **fs, **{f"forward_return_{h}": fwd[h] for h in HORIZONS}})

    scalars: dict[str, float] = {}
    for name, f in fs.items():
        scalars.update(factor_scalars(name, f, fwd))
    scalars.update(variant_scalars(fs["zrev_48"], fwd))
    scalars.update(small_scalars())
    ret1 = close.pct_change(1, fill_method=None).to_numpy()
    scalars.update(moment_scalars("return_1", ret1))
    scalars.update(moment_scalars("forward_return_24", fwd[24]))
    scalars.update(dsr_scalars(ret1))
    rows, pbo, loss, slope = cscv(cscv_returns(), 8)
    scalars["cscv_s8_pbo"] = pbo
    scalars["cscv_s8_probability_of_loss"] = loss
    scalars["cscv_s8_performance_degradation"] = slope
    scalars["cscv_s8_combinations"] = len(rows)

    with open(os.path.join(HERE, "research-btcusdt-1h-scalars.csv"), "w", newline="") as f:
        for line in [
            "One-number references for the research statistics (`name,value`).",
            "<factor>_h<h>_*: over the bars where factor and forward_return_<h> are both non-NaN",
            "  (research-btcusdt-1h.csv): observations; ic = scipy.stats.spearmanr; hac_t, hac_p =",
            "  statsmodels sm.OLS(rankdata(fwd), sm.add_constant(rankdata(f))).fit(cov_type='HAC',",
            "  cov_kwds={'maxlags': hac_lags}) slope t and p (statsmodels defaults: no small-sample",
            "  correction, normal p-values), hac_lags = max(h - 1, floor(4 (n/100)^(2/9)));",
            "  period_ic_<k> = spearmanr within bar-index periods [240k, 240(k+1)) with >= 60 valid",
            "  pairs, NaN ICs dropped, period_ic_count of them; ir = mean / std(ddof=1) of those;",
            "  quantile_mean_<i> = mean fwd per pd.qcut(pd.Series(f).rank(method='first'), 5,",
            "  labels=False) bin; monotonicity = spearmanr(arange(q), means).",
            "<factor>_rank_autocorrelation_lag<L>: spearmanr(f, f.shift(L), nan_policy='omit').",
            "factor_ic_<factor>_h<h>_t: FactorIC's t, ic * sqrt((n/h - 2) / (1 - ic^2)), with the ic",
            "  and n above.",
            "zrev_48_h24_lags<L>_*: HAC with explicit maxlags; zrev_48_h4_q10_*: 10 bins.",
            "small_*: research-small-case.csv (11 valid pairs), HAC with 2 lags, 5 and 2 bins.",
            "moments_<x>_*: NaN dropped; numpy mean, std(ddof=1); scipy skew(bias=True),",
            "  kurtosis(fisher=False, bias=True). return_1 = close.pct_change(1).",
            "dsr_paper_*: Bailey & Lopez de Prado (2014) example, N=100, V=0.5/250, T=1250,",
            "  SR=2.5/sqrt(250), skew -3, kurtosis 10; dsr_return_1_*: return_1's SR, skew,",
            "  kurtosis, T, with N=50, V=1e-4; psr_return_1_vs_0: PSR against SR0=0. SR0 =",
            "  sqrt(V)((1-g) norm.ppf(1-1/N) + g norm.ppf(1-1/(N e))), PSR = norm.cdf((SR-SR0)",
            "  sqrt(T-1) / sqrt(1 - skew SR + (kurt-1)/4 SR^2)), scipy.stats.norm.",
            "cscv_s8_*: CSCV of research-cscv-returns.csv with 8 blocks (see research-cscv-s8.csv);",
            "  performance_degradation = scipy.stats.linregress(train, test).slope.",
        ] + COMMON:
            f.write(f"# {line}\n")
        f.write("name,value\n")
        for k, v in scalars.items():
            f.write(f"{k},{fmt(v)}\n")

    write_table("research-normal.csv", [
        "Standard normal references: cdf = scipy.stats.norm.cdf(x); quantile =",
        "scipy.special.ndtri(p) (cephes, a different algorithm from AS 241).",
    ], {"x": NORMAL_X, "cdf": [float(scipy.stats.norm.cdf(x)) for x in NORMAL_X],
        "p": NORMAL_P, "quantile": [float(scipy.special.ndtri(p)) for p in NORMAL_P]})

    write_table("research-small-case.csv", [
        "A 14-bar factor/forward-return pair: NaN on both sides (11 valid pairs), tied factor",
        "values, qcut edges 1 + k(11 - 1)/q exactly integer for q = 5 and q = 2.",
    ], {"factor": SMALL_FACTOR, "forward": SMALL_FORWARD})

    m = cscv_returns()
    write_table("research-cscv-returns.csv", [
        f"CSCV input: numpy default_rng({CSCV_SEED}).normal(0, 0.01, (44, 6)); trial_0 + 0.004;",
        "trial_5 = trial_2. Rows are time, columns trials.",
    ], {f"trial_{j}": m[:, j] for j in range(m.shape[1])})
    write_table("research-cscv-s8.csv", [
        "CSCV of research-cscv-returns.csv with 8 blocks of 5 rows (the first 44 mod 8 = 4 rows",
        "dropped), written out from the definitions: one row per choice of 4 training blocks, by",
        "ascending mask (bit b = block b trains). Performance = mean / std(ddof=1) of the actual",
        "rows; selected = argmax of training performance (lowest index on ties); logit =",
        "ln(w / (1 - w)), w = scipy.stats.rankdata(test)[selected] / (N + 1).",
    ], {"mask": [r[0] for r in rows], "selected": [r[1] for r in rows],
        "train": [r[2] for r in rows], "test": [r[3] for r in rows],
        "logit": [r[4] for r in rows]})

    print(f"make_research_fixtures: wrote 6 files to {HERE}\n  {versions()}")


if __name__ == "__main__":
    main()
