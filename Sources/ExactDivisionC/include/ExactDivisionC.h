/* Correctly rounded division of a block by one divisor at multiply speed, for the moving
 * averages: equal exact sums must give equal averages (so crossovers of mathematically equal
 * averages do not fire), which a multiply by 1/w does not guarantee and a divide a bar is too
 * slow for. Uses FMA where the CPU has it (checked once), else plain division. */
#ifndef LLMA_EXACT_DIVISION_C_H
#define LLMA_EXACT_DIVISION_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* x[i] = x[i] / divisor for i in [0, n), each result the correctly rounded quotient. */
void llma_divide_block(double *x, size_t n, double divisor);

#ifdef __cplusplus
}
#endif

#endif
