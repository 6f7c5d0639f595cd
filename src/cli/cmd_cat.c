/* mwx cat FILE.mwxr [--follow] [--type TYPE[,TYPE...]]: a recording as JSON Lines.
 *
 * Exit: 0 all read (a torn tail from a crash is warned about on stderr and cut, not an
 * error); 1 the file is missing, not a recording or corrupt (records before the damage
 * are printed first); 2 usage; 3 I/O. With --follow, waits for new records (polling
 * every 50 ms) until SIGINT/SIGTERM, then exits 0. A closed stdout (`| head`) ends it
 * quietly. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx cat FILE.mwxr [--follow] [--type TYPE[,TYPE...]]\n\n"
               "Print every record of a recording as one JSON object a line (JSON Lines).\n\n"
               "  -f, --follow     keep reading as a writer appends, until interrupted\n"
               "  -t, --type TYPE  only these record types: scenario, truth, meas, track,\n"
               "                   share, alert (repeat or separate with commas)\n"
               "  -h, --help       this help\n\n"
               "A torn last record (a writer that crashed) is reported on stderr and cut;\n"
               "the exit status is still 0. A corrupt record is an error (exit 1) after the\n"
               "records before it.\n");
}

/* Adds the types named in a comma-separated list to mask; 0 or -1 (unknown name). */
static int parse_types(const char *list, unsigned *mask)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (int t = 1; t <= MWX_REC_TYPE_MAX; t++) {
            const char *name = mwx_rec_type_name((mwx_rec_type_t)t);
            if (strlen(name) == n && strncmp(p, name, n) == 0) {
                *mask |= 1u << t;
                found = 1;
            }
        }
        if (!found)
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* 0 ok, 1 stdout closed by the reader (quiet end), -1 another write error. */
static int out_status(void)
{
    if (!ferror(stdout))
        return 0;
    return errno == EPIPE ? 1 : -1;
}

int mwx_cmd_cat(int argc, char **argv)
{
    const char *path = NULL;
    int follow = 0;
    unsigned mask = 0;
    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    int opts = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && strcmp(a, "--") == 0) {
            opts = 0;
        } else if (!opts || a[0] != '-' || !a[1]) {
            if (path)
                return mwx_cli_usage_error("cat", "one recording at a time ('%s' and '%s')", path,
                                           a);
            path = a;
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0) {
            follow = 1;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--type") == 0 ||
                   strncmp(a, "--type=", 7) == 0) {
            const char *v = a[1] == '-' && a[6] == '=' ? a + 7 : NULL;
            if (!v) {
                if (i + 1 >= argc)
                    return mwx_cli_usage_error("cat", "%s needs a record type", a);
                v = argv[++i];
            }
            if (!*v || parse_types(v, &mask))
                return mwx_cli_usage_error(
                    "cat", "unknown record type '%s' (scenario, truth, meas, track, share, alert)",
                    v);
        } else {
            return mwx_cli_usage_error("cat", "unknown option '%s'", a);
        }
    }
    if (!path)
        return mwx_cli_usage_error("cat", "which recording? (mwx cat FILE.mwxr)");

    /* A closed pipe is a write error (EPIPE) we handle, not a signal that kills us. */
    signal(SIGPIPE, SIG_IGN);
    if (follow) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }

    mwx_err_t err;
    mwx_err_clear(&err);
    mwx_recreader_t *r;
    int rc = mwx_recreader_open(path, follow ? MWX_READ_FOLLOW : 0, &r, &err);
    if (rc) {
        int st = mwx_cli_fail("cat", &err);
        return rc == MWX_EUNSUPPORTED ? 1 : st; /* a newer format: the input, not the host */
    }

    int status = 0;
    mwx_record_t rec;
    for (;;) {
        if (stop_requested)
            break;
        rc = mwx_recreader_next(r, &rec, &err);
        if (rc == 0) {
            if (mask && !(mask & (1u << rec.type)))
                continue;
            char *line = mwx_record_to_json(&rec);
            if (!line) {
                fprintf(stderr, "mwx cat: out of memory\n");
                status = 3;
                break;
            }
            fputs(line, stdout);
            putchar('\n');
            free(line);
            int o = out_status();
            if (o) {
                status = o > 0 ? 0 : 3;
                if (o < 0)
                    fprintf(stderr, "mwx cat: stdout: %s\n", strerror(errno));
                break;
            }
            continue;
        }
        if (rc == MWX_EAGAIN) {
            if (fflush(stdout) || out_status()) {
                int o = out_status();
                status = o > 0 ? 0 : 3;
                if (o <= 0)
                    fprintf(stderr, "mwx cat: stdout: %s\n", strerror(errno));
                break;
            }
            if (stop_requested)
                break;
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (stop_requested)
                break;
            continue;
        }
        if (rc == MWX_EOF)
            break;
        if (rc == MWX_ETRUNC) {
            fflush(stdout);
            fprintf(stderr, "mwx cat: warning: %s\n", err.msg);
            break;
        }
        fflush(stdout);
        status = mwx_cli_fail("cat", &err);
        break;
    }
    mwx_recreader_close(r);
    if (fflush(stdout) && status == 0 && out_status() < 0) {
        fprintf(stderr, "mwx cat: stdout: %s\n", strerror(errno));
        status = 3;
    }
    return status;
}
