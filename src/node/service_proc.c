/* `mwx node`'s process figures for /metrics: resident memory and open descriptors (Linux
 * /proc), and the free space of the outputs' file system. */
#define _POSIX_C_SOURCE 200809L
#include "service_int.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

void mwxi_svc_proc_sample(const char *outputs, double *rss_bytes, double *open_fds,
                          double *disk_free_bytes)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    DIR *d;
    struct dirent *e;
    struct statvfs vfs;
    long page = sysconf(_SC_PAGESIZE);

    *rss_bytes = *open_fds = *disk_free_bytes = -1; /* unknown */
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) == 2 && page > 0)
            *rss_bytes = (double)res * (double)page;
        fclose(f);
    }
    d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        *open_fds = (double)(n - 1); /* not the one reading the folder */
    }
    if (statvfs(outputs, &vfs) == 0)
        *disk_free_bytes = (double)vfs.f_bavail * (double)vfs.f_frsize;
}
