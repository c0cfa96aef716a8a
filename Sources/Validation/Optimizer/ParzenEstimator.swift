import Primitives

/// A Parzen estimator as in Optuna's TPE: a weighted mixture with one kernel per observation plus
/// a prior kernel, each kernel a product over the modelled dimensions.
///
/// Per numeric dimension (in model space, see ``ModelAxis``) a kernel is a normal truncated to the
/// interval, centred on the observation. Its bandwidth is the larger gap to its sorted neighbours
/// (interval ends count as neighbours, except that the lowest and highest observations use their
/// inner gap when there are two or more: Optuna's `consider_endpoints=False`), clipped to
/// [width / min(100, n + 2), width] (`consider_magic_clip`). The prior kernel sits at the middle
/// with bandwidth = width. Integer dimensions give each integer the kernel's mass on its cell
/// [v − 0.5, v + 0.5]; continuous ones use the density.
///
/// Per categorical dimension a kernel puts `1 + prior/(n+1)` on its observed category and
/// `prior/(n+1)` on every category, normalised; the prior kernel is uniform.
///
/// Kernel weights are Optuna's `default_weights`: equal for fewer than 25 observations, otherwise
/// a ramp from 1/n up to 1 over all but the newest 25 (older observations count less), then the
/// prior's weight appended and everything normalised.
///
/// Points go in and come out as dimension values (``SearchPoint`` coordinates); only the
/// dimensions in `axes` are read or written.
struct ParzenEstimator: Sendable {
    private let axes: [Int]
    private let kernels: [AxisKernels]
    private let logWeights: [Double]
    private let cumulativeWeights: [Double]

    /// The kernels of one dimension.
    private enum AxisKernels: Sendable {
        case numeric(NumericKernels)
        case categorical(CategoricalKernels)
    }

    private struct NumericKernels: Sendable {
        let axis: ModelAxis
        let low: Double
        let high: Double
        let integer: Bool
        let log: Bool
        let mu: [Double]
        let sigma: [Double]
        /// log of each kernel's mass inside [low, high] (the truncation's normaliser).
        let logMass: [Double]
        /// Kernel k's slot among the distinct (mu, sigma) pairs, which share their cell masses
        /// (integer observations repeat, so many kernels coincide).
        let distinctSlot: [Int]
        /// For each slot, one kernel that has it.
        let slotKernel: [Int]
    }

    private struct CategoricalKernels: Sendable {
        let count: Int
        /// Kernel-major: `logProbability[k * count + c]`.
        let logProbability: [Double]
        /// Kernel-major running sums of the probabilities, each row ending at exactly 1.
        let cumulative: [Double]
    }

    /// Builds the estimator from observed points (in report order, oldest first).
    ///
    /// - Parameters:
    ///   - points: the observations; each value is clamped into its dimension first.
    ///   - axes: the dimensions to model, with their model view; none may be `.fixed`.
    ///   - priorWeight: the prior kernel's weight before normalisation (Optuna's 1.0).
    /// - Complexity: O(d · n log n) for n points and d axes, plus O(d · n) `erfc` calls.
    init(points: [SearchPoint], axes: [(index: Int, axis: ModelAxis)], priorWeight: Double) {
        let n = points.count
        var weights = Self.observationWeights(count: n)
        weights.append(n == 0 ? 1 : priorWeight)
        var total = 0.0
        for w in weights { total += w }
        var logWeights = [Double](), cumulative = [Double]()
        logWeights.reserveCapacity(n + 1)
        cumulative.reserveCapacity(n + 1)
        var running = 0.0
        for w in weights {
            logWeights.append(PortableMath.log(w / total))
            running += w / total
            cumulative.append(running)
        }
        cumulative[n] = 1
        self.logWeights = logWeights
        self.cumulativeWeights = cumulative
        self.axes = axes.map(\.index)
        self.kernels = axes.map { index, axis in
            let observed = points.map { axis.toModel($0[index]) }
            switch axis {
            case .numeric:
                return .numeric(Self.numericKernels(axis, observed: observed))
            case .categorical(let count):
                return .categorical(Self.categoricalKernels(count: count, observed: observed, priorWeight: priorWeight))
            case .fixed:
                preconditionFailure("fixed dimensions are not modelled")
            }
        }
    }

    /// Optuna's `default_weights(n)`: ones for n < 25, else `linspace(1/n, 1, n − 25)` then 25 ones.
    static func observationWeights(count n: Int) -> [Double] {
        guard n >= 25 else { return [Double](repeating: 1, count: n) }
        let rampCount = n - 25
        var weights = [Double]()
        weights.reserveCapacity(n)
        let start = 1 / Double(n)
        let step = rampCount > 1 ? (1 - start) / Double(rampCount - 1) : 0
        for i in 0..<rampCount { weights.append(start + Double(i) * step) }
        if rampCount > 1 { weights[rampCount - 1] = 1 }  // numpy.linspace ends exactly at stop
        weights.append(contentsOf: repeatElement(1.0, count: 25))
        return weights
    }

    private static func numericKernels(_ axis: ModelAxis, observed: [Double]) -> NumericKernels {
        guard case .numeric(let low, let high, let log, let integer, _, _) = axis else {
            preconditionFailure("not a numeric axis")
        }
        let n = observed.count
        let width = high - low
        var sigma = [Double](repeating: 0, count: n)
        if n > 0 {
            // Neighbours in sorted order (ties by report order, so the result is deterministic).
            let order = (0..<n).sorted { observed[$0] != observed[$1] ? observed[$0] < observed[$1] : $0 < $1 }
            func sortedValue(_ j: Int) -> Double {  // j in 0...n+1, with the interval ends around
                j == 0 ? low : j == n + 1 ? high : observed[order[j - 1]]
            }
            for j in 1...n {
                sigma[order[j - 1]] = Swift.max(sortedValue(j) - sortedValue(j - 1), sortedValue(j + 1) - sortedValue(j))
            }
            if n >= 2 {
                sigma[order[0]] = sortedValue(2) - sortedValue(1)
                sigma[order[n - 1]] = sortedValue(n) - sortedValue(n - 1)
            }
            let minimum = width / Double(Swift.min(100, n + 2))
            for k in 0..<n { sigma[k] = Swift.min(Swift.max(sigma[k], minimum), width) }
        }
        let mu = observed + [0.5 * (low + high)]
        sigma.append(width)
        var logMass = [Double]()
        logMass.reserveCapacity(n + 1)
        for k in 0...n {
            logMass.append(PortableMath.logGaussianMass((low - mu[k]) / sigma[k], (high - mu[k]) / sigma[k]))
        }
        var distinctSlot = [Int](repeating: 0, count: n + 1), slotKernel = [Int]()
        let byPair = (0...n).sorted { (a: Int, b: Int) -> Bool in
            if mu[a] != mu[b] { return mu[a] < mu[b] }
            if sigma[a] != sigma[b] { return sigma[a] < sigma[b] }
            return a < b
        }
        for (position, k) in byPair.enumerated() {
            if position == 0 || mu[k] != mu[byPair[position - 1]] || sigma[k] != sigma[byPair[position - 1]] {
                slotKernel.append(k)
            }
            distinctSlot[k] = slotKernel.count - 1
        }
        return NumericKernels(axis: axis, low: low, high: high, integer: integer, log: log,
                              mu: mu, sigma: sigma, logMass: logMass, distinctSlot: distinctSlot, slotKernel: slotKernel)
    }

    private static func categoricalKernels(count: Int, observed: [Double], priorWeight: Double) -> CategoricalKernels {
        let n = observed.count
        let kernelCount = n + 1
        let floor = n == 0 ? 1 : priorWeight / Double(kernelCount)
        var logProbability = [Double](), cumulative = [Double]()
        logProbability.reserveCapacity(kernelCount * count)
        cumulative.reserveCapacity(kernelCount * count)
        for k in 0..<kernelCount {
            let category = k < n ? Int(observed[k]) : -1
            let rowSum = floor * Double(count) + (category >= 0 ? 1 : 0)
            var running = 0.0
            for c in 0..<count {
                let p = (floor + (c == category ? 1 : 0)) / rowSum
                logProbability.append(PortableMath.log(p))
                running += p
                cumulative.append(c == count - 1 ? 1 : running)
            }
        }
        return CategoricalKernels(count: count, logProbability: logProbability, cumulative: cumulative)
    }

    /// Draws a point from the mixture: picks a kernel by weight, then each modelled dimension from
    /// that kernel. Writes only the modelled coordinates of `point`.
    /// - Complexity: O(n + d) per draw.
    func sample(into point: inout SearchPoint, using rng: inout SeededRandom) {
        let u = rng.uniform()
        var k = 0
        while k < cumulativeWeights.count - 1 && cumulativeWeights[k] <= u { k += 1 }
        for (slot, index) in axes.enumerated() {
            switch kernels[slot] {
            case .numeric(let kernels):
                let x = rng.truncatedNormal(mean: kernels.mu[k], sd: kernels.sigma[k], low: kernels.low, high: kernels.high)
                point[index] = kernels.axis.toExternal(x)
            case .categorical(let kernels):
                let v = rng.uniform()
                var c = 0
                while c < kernels.count - 1 && kernels.cumulative[k * kernels.count + c] <= v { c += 1 }
                point[index] = Double(c)
            }
        }
    }

    /// The log density (log mass for integers and categories) of the mixture at each point.
    ///
    /// Works on all points at once so an integer dimension computes a cell's mass once per distinct
    /// value and distinct kernel (Optuna's unique trick).
    /// - Complexity: O(m · n · d) for m points, plus O(distinct values · distinct kernels) `erfc`.
    func logDensities(of points: [SearchPoint]) -> [Double] {
        let m = points.count, kernelCount = logWeights.count
        // acc[i * kernelCount + k]: log weight of kernel k plus its log density at point i.
        var acc = [Double](repeating: 0, count: m * kernelCount)
        for i in 0..<m {
            for k in 0..<kernelCount { acc[i * kernelCount + k] = logWeights[k] }
        }
        for (slot, index) in axes.enumerated() {
            switch kernels[slot] {
            case .numeric(let kernels) where kernels.integer:
                var distinct = [Double](), distinctMass = [Double]()
                for i in 0..<m {
                    let v = points[i][index]
                    var found = distinct.firstIndex(of: v)
                    if found == nil {
                        found = distinct.count
                        distinct.append(v)
                        var lower = v - 0.5, upper = v + 0.5
                        if kernels.log { lower = PortableMath.log(lower); upper = PortableMath.log(upper) }
                        for k in kernels.slotKernel {
                            let s = kernels.sigma[k], mu = kernels.mu[k]
                            distinctMass.append(PortableMath.logGaussianMass((lower - mu) / s, (upper - mu) / s) - kernels.logMass[k])
                        }
                    }
                    let base = found! * kernels.slotKernel.count
                    for k in 0..<kernelCount { acc[i * kernelCount + k] += distinctMass[base + kernels.distinctSlot[k]] }
                }
            case .numeric(let kernels):
                var offset = [Double]()
                offset.reserveCapacity(kernelCount)
                for k in 0..<kernelCount {
                    offset.append(-PortableMath.logSquareRootOfTwoPi - PortableMath.log(kernels.sigma[k]) - kernels.logMass[k])
                }
                for i in 0..<m {
                    let x = kernels.log ? PortableMath.log(points[i][index]) : points[i][index]
                    for k in 0..<kernelCount {
                        let z = (x - kernels.mu[k]) / kernels.sigma[k]
                        acc[i * kernelCount + k] += offset[k] - 0.5 * z * z
                    }
                }
            case .categorical(let kernels):
                for i in 0..<m {
                    let c = Int(points[i][index])
                    for k in 0..<kernelCount {
                        acc[i * kernelCount + k] += kernels.logProbability[k * kernels.count + c]
                    }
                }
            }
        }
        var result = [Double]()
        result.reserveCapacity(m)
        for i in 0..<m {
            var largest = -Double.infinity
            for k in 0..<kernelCount { largest = Swift.max(largest, acc[i * kernelCount + k]) }
            if largest == -.infinity { result.append(-.infinity); continue }
            var sum = 0.0
            for k in 0..<kernelCount { sum += PortableMath.exp(acc[i * kernelCount + k] - largest) }
            result.append(largest + PortableMath.log(sum))
        }
        return result
    }
}
