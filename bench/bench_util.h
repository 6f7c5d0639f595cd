/* Small helpers the benchmarks share (header-only: bench/CMakeLists.txt builds every
 * bench/<name>.c on its own). */
#ifndef MWX_BENCH_UTIL_H
#define MWX_BENCH_UTIL_H

#include <time.h>

/* CPU time of the whole process, s */
static inline double bench_process_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* qsort's comparison of doubles, ascending (medians of rounds) */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
