/* Which build of the loops runs: AVX2+FMA when the CPU has both (checked once), else baseline. */
#include "SIMDKernelsC.h"
#include "dispatch.h"

#if LLMA_X86
static _Atomic int has_avx2_fma = -1;   /* -1: not checked yet; the check is idempotent */
static _Thread_local int use_baseline = 0;

void llma_simd_use_baseline(int baseline) { use_baseline = baseline; }

int llma_has_avx2_fma(void) {
    if (use_baseline) return 0;
    if (has_avx2_fma < 0) {
        __builtin_cpu_init();
        has_avx2_fma = __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
    }
    return has_avx2_fma;
}

#else
void llma_simd_use_baseline(int baseline) { (void)baseline; }
#endif
