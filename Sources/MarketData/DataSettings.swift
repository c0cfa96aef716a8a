/// Which market data commands read by default (`data.*` in configs/default.yaml).
public struct DataSettings: Sendable, Equatable {
    /// The store root, relative to the working directory or the project (`data.dir`, `--data-dir`,
    /// `LLMALPHA_DATA_DIR`).
    public var directory = "data"
    /// The default `--symbol`.
    public var symbol = "BTCUSDT"
    /// The default `--interval`.
    public var interval = "1h"

    public init() {}
}
