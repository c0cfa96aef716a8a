/* Loops that need wider vectors than the x86-64 baseline Swift compiles for: each is built twice,
 * for AVX2+FMA and for the baseline, and the AVX2 build is chosen at run time when the CPU has it
 * (checked once). One function per pattern; the Swift kernels call them for their inner loops.
 * Results are identical on both paths: no reassociation, no contraction, IEEE division. */
#ifndef LLMA_SIMD_KERNELS_C_H
#define LLMA_SIMD_KERNELS_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[i] = (totals[i] + errors[i]) / divisor, correctly rounded, for compensated running sums
 * (the total alone where it is not finite): the moving averages' last step, per block after the
 * sequential sums. Equal exact sums must give equal averages (so crossovers of mathematically
 * equal averages do not fire), which a multiply by 1/w does not guarantee and a divide a bar is
 * too slow for: Markstein's correction with FMA divides at multiply speed. `out` may be `totals`;
 * `errors` NULL: the totals are the sums' values already. */
void llma_compensated_mean_block(double *out, const double *totals, const double *errors, size_t n, double divisor);

/* Rolling.univariate's second phase over one block of `count` bars (index o from the block's
 * first bar). In: `sums` the running sums of the shifted values, s1 and s2 interleaved; `changes`
 * the last bar where the value changed, as a double, in bar numbers such that the window ending
 * at o is constant when changes[o] <= o + constant_threshold; `shift` the value subtracted
 * before summing; `inverse` 1 / window. Out: `out` (variance, deviation, z-score from `x`, or the
 * upper band with `lower`, around `middle`, at `deviations`). Returns the first o at which the
 * sums must be re-anchored (the mean moved more than 32 deviations from the shift at o - 1,
 * tested from drift_check_from on; outputs from there are recomputed by the caller), else count. */
enum { LLMA_MOMENTS_VARIANCE, LLMA_MOMENTS_DEVIATION, LLMA_MOMENTS_ZSCORE, LLMA_MOMENTS_BANDS };
typedef struct {
    const double *sums, *changes, *x, *middle;
    double *out, *lower;
    size_t count, drift_check_from;
    double inverse, shift, constant_threshold, deviations;
    int kind;
} llma_moments_block;
size_t llma_moments(const llma_moments_block *block);

/* ATR's Wilder smoothing over `groups` groups of four bars: with tr = max(high, close[-1]) -
 * min(low, close[-1]), out[i] = a·out[i-1] + tr[i]·reciprocal, out[-1] = *state; updates *state.
 * close[-1] must be readable. Returns the sum of every input read, non-finite when any was (the
 * caller then recomputes up to the bad bar). Both builds give the same bits; the in-group
 * rounding differs from a bar-by-bar loop by a few ulps, which the recursion damps. */
double llma_wilder_true_range(double *out, const double *high, const double *low, const double *close,
                              size_t groups, double a, double reciprocal, double *state);

/* out[i] = x[i] / x[i - lag] - 1 for i in [lag, n): the percent change. Division-throughput bound,
 * which four lanes double over two. `out` must not overlap `x`. */
void llma_lagged_ratio_minus_one(double *out, const double *x, size_t n, size_t lag);

/* out[i] = 1.0 where a crosses b between bars i-1 and i, else 0.0, for i in [1, n); out[0] = 0.
 * above: a[i] > b[i] and a[i-1] <= b[i-1]; below: a[i] < b[i] and a[i-1] >= b[i-1]. Any NaN
 * makes the comparisons false. `b` is a series, or (b == NULL) the constant `scalar`. `out` must
 * not overlap `a` or `b`. Memory bound: at 1M bars it runs at the speed of `out = a + b`. */
void llma_cross(double *out, const double *a, const double *b, double scalar, size_t n, int above);

/* For the tests: 1 runs every loop's baseline build on the calling thread from now on, 0 goes back
 * to the CPU's best. Other threads are not affected. */
void llma_simd_use_baseline(int baseline);

#ifdef __cplusplus
}
#endif

#endif
