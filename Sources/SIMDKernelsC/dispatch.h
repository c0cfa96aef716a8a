/* Run-time choice between the AVX2+FMA and the baseline build of a loop. */
#ifndef LLMA_DISPATCH_H
#define LLMA_DISPATCH_H

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMA_X86 1
#define LLMA_AVX2 __attribute__((target("avx2,fma")))
int llma_has_avx2_fma(void);
#else
#define LLMA_X86 0
#endif

/* The loop body, inlined into each build so the compiler vectorizes it for that build's width. */
#define LLMA_INLINE static inline __attribute__((always_inline))

#endif
