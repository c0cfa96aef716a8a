#!/usr/bin/env python3
"""Generate the independent reference fixtures for llmalpha's numeric kernels.

The Swift tests in Tests/PrimitivesTests compare our kernels against these files. Every expected
value here comes from TA-Lib, pandas, numpy or scipy (or, for a few edge cases, from TA-Lib applied
to the segments our documented NaN convention defines). Nothing here is computed by llmalpha.

Outputs (next to this script):
  reference-btcusdt-1h.csv          3000 BTCUSDT 1h bars from 2024-01-01 00:00 UTC, with the
                                    ETHUSDT close aligned by open_time, plus one column per
                                    reference output (`<primitive>_<params>[_<output>]`).
  reference-btcusdt-1h-scalars.csv  one-number references (`name,value`): Spearman correlations.
  edge-cases.csv                    small hand-made inputs (`<case>_<what>` columns, 60 rows).

Format: leading `#` comment lines (what, generator, library versions), a header, then rows.
Numbers are written with repr(float) (shortest round-trip); NaN is an empty field.

The script also re-computes the cancellation-prone references (var, std, bbands, correl, cov,
beta, zscore, the bigoffset case) and the cumulative sum in exact rational arithmetic, and refuses
to write anything if a library's value uses more than REFERENCE_MARGIN of the Swift tests'
tolerance (see `tolerance`). The fraction used is recorded in the header, so a reader can see that
the tolerance is spent on our kernels' rounding, not on the references' own error.

Usage (needs TA-Lib >= 0.6, numpy, pandas, scipy; keep the venv outside the repo):
    python3 -m venv /tmp/fxvenv && /tmp/fxvenv/bin/pip install TA-Lib numpy pandas scipy
    /tmp/fxvenv/bin/python3 Tests/PrimitivesTests/Fixtures/make_fixtures.py
It works from any working directory and is deterministic: same data + same library versions give
byte-identical files.
"""

from __future__ import annotations

import csv
import glob
import math
import os
import platform
import sys
import textwrap
from fractions import Fraction

try:
    import numpy as np
    import pandas as pd
    import scipy
    import scipy.stats
    import talib
except ImportError as error:
    sys.exit(f"make_fixtures: {error}. Run it with a python that has TA-Lib, numpy, pandas and "
             "scipy, e.g.\n  python3 -m venv /tmp/fxvenv && /tmp/fxvenv/bin/pip install TA-Lib "
             "numpy pandas scipy\n  /tmp/fxvenv/bin/python3 make_fixtures.py")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(REPO, "data", "binance-um")

START_OPEN_TIME_MS = 1704067200000  # 2024-01-01 00:00 UTC
BAR_COUNT = 3000
EDGE_LENGTH = 60

# Tolerance policy of the Swift tests (ColumnTolerance in ReferenceFixture.swift holds the
# authoritative copy and the measurements behind it; keep the two in sync):
#     |ours - ref| <= rel * max(|ref|, scale)
# rel is REL (BIG_OFFSET_REL for the bigoffset edge case: std/mean ~ 3e-9 there, so even pandas'
# Welford update is only good to ~5e-8). scale is
#   1e-12                             for most columns (plain relative);
#   NEAR_ZERO_FACTOR * max|column|    for columns that cross zero: differences of nearly equal
#                                     numbers, whose absolute error is set by the operands;
#   CORRELATION_SCALE                 for correlations: a running-sum correlation is good to about
#                                     1e-11 absolute (TA-Lib's own CORREL is off by 7e-12 here).
REL = 1e-9
BIG_OFFSET_REL = 1e-6
NEAR_ZERO_FACTOR = 1e-3
CORRELATION_SCALE = 0.1
NEAR_ZERO_COLUMNS = {
    "macd_12_26_9_macd", "macd_12_26_9_signal", "macd_12_26_9_hist", "zscore_168", "cov_30",
    "obv", "roc_10", "pct_change_10", "log_return_1", "diff_1", "cumsum_of_log_return_1",
    "sign_of_diff_1", "forward_return_24", "plateau_zscore_5",
}
CORRELATION_COLUMNS = {"correl_30"}
# A library value must be this much closer to the exact value than the Swift tolerance, so that
# the tolerance is spent on our kernel's rounding, not on the reference's.
REFERENCE_MARGIN = 0.2


def tolerance(name: str, column: np.ndarray) -> tuple[float, float]:
    """(rel, scale) of the Swift tests for this column (ColumnTolerance.bounds)."""
    near_zero_scale = NEAR_ZERO_FACTOR * float(np.nanmax(np.abs(column)))
    if name.startswith("bigoffset_"):
        return BIG_OFFSET_REL, near_zero_scale
    if name in CORRELATION_COLUMNS:
        return REL, CORRELATION_SCALE
    if name in NEAR_ZERO_COLUMNS:
        return REL, near_zero_scale
    return REL, 1e-12


INPUT_COLUMNS = ["open_time", "open", "high", "low", "close", "volume", "eth_close"]


# --------------------------------------------------------------------------------------------
# Data


def load_symbol(symbol: str) -> pd.DataFrame:
    """Concatenate every monthly 1h CSV of `symbol` (file names sort by month)."""
    paths = sorted(glob.glob(os.path.join(DATA, symbol, "1h", f"{symbol}-1h-*.csv")))
    if not paths:
        sys.exit(f"make_fixtures: no {symbol} 1h files under {DATA}")
    frames = [pd.read_csv(p, dtype={"open_time": "int64"}) for p in paths]
    df = pd.concat(frames, ignore_index=True)
    if not df["open_time"].is_monotonic_increasing or df["open_time"].duplicated().any():
        sys.exit(f"make_fixtures: {symbol} open_time is not strictly increasing")
    return df


def load_bars() -> pd.DataFrame:
    """3000 BTCUSDT bars from START_OPEN_TIME_MS with ETHUSDT close joined on open_time."""
    btc = load_symbol("BTCUSDT")
    eth = load_symbol("ETHUSDT")
    start = btc.index[btc["open_time"] == START_OPEN_TIME_MS]
    if len(start) != 1:
        sys.exit("make_fixtures: start bar 2024-01-01 00:00 UTC not found in BTCUSDT data")
    bars = btc.iloc[start[0]:start[0] + BAR_COUNT].reset_index(drop=True)
    if len(bars) != BAR_COUNT:
        sys.exit(f"make_fixtures: only {len(bars)} BTCUSDT bars after the start")
    eth_close = eth[["open_time", "close"]].rename(columns={"close": "eth_close"})
    bars = bars.merge(eth_close, on="open_time", how="left", validate="one_to_one")
    if bars.isna().any().any():
        sys.exit("make_fixtures: NaN in the input bars (missing ETHUSDT bar?)")
    return bars[INPUT_COLUMNS]


# --------------------------------------------------------------------------------------------
# References on the real bars


def talib_references(b: pd.DataFrame) -> dict[str, np.ndarray]:
    """TA-Lib outputs. Leading NaN inputs (ema_10_of_rsi_14) are skipped by the python wrapper."""
    h, l, c, v, e = (b[k].to_numpy(np.float64) for k in
                     ["high", "low", "close", "volume", "eth_close"])
    r: dict[str, np.ndarray] = {}
    r["sma_20"] = talib.SMA(c, 20)
    r["sma_1"] = talib.SMA(c, 1)
    r["sma_10"] = talib.SMA(c, 10)  # also the inputs of crossover_sma10_sma30
    r["sma_30"] = talib.SMA(c, 30)
    r["ema_20"] = talib.EMA(c, 20)
    r["ema_10_of_rsi_14"] = talib.EMA(talib.RSI(c, 14), 10)
    r["wma_20"] = talib.WMA(c, 20)
    r["std_20"] = talib.STDDEV(c, 20, nbdev=1)
    r["var_20"] = talib.VAR(c, 20, nbdev=1)
    r["sum_20"] = talib.SUM(c, 20)
    r["max_20"] = talib.MAX(c, 20)
    r["min_20"] = talib.MIN(c, 20)
    r["rsi_14"] = talib.RSI(c, 14)
    r["rsi_2"] = talib.RSI(c, 2)
    macd, signal, hist = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    r["macd_12_26_9_macd"], r["macd_12_26_9_signal"], r["macd_12_26_9_hist"] = macd, signal, hist
    r["atr_14"] = talib.ATR(h, l, c, 14)
    upper, middle, lower = talib.BBANDS(c, 20, nbdevup=2, nbdevdn=2, matype=0)
    r["bbands_20_2_upper"], r["bbands_20_2_middle"], r["bbands_20_2_lower"] = upper, middle, lower
    k, d = talib.STOCH(h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0,
                       slowd_period=3, slowd_matype=0)
    r["stoch_14_3_3_k"], r["stoch_14_3_3_d"] = k, d
    r["adx_14"] = talib.ADX(h, l, c, 14)
    r["obv"] = talib.OBV(c, v)
    r["roc_10"] = talib.ROC(c, 10)
    r["correl_30"] = talib.CORREL(c, e, 30)
    return r


def crossing(a: np.ndarray, b: np.ndarray, up: bool) -> np.ndarray:
    """1.0 where a crosses b (up: a[t] > b[t] and a[t-1] <= b[t-1]); 0.0 elsewhere, including any
    bar where one of the four values is NaN. Written with numpy only."""
    out = np.zeros(len(a))
    a0, a1, b0, b1 = a[:-1], a[1:], b[:-1], b[1:]
    valid = ~(np.isnan(a0) | np.isnan(a1) | np.isnan(b0) | np.isnan(b1))
    with np.errstate(invalid="ignore"):
        hit = (a1 > b1) & (a0 <= b0) if up else (a1 < b1) & (a0 >= b0)
    out[1:] = np.where(valid & hit, 1.0, 0.0)
    return out


def pandas_references(b: pd.DataFrame, ta: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """pandas / numpy outputs (population statistics use ddof=0)."""
    c, e = b["close"], b["eth_close"]
    r: dict[str, np.ndarray] = {}
    mean168 = c.rolling(168).mean()
    std168 = c.rolling(168).std(ddof=0)
    r["zscore_168"] = ((c - mean168) / std168.where(std168 != 0)).to_numpy()
    # Order statistics at small and large windows (a kernel may switch algorithm with the size).
    r["median_21"] = c.rolling(21).median().to_numpy()
    r["median_301"] = c.rolling(301).median().to_numpy()
    r["median_400"] = c.rolling(400).median().to_numpy()
    r["rank_100"] = c.rolling(100).rank(method="max", pct=True).to_numpy()
    r["rank_500"] = c.rolling(500).rank(method="max", pct=True).to_numpy()
    r["quantile_50_0.9"] = c.rolling(50).quantile(0.9, interpolation="linear").to_numpy()
    r["quantile_400_0.25"] = c.rolling(400).quantile(0.25, interpolation="linear").to_numpy()
    r["cov_30"] = c.rolling(30).cov(e, ddof=0).to_numpy()
    ry, rx = c.pct_change(1, fill_method=None), e.pct_change(1, fill_method=None)
    r["beta_30_returns"] = (ry.rolling(30).cov(rx, ddof=0) / rx.rolling(30).var(ddof=0)).to_numpy()
    typical = (b["high"] + b["low"] + c) / 3.0
    r["vwap_24"] = ((typical * b["volume"]).rolling(24).sum()
                    / b["volume"].rolling(24).sum()).to_numpy()
    r["pct_change_10"] = c.pct_change(10, fill_method=None).to_numpy()
    log_return = np.log(c / c.shift(1))
    r["log_return_1"] = log_return.to_numpy()
    r["lag_3"] = c.shift(3).to_numpy()
    r["diff_1"] = c.diff(1).to_numpy()
    r["cumsum_of_log_return_1"] = log_return.cumsum(skipna=True).to_numpy()
    r["cumprod_of_gross_return_1"] = (1.0 + c.pct_change(1, fill_method=None)).cumprod(
        skipna=True).to_numpy()
    r["abs_of_diff_1"] = np.abs(c.diff(1)).to_numpy()
    r["sign_of_diff_1"] = np.sign(c.diff(1)).to_numpy()
    r["log_of_close"] = np.log(c).to_numpy()
    r["exp_of_log_return_1"] = np.exp(log_return).to_numpy()
    r["forward_return_24"] = (c.shift(-24) / c - 1.0).to_numpy()
    when = pd.to_datetime(b["open_time"], unit="ms", utc=True)
    r["hour_of_day"] = when.dt.hour.to_numpy(np.float64)
    r["day_of_week"] = when.dt.day_of_week.to_numpy(np.float64)  # Monday = 0
    sma10, sma30 = ta["sma_10"], ta["sma_30"]
    r["crossover_sma10_sma30"] = crossing(sma10, sma30, up=True)
    r["crossunder_sma10_sma30"] = crossing(sma10, sma30, up=False)
    # Close on crossover bars, NaN elsewhere, then forward-filled: "close at the last crossover".
    at_cross = c.where(r["crossover_sma10_sma30"] == 1.0)
    r["ffill_of_close_at_crossover_sma10_sma30"] = at_cross.ffill().to_numpy()
    return r


def spearman_omit(a: np.ndarray, b: np.ndarray) -> float:
    """scipy.stats.spearmanr with nan_policy='omit', checked against dropping NaN pairs first
    (the two differ only in the last bits, from a different summation order)."""
    rho = float(scipy.stats.spearmanr(a, b, nan_policy="omit").statistic)
    keep = ~(np.isnan(a) | np.isnan(b))
    rho_pairs = float(scipy.stats.spearmanr(a[keep], b[keep]).statistic)
    if not math.isclose(rho, rho_pairs, rel_tol=1e-12):
        sys.exit(f"make_fixtures: spearmanr omit {rho!r} != pairwise-dropped {rho_pairs!r}")
    return rho


def scalar_references(b: pd.DataFrame, refs: dict[str, np.ndarray]) -> dict[str, float]:
    c, e = b["close"].to_numpy(), b["eth_close"].to_numpy()
    return {
        "spearman_rsi_14_vs_forward_return_24": spearman_omit(refs["rsi_14"],
                                                              refs["forward_return_24"]),
        "spearman_close_vs_eth_close": spearman_omit(c, e),
        # np.round is round-half-even; the Swift test rounds the same way (.toNearestOrEven).
        "spearman_round_close_100_vs_round_eth_close_10": spearman_omit(np.round(c / 100.0),
                                                                        np.round(e / 10.0)),
    }


# --------------------------------------------------------------------------------------------
# Small hand-made edge cases (all EDGE_LENGTH rows)


def talib_on_segments(fn, x: np.ndarray) -> np.ndarray:
    """Apply a TA-Lib recursive indicator under llmalpha's restart rule: NaN at each interior NaN,
    and each NaN-free run after it is treated as a fresh series (re-seeded, a full lookback)."""
    out = np.full(len(x), np.nan)
    start = 0
    for i in range(len(x) + 1):
        if i == len(x) or np.isnan(x[i]):
            if i > start:
                out[start:i] = fn(x[start:i])
            start = i + 1
    return out


def edge_cases() -> dict[str, np.ndarray]:
    n = EDGE_LENGTH
    i = np.arange(n, dtype=np.float64)
    r: dict[str, np.ndarray] = {}

    # Prices near 1e5 moving by ~1e-4: sum-of-squares variance cancels catastrophically here
    # (x^2 ~ 1e10, variance ~ 1e-8: off by orders of magnitude), while a shifted, Welford or
    # two-pass one stays within ~1e-7 (the data's own conditioning, std/mean ~ 3e-9).
    big = 100000.0 + 1e-4 * np.round(np.sin(0.7 * i) * 5.0 + 0.1 * i, 0)
    s = pd.Series(big)
    std = s.rolling(20).std(ddof=0)
    r["bigoffset_x"] = big
    r["bigoffset_std_20"] = std.to_numpy()
    r["bigoffset_zscore_20"] = ((s - s.rolling(20).mean()) / std.where(std != 0)).to_numpy()

    # A constant (not exactly representable) value: zero variance, zscore NaN, TA-Lib RSI 0.0.
    const = np.full(n, 100.1)
    cs = pd.Series(const)
    cstd = cs.rolling(20).std(ddof=0)
    r["constant_x"] = const
    r["constant_std_20"] = cstd.to_numpy()
    r["constant_zscore_20"] = ((cs - cs.rolling(20).mean()) / cstd.where(cstd != 0)).to_numpy()
    r["constant_rsi_14"] = talib.RSI(const, 14)
    # high = low = close = constant: a zero range gives TA-Lib's 0.0 (not NaN) for these.
    r["constant_atr_5"] = talib.ATR(const, const, const, 5)
    r["constant_adx_5"] = talib.ADX(const, const, const, 5)
    k, d = talib.STOCH(const, const, const, fastk_period=5, slowk_period=3, slowk_matype=0,
                       slowd_period=3, slowd_matype=0)
    r["constant_stoch_5_3_3_k"], r["constant_stoch_5_3_3_d"] = k, d

    # A plateau after varying prices: a window of identical values must give a variance of
    # exactly 0 (pandas tracks runs of equal values for this), so the z-score there is NaN
    # rather than a ratio of two rounding residues.
    plateau = 100.0 + np.round(np.sin(1.3 * i) * 0.7, 1)
    plateau[25:40] = 100.3
    p = pd.Series(plateau)
    pstd = p.rolling(5).std(ddof=0)
    r["plateau_x"] = plateau
    r["plateau_std_5"] = pstd.to_numpy()
    r["plateau_zscore_5"] = ((p - p.rolling(5).mean()) / pstd.where(pstd != 0)).to_numpy()

    # An interior NaN at index 20: windowed kernels are NaN while the window holds it (pandas);
    # recursive kernels restart after it (TA-Lib on each NaN-free run, see talib_on_segments).
    gap = 100.0 + np.round(10.0 * np.sin(0.3 * i) + 0.5 * i, 2)
    gap[20] = np.nan
    g = pd.Series(gap)
    r["gap_x"] = gap
    r["gap_sma_5"] = g.rolling(5).mean().to_numpy()
    r["gap_max_5"] = g.rolling(5).max().to_numpy()
    r["gap_std_5"] = g.rolling(5).std(ddof=0).to_numpy()
    r["gap_ema_5"] = talib_on_segments(lambda x: talib.EMA(x, 5), gap)
    r["gap_rsi_5"] = talib_on_segments(lambda x: talib.RSI(x, 5), gap)

    # Leading NaNs (as after a warm-up): TA-Lib's wrapper skips them, so EMA(5) is first valid at
    # index 7 + 5 - 1 = 11 and RSI(5) at 7 + 5 = 12.
    lead = 50.0 + np.round(3.0 * np.cos(0.4 * i) + 0.2 * i, 2)
    lead[:7] = np.nan
    r["leadnan_x"] = lead
    r["leadnan_ema_5"] = talib.EMA(lead, 5)
    r["leadnan_rsi_5"] = talib.RSI(lead, 5)
    r["leadnan_sma_5"] = talib.SMA(lead, 5)
    return r


# --------------------------------------------------------------------------------------------
# Exact re-computation of the cancellation-prone references


def _frac(x: float) -> Fraction:
    return Fraction(float(x))


def _window_moments(x: np.ndarray, y: np.ndarray, t: int, n: int):
    """Exact mean_x, mean_y, var_x, var_y, cov (population) of the window ending at t."""
    xs = [_frac(v) for v in x[t - n + 1:t + 1]]
    ys = [_frac(v) for v in y[t - n + 1:t + 1]]
    mx, my = sum(xs) / n, sum(ys) / n
    vx = sum((a - mx) ** 2 for a in xs) / n
    vy = sum((a - my) ** 2 for a in ys) / n
    cxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / n
    return mx, my, vx, vy, cxy


def exact_rolling(kind: str, x: np.ndarray, n: int, y: np.ndarray | None = None,
                  extra: float = 0.0) -> np.ndarray:
    """Exact (rational, one final rounding or sqrt) rolling statistic; NaN where any input is."""
    y = x if y is None else y
    out = np.full(len(x), np.nan)
    for t in range(n - 1, len(x)):
        if np.isnan(x[t - n + 1:t + 1]).any() or np.isnan(y[t - n + 1:t + 1]).any():
            continue
        mx, my, vx, vy, cxy = _window_moments(x, y, t, n)
        if kind == "var":
            out[t] = float(vx)
        elif kind == "std":
            out[t] = math.sqrt(float(vx))  # sqrt of the correctly rounded variance
        elif kind == "band":  # mean + extra * std
            out[t] = float(mx + Fraction(extra) * Fraction(math.sqrt(float(vx))))
        elif kind == "cov":
            out[t] = float(cxy)
        elif kind == "beta":
            out[t] = float(cxy / vx) if vx != 0 else np.nan
        elif kind == "correl":
            out[t] = float(cxy) / math.sqrt(float(vx) * float(vy))
        elif kind == "zscore":
            out[t] = float((_frac(x[t]) - mx) / Fraction(math.sqrt(float(vx)))) if vx else np.nan
        else:
            raise ValueError(kind)
    return out


def exact_cumsum(x: np.ndarray) -> np.ndarray:
    out, acc = np.full(len(x), np.nan), Fraction(0)
    for t, v in enumerate(x):
        if not np.isnan(v):
            acc += _frac(v)
            out[t] = float(acc)
    return out


def reference_error(name: str, ref: np.ndarray, exact: np.ndarray) -> float:
    """Worst |ref - exact| as a fraction of the Swift tolerance; NaN positions must agree."""
    if not np.array_equal(np.isnan(ref), np.isnan(exact)):
        sys.exit(f"make_fixtures: {name}: NaN positions differ from the exact recomputation")
    ok = ~np.isnan(exact)
    rel, scale = tolerance(name, exact)
    allowed = rel * np.maximum(np.abs(exact[ok]), scale)
    used = float(np.max(np.abs(ref[ok] - exact[ok]) / allowed))
    if not used <= REFERENCE_MARGIN:
        sys.exit(f"make_fixtures: {name}: library value uses {used:.3g} of the test tolerance")
    return used


def check_accuracy(b: pd.DataFrame, refs: dict[str, np.ndarray],
                   edge: dict[str, np.ndarray]) -> dict[str, float]:
    c, e = b["close"].to_numpy(), b["eth_close"].to_numpy()
    ry = b["close"].pct_change(1, fill_method=None).to_numpy()
    rx = b["eth_close"].pct_change(1, fill_method=None).to_numpy()
    checks = {
        "var_20": exact_rolling("var", c, 20),
        "std_20": exact_rolling("std", c, 20),
        "bbands_20_2_upper": exact_rolling("band", c, 20, extra=2.0),
        "bbands_20_2_lower": exact_rolling("band", c, 20, extra=-2.0),
        "correl_30": exact_rolling("correl", c, 30, e),
        "cov_30": exact_rolling("cov", c, 30, e),
        "beta_30_returns": exact_rolling("beta", rx, 30, ry),
        "zscore_168": exact_rolling("zscore", c, 168),
        "cumsum_of_log_return_1": exact_cumsum(refs["log_return_1"]),
    }
    errors = {k: reference_error(k, refs[k], v) for k, v in checks.items()}
    errors["plateau_std_5"] = reference_error(
        "plateau_std_5", edge["plateau_std_5"], exact_rolling("std", edge["plateau_x"], 5))
    big = edge["bigoffset_x"]
    errors["bigoffset_std_20"] = reference_error(
        "bigoffset_std_20", edge["bigoffset_std_20"], exact_rolling("std", big, 20))
    errors["bigoffset_zscore_20"] = reference_error(
        "bigoffset_zscore_20", edge["bigoffset_zscore_20"], exact_rolling("zscore", big, 20))
    return errors


# --------------------------------------------------------------------------------------------
# Output


def fmt(v) -> str:
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        sys.exit("make_fixtures: infinite value in a reference")
    return repr(v)


def versions() -> str:
    return (f"TA-Lib python {talib.__version__} (C library "
            f"{talib.__ta_version__.decode().split(' ')[0]}), numpy {np.__version__}, "
            f"pandas {pd.__version__}, scipy {scipy.__version__}, "
            f"python {platform.python_version()}")


def write_table(path: str, comments: list[str], columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    length = len(columns[names[0]])
    assert all(len(v) == length for v in columns.values())
    with open(path, "w", newline="") as f:
        for line in comments:
            f.write(f"# {line}\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in range(length):
            w.writerow([str(int(columns[k][i])) if k == "open_time" else fmt(columns[k][i])
                        for k in names])


def main() -> None:
    bars = load_bars()
    ta = talib_references(bars)
    pdr = pandas_references(bars, ta)
    refs = {**ta, **pdr}
    edge = edge_cases()
    errors = check_accuracy(bars, refs, edge)
    accuracy = ", ".join(f"{k} {v:.2f}" for k, v in errors.items())

    common = [
        "Generator: Tests/PrimitivesTests/Fixtures/make_fixtures.py (do not edit; rerun it).",
        f"Libraries: {versions()}.",
        "Numbers: repr(float), shortest round-trip; NaN is an empty field.",
    ]
    columns = {k: bars[k].to_numpy() for k in INPUT_COLUMNS}
    columns.update(refs)
    write_table(os.path.join(HERE, "reference-btcusdt-1h.csv"), [
        "Reference outputs for llmalpha's kernels on 3000 BTCUSDT 1h bars (Binance USD-M),",
        "open_time 1704067200000 (2024-01-01 00:00 UTC) onward; eth_close is ETHUSDT close",
        "joined on open_time. Columns after the inputs are <primitive>_<params>[_<output>].",
        *common,
        "TA-Lib: sma_20 sma_1 sma_10 sma_30 ema_20 ema_10_of_rsi_14 (EMA(10) of RSI(14),",
        "  leading NaN skipped by the TA-Lib python wrapper) wma_20 std_20 (STDDEV nbdev=1)",
        "  var_20 sum_20 max_20 min_20 rsi_14 rsi_2 macd_12_26_9_* atr_14 bbands_20_2_*",
        "  (nbdev 2, SMA) stoch_14_3_3_k/_d (SMA slowing) adx_14 obv roc_10 correl_30 (close vs",
        "  eth_close).",
        "pandas (ddof=0 throughout): zscore_168 median_21/_301/_400 rank_100/_500 (rank max,",
        "  pct) quantile_50_0.9/_400_0.25 (linear) cov_30 beta_30_returns (cov/var of",
        "  pct_change(1), close on eth_close) vwap_24 ((h+l+c)/3 volume-weighted) pct_change_10",
        "  lag_3 diff_1 cumsum_of_log_return_1 and cumprod_of_gross_return_1 (skipna)",
        "  forward_return_24 (close.shift(-24)/close - 1) hour_of_day day_of_week (Monday = 0,",
        "  UTC) ffill_of_close_at_crossover_sma10_sma30.",
        "numpy: log_return_1 = log(close/close.shift(1)), abs_of_diff_1, sign_of_diff_1,",
        "  log_of_close, exp_of_log_return_1, crossover/crossunder_sma10_sma30 (1/0 from TA-Lib",
        "  SMA(10), SMA(30): a[t] > b[t] and a[t-1] <= b[t-1], all four non-NaN, else 0).",
        "Library value vs exact rational recomputation, as the fraction of the Swift tests'",
        "tolerance it uses (make_fixtures.py refuses more than REFERENCE_MARGIN):",
        *textwrap.wrap(accuracy + ".", 88, initial_indent="  ", subsequent_indent="  "),
    ], columns)

    scalars = scalar_references(bars, refs)
    with open(os.path.join(HERE, "reference-btcusdt-1h-scalars.csv"), "w", newline="") as f:
        f.write("# One-number references on the bars of reference-btcusdt-1h.csv.\n")
        for line in common:
            f.write(f"# {line}\n")
        f.write("# scipy.stats.spearmanr, nan_policy='omit' (pairs with a NaN on either side are\n"
                "# dropped); rounding is numpy round-half-even.\n")
        f.write("name,value\n")
        for k, v in scalars.items():
            f.write(f"{k},{fmt(v)}\n")

    write_table(os.path.join(HERE, "edge-cases.csv"), [
        f"Small hand-made edge-case inputs ({EDGE_LENGTH} rows) and reference outputs.",
        *common,
        "bigoffset: 1e5 + k*1e-4 (sum-of-squares cancellation guard); std_20, zscore_20 by pandas",
        "  (ddof=0; zscore NaN where std == 0).",
        "constant: 100.1 everywhere; std_20 and zscore_20 by pandas; rsi_14, and atr_5 adx_5",
        "  stoch_5_3_3_k/_d with high = low = close = constant, by TA-Lib (0.0 when flat).",
        "plateau: 100.3 at 25...39 between varying values; std_5 and zscore_5 by pandas (exactly",
        "  0 and NaN on the plateau).",
        "gap: NaN at index 20; sma_5 max_5 std_5 by pandas rolling (NaN while the window holds the",
        "  NaN); ema_5 rsi_5 by TA-Lib applied to each NaN-free run (NaN at the NaN, re-seeded",
        "  after it: llmalpha's restart rule).",
        "leadnan: NaN at 0...6; ema_5 rsi_5 sma_5 by the TA-Lib python wrapper (which skips",
        "  leading NaN).",
    ], edge)

    print(f"make_fixtures: wrote 3 files to {HERE}\n  {versions()}\n"
          f"  reference error / test tolerance: {accuracy}")


if __name__ == "__main__":
    main()
