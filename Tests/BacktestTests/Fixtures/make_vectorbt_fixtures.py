#!/usr/bin/env python3
"""Generate vectorbt reference fixtures for the backtest engine's `fill = close` parity tests.

Tests/BacktestTests/VectorbtParityTests.swift runs llmalpha's Backtester on the same bars and
signals and compares trade by trade against what `vectorbt.Portfolio.from_signals` produced here.
Nothing in these files is computed by llmalpha.

Settings, the same for every case (what the issue asks for):
    init_cash=10000, fees=0.0004, fixed_fees=0, slippage=0, size=np.inf (all cash), price=close,
    freq='1h', accumulate=False, and vectorbt's default conflict rules written out explicitly:
    upon_long_conflict / upon_short_conflict = 'ignore' (same-side entry and exit on one bar
    cancel), upon_dir_conflict = 'ignore' (long and short entry on one bar cancel),
    upon_opposite_entry = 'reversereduce' (an opposite entry reverses the position; with
    accumulate=False this is the same as 'reverse').
Long-only cases pass `entries, exits, direction='longonly'`; long/short cases pass the four
direction-aware masks (`entries` acting as long entries, `exits` as long exits).

Bars: the bundled BTCUSDT 1h data (data/binance-um/BTCUSDT/1h/BTCUSDT-1h-*.csv, concatenated in
file-name order), N_BARS bars from 2023-01-01 00:00 UTC (open_time 1672531200000).

Outputs (next to this script):
  vectorbt-bars-btcusdt-1h.csv  bar, open_time, open, high, low, close (strings copied from the data)
  vectorbt-signals.csv          case, mask, bars: per case and mask (entries / exits / short_entries /
                                short_exits) the 0-based bars where it is true, space-separated
  vectorbt-trades.csv           case, trade, direction (1 long, -1 short), entry_idx, exit_idx,
                                entry_price, exit_price, size, entry_fees, exit_fees, pnl,
                                status (closed / open), from `pf.exit_trades.values`
  vectorbt-summary.csv          case, orders, trades, open_trades, final_value, total_return,
                                max_drawdown (`pf.final_value()`, `pf.total_return()`,
                                `pf.max_drawdown()`: over the value series, peak from bar 0's value)
  vectorbt-equity.csv           case, bar, value: `pf.value()` (marked at each close) every
                                EQUITY_STRIDE bars and at the last bar
An open trade is the position still held at the last bar: vectorbt values it at the last close
with no exit fee (exit_fees = 0, exit_idx = last bar).

Format: leading `#` comment lines (what, command, library versions), a header, then rows.
Numbers are written with repr(float) (shortest round-trip).

Usage (keep the venv outside the repo):
    python3 -m venv /tmp/vbtvenv && /tmp/vbtvenv/bin/pip install vectorbt
    /tmp/vbtvenv/bin/python3 Tests/BacktestTests/Fixtures/make_vectorbt_fixtures.py
It works from any working directory and is deterministic: same data and library versions give
byte-identical files.
"""

from __future__ import annotations

import csv
import glob
import os
import platform
import sys

import numba
import numpy as np
import pandas as pd
import vectorbt as vbt

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA_GLOB = os.path.join(REPO, "data", "binance-um", "BTCUSDT", "1h", "BTCUSDT-1h-*.csv")
START_OPEN_TIME = 1672531200000  # 2023-01-01 00:00 UTC
N_BARS = 5000
SEED = 20240601
EQUITY_STRIDE = 50

INIT_CASH = 10000.0
FEES = 0.0004

COMMAND = "/tmp/vbtvenv/bin/python3 Tests/BacktestTests/Fixtures/make_vectorbt_fixtures.py"


def load_bars() -> list[list[str]]:
    """The N_BARS rows from START_OPEN_TIME, as the data's own strings."""
    files = sorted(glob.glob(DATA_GLOB))
    if not files:
        sys.exit(f"no data files match {DATA_GLOB}")
    rows: list[list[str]] = []
    for path in files:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            if header[:5] != ["open_time", "open", "high", "low", "close"]:
                sys.exit(f"{path}: unexpected header {header}")
            rows.extend(r[:5] for r in reader if r)
    start = next((i for i, r in enumerate(rows) if int(r[0]) == START_OPEN_TIME), None)
    if start is None:
        sys.exit(f"open_time {START_OPEN_TIME} not in the data")
    bars = rows[start:start + N_BARS]
    if len(bars) != N_BARS:
        sys.exit(f"only {len(bars)} bars from {START_OPEN_TIME}, need {N_BARS}")
    times = [int(r[0]) for r in bars]
    if any(b <= a for a, b in zip(times, times[1:])):
        sys.exit("open_time is not strictly increasing")
    return bars


def make_cases(n: int) -> dict[str, dict[str, np.ndarray]]:
    """Deterministic signal sets. Each value is a dict of boolean masks of length n."""
    rng = np.random.default_rng(SEED)

    def bern(p: float) -> np.ndarray:
        return rng.random(n) < p

    cases: dict[str, dict[str, np.ndarray]] = {}

    # Long-only, sparse and dense random signals.
    cases["long_sparse_1pct"] = {"entries": bern(0.01), "exits": bern(0.01)}
    cases["long_dense_5pct"] = {"entries": bern(0.05), "exits": bern(0.05)}

    # Long-only with many same-bar entry & exit conflicts: 40 % of entry bars also exit.
    e = bern(0.12)
    x = bern(0.08) | (e & bern(0.4))
    cases["long_conflicts"] = {"entries": e, "exits": x}

    # Long-only churn: many short trades, so fees compound over hundreds of round trips.
    cases["long_churn_30pct"] = {"entries": bern(0.3), "exits": bern(0.3)}

    # Hand-placed edge cases: entry on bar 0; a conflict while long (kept); exit; exit while
    # flat (ignored); entry the bar after an exit; repeated entries while long (ignored);
    # entry on the last bar (a zero-bar open trade).
    e = np.zeros(n, dtype=bool)
    x = np.zeros(n, dtype=bool)
    e[[0, 1, 5, 6, 7, 20, n - 1]] = True
    x[[1, 2, 3, 6, 21, 22, 30]] = True
    cases["long_edges"] = {"entries": e, "exits": x}

    # Long and short: random direction-aware masks (reversals both ways, exits, conflicts).
    cases["longshort_3pct"] = {
        "entries": bern(0.03), "exits": bern(0.03),
        "short_entries": bern(0.03), "short_exits": bern(0.03),
    }

    # Long and short with forced conflicts: long & short entry together, same-side entry & exit.
    le, lx, se, sx = bern(0.1), bern(0.05), bern(0.1), bern(0.05)
    both = bern(0.03)
    le |= both
    se |= both
    lx |= le & bern(0.3)
    sx |= se & bern(0.3)
    cases["longshort_conflicts"] = {"entries": le, "exits": lx, "short_entries": se, "short_exits": sx}

    # Short only (direction-aware masks with no long signals).
    cases["short_only_2pct"] = {
        "entries": np.zeros(n, dtype=bool), "exits": np.zeros(n, dtype=bool),
        "short_entries": bern(0.02), "short_exits": bern(0.02),
    }
    return cases


def run_case(close: pd.Series, masks: dict[str, np.ndarray]):
    common = dict(
        init_cash=INIT_CASH, fees=FEES, fixed_fees=0.0, slippage=0.0, size=np.inf, freq="1h",
        accumulate=False, upon_long_conflict="ignore", upon_short_conflict="ignore",
        upon_dir_conflict="ignore", upon_opposite_entry="reversereduce",
    )
    idx = close.index
    s = {k: pd.Series(v, index=idx) for k, v in masks.items()}
    if "short_entries" in masks:
        return vbt.Portfolio.from_signals(close, s["entries"], s["exits"], short_entries=s["short_entries"],
                                          short_exits=s["short_exits"], **common)
    return vbt.Portfolio.from_signals(close, s["entries"], s["exits"], direction="longonly", **common)


def header_lines(what: str) -> list[str]:
    return [
        f"# {what}",
        f"# generated by: {COMMAND}",
        f"# vectorbt {vbt.__version__}, numpy {np.__version__}, pandas {pd.__version__}, numba {numba.__version__},"
        f" python {platform.python_version()}",
        f"# Portfolio.from_signals(close, ..., init_cash={INIT_CASH!r}, fees={FEES!r}, fixed_fees=0, slippage=0,"
        " size=np.inf, freq='1h', accumulate=False, upon_long_conflict='ignore', upon_short_conflict='ignore',"
        " upon_dir_conflict='ignore', upon_opposite_entry='reversereduce'); long-only cases add direction='longonly'",
        f"# bars: BTCUSDT 1h, {N_BARS} bars from open_time {START_OPEN_TIME} (2023-01-01 00:00 UTC); mask seed {SEED}",
    ]


def write(name: str, what: str, header: list[str], rows: list[list[object]]) -> None:
    path = os.path.join(HERE, name)
    with open(path, "w", newline="") as f:
        for line in header_lines(what):
            f.write(line + "\n")
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(repr(v) if isinstance(v, float) else str(v) for v in r) + "\n")
    print(f"wrote {path} ({len(rows)} rows)")


def main() -> None:
    bars = load_bars()
    n = len(bars)
    close = pd.Series([float(r[4]) for r in bars],
                      index=pd.to_datetime([int(r[0]) for r in bars], unit="ms", utc=True), name="close")
    cases = make_cases(n)

    signal_rows: list[list[object]] = []
    trade_rows: list[list[object]] = []
    summary_rows: list[list[object]] = []
    equity_rows: list[list[object]] = []
    for case, masks in cases.items():
        for kind in ("entries", "exits", "short_entries", "short_exits"):
            if kind in masks:
                signal_rows.append([case, kind, " ".join(str(int(b)) for b in np.flatnonzero(masks[kind]))])
        pf = run_case(close, masks)
        t = pf.exit_trades.values  # the structured record array (`.records` is a DataFrame)
        for k in range(len(t)):
            r = t[k]
            trade_rows.append([
                case, k, 1 if int(r["direction"]) == 0 else -1, int(r["entry_idx"]), int(r["exit_idx"]),
                float(r["entry_price"]), float(r["exit_price"]), float(r["size"]), float(r["entry_fees"]),
                float(r["exit_fees"]), float(r["pnl"]), "closed" if int(r["status"]) == 1 else "open",
            ])
        open_trades = int(np.sum(t["status"] == 0))
        conflicts = int(np.sum(masks["entries"] & masks["exits"]))
        if "short_entries" in masks:
            conflicts += int(np.sum(masks["short_entries"] & masks["short_exits"]))
            conflicts += int(np.sum(masks["entries"] & masks["short_entries"]))
        summary_rows.append([case, len(pf.orders.values), len(t), open_trades, float(pf.final_value()),
                             float(pf.total_return()), float(pf.max_drawdown()), conflicts])
        value = pf.value().to_numpy()
        for b in sorted(set(range(0, n, EQUITY_STRIDE)) | {n - 1}):
            equity_rows.append([case, b, float(value[b])])
        print(f"{case}: {len(t)} trades ({open_trades} open), {conflicts} conflict bars,"
              f" total return {float(pf.total_return()):.6f}")

    write("vectorbt-bars-btcusdt-1h.csv", "bars the vectorbt references were computed on (close is the price used)",
          ["bar", "open_time", "open", "high", "low", "close"],
          [[i] + r for i, r in enumerate(bars)])
    write("vectorbt-signals.csv", "signal masks: per case and mask, the 0-based bars where it is true, space-separated",
          ["case", "mask", "bars"], signal_rows)
    write("vectorbt-trades.csv",
          "pf.exit_trades.values per case; direction 1 long / -1 short; open = still held at the last bar,"
          " valued at the last close with exit_fees 0",
          ["case", "trade", "direction", "entry_idx", "exit_idx", "entry_price", "exit_price", "size",
           "entry_fees", "exit_fees", "pnl", "status"], trade_rows)
    write("vectorbt-summary.csv",
          "per case: order count, trade count, open trades, pf.final_value(), pf.total_return(), pf.max_drawdown(),"
          " and the number of"
          " bars with a same-side entry&exit or long&short entry conflict (informational)",
          ["case", "orders", "trades", "open_trades", "final_value", "total_return", "max_drawdown",
           "conflict_bars"], summary_rows)
    write("vectorbt-equity.csv", f"pf.value() per case, every {EQUITY_STRIDE} bars and at the last bar",
          ["case", "bar", "value"], equity_rows)


if __name__ == "__main__":
    main()
