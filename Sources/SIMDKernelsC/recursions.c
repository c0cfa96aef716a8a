/* First-order recursions y[t] = a·y[t-1] + b[t], four bars a group. */
#include "SIMDKernelsC.h"
#include "dispatch.h"

/* One group, the reference for the vector build: the in-group terms by a two-step scan,
 *   s1 = (b0, b1 + a·b0, b2 + a·b1, b3 + a·b2)
 *   s2 = (s1₀, s1₁, s1₂ + a²·s1₀, s1₃ + a²·s1₁)
 * then y = y₋₁·(a, a², a³, a⁴) + s2. Only y₋₁·a⁴ + s2₃ carries to the next group: one multiply
 * and one add per four bars on the loop-carried path. */
LLMA_INLINE double group_plain(double *y, const double b[4], double previous, double a, double a2,
                               const double powers[4]) {
    /* The vector build adds a·0 and a²·0 where a lane has no earlier term; so does this, which
     * turns a -0 into +0 the same way in both. */
    const double none = 0.0;
    double s1[4] = { b[0] + a * none, b[1] + a * b[0], b[2] + a * b[1], b[3] + a * b[2] };
    double s2[4] = { s1[0] + a2 * none, s1[1] + a2 * none, s1[2] + a2 * s1[0], s1[3] + a2 * s1[1] };
    for (int j = 0; j < 4; j++) y[j] = previous * powers[j] + s2[j];
    return y[3];
}

LLMA_INLINE double true_range(double high, double low, double previous_close) {
    double top = high > previous_close ? high : previous_close;
    double bottom = low < previous_close ? low : previous_close;
    return top - bottom;
}

static double wilder_true_range_plain(double *out, const double *high, const double *low, const double *close,
                                      size_t groups, double a, double reciprocal, double *state) {
    const double a2 = a * a, powers[4] = { a, a2, a2 * a, a2 * a2 };
    double previous = *state, sum = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t i = 4 * g;
        double b[4];
        for (int j = 0; j < 4; j++) {
            b[j] = true_range(high[i + j], low[i + j], close[i + j - 1]) * reciprocal;
            sum += high[i + j] + low[i + j] + close[i + j - 1];
        }
        previous = group_plain(out + i, b, previous, a, a2, powers);
    }
    *state = previous;
    return sum;
}

#if LLMA_X86
#include <immintrin.h>

/* Bound by the recursion's multiply and add per group and by the loads of three inputs. The
 * state stays broadcast in all four lanes: taken from the output vector, it would add a
 * permute to the loop-carried path. */
LLMA_AVX2 static double wilder_true_range_avx2(double *out, const double *high, const double *low, const double *close,
                                               size_t groups, double a, double reciprocal, double *state) {
    const double a2 = a * a;
    const __m256d va = _mm256_set1_pd(a), va2 = _mm256_set1_pd(a2), vr = _mm256_set1_pd(reciprocal);
    const __m256d powers = _mm256_set_pd(a2 * a2, a2 * a, a2, a), a4 = _mm256_set1_pd(a2 * a2);
    const __m256d zero = _mm256_setzero_pd();
    __m256d previous = _mm256_set1_pd(*state), sum = zero;
    for (size_t g = 0; g < groups; g++) {
        size_t i = 4 * g;
        __m256d h = _mm256_loadu_pd(high + i), l = _mm256_loadu_pd(low + i), pc = _mm256_loadu_pd(close + i - 1);
        sum = _mm256_add_pd(sum, _mm256_add_pd(_mm256_add_pd(h, l), pc));
        /* max/min pick the second operand when either is NaN, like the scalar `?:` above. */
        __m256d top = _mm256_max_pd(h, pc), bottom = _mm256_min_pd(l, pc);
        __m256d b = _mm256_mul_pd(_mm256_sub_pd(top, bottom), vr);
        __m256d shifted = _mm256_blend_pd(_mm256_permute4x64_pd(b, 0x90), zero, 0x1);          /* (0, b0, b1, b2) */
        __m256d s1 = _mm256_add_pd(b, _mm256_mul_pd(va, shifted));
        __m256d shifted2 = _mm256_blend_pd(_mm256_permute4x64_pd(s1, 0x40), zero, 0x3);        /* (0, 0, s0, s1) */
        __m256d s2 = _mm256_add_pd(s1, _mm256_mul_pd(va2, shifted2));
        _mm256_storeu_pd(out + i, _mm256_add_pd(_mm256_mul_pd(previous, powers), s2));
        previous = _mm256_add_pd(_mm256_mul_pd(previous, a4), _mm256_permute4x64_pd(s2, 0xff));
    }
    *state = _mm_cvtsd_f64(_mm256_castpd256_pd128(previous));
    __m128d half = _mm_add_pd(_mm256_castpd256_pd128(sum), _mm256_extractf128_pd(sum, 1));
    return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
}
#endif

double llma_wilder_true_range(double *out, const double *high, const double *low, const double *close,
                              size_t groups, double a, double reciprocal, double *state) {
#if LLMA_X86
    if (llma_has_avx2_fma()) return wilder_true_range_avx2(out, high, low, close, groups, a, reciprocal, state);
#endif
    return wilder_true_range_plain(out, high, low, close, groups, a, reciprocal, state);
}
