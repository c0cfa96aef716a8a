#!/usr/bin/env python3
"""Peer benchmark: the operations of `scripts/bench` in the best-known Python libraries.

What it measures
    For every op of scripts/bench's kernel table (plus from_signals) and every library that has a
    natural way to compute it, the median wall time per bar, in ns, of one call on one thread, at
    n = 1,000,000 and 10,000,000 bars. Each call returns a fresh result the way the library
    naturally does (a numpy array, pandas Series, polars DataFrame or Series), so allocation is
    inside the timed region; freeing the result is not (it is dropped after the clock stops).
    Inputs (numpy arrays, pandas Series, the polars DataFrame, the vectorbt Series) are built
    once per n, outside the timed region. The first call of each case is a warm-up (for vectorbt
    it also absorbs numba's compilation), then `runs` timed calls (11 below 10M bars, 5 at 10M
    and above, as scripts/bench), with the garbage collector off; the median is reported.

    stdout: the JSON array scripts/bench --json prints, one row per op and n with the fastest
    peer, so that `scripts/bench --compare peers.json` reads it:
        {"op": "sma20", "n": 1000000, "median_ns_per_bar": 1.420, "peer": "talib",
         "peers": {"talib": 1.420, "pandas": 5.100, ...}}
    stderr: the library versions, then one line per measurement (op, n, library, ns/bar) as it
    finishes.

How to run (scripts/peer-bench makes the venv outside the repo and sets one thread per library)
    scripts/peer-bench                       n = 1M and 10M, every op and library (> peers.json)
    scripts/peer-bench --quick               n = 1M only
    scripts/peer-bench --sizes 100000,200000 --runs 3 --only sma20,rsi14 --libraries talib,polars
    scripts/peer-bench --check               correctness only: every implementation at n = 5000
                                             against TA-Lib / pandas / scipy (see "Checks")
    scripts/bench --quick --compare peers.json     our numbers against the peers'

Library versions (pinned in scripts/peer-bench): TA-Lib 0.8.2 (Python wrapper, bundled C
library 0.8.1), numpy 2.4.6, pandas 3.1.1, polars 2.1.0, scipy 1.17.1, vectorbt 1.2.0 with
vectorbt-rust 1.2.0 (numba 0.68.1 comes with vectorbt); Python 3.11. The versions actually
loaded are printed on stderr at start.

Threads: scripts/peer-bench sets POLARS_MAX_THREADS, RAYON_NUM_THREADS, NUMBA_NUM_THREADS,
OMP/OPENBLAS/MKL/BLIS/VECLIB/NUMEXPR_NUM_THREADS to 1; this script refuses to run when polars'
pool has more than one thread and prints the BLAS pools threadpoolctl sees.

Memory: scripts/peer-bench exports MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ (256 MiB),
the settings the llmalpha command and scripts/bench use (SeriesMemory.keepFreedBlocks), so a
10M-bar result (80 MB) is reused from the heap on both sides instead of faulted in afresh.

Input data: identical to scripts/bench's KernelInputs (Sources/llmalpha-bench/Benchmarks.swift):
    seed = 12345; price = 30000; price2 = 30000; per bar i:
    seed = seed * 6364136223846793005 + 1442695040888963407 (mod 2^64)
    u = (seed >> 11) / 2^53 - 0.5; open = price; price *= 1 + u*0.004
    price2 *= 1 + (u*0.7 + 0.3*((seed & 0xffff)/65536 - 0.5))*0.004
    close = price; high = max(open, close)*(1 + |u|*0.001); low = min(open, close)*(1 - |u|*0.001)
    volume = 100 + ((seed >> 40) & 0xff); other = price2
The LCG states are computed with numpy uint64 arithmetic (wrapping, as Swift's &* and &+) by
jumping ahead a block of states at a time; the products are np.multiply.accumulate over
[30000, f0, f1, ...], which multiplies left to right exactly as the Swift loop does, so the data
are bit-identical to a plain loop (--check verifies this against a plain Python loop).
from_signals masks as fromSignalsInputs: a second LCG from seed 99; entries[i] =
((state >> 33) % 100 == 0) for the first n states, exits the same for the next n (~1 % each).
The vectorbt close Series has an hourly DatetimeIndex from 1.6e12 ms (as our bench's times).

Operations (c = close, o = other, h = high, l = low; w = window). TA-Lib's C kernels, pandas'
Cython rolling/ewm kernels, polars expressions (one eager DataFrame.select per call, except
macd and bbands20: step by step on Series, since one select of the three outputs recomputes the
shared parts and is 2-5x slower in polars 2.1, lazy CSE included), numpy vectorised forms.
Each library gets its fastest idiomatic form we found. Lookback conventions differ (see
Checks); the work per bar is the same.
    stream        numpy only: c * 2.0 (a one-input, one-output streaming floor; scripts/bench has it).
    stream2       numpy only: c + o (the floor of a two-input op such as crossover).
    sma20         talib SMA(c, 20); pandas c.rolling(20).mean(); polars rolling_mean(20);
                  numpy: cumsum difference (cs[t] - cs[t-20]) / 20 with a NaN head of 19.
    ema20         k = 2/21. talib EMA(c, 20) (seeded with the SMA of the first 20, NaN head 19);
                  pandas ewm(span=20, adjust=False).mean(); polars ewm_mean(span=20, adjust=False)
                  (both seeded with c[0], no NaN head).
    std20         population std (ddof 0). talib STDDEV(c, 20, 1); pandas rolling(20).std(ddof=0);
                  polars rolling_std(20, ddof=0); numpy sliding_window_view(c, 20).std(axis=1)
                  in blocks of 2^16 windows (the full 10M x 20 view would make a 1.6 GB temporary).
    zscore168     (c - mean168) / std168, population std. talib (c - SMA(c,168)) / STDDEV(c,168,1);
                  pandas and polars with one rolling mean and one rolling std; numpy
                  sliding_window_view(c, 168) .mean(axis=1) and .std(axis=1) in blocks of 2^14
                  windows (the full view's temporary would be 13 GB at 10M).
    rsi14         Wilder RSI, alpha = 1/14. talib RSI(c, 14) (seeded with the mean gain/loss of
                  the first 14 changes); pandas d = c.diff(), gains d.clip(lower=0), losses
                  (-d).clip(lower=0), each .ewm(alpha=1/14, adjust=False).mean(), then
                  100 - 100/(1 + gain/loss); polars the same with diff/clip/ewm_mean.
    macd          12/26/9: line = EMA12 - EMA26, signal = EMA9(line), histogram = line - signal.
                  talib MACD(c, 12, 26, 9) (SMA-seeded, NaN head 33); pandas and polars with
                  ewm(span, adjust=False) (seeded with the first value). Three outputs.
    atr14         Wilder ATR. talib ATR(h, l, c, 14); pandas true range
                  max(h - l, |h - c[t-1]|, |l - c[t-1]|) with np.maximum on the Series (faster
                  than the also-common concat(...).max(axis=1)), then ewm(alpha=1/14,
                  adjust=False).mean(); polars max_horizontal(...) then ewm_mean(alpha=1/14,
                  adjust=False). pandas/polars seed with bar 0's h - l, TA-Lib with the SMA of
                  the first 14 true ranges from bar 1.
    bbands20      middle = SMA20, upper/lower = middle +/- 2 * population std20. talib
                  BBANDS(c, 20, 2, 2, matype 0); pandas one rolling(20) object's mean and
                  std(ddof=0); polars rolling_mean and rolling_std(ddof=0). Three outputs.
    pct_change10  c[t] / c[t-10] - 1 with a NaN head of 10. numpy np.divide into a fresh array
                  then - 1 in place; pandas pct_change(10); polars pct_change(10) (null head);
                  talib ROCP(c, 10) ((c - prev) / prev: equal up to rounding).
    crossover     mask c[t] > o[t] and c[t-1] <= o[t-1], false at bar 0. numpy bool array from
                  shifted comparisons; pandas (c > o) & (c.shift(1) <= o.shift(1)); polars the
                  same with shift(1) and fill_null(False). (Our kernel writes 1.0/0.0 doubles.)
                  Both series start at 30000 and move together with noise, so they cross
                  now and then, as scripts/bench's inputs do.
    rank100       fraction of the last 100 values <= the current one (defined from bar 99).
                  pandas rolling(100).rank(method="max", pct=True); polars rolling_rank(100,
                  method="max") / 100 (marked unstable in polars); numpy
                  (sliding_window_view(c, 100) <= c[99:, None]).sum(axis=1) / 100 in blocks of
                  2^15 windows (the full 10M x 100 bool temporary would be 1 GB). TA-Lib has none.
    spearman      Spearman rank correlation of c and o over the whole series (one number).
                  scipy.stats.spearmanr(c, o); pandas Series.corr(method="spearman") (which calls
                  scipy's spearmanr itself); polars pl.corr("c", "o", method="spearman"); numpy
                  ordinal ranks by argsort (exact here: --check verifies there are no ties) then
                  np.corrcoef.
    from_signals  vectorbt Portfolio.from_signals(close, entries, exits, direction='longonly',
                  init_cash=10000, fees=0.0004, fixed_fees=0, slippage=0, size=np.inf,
                  freq='1h', accumulate=False, upon_long_conflict='ignore',
                  upon_short_conflict='ignore', upon_dir_conflict='ignore',
                  upon_opposite_entry='reversereduce') — the settings of
                  Tests/BacktestTests/Fixtures/make_vectorbt_fixtures.py — with pd.Series inputs,
                  timed call only (no stats afterwards). vectorbt_numba passes engine='numba',
                  vectorbt_rust engine='rust' (vectorbt 1.2 dispatches per call on `engine`;
                  its default, vbt.settings['engine'] = 'auto', picks Rust whenever vectorbt-rust
                  of the same minor version is installed and the inputs are supported, else numba).
                  Our side: Backtester.run with fill = close, funding off.

Checks (--check, n = 5000 by default): every implementation is compared with a reference:
TA-Lib where it has the op, else pandas (crossover, rank100), scipy (spearman), numpy (stream),
and the numba engine for vectorbt_rust (same order records, final value). Arrays must agree
with np.allclose(rtol=1e-7, atol=1e-9, equal_nan=True). Known conventions are aligned, not
hidden: the recursive ops (ema20, rsi14, macd, atr14) are compared only from bar 600, where the
different seeding (TA-Lib: an SMA after a NaN head; pandas/polars ewm: the first value) has
decayed below 1e-15 relative; everything else is compared from bar 0, NaN heads included, with
polars nulls read as NaN. The check also verifies the
generated data and masks against a plain Python loop of the Swift code (bit-identical). Exit
status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LCG_A = 6364136223846793005
LCG_C = 1442695040888963407
MASK64 = (1 << 64) - 1

ALL_OPS = ["stream", "stream2", "sma20", "ema20", "std20", "zscore168", "rsi14", "macd", "atr14", "bbands20",
           "pct_change10", "crossover", "rank100", "spearman", "from_signals"]
ALL_LIBRARIES = ["talib", "numpy", "pandas", "polars", "scipy", "vectorbt_numba", "vectorbt_rust"]
RECURSIVE_OPS = {"ema20", "rsi14", "macd", "atr14"}
BURN_IN = 600

VBT_SETTINGS = dict(
    direction="longonly", init_cash=10000.0, fees=0.0004, fixed_fees=0.0, slippage=0.0, size=np.inf,
    freq="1h", accumulate=False, upon_long_conflict="ignore", upon_short_conflict="ignore",
    upon_dir_conflict="ignore", upon_opposite_entry="reversereduce",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Input data

def lcg_states(seed: int, count: int, block: int = 1 << 16) -> np.ndarray:
    """The `count` successive states of seed = seed * A + C (mod 2^64), as uint64.

    The first block is a Python loop; every later block is the previous one advanced by
    `block` steps at once (state' = A_B * state + C_B, numpy uint64 arithmetic wraps mod 2^64).
    """
    block = max(1, min(block, count))
    first = np.empty(block, dtype=np.uint64)
    s = seed
    for i in range(block):
        s = (s * LCG_A + LCG_C) & MASK64
        first[i] = s
    a_b, c_b = 1, 0
    for _ in range(block):  # compose `block` steps: x -> a_b * x + c_b
        a_b, c_b = (a_b * LCG_A) & MASK64, (c_b * LCG_A + LCG_C) & MASK64
    blocks = -(-count // block)
    out = np.empty(blocks * block, dtype=np.uint64)
    out[:block] = first
    a, c = np.uint64(a_b), np.uint64(c_b)
    with np.errstate(over="ignore"):
        for k in range(1, blocks):
            prev = out[(k - 1) * block:k * block]
            np.multiply(prev, a, out=out[k * block:(k + 1) * block])
            out[k * block:(k + 1) * block] += c
    return out[:count]


def make_inputs(n: int) -> dict[str, np.ndarray]:
    """scripts/bench's KernelInputs(count: n), vectorised."""
    s = lcg_states(12345, n)
    u = (s >> np.uint64(11)).astype(np.float64) / float(1 << 53) - 0.5
    f1 = 1 + u * 0.004
    f2 = 1 + (u * 0.7 + 0.3 * ((s & np.uint64(0xFFFF)).astype(np.float64) / 65536 - 0.5)) * 0.004
    close = np.multiply.accumulate(np.concatenate(([30_000.0], f1)))  # left to right, as the loop
    other = np.multiply.accumulate(np.concatenate(([30_000.0], f2)))[1:]
    open_ = close[:-1].copy()
    close = close[1:].copy()
    absu = np.abs(u)
    high = np.maximum(open_, close) * (1 + absu * 0.001)
    low = np.minimum(open_, close) * (1 - absu * 0.001)
    volume = 100 + ((s >> np.uint64(40)) & np.uint64(0xFF)).astype(np.float64)
    return dict(open=open_, high=high, low=low, close=close, volume=volume, other=other)


def make_inputs_loop(n: int) -> dict[str, np.ndarray]:
    """The Swift loop, line by line in plain Python (the reference for --check)."""
    cols = {k: np.empty(n) for k in ("open", "high", "low", "close", "volume", "other")}
    seed, price, price2 = 12345, 30_000.0, 30_000.0
    for i in range(n):
        seed = (seed * LCG_A + LCG_C) & MASK64
        u = float(seed >> 11) / float(1 << 53) - 0.5
        o = price
        price *= 1 + u * 0.004
        price2 *= 1 + (u * 0.7 + 0.3 * (float(seed & 0xFFFF) / 65536 - 0.5)) * 0.004
        cols["open"][i] = o
        cols["close"][i] = price
        cols["high"][i] = max(o, price) * (1 + abs(u) * 0.001)
        cols["low"][i] = min(o, price) * (1 - abs(u) * 0.001)
        cols["volume"][i] = 100 + float(seed >> 40 & 0xFF)
        cols["other"][i] = price2
    return cols


def make_masks(n: int) -> tuple[np.ndarray, np.ndarray]:
    """fromSignalsInputs' entries and exits: ~1 % each, from one LCG stream seeded with 99."""
    s = lcg_states(99, 2 * n)
    hit = (s >> np.uint64(33)) % np.uint64(100) == 0
    return hit[:n].copy(), hit[n:].copy()


# ---------------------------------------------------------------------------------------------
# Implementations: implementations(ctx) -> {op: {library: zero-argument callable}}

def blocked_windows(x: np.ndarray, w: int, rows: int, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """out[w-1+i] = fn(window i, the window's last value) over blocks of `rows` windows; NaN head."""
    n = len(x)
    out = np.empty(n)
    out[:w - 1] = np.nan
    win = sliding_window_view(x, w)
    for start in range(0, n - w + 1, rows):
        blk = win[start:start + rows]
        out[w - 1 + start:w - 1 + start + len(blk)] = fn(blk, x[w - 1 + start:w - 1 + start + len(blk)])
    return out


def implementations(ctx: dict[str, Any], libraries: set[str]) -> dict[str, dict[str, Callable[[], Any]]]:
    c, o, h, l = ctx["close"], ctx["other"], ctx["high"], ctx["low"]
    impl: dict[str, dict[str, Callable[[], Any]]] = {op: {} for op in ALL_OPS}

    if "numpy" in libraries:
        def np_sma(w=20):
            cs = np.cumsum(c)
            out = np.empty(len(c))
            out[:w - 1] = np.nan
            out[w - 1] = cs[w - 1]
            np.subtract(cs[w:], cs[:-w], out=out[w:])
            out[w - 1:] /= w
            return out

        def np_pct(p=10):
            out = np.empty(len(c))
            out[:p] = np.nan
            np.divide(c[p:], c[:-p], out=out[p:])
            out[p:] -= 1
            return out

        def np_cross():
            out = np.zeros(len(c), dtype=bool)
            np.logical_and(c[1:] > o[1:], c[:-1] <= o[:-1], out=out[1:])
            return out

        def np_zscore(w=168):
            return blocked_windows(c, w, 1 << 14, lambda blk, last: (last - blk.mean(axis=1)) / blk.std(axis=1))

        def np_spearman():
            n = len(c)
            ra = np.empty(n)
            ra[np.argsort(c)] = np.arange(n)
            rb = np.empty(n)
            rb[np.argsort(o)] = np.arange(n)
            return np.corrcoef(ra, rb)[0, 1]

        impl["stream"]["numpy"] = lambda: c * 2.0
        impl["stream2"]["numpy"] = lambda: c + o
        impl["sma20"]["numpy"] = np_sma
        impl["std20"]["numpy"] = lambda: blocked_windows(c, 20, 1 << 16, lambda blk, last: blk.std(axis=1))
        impl["zscore168"]["numpy"] = np_zscore
        impl["pct_change10"]["numpy"] = np_pct
        impl["crossover"]["numpy"] = np_cross
        impl["rank100"]["numpy"] = lambda: blocked_windows(
            c, 100, 1 << 15, lambda blk, last: (blk <= last[:, None]).sum(axis=1) / 100)
        impl["spearman"]["numpy"] = np_spearman

    if "talib" in libraries:
        import talib
        impl["sma20"]["talib"] = lambda: talib.SMA(c, 20)
        impl["ema20"]["talib"] = lambda: talib.EMA(c, 20)
        impl["std20"]["talib"] = lambda: talib.STDDEV(c, 20, 1.0)
        impl["zscore168"]["talib"] = lambda: (c - talib.SMA(c, 168)) / talib.STDDEV(c, 168, 1.0)
        impl["rsi14"]["talib"] = lambda: talib.RSI(c, 14)
        impl["macd"]["talib"] = lambda: talib.MACD(c, 12, 26, 9)
        impl["atr14"]["talib"] = lambda: talib.ATR(h, l, c, 14)
        impl["bbands20"]["talib"] = lambda: talib.BBANDS(c, 20, 2.0, 2.0, 0)
        impl["pct_change10"]["talib"] = lambda: talib.ROCP(c, 10)

    if "pandas" in libraries:
        import pandas as pd
        cs, os_, hs, ls = ctx["pd_close"], ctx["pd_other"], ctx["pd_high"], ctx["pd_low"]

        def pd_zscore(w=168):
            r = cs.rolling(w)
            return (cs - r.mean()) / r.std(ddof=0)

        def pd_rsi(w=14):
            d = cs.diff()
            gain = d.clip(lower=0).ewm(alpha=1 / w, adjust=False).mean()
            loss = (-d).clip(lower=0).ewm(alpha=1 / w, adjust=False).mean()
            return 100 - 100 / (1 + gain / loss)

        def pd_macd():
            line = cs.ewm(span=12, adjust=False).mean() - cs.ewm(span=26, adjust=False).mean()
            signal = line.ewm(span=9, adjust=False).mean()
            return line, signal, line - signal

        def pd_atr(w=14):
            pc = cs.shift(1)
            tr = np.maximum(hs - ls, np.maximum((hs - pc).abs(), (ls - pc).abs()))
            return tr.ewm(alpha=1 / w, adjust=False).mean()

        def pd_bbands(w=20):
            r = cs.rolling(w)
            mid = r.mean()
            sd = r.std(ddof=0)
            return mid + 2 * sd, mid, mid - 2 * sd

        impl["sma20"]["pandas"] = lambda: cs.rolling(20).mean()
        impl["ema20"]["pandas"] = lambda: cs.ewm(span=20, adjust=False).mean()
        impl["std20"]["pandas"] = lambda: cs.rolling(20).std(ddof=0)
        impl["zscore168"]["pandas"] = pd_zscore
        impl["rsi14"]["pandas"] = pd_rsi
        impl["macd"]["pandas"] = pd_macd
        impl["atr14"]["pandas"] = pd_atr
        impl["bbands20"]["pandas"] = pd_bbands
        impl["pct_change10"]["pandas"] = lambda: cs.pct_change(10)
        impl["crossover"]["pandas"] = lambda: (cs > os_) & (cs.shift(1) <= os_.shift(1))
        impl["rank100"]["pandas"] = lambda: cs.rolling(100).rank(method="max", pct=True)
        impl["spearman"]["pandas"] = lambda: cs.corr(os_, method="spearman")

    if "polars" in libraries:
        import polars as pl
        df = ctx["pl_frame"]
        C, O, H, L = pl.col("c"), pl.col("o"), pl.col("h"), pl.col("l")

        def sel(*exprs, **named):
            return lambda: df.select(*exprs, **named)

        d = C.diff()
        gain = d.clip(lower_bound=0).ewm_mean(alpha=1 / 14, adjust=False)
        loss = (-d).clip(lower_bound=0).ewm_mean(alpha=1 / 14, adjust=False)
        pc = C.shift(1)
        tr = pl.max_horizontal(H - L, (H - pc).abs(), (L - pc).abs())
        cs_pl = df["c"]

        # The three-output ops step by step on Series: one select of all three expressions
        # recomputes the shared parts (2-5x slower in polars 2.1, lazy CSE included).
        def pl_macd():
            line = cs_pl.ewm_mean(span=12, adjust=False) - cs_pl.ewm_mean(span=26, adjust=False)
            signal = line.ewm_mean(span=9, adjust=False)
            return line, signal, line - signal

        def pl_bbands(w=20):
            mid = cs_pl.rolling_mean(w)
            sd = cs_pl.rolling_std(w, ddof=0)
            return mid + 2 * sd, mid, mid - 2 * sd

        impl["sma20"]["polars"] = sel(C.rolling_mean(20))
        impl["ema20"]["polars"] = sel(C.ewm_mean(span=20, adjust=False))
        impl["std20"]["polars"] = sel(C.rolling_std(20, ddof=0))
        impl["zscore168"]["polars"] = sel((C - C.rolling_mean(168)) / C.rolling_std(168, ddof=0))
        impl["rsi14"]["polars"] = sel(100 - 100 / (1 + gain / loss))
        impl["macd"]["polars"] = pl_macd
        impl["atr14"]["polars"] = sel(tr.ewm_mean(alpha=1 / 14, adjust=False))
        impl["bbands20"]["polars"] = pl_bbands
        impl["pct_change10"]["polars"] = sel(C.pct_change(10))
        impl["crossover"]["polars"] = sel(((C > O) & (C.shift(1) <= O.shift(1))).fill_null(False))
        impl["rank100"]["polars"] = sel(C.rolling_rank(100, method="max") / 100)
        impl["spearman"]["polars"] = lambda: df.select(pl.corr("c", "o", method="spearman")).item()

    if "scipy" in libraries:
        from scipy import stats
        impl["spearman"]["scipy"] = lambda: stats.spearmanr(c, o).statistic

    for engine in ("numba", "rust"):
        if f"vectorbt_{engine}" in libraries and "vbt_close" in ctx:
            import vectorbt as vbt
            close_s, entries_s, exits_s = ctx["vbt_close"], ctx["vbt_entries"], ctx["vbt_exits"]
            impl["from_signals"][f"vectorbt_{engine}"] = (
                lambda e=engine: vbt.Portfolio.from_signals(close_s, entries_s, exits_s, engine=e, **VBT_SETTINGS))
    return {op: libs for op, libs in impl.items() if libs}


def make_context(n: int, ops: list[str], libraries: set[str]) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(make_inputs(n))
    if "pandas" in libraries:
        import pandas as pd
        for k in ("close", "other", "high", "low"):
            ctx[f"pd_{k}"] = pd.Series(ctx[k], name=k)
    if "polars" in libraries:
        import polars as pl
        ctx["pl_frame"] = pl.DataFrame({"c": ctx["close"], "o": ctx["other"], "h": ctx["high"], "l": ctx["low"]})
    if "from_signals" in ops and libraries & {"vectorbt_numba", "vectorbt_rust"}:
        import pandas as pd
        entries, exits = make_masks(n)
        index = pd.date_range(pd.Timestamp(1_600_000_000_000, unit="ms"), periods=n, freq="h")
        ctx["vbt_close"] = pd.Series(ctx["close"], index=index, name="close")
        ctx["vbt_entries"] = pd.Series(entries, index=index)
        ctx["vbt_exits"] = pd.Series(exits, index=index)
    return ctx


# ---------------------------------------------------------------------------------------------
# Timing

def median_seconds(fn: Callable[[], Any], runs: int) -> float:
    """One warm-up call, then the median of `runs` calls; results are freed outside the clock."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = fn()
        del result
        times = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            result = fn()
            times.append(time.perf_counter_ns() - start)
            del result
    finally:
        if was_enabled:
            gc.enable()
    return statistics.median(times) * 1e-9


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("talib", "pandas", "polars", "scipy", "numba", "vectorbt", "vectorbt_rust"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", "?")
            if name == "talib":
                out["ta-lib C"] = module.__ta_version__.decode().split()[0]
        except ImportError:
            out[name] = "not installed"
    return out


def check_threads(libraries: set[str]) -> None:
    if "polars" in libraries:
        import polars as pl
        size = pl.thread_pool_size()
        if size != 1:
            sys.exit(f"polars' thread pool has {size} threads: set POLARS_MAX_THREADS=1 (scripts/peer-bench does)")
    try:
        from threadpoolctl import threadpool_info
        pools = [f"{p.get('internal_api')}={p.get('num_threads')}" for p in threadpool_info()]
        log("thread pools: " + (", ".join(pools) if pools else "none loaded")
            + f"; POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS')}"
            + f" NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}"
            + f" RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS')}")
    except ImportError:
        pass


def bench(sizes: list[int], ops: list[str], libraries: set[str], runs_override: int | None) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        ctx = make_context(n, ops, libraries)
        impl = implementations(ctx, libraries)
        log(f"inputs n={n}: {time.perf_counter() - t0:.1f} s")
        runs = runs_override or (5 if n >= 10_000_000 else 11)
        for op in ops:
            peers: dict[str, float] = {}
            for library, fn in impl.get(op, {}).items():
                ns = median_seconds(fn, runs) * 1e9 / n
                peers[library] = ns
                log(f"{op:<14} n={n:<9} {library:<15} {ns:10.3f} ns/bar")
            if peers:
                best = min(peers, key=peers.get)
                rows.append({"op": op, "n": n, "median_ns_per_bar": round(peers[best], 3), "peer": best,
                             "peers": {k: round(v, 3) for k, v in peers.items()}})
        del ctx, impl
        gc.collect()
    return rows


def print_json(rows: list[dict[str, Any]]) -> None:
    def row(r: dict[str, Any]) -> str:
        peers = ", ".join(f'"{k}": {v:.3f}' for k, v in r["peers"].items())
        return (f'{{"op": "{r["op"]}", "n": {r["n"]}, "median_ns_per_bar": {r["median_ns_per_bar"]:.3f}, '
                f'"peer": "{r["peer"]}", "peers": {{{peers}}}}}')
    print("[\n" + ",\n".join("  " + row(r) for r in rows) + "\n]")


# ---------------------------------------------------------------------------------------------
# Checks

def as_arrays(result: Any) -> list[np.ndarray]:
    """A library's result as float64 arrays (NaN for missing), one per output, in order."""
    import pandas as pd
    try:
        import polars as pl
    except ImportError:
        pl = None
    if isinstance(result, tuple):
        return [a for r in result for a in as_arrays(r)]
    if pl is not None and isinstance(result, pl.Series):
        return [result.cast(pl.Float64).fill_null(float("nan")).to_numpy()]
    if pl is not None and isinstance(result, pl.DataFrame):
        return [s.cast(pl.Float64).fill_null(float("nan")).to_numpy() for s in result.iter_columns()]
    if isinstance(result, pd.Series):
        return [result.astype(np.float64).to_numpy()]
    if isinstance(result, np.ndarray):
        return [result.astype(np.float64)]
    return [np.array([float(result)])]


def check(n: int, ops: list[str], libraries: set[str]) -> int:
    import pandas as pd
    failures = 0
    fast, slow = make_inputs(n), make_inputs_loop(n)
    same = all(np.array_equal(fast[k], slow[k]) for k in fast)
    log(f"data       n={n}: vectorised inputs {'bit-identical to' if same else 'DIFFER from'} the plain loop")
    failures += not same
    masks = make_masks(n)
    seed, stream = 99, []
    for _ in range(2 * n):
        seed = (seed * LCG_A + LCG_C) & MASK64
        stream.append((seed >> 33) % 100 == 0)
    same = np.array_equal(np.concatenate(masks), np.array(stream))
    log(f"masks      n={n}: {'identical to' if same else 'DIFFER from'} the plain loop ({masks[0].sum()} entries, {masks[1].sum()} exits)")
    failures += not same

    libraries = libraries | {"pandas"}  # the reference for crossover and rank100, and as_arrays
    ctx = make_context(n, ops, libraries)
    impl = implementations(ctx, libraries)
    if "spearman" in ops and "numpy" in libraries:
        ties = len(np.unique(ctx["close"])) != n or len(np.unique(ctx["other"])) != n
        log(f"spearman   n={n}: {'TIES: numpy ordinal ranks are not exact' if ties else 'no ties, numpy ordinal ranks are exact'}")
        failures += ties
    reference_order = {"spearman": ["scipy", "pandas"], "crossover": ["pandas"], "rank100": ["pandas"],
                       "stream": ["numpy"], "stream2": ["numpy"], "from_signals": ["vectorbt_numba"]}
    for op in ops:
        libs = impl.get(op, {})
        if not libs:
            continue
        ref_name = next((r for r in reference_order.get(op, ["talib", "pandas"]) if r in libs), next(iter(libs)))
        ref = libs[ref_name]()
        if op == "from_signals":
            for name, fn in libs.items():
                pf = fn()
                same = (np.array_equal(pf.order_records, ref.order_records)
                        and np.isclose(pf.final_value(), ref.final_value(), rtol=1e-12))
                log(f"check {op:<14} {name:<15} vs {ref_name:<15} {'ok' if same else 'MISMATCH'}"
                    f" ({len(pf.order_records)} orders, final value {pf.final_value():.6f})")
                failures += not same
            continue
        ref_arrays = as_arrays(ref)
        start = BURN_IN if op in RECURSIVE_OPS else 0
        if op == "crossover":
            log(f"crossover  n={n}: {int(ref_arrays[0].sum())} crossings of close over the rescaled other")
        for name, fn in libs.items():
            got = as_arrays(fn())
            notes = []
            ok = len(got) == len(ref_arrays)
            worst = 0.0
            for g, r in zip(got, ref_arrays):
                if g.shape != r.shape:
                    ok = False
                    notes.append(f"shape {g.shape} vs {r.shape}")
                    continue
                if op in RECURSIVE_OPS:
                    heads = (int(np.isnan(g).argmin()), int(np.isnan(r).argmin()))
                    if heads[0] != heads[1]:
                        notes.append(f"NaN head {heads[0]} vs {heads[1]} (seeding convention, compared from bar {start})")
                g, r = g[start:], r[start:]
                ok &= bool(np.allclose(g, r, rtol=1e-7, atol=1e-9, equal_nan=True))
                finite = np.isfinite(g) & np.isfinite(r)
                if finite.any():
                    worst = max(worst, float(np.max(np.abs(g[finite] - r[finite]) / np.maximum(np.abs(r[finite]), 1e-12))))
                if not np.array_equal(np.isnan(g), np.isnan(r)):
                    notes.append(f"NaN positions differ ({int(np.isnan(g).sum())} vs {int(np.isnan(r).sum())})")
            log(f"check {op:<14} {name:<15} vs {ref_name:<15} {'ok' if ok else 'MISMATCH'}  max rel diff {worst:.1e}"
                + ("; " + "; ".join(dict.fromkeys(notes)) if notes else ""))
            failures += not ok
    log(f"check: {failures} mismatch(es)")
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description="scripts/bench's operations in Python peer libraries (see the header).")
    parser.add_argument("--quick", action="store_true", help="n = 1,000,000 only")
    parser.add_argument("--sizes", help="comma-separated bar counts (default 1000000,10000000)")
    parser.add_argument("--runs", type=int, help="timed runs per case after the warm-up (default 11, 5 at n >= 10M)")
    parser.add_argument("--only", help="comma-separated ops: " + ",".join(ALL_OPS))
    parser.add_argument("--libraries", help="comma-separated: " + ",".join(ALL_LIBRARIES))
    parser.add_argument("--check", action="store_true", help="compare every implementation's values at n = 5000 (or --sizes' first)")
    args = parser.parse_args()

    ops = ALL_OPS if not args.only else args.only.split(",")
    libraries = set(ALL_LIBRARIES if not args.libraries else args.libraries.split(","))
    for name in ops:
        if name not in ALL_OPS:
            parser.error(f"unknown op {name!r}; ops: {', '.join(ALL_OPS)}")
    for name in libraries:
        if name not in ALL_LIBRARIES:
            parser.error(f"unknown library {name!r}; libraries: {', '.join(ALL_LIBRARIES)}")
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    else:
        sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    if any(n < 200 for n in sizes):
        parser.error("every size must be at least 200 bars (the longest lookback is 168)")

    warnings.filterwarnings("ignore")
    log("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    check_threads(libraries)
    if args.check:
        return check(int(args.sizes.split(",")[0]) if args.sizes else 5000, ops, libraries)
    print_json(bench(sizes, ops, libraries, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
