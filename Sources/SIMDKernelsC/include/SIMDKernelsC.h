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

/* x[i] = x[i] / divisor for i in [0, n), each the correctly rounded quotient, at multiply speed
 * (Markstein's correction with FMA): equal exact sums must give equal averages, which a multiply
 * by 1/w does not guarantee and a divide a bar is too slow for. */
void llma_divide_block(double *x, size_t n, double divisor);

/* out[i] = x[i] / x[i - lag] - 1 for i in [lag, n): the percent change. Division-throughput bound,
 * which four lanes double over two. */
void llma_lagged_ratio_minus_one(double *out, const double *x, size_t n, size_t lag);

/* out[i] = 1.0 where a crosses b between bars i-1 and i, else 0.0, for i in [1, n); out[0] = 0.
 * above: a[i] > b[i] and a[i-1] <= b[i-1]; below: a[i] < b[i] and a[i-1] >= b[i-1]. Any NaN
 * makes the comparisons false. `b` is a series, or (b == NULL) the constant `scalar`.
 * Memory bound: a compare, an and and a blend per bar. */
void llma_cross(double *out, const double *a, const double *b, double scalar, size_t n, int above);

/* For the tests: 1 runs every loop's baseline build from now on, 0 goes back to the CPU's best.
 * Both give identical results, so flipping it while other threads compute changes no number. */
void llma_simd_use_baseline(int baseline);

#ifdef __cplusplus
}
#endif

#endif
