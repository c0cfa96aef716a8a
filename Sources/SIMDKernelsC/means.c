/* The moving averages' last step: compensated running sums to correctly rounded means. */
#include "SIMDKernelsC.h"
#include "dispatch.h"

/* The value of a compensated sum (the total alone once it overflowed: its error is NaN then). */
LLMA_INLINE double sum_value(double total, double error) {
    return __builtin_isfinite(total) ? total + error : total;
}

static void compensated_mean_plain(double *out, const double *totals, const double *errors, size_t n, double divisor) {
    if (errors) for (size_t i = 0; i < n; i++) out[i] = sum_value(totals[i], errors[i]) / divisor;
    else for (size_t i = 0; i < n; i++) out[i] = totals[i] / divisor;
}

#if LLMA_X86
#include <immintrin.h>

/* Markstein: with y = RN(1/b), q0 = RN(a*y) and the exact remainder r = a - q0*b (one FMA),
 * q1 = RN(q0 + r*y) is the correctly rounded a/b. Four lanes a step; a step holding a zero, a
 * subnormal, an infinity or NaN (for which the correction does not hold) divides plainly. */
LLMA_AVX2 static void compensated_mean_fma(double *out, const double *totals, const double *errors, size_t n,
                                           double divisor) {
    const __m256d y = _mm256_set1_pd(1.0 / divisor), b = _mm256_set1_pd(divisor);
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d infinity = _mm256_set1_pd(__builtin_inf());
    const __m256d smallest = _mm256_set1_pd(0x1p-960), largest = _mm256_set1_pd(0x1p+1000);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(totals + i);
        if (errors) {
            __m256d finite = _mm256_cmp_pd(_mm256_and_pd(a, magnitude), infinity, _CMP_LT_OQ);
            a = _mm256_blendv_pd(a, _mm256_add_pd(a, _mm256_loadu_pd(errors + i)), finite);
        }
        __m256d m = _mm256_and_pd(a, magnitude);
        int special = _mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(m, smallest, _CMP_LT_OQ),
                                                      _mm256_cmp_pd(m, largest, _CMP_NLE_UQ)));
        if (special) {
            _mm256_storeu_pd(out + i, _mm256_div_pd(a, b));
            continue;
        }
        __m256d q = _mm256_mul_pd(a, y);
        __m256d r = _mm256_fnmadd_pd(q, b, a);
        _mm256_storeu_pd(out + i, _mm256_fmadd_pd(r, y, q));
    }
    compensated_mean_plain(out + i, totals + i, errors ? errors + i : 0, n - i, divisor);
}

void llma_compensated_mean_block(double *out, const double *totals, const double *errors, size_t n, double divisor) {
    if (llma_has_avx2_fma()) compensated_mean_fma(out, totals, errors, n, divisor);
    else compensated_mean_plain(out, totals, errors, n, divisor);
}
#else
void llma_compensated_mean_block(double *out, const double *totals, const double *errors, size_t n, double divisor) {
    compensated_mean_plain(out, totals, errors, n, divisor);
}
#endif
