/* Streaming loops: one pass over the inputs, one output, no loop-carried state. */
#include "SIMDKernelsC.h"
#include "dispatch.h"

LLMA_INLINE void lagged_ratio_minus_one(double *restrict out, const double *restrict x, size_t n, size_t lag) {
    for (size_t i = lag; i < n; i++) out[i] = x[i] / x[i - lag] - 1.0;
}

/* Bars [from, n), branch-free: the comparisons' 0/1 are converted once. b == NULL: the constant. */
LLMA_INLINE void cross_bars(double *restrict out, const double *restrict a, const double *restrict b, double scalar,
                            size_t from, size_t n, int above) {
    for (size_t i = from; i < n; i++) {
        double now = b ? b[i] : scalar, before = b ? b[i - 1] : scalar;
        out[i] = above ? (double)((a[i] > now) & (a[i - 1] <= before)) : (double)((a[i] < now) & (a[i - 1] >= before));
    }
}

#if LLMA_X86
#include <immintrin.h>

LLMA_AVX2 static void lagged_ratio_minus_one_avx2(double *out, const double *x, size_t n, size_t lag) {
    lagged_ratio_minus_one(out, x, n, lag);
}

/* Written out: left to itself the compiler rebuilt a[i-1] from the previous vector with two
 * shuffles per vector and converted the mask through integers; an unaligned load of a + i - 1
 * (already in L1) and an and with 1.0's bits are fewer instructions, which keeps the loop at the
 * memory's speed. Ordered, quiet compares: NaN is false. */
LLMA_AVX2 static void cross_avx2(double *out, const double *a, const double *b, double scalar, size_t n, int above) {
    const __m256d one = _mm256_set1_pd(1.0), constant = _mm256_set1_pd(scalar);
    size_t i = 1;
    #define LLMA_CROSS_LOOP(NOW, BEFORE)                                                            \
        for (; i + 4 <= n; i += 4) {                                                                \
            __m256d b0 = b ? _mm256_loadu_pd(b + i) : constant;                                     \
            __m256d b1 = b ? _mm256_loadu_pd(b + i - 1) : constant;                                 \
            __m256d crossed = _mm256_and_pd(_mm256_cmp_pd(_mm256_loadu_pd(a + i), b0, NOW),         \
                                            _mm256_cmp_pd(_mm256_loadu_pd(a + i - 1), b1, BEFORE)); \
            _mm256_storeu_pd(out + i, _mm256_and_pd(crossed, one));                                 \
        }
    if (above) { LLMA_CROSS_LOOP(_CMP_GT_OQ, _CMP_LE_OQ) } else { LLMA_CROSS_LOOP(_CMP_LT_OQ, _CMP_GE_OQ) }
    #undef LLMA_CROSS_LOOP
    cross_bars(out, a, b, scalar, i, n, above);
}
#endif

void llma_lagged_ratio_minus_one(double *out, const double *x, size_t n, size_t lag) {
#if LLMA_X86
    if (llma_has_avx2_fma()) { lagged_ratio_minus_one_avx2(out, x, n, lag); return; }
#endif
    lagged_ratio_minus_one(out, x, n, lag);
}

void llma_cross(double *out, const double *a, const double *b, double scalar, size_t n, int above) {
    if (n == 0) return;
    out[0] = 0.0;
#if LLMA_X86
    if (llma_has_avx2_fma()) { cross_avx2(out, a, b, scalar, n, above); return; }
#endif
    /* Separate calls so each loop is compiled for a series or for a constant. */
    if (b) cross_bars(out, a, b, 0, 1, n, above); else cross_bars(out, a, NULL, scalar, 1, n, above);
}
