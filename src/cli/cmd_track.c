/* mwx track RUN.mwxr -o TRACKS.mwxr [--nation ID] [--every S] [--capacity N]:
 * tracks from the measurements of a recording.
 *
 * Reads the recording's meas records in order (truth and the rest are ignored; the
 * tracker never sees truth_object), runs one tracker (node "ALL", or the nation's id with
 * --nation, using that nation's sensors only) and writes the scenario record first, then
 * the confirmed tracks' records: at most one per track per --every seconds (default 1 s;
 * 0 = every update; impact and launch predictions are refreshed at the same rate), plus a last record in phase "impact" when a track that has come
 * down is dropped. The physics (earth, j2, rotation, drag) is the scenario's.
 * The output is written atomically (PATH.tmp, renamed on success).
 *
 * Exit: 0 ok; 1 the input is not a recording, is corrupt or out of time order; 2 usage;
 * 3 the output cannot be written. A torn tail (a crashed writer) is warned about and cut. */
#include "cli.h"
#include "mwx/track.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: mwx track RUN.mwxr -o TRACKS.mwxr [--nation ID] [--every S] "
               "[--capacity N]\n\n"
               "Track the measurements of a recording (all sensors, or one nation's).\n\n"
               "  -o, --output PATH   the tracks recording (scenario record, then tracks)\n"
               "  --nation ID         use only this nation's sensors; tracks are ID-1, ID-2...\n"
               "                      (default: every sensor, node ALL)\n"
               "  --every S           at most one record per track per S seconds (default 1;\n"
               "                      0 = every update)\n"
               "  --capacity N        simultaneous tracks, tentative included (default 4096)\n"
               "  -h, --help          this help\n\n"
               "Exit: 0 ok, 1 bad input, 2 usage, 3 cannot write the output.\n");
}

typedef struct ctx {
    mwx_recwriter_t *w;
    mwx_err_t err;
    int failed;
    uint64_t n;
} ctx_t;

static void on_track(void *p, const mwx_rec_track_t *r)
{
    ctx_t *c = p;
    mwx_record_t rec;
    if (c->failed)
        return;
    memset(&rec, 0, sizeof(rec));
    rec.type = MWX_REC_TRACK;
    rec.u.track = *r;
    if (mwx_recwriter_append(c->w, &rec, &c->err))
        c->failed = 1;
    else
        c->n++;
}

/* Physics of the scenario record's JSON; defaults (WGS-84, everything on) otherwise. */
static void physics_from_json(const char *json, mwx_dyn_params_t *dyn)
{
    mwx_earth_t e = mwx_earth_wgs84();
    int j2 = 1, rot = 1, drag = 1, spherical = 0;
    json_t *root = json ? json_loads(json, 0, NULL) : NULL;
    json_t *ph = root ? json_object_get(root, "physics") : NULL;
    if (json_is_object(ph)) {
        json_t *v;
        if ((v = json_object_get(ph, "earth")) && json_is_string(v))
            spherical = strcmp(json_string_value(v), "spherical") == 0;
        if ((v = json_object_get(ph, "rotation")) && json_is_boolean(v))
            rot = json_is_true(v);
        if ((v = json_object_get(ph, "j2")) && json_is_boolean(v))
            j2 = json_is_true(v);
        if ((v = json_object_get(ph, "drag")) && json_is_boolean(v))
            drag = json_is_true(v);
    }
    if (spherical) {
        e = mwx_earth_sphere();
        j2 = 0;
    }
    if (!rot)
        e.omega = 0.0;
    mwx_dyn_params_default(dyn, &e, j2, rot, drag);
    json_decref(root);
}

int mwx_cmd_track(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *nation = NULL;
    double every = 1.0;
    long capacity = 4096;
    mwx_err_t err = {0};
    mwx_recreader_t *r = NULL;
    mwx_tracker_t *tr = NULL;
    mwx_tracker_cfg_t cfg;
    mwx_record_t rec;
    ctx_t c;
    int rc, seen_scenario = 0, status = 0;

    if (mwx_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(a, "--nation") == 0 && i + 1 < argc) {
            nation = argv[++i];
        } else if (strcmp(a, "--every") == 0 && i + 1 < argc) {
            char *end;
            every = strtod(argv[++i], &end);
            if (*end || !(every >= 0.0) || every > 1e6)
                return mwx_cli_usage_error("track", "--every: expected seconds >= 0, got '%s'",
                                           argv[i]);
        } else if (strcmp(a, "--capacity") == 0 && i + 1 < argc) {
            char *end;
            capacity = strtol(argv[++i], &end, 10);
            if (*end || capacity < 1 || capacity > 1000000)
                return mwx_cli_usage_error("track", "--capacity: expected 1..1000000, got '%s'",
                                           argv[i]);
        } else if (a[0] == '-' && a[1]) {
            return mwx_cli_usage_error("track", "unknown or incomplete option '%s'", a);
        } else if (!in) {
            in = a;
        } else {
            return mwx_cli_usage_error("track", "one input recording only ('%s')", a);
        }
    }
    if (!in || !out)
        return mwx_cli_usage_error("track", "needs RUN.mwxr and -o TRACKS.mwxr");
    if (nation && (!nation[0] || strlen(nation) >= 20))
        return mwx_cli_usage_error("track", "--nation: expected a nation id");

    if ((rc = mwx_recreader_open(in, 0, &r, &err)) != MWX_OK)
        return mwx_cli_fail("track", &err);
    memset(&c, 0, sizeof(c));
    if ((rc = mwx_recwriter_open(out, MWX_REC_ATOMIC, &c.w, &err)) != MWX_OK) {
        mwx_recreader_close(r);
        return mwx_cli_fail("track", &err);
    }
    for (;;) {
        rc = mwx_recreader_next(r, &rec, &err);
        if (rc == MWX_EOF)
            break;
        if (rc == MWX_ETRUNC) {
            fprintf(stderr, "mwx track: warning: %s (torn tail cut)\n", err.msg);
            break;
        }
        if (rc != MWX_OK)
            goto fail;
        if (!seen_scenario) {
            if (rec.type != MWX_REC_SCENARIO) {
                rc = mwx_err_set(&err, MWX_EINVAL, "%s: first record is %s, expected scenario", in,
                                 mwx_rec_type_name(rec.type));
                goto fail;
            }
            seen_scenario = 1;
            mwx_tracker_cfg_default(&cfg, nation ? nation : "ALL", (int)capacity);
            if (nation)
                mwx_strlcpy(cfg.nation, nation, sizeof(cfg.nation));
            cfg.report_interval_s = every;
            /* predictions need not be fresher than the records that carry them */
            cfg.impact_refresh_s = every;
            physics_from_json(rec.u.scenario.json, &cfg.dyn);
            if ((rc = mwx_tracker_create(&cfg, &tr, &err)) != MWX_OK)
                goto fail;
            mwx_tracker_set_callback(tr, on_track, &c);
            if ((rc = mwx_recwriter_append(c.w, &rec, &err)) != MWX_OK)
                goto fail;
            continue;
        }
        if (rec.type != MWX_REC_MEAS)
            continue;
        if ((rc = mwx_tracker_add(tr, &rec.u.meas, &err)) != MWX_OK) {
            mwx_err_prefix(&err, "%s", in);
            goto fail;
        }
        if (c.failed) {
            err = c.err;
            rc = err.code;
            goto fail;
        }
    }
    if (!seen_scenario) {
        rc = mwx_err_set(&err, MWX_EINVAL, "%s: empty recording (no scenario record)", in);
        goto fail;
    }
    if ((rc = mwx_tracker_flush(tr, &err)) != MWX_OK)
        goto fail;
    if (c.failed) {
        err = c.err;
        rc = err.code;
        goto fail;
    }
    {
        mwx_tracker_stats_t st;
        mwx_tracker_get_stats(tr, &st);
        fprintf(stderr,
                "mwx track: %llu measurements (%llu used), %llu tracks confirmed, %llu "
                "records\n",
                (unsigned long long)st.meas_in, (unsigned long long)st.meas_used,
                (unsigned long long)st.tracks_confirmed, (unsigned long long)c.n);
    }
    mwx_tracker_destroy(tr);
    mwx_recreader_close(r);
    if ((rc = mwx_recwriter_close(c.w, &err)) != MWX_OK)
        return mwx_cli_fail("track", &err);
    return 0;
fail:
    status = mwx_cli_fail("track", &err);
    if (rc == MWX_EIO || rc == MWX_ENOMEM)
        status = 3;
    mwx_recwriter_abort(c.w);
    mwx_tracker_destroy(tr);
    mwx_recreader_close(r);
    return status;
}
