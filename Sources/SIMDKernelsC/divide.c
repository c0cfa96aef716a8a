#include "SIMDKernelsC.h"
#include "dispatch.h"

#if LLMA_X86
#include <immintrin.h>

/* Markstein: with y = RN(1/b), q0 = RN(a*y) and the exact remainder r = a - q0*b (one FMA),
 * q1 = RN(q0 + r*y) is the correctly rounded a/b. Four lanes a step. */
LLMA_AVX2 static void divide_fma(double *x, size_t n, double divisor) {
    const double reciprocal = 1.0 / divisor;
    const __m256d y = _mm256_set1_pd(reciprocal), b = _mm256_set1_pd(divisor);
    size_t i = 0;
    /* Zeros (the sign), subnormals, infinities and NaN go the plain way: Markstein's step holds
     * for normal finite values. */
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d smallest = _mm256_set1_pd(0x1p-960), largest = _mm256_set1_pd(0x1p+1000);
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(x + i);
        __m256d m = _mm256_and_pd(a, magnitude);
        int special = _mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(m, smallest, _CMP_LT_OQ),
                                                      _mm256_cmp_pd(m, largest, _CMP_NLE_UQ)));
        if (special) {
            for (size_t j = i; j < i + 4; j++) x[j] = x[j] / divisor;
            continue;
        }
        __m256d q = _mm256_mul_pd(a, y);
        __m256d r = _mm256_fnmadd_pd(q, b, a);
        _mm256_storeu_pd(x + i, _mm256_fmadd_pd(r, y, q));
    }
    for (; i < n; i++) x[i] = x[i] / divisor;
}

static _Atomic int has_avx2_fma = -1;   /* -1: not checked yet */

void llma_simd_use_baseline(int baseline) {
    if (baseline) has_avx2_fma = 0;
    else has_avx2_fma = -1;
}

int llma_has_avx2_fma(void) {
    if (has_avx2_fma < 0) {
        __builtin_cpu_init();
        has_avx2_fma = __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
    }
    return has_avx2_fma;
}

void llma_divide_block(double *x, size_t n, double divisor) {
    if (llma_has_avx2_fma()) { divide_fma(x, n, divisor); return; }
    for (size_t i = 0; i < n; i++) x[i] = x[i] / divisor;
}
#else
void llma_simd_use_baseline(int baseline) { (void)baseline; }

void llma_divide_block(double *x, size_t n, double divisor) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] / divisor;
}
#endif
