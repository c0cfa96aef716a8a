#!/usr/bin/env python3
"""Reference outputs of llmalpha's `resample` on the bars of reference-btcusdt-1h.csv, by pandas.

For each bar, the value of the coarse bar that closed last at or before the bar's open: pandas
`resample(rule, label='left', closed='left')` aggregates each bucket (NaN skipped; weeks start on
Monday, as Binance's do), and bar t reads the bucket before its own (`floor(t) - rule`). A bucket
that held no bar, or no known value, gives NaN: sums use min_count=1 (pandas' default of 0 would
turn a warm-up into zeros).
`close_holes` is the close with every 7th value NaN, to check the skipping.

Output: resample-btcusdt-1h.csv (inputs open_time, close, close_holes, volume, then
resample_<column>_<rule>_<how>). Nothing here is computed by llmalpha.

Usage (needs numpy and pandas; keep the venv outside the repo):
    python3 -m venv /tmp/fxvenv && /tmp/fxvenv/bin/pip install numpy pandas
    /tmp/fxvenv/bin/python3 Tests/PrimitivesTests/Fixtures/make_resample_fixtures.py
"""

import os
import platform

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = {"4h": "4h", "1d": "1D", "1w": "W-MON"}
CASES = [("close", "4h", "last"), ("close", "4h", "first"), ("close", "1d", "max"), ("close", "1d", "min"),
         ("close", "1d", "mean"), ("volume", "4h", "sum"), ("close_holes", "4h", "last"), ("close_holes", "1d", "mean"),
         ("close_holes", "4h", "sum"), ("close", "1w", "last")]


def main() -> None:
    table = pd.read_csv(os.path.join(HERE, "reference-btcusdt-1h.csv"), comment="#")
    time = pd.to_datetime(table["open_time"], unit="ms", utc=True)
    inputs = pd.DataFrame({"open_time": table["open_time"], "close": table["close"], "volume": table["volume"]})
    holes = table["close"].copy()
    holes[::7] = np.nan
    inputs["close_holes"] = holes
    out = inputs.copy()
    for column, rule, how in CASES:
        offset = RULES[rule]
        series = pd.Series(inputs[column].to_numpy(), index=time)
        buckets = series.resample(offset, label="left", closed="left")
        values = buckets.sum(min_count=1) if how == "sum" else getattr(buckets, how)()
        present = pd.Series(1, index=time).resample(offset, label="left", closed="left").count()
        values[present == 0] = np.nan
        if offset == "W-MON":
            own = time.dt.to_period("W-SUN").dt.start_time.dt.tz_localize("UTC")
            previous = own - pd.Timedelta(days=7)
        else:
            previous = time.dt.floor(offset) - pd.Timedelta(offset)
        out[f"resample_{column}_{rule}_{how}"] = values.reindex(previous).to_numpy()
    path = os.path.join(HERE, "resample-btcusdt-1h.csv")
    with open(path, "w") as f:
        f.write("# llmalpha resample references: see make_resample_fixtures.py (do not edit; rerun it).\n")
        f.write(f"# Libraries: numpy {np.__version__}, pandas {pd.__version__}, python {platform.python_version()}.\n")
        f.write(",".join(out.columns) + "\n")
        for row in out.itertuples(index=False):
            f.write(",".join("" if (isinstance(v, float) and np.isnan(v)) else repr(float(v)) if isinstance(v, float) else str(v)
                             for v in row) + "\n")


if __name__ == "__main__":
    main()
