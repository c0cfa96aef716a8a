/* The vectorisable half of the rolling variance family (Rolling.univariate's phase B): from the
 * running sums of one block to variances, deviations, z-scores or bands. */
#include "SIMDKernelsC.h"
#include "dispatch.h"
#include <math.h>

/* One bar, the reference for every lane below: mean and variance of the shifted values, clamped
 * at 0, exactly 0 on a constant window, then the output. Returns whether the mean has drifted
 * more than 32 deviations from the shift (the caller re-anchors). */
LLMA_INLINE int moments_bar(const llma_moments_block *b, size_t o) {
    double m = b->sums[2 * o] * b->inverse;
    double variance = b->sums[2 * o + 1] * b->inverse - m * m;
    if (variance <= 0) variance = 0;
    if (b->changes[o] <= (double)o + b->constant_threshold) variance = 0;
    switch (b->kind) {
    case LLMA_MOMENTS_VARIANCE: b->out[o] = variance; break;
    case LLMA_MOMENTS_DEVIATION: b->out[o] = sqrt(variance); break;
    case LLMA_MOMENTS_ZSCORE: {
        double sd = sqrt(variance);
        b->out[o] = sd > 0 ? ((b->x[o] - b->shift) - m) / sd : __builtin_nan("");
        break;
    }
    default: {
        double spread = sqrt(variance) * b->deviations;
        b->out[o] = b->middle[o] + spread;
        b->lower[o] = b->middle[o] - spread;
    }
    }
    return m * m > 1024 * variance;
}

static size_t moments_plain(const llma_moments_block *b) {
    for (size_t o = 0; o < b->count; o++) {
        if (moments_bar(b, o) && o + 1 >= b->drift_check_from && o + 1 < b->count) return o + 1;
    }
    return b->count;
}

#if LLMA_X86
#include <immintrin.h>

/* Four bars a step; square-root throughput (four lanes per vsqrtpd) and instruction count bound
 * it. The drift test is rare: a step where it may fire is redone bar by bar. */
LLMA_AVX2 static size_t moments_avx2(const llma_moments_block *b) {
    const __m256d inverse = _mm256_set1_pd(b->inverse), zero = _mm256_setzero_pd();
    const __m256d limit = _mm256_set1_pd(1024.0), deviations = _mm256_set1_pd(b->deviations);
    const __m256d shift = _mm256_set1_pd(b->shift), nan = _mm256_set1_pd(__builtin_nan(""));
    __m256d threshold = _mm256_add_pd(_mm256_set_pd(3, 2, 1, 0), _mm256_set1_pd(b->constant_threshold));
    const __m256d four = _mm256_set1_pd(4);
    size_t o = 0;
    for (; o + 4 <= b->count; o += 4, threshold = _mm256_add_pd(threshold, four)) {
        __m256d lo = _mm256_loadu_pd(b->sums + 2 * o), hi = _mm256_loadu_pd(b->sums + 2 * o + 4);
        /* (s1 a, s2 a, s1 b, s2 b), (s1 c, s2 c, s1 d, s2 d) -> (s1 a, s1 b, s1 c, s1 d) and s2 likewise */
        __m256d s1 = _mm256_permute4x64_pd(_mm256_unpacklo_pd(lo, hi), 0xd8);
        __m256d s2 = _mm256_permute4x64_pd(_mm256_unpackhi_pd(lo, hi), 0xd8);
        __m256d m = _mm256_mul_pd(s1, inverse);
        __m256d variance = _mm256_sub_pd(_mm256_mul_pd(s2, inverse), _mm256_mul_pd(m, m));
        variance = _mm256_andnot_pd(_mm256_cmp_pd(variance, zero, _CMP_LE_OQ), variance);
        variance = _mm256_andnot_pd(_mm256_cmp_pd(_mm256_loadu_pd(b->changes + o), threshold, _CMP_LE_OQ), variance);
        switch (b->kind) {
        case LLMA_MOMENTS_VARIANCE: _mm256_storeu_pd(b->out + o, variance); break;
        case LLMA_MOMENTS_DEVIATION: _mm256_storeu_pd(b->out + o, _mm256_sqrt_pd(variance)); break;
        case LLMA_MOMENTS_ZSCORE: {
            __m256d sd = _mm256_sqrt_pd(variance);
            __m256d z = _mm256_div_pd(_mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(b->x + o), shift), m), sd);
            _mm256_storeu_pd(b->out + o, _mm256_blendv_pd(nan, z, _mm256_cmp_pd(sd, zero, _CMP_GT_OQ)));
            break;
        }
        default: {
            __m256d spread = _mm256_mul_pd(_mm256_sqrt_pd(variance), deviations);
            __m256d middle = _mm256_loadu_pd(b->middle + o);
            _mm256_storeu_pd(b->out + o, _mm256_add_pd(middle, spread));
            _mm256_storeu_pd(b->lower + o, _mm256_sub_pd(middle, spread));
        }
        }
        if (_mm256_movemask_pd(_mm256_cmp_pd(_mm256_mul_pd(m, m), _mm256_mul_pd(limit, variance), _CMP_GT_OQ))) {
            for (size_t t = o; t < o + 4; t++) {
                if (moments_bar(b, t) && t + 1 >= b->drift_check_from && t + 1 < b->count) return t + 1;
            }
        }
    }
    for (; o < b->count; o++) {
        if (moments_bar(b, o) && o + 1 >= b->drift_check_from && o + 1 < b->count) return o + 1;
    }
    return b->count;
}
#endif

size_t llma_moments(const llma_moments_block *b) {
#if LLMA_X86
    if (llma_has_avx2_fma()) return moments_avx2(b);
#endif
    return moments_plain(b);
}
