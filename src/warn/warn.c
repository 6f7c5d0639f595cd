/* The warning context: one per node. It keeps one record per track (the latest update, the
 * impact ellipse polygon) and, per track, two alert series (impact area, overflight), and
 * applies the policy of docs/WARNING_POLICY.md to each track update:
 *
 *   add      a region joins a series' warned set as soon as it intersects the shape (the
 *            95 % ellipse; the buffered ground-track corridor);
 *   release  a warned region leaves only after it has been outside the shape scaled by
 *            release_scale for release_hold_s without interruption (hysteresis: a
 *            shrinking or jittering ellipse does not make regions flap);
 *   Alert    the first time a series' set becomes non-empty;
 *   Update   the set changed, the predicted impact time moved by more than
 *            update_impact_dt_s, or the ellipse centre moved by more than update_shift_km;
 *   Cancel   the set became empty before impact (threat withdrawn), or the track was judged
 *            false; references every earlier message of the series;
 *   all-clear a Cancel with responseType AllClear, all_clear_after_s after the predicted
 *            impact time; it closes both series of the track.
 *
 * Every decision is handed to the output formats (CAP, Atom, CoT, GeoJSON: one file each,
 * a struct of function pointers each). */
#include "warn/warn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NREG_MAX MWX_MAX_ALERT_REGIONS
#define CORRIDOR_MAX_STEPS 64
#define HIST_N 32

typedef struct wseries {
    mwx_warn_kind_t kind;
    int active;               /* an Alert was sent and no Cancel since */
    uint8_t warned[NREG_MAX];
    double outside_since[NREG_MAX]; /* NAN while inside the release shape */
    double last_impact_t, last_lat, last_lon, last_msg_t;
    char refs[MWX_WARN_MAX_REFS][MWX_WARN_REF_LEN];
    int n_refs;
    int has_last;
    int emit_pending;         /* last message written again at create, not yet emitted */
    mwx_warn_msg_t last;
    int reg_list[NREG_MAX], rem_list[NREG_MAX];
    double ring[MWX_WARN_MAX_RING + 1][2];
} wseries_t;

typedef struct wtrack {
    int used;
    int orphan;               /* restored from the journal, no track of the picture yet */
    uint32_t jkey;            /* journal key of this track's series */
    char sname[MWX_ID_LEN];   /* series name (identifiers, incident): the track id the
                                 series began with, kept when a rebuilt track takes it over */
    mwx_rec_track_t trk;
    double last_t;
    int lost;                 /* no more updates expected */
    int done;                 /* all-clear issued: the flight is over */
    int cot_events;
    double last_cot_t;        /* scenario time of the last CoT file */
    double impact_t;          /* latest predicted impact time, INFINITY when unknown */
    struct { double t, lat, lon, a_km; } hist[HIST_N]; /* recent predictions, >= 0.5 s apart */
    int n_hist, hist_head;
    double last_boost_t;      /* last update in phase boost, -INFINITY if none */
    struct { double t, jac, speed, sv; } en[HIST_N]; /* energy samples, >= 1 s apart */
    int n_en, en_head;
    double last_thrust_t;     /* last update with thrust evidence, -INFINITY if none */
    double ring[MWX_WARN_MAX_RING + 1][2];
    size_t n_ring;
    wseries_t s[2];
    wseries_t launch;         /* the launch notice: one Alert, closed with the others */
    int launch_done;          /* the notice was considered (sent, or no region in reach) */
    int assessed;             /* a settled prediction was acted on: the boost fan is over */
} wtrack_t;

struct mwx_warn {
    char node[MWX_ID_LEN];
    char sender[128];
    char prefix[96];
    char out_dir[MWX_PATH_LEN];
    char alerts_dir[MWX_PATH_LEN + 16];
    char atom_name[64], geojson_name[64];
    mwx_status_t status;
    double epoch;
    int durable;
    mwx_warn_policy_t pol;
    mwx_regions_t *regions;
    size_t nreg;
    mwx_warn_emit_fn emit;
    void *user;
    const mwx_warn_format_t *fmts[4];
    void *fstate[4];
    int nfmt;
    wtrack_t *tracks;
    mwx_warn_stats_t st;
    double now_t;
    int msgs_changed;
    mwx_alert_kind_t msg_kind; /* kind of the message being written (alert records) */
    int no_prediction;        /* the messages being decided rest on no impact prediction
                                 (boost fan, space launch path): no impact fields */
    int serial;               /* messages issued by this context: identifier suffix */
    int picture_pending;      /* the picture changed since latest.geojson was written */
    int picture_force;        /* tracks appeared or went: write at once */
    int nocache;              /* tests: formats regenerate every text */
    double last_picture_t;
    uint8_t now_hit[NREG_MAX], rel_hit[NREG_MAX], off_hit[NREG_MAX];
    double scratch[2 * CORRIDOR_MAX_STEPS + 8][2];
    double scratch3[2 * CORRIDOR_MAX_STEPS + 8][2];
    double scratch2[MWX_WARN_MAX_RING + 1][2];
    /* journal (journal_path): see the journal section below */
    mwx_warn_journal_t *journal;
    double resume_t;          /* no decisions up to this time (-INFINITY: none restored) */
    uint32_t next_key;
    double jmax_t;            /* latest time of any journal entry */
    struct jrec **jlive;      /* the latest entry of every live series (for compaction) */
    size_t n_jlive, cap_jlive;
    struct jrec *jbuf;        /* the entry being written */
    int (*journaled)(void *user, const char *identifier);
    int emit_pending;         /* republished messages still to be emitted */
};

void mwx_warn_policy_default(mwx_warn_policy_t *p)
{
    memset(p, 0, sizeof *p);
    p->require_confirmed = 1;
    p->max_warn_semi_major_km = 500.0;
    p->settle_s = 5.0;
    p->burnout_hold_s = 5.0;
    p->thrust_accel_mps2 = 3.0;
    p->ellipse_vertices = 72;
    p->min_semi_axis_km = 1.0;
    p->max_semi_axis_km = 3000.0;
    p->release_scale = 1.5;
    p->release_hold_s = 10.0;
    p->release_batch_s = 30.0;
    p->update_impact_dt_s = 10.0;
    p->update_shift_km = 25.0;
    p->all_clear_after_s = 30.0;
    p->likely_max_semi_major_km = 50.0;
    p->overflight = 1;
    p->launch_notice = 1;
    p->launch_reach_km = 3500.0;
    p->boost_fan = 1;
    p->boost_fan_az_deg = 6.0;
    p->boost_fan_reach_km = 3500.0;
    p->overflight_min_buffer_km = 25.0;
    p->overflight_step_km = 50.0;
    p->track_stale_s = 30.0;
    p->picture_interval_s = 1.0;
}

mwx_regions_t *mwx_warn_regions(mwx_warn_t *w)
{
    return w ? w->regions : NULL;
}

void mwx_warn_get_stats(const mwx_warn_t *w, mwx_warn_stats_t *st)
{
    if (w && st)
        *st = w->st;
}

static const char *kind_name(mwx_warn_kind_t k)
{
    return mwx_alert_kind_name((mwx_alert_kind_t)k);
}

/* The kind named at k (the identifier's field before the serial, followed by '.'). */
static int kind_parse(const char *k, mwx_warn_kind_t *kind)
{
    static const mwx_warn_kind_t all[] = {MWX_WARN_IMPACT, MWX_WARN_OVERFLIGHT, MWX_WARN_LAUNCH,
                                          MWX_WARN_DROP_ZONE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *n = kind_name(all[i]);
        size_t l = strlen(n);
        if (strncmp(k, n, l) == 0 && k[l] == '.') {
            *kind = all[i];
            return 1;
        }
    }
    return 0;
}

int mwx_warn_identifier_parse(const char *id, char *track, size_t track_n,
                              mwx_warn_kind_t *kind)
{
    const char *dots[64];
    int nd = 0;
    const char *p, *seq, *k, *tr;
    size_t tl;

    if (!id || strncmp(id, "mwx.", 4) != 0)
        return MWX_EINVAL;
    for (p = id; *p && nd < 64; p++)
        if (*p == '.')
            dots[nd++] = p;
    if (nd < 4) /* mwx . node . track . kind . seq */
        return MWX_EINVAL;
    seq = dots[nd - 1] + 1;
    k = dots[nd - 2] + 1;
    tr = dots[nd - 3] + 1;
    if (!*seq)
        return MWX_EINVAL;
    for (p = seq; *p; p++)
        if (*p < '0' || *p > '9')
            return MWX_EINVAL;
    {
        mwx_warn_kind_t kk;
        if (!kind_parse(k, &kk))
            return MWX_EINVAL;
        if (kind)
            *kind = kk;
    }
    tl = (size_t)(dots[nd - 2] - tr);
    if (tl == 0)
        return MWX_EINVAL;
    if (track) {
        if (tl >= track_n)
            return MWX_ERANGE;
        memcpy(track, tr, tl);
        track[tl] = '\0';
    }
    return MWX_OK;
}

/* ------------------------------------------------------------------ create / free */

static int check_policy(const mwx_warn_policy_t *p, mwx_err_t *err)
{
    if (p->ellipse_vertices < 8 || p->ellipse_vertices > MWX_WARN_MAX_RING)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: ellipse_vertices must be in [8, %d]",
                           MWX_WARN_MAX_RING);
    if (!(p->min_semi_axis_km > 0) || !(p->max_semi_axis_km >= p->min_semi_axis_km) ||
        p->max_semi_axis_km > 3000.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: semi-axis bounds must satisfy "
                           "0 < min <= max <= 3000 km");
    if (!(p->release_scale >= 1.0) || p->release_scale > 10.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: release_scale must be in [1, 10]");
    if (!(p->max_warn_semi_major_km > 0) || !(p->settle_s >= 0) || p->settle_s > 60.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: max_warn_semi_major_km must be > 0 "
                           "and settle_s in [0, 60]");
    if (!(p->release_hold_s >= 0) || !(p->release_batch_s >= 0) || !(p->update_impact_dt_s >= 0) ||
        !(p->update_shift_km >= 0) || !(p->all_clear_after_s >= 0) ||
        !(p->likely_max_semi_major_km >= 0) || !(p->track_stale_s > 0) ||
        !(p->picture_interval_s >= 0))
        return mwx_err_set(err, MWX_EINVAL, "warn policy: times and distances must be >= 0");
    if (!(p->launch_reach_km > 0) || p->launch_reach_km > 20000.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: launch_reach_km must be in (0, 20000]");
    if (!(p->burnout_hold_s >= 0) || p->burnout_hold_s > 600.0 || !(p->thrust_accel_mps2 > 0))
        return mwx_err_set(err, MWX_EINVAL, "warn policy: burnout_hold_s must be in [0, 600] "
                           "and thrust_accel_mps2 > 0");
    if (!(p->boost_fan_az_deg > 0) || p->boost_fan_az_deg > 45.0 ||
        !(p->boost_fan_reach_km > 0) || p->boost_fan_reach_km > 20000.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: boost_fan_az_deg must be in "
                           "(0, 45] and boost_fan_reach_km in (0, 20000]");
    if (!(p->overflight_min_buffer_km > 0) || p->overflight_min_buffer_km > 1000.0 ||
        !(p->overflight_step_km >= 1.0))
        return mwx_err_set(err, MWX_EINVAL, "warn policy: overflight buffer must be in "
                           "(0, 1000] km and step >= 1 km");
    return MWX_OK;
}

static int run_picture(mwx_warn_t *w, int force, mwx_err_t *err);
static void run_prepare(mwx_warn_t *w);
static int journal_load(mwx_warn_t *w, const char *path, mwx_err_t *err);

void mwx_warn_free(mwx_warn_t *w)
{
    if (!w)
        return;
    /* leave the picture current (errors cannot be reported here: call mwx_warn_flush()
     * first to see them) */
    if (w->tracks && w->regions && w->picture_pending)
        run_picture(w, 1, NULL);
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->destroy)
            w->fmts[i]->destroy(w->fstate[i]);
    mwx_warn_journal_close(w->journal);
    for (size_t i = 0; i < w->n_jlive; i++)
        free(w->jlive[i]);
    free(w->jlive);
    free(w->jbuf);
    mwx_regions_free(w->regions);
    free(w->tracks);
    free(w);
}

int mwx_warn_create(const mwx_warn_config_t *cfg, mwx_warn_t **out, mwx_err_t *err)
{
    mwx_warn_t *w;
    char node[MWX_ID_LEN], run[48];
    int rc;
    static const mwx_warn_format_t *const formats[] = {
        &mwx_warn_format_cap, &mwx_warn_format_atom, &mwx_warn_format_cot,
        &mwx_warn_format_geojson};

    if (!out)
        return mwx_err_set(err, MWX_EINVAL, "warn: no output pointer");
    *out = NULL;
    if (!cfg || !cfg->node || !cfg->node[0])
        return mwx_err_set(err, MWX_EINVAL, "warn: the node's nation is required");
    if (cfg->status != MWX_STATUS_ACTUAL && cfg->status != MWX_STATUS_EXERCISE &&
        cfg->status != MWX_STATUS_TEST)
        return mwx_err_set(err, MWX_EINVAL, "warn: unknown status %d", (int)cfg->status);
    if (cfg->source != MWX_WARN_SOURCE_SIMULATED && cfg->source != MWX_WARN_SOURCE_LIVE)
        return mwx_err_set(err, MWX_EINVAL, "warn: unknown source kind %d", (int)cfg->source);
    /* The one rule that must never bend: a simulated picture is never an Actual warning. */
    if (cfg->source == MWX_WARN_SOURCE_SIMULATED && cfg->status == MWX_STATUS_ACTUAL)
        return mwx_err_set(err, MWX_EINVAL, "warn: status Actual is refused for a simulated "
                           "source; use Exercise or Test");
    if (!cfg->regions_path)
        return mwx_err_set(err, MWX_EINVAL, "warn: regions_path is required");
    if (!cfg->out_dir || !cfg->out_dir[0])
        return mwx_err_set(err, MWX_EINVAL, "warn: out_dir is required");
    if (strlen(cfg->out_dir) >= MWX_PATH_LEN - 8)
        return mwx_err_set(err, MWX_EINVAL, "warn: out_dir is too long");
    if (!isfinite(cfg->epoch_unix_s))
        return mwx_err_set(err, MWX_EINVAL, "warn: epoch must be finite");

    w = calloc(1, sizeof *w);
    if (!w)
        return mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
    w->tracks = calloc(MWX_WARN_MAX_TRACKS, sizeof *w->tracks);
    if (!w->tracks) {
        free(w);
        return mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
    }
    if (cfg->policy) {
        w->pol = *cfg->policy;
        if ((rc = check_policy(&w->pol, err))) {
            mwx_warn_free(w);
            return rc;
        }
    } else {
        mwx_warn_policy_default(&w->pol);
    }
    mwx_warn_sanitize_id(node, sizeof node, cfg->node);
    mwx_strlcpy(w->node, cfg->node, sizeof w->node);
    if (cfg->sender && cfg->sender[0]) {
        if (strpbrk(cfg->sender, " ,<&\t\n\r") || strlen(cfg->sender) >= sizeof w->sender) {
            mwx_warn_free(w);
            return mwx_err_set(err, MWX_EINVAL, "warn: sender must be at most %zu characters "
                               "without spaces, commas, '<' or '&'", sizeof w->sender - 1);
        }
        mwx_strlcpy(w->sender, cfg->sender, sizeof w->sender);
    } else {
        snprintf(w->sender, sizeof w->sender, "urn:mwx:node:%s", node);
    }
    if (cfg->run_id && cfg->run_id[0]) {
        mwx_warn_sanitize_id(run, sizeof run, cfg->run_id);
        snprintf(w->prefix, sizeof w->prefix, "mwx.%s.%s", node, run);
    } else {
        snprintf(w->prefix, sizeof w->prefix, "mwx.%s", node);
    }
    if (cfg->picture_tag && cfg->picture_tag[0]) {
        char tag[MWX_ID_LEN];
        mwx_warn_sanitize_id(tag, sizeof tag, cfg->picture_tag);
        snprintf(w->atom_name, sizeof w->atom_name, "alerts-%s.atom", tag);
        snprintf(w->geojson_name, sizeof w->geojson_name, "latest-%s.geojson", tag);
    } else {
        strcpy(w->atom_name, "alerts.atom");
        strcpy(w->geojson_name, "latest.geojson");
    }
    w->status = cfg->status;
    w->epoch = cfg->epoch_unix_s;
    w->durable = cfg->durable;
    w->emit = cfg->emit;
    w->user = cfg->user;
    mwx_strlcpy(w->out_dir, cfg->out_dir, sizeof w->out_dir);
    snprintf(w->alerts_dir, sizeof w->alerts_dir, "%s/alerts", cfg->out_dir);
    if ((rc = mwx_regions_load(cfg->regions_path, &w->regions, err))) {
        mwx_warn_free(w);
        return rc;
    }
    w->nreg = mwx_regions_count(w->regions);
    w->last_picture_t = -INFINITY;
    if ((rc = mwx_warn_mkdir(w->out_dir, err)) || (rc = mwx_warn_mkdir(w->alerts_dir, err))) {
        mwx_warn_free(w);
        return rc;
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        w->fmts[w->nfmt] = formats[i];
        w->fstate[w->nfmt] = NULL;
        if (formats[i]->create && (rc = formats[i]->create(&w->fstate[w->nfmt], cfg, err))) {
            mwx_warn_free(w);
            return rc;
        }
        w->nfmt++;
    }
    w->resume_t = -INFINITY;
    w->jmax_t = -INFINITY;
    w->next_key = 1;
    w->journaled = cfg->journaled;
    if (cfg->journal_path && cfg->journal_path[0] &&
        (rc = journal_load(w, cfg->journal_path, err))) {
        mwx_warn_free(w);
        return rc;
    }
    run_prepare(w);
    *out = w;
    return MWX_OK;
}

/* ------------------------------------------------------------------ outputs */

static void emit_file(void *ctx, mwx_warn_output_t out, const char *file, const char *identifier,
                      mwx_msg_type_t mt, const int *regions, size_t n_regions)
{
    mwx_warn_t *w = ctx;
    mwx_rec_alert_t rec;

    w->st.files_written++;
    if (out == MWX_WARN_OUT_COT)
        w->st.cot_events++;
    if (!w->emit)
        return;
    memset(&rec, 0, sizeof rec);
    rec.t = w->now_t;
    mwx_strlcpy(rec.node, w->node, sizeof rec.node);
    mwx_strlcpy(rec.identifier, identifier, sizeof rec.identifier);
    rec.msg_type = mt;
    rec.status = w->status;
    rec.kind = out == MWX_WARN_OUT_CAP ? w->msg_kind : MWX_ALERT_IMPACT;
    for (size_t i = 0; i < n_regions && i < MWX_MAX_ALERT_REGIONS; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(w->regions, (size_t)regions[i]);
        if (ri)
            mwx_strlcpy(rec.regions[rec.n_regions++], ri->id, sizeof rec.regions[0]);
    }
    snprintf(rec.file, sizeof rec.file, "alerts/%s", file);
    w->emit(w->user, out, &rec);
}

static void make_view(mwx_warn_t *w, mwx_warn_view_t *v)
{
    v->durable = w->durable;
    v->atom_name = w->atom_name;
    v->geojson_name = w->geojson_name;
    v->stats = &w->st;
    v->node = w->node;
    v->sender = w->sender;
    v->out_dir = w->out_dir;
    v->alerts_dir = w->alerts_dir;
    v->status = w->status;
    v->epoch_unix_s = w->epoch;
    v->now_t = w->now_t;
    v->regions = w->regions;
    v->policy = &w->pol;
    v->nocache = w->nocache;
}

void mwx_warn_set_nocache(struct mwx_warn *w, int on)
{
    w->nocache = on;
}

static int run_message(mwx_warn_t *w, const mwx_warn_msg_t *m, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc;
    make_view(w, &v);
    w->msg_kind = (mwx_alert_kind_t)m->kind;
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->message && (rc = w->fmts[i]->message(w->fstate[i], &v, m, emit_file, w,
                                                             err)))
            return rc;
    w->msgs_changed = 1;
    return MWX_OK;
}

static int run_track(mwx_warn_t *w, const mwx_warn_trackview_t *tv, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc;
    make_view(w, &v);
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->track &&
            (rc = w->fmts[i]->track(w->fstate[i], &v, tv, emit_file, w, err)))
            return rc;
    return MWX_OK;
}

/* The feed lists messages: rewritten only when one was issued. The picture
 * (latest.geojson) at once when a message was issued or a track appeared or went, else at
 * most every picture_interval_s of scenario time; force writes any pending change now. */
static int run_picture(mwx_warn_t *w, int force, mwx_err_t *err)
{
    mwx_warn_view_t v;
    int rc, pic;
    pic = w->picture_pending &&
          (force || w->msgs_changed || w->picture_force ||
           !(w->now_t - w->last_picture_t < w->pol.picture_interval_s));
    if (!pic && !w->msgs_changed)
        return MWX_OK;
    make_view(w, &v);
    for (int i = 0; i < w->nfmt; i++) {
        if (!w->fmts[i]->picture)
            continue;
        if (w->fmts[i]->kind == MWX_WARN_OUT_ATOM ? !w->msgs_changed : !pic)
            continue;
        if ((rc = w->fmts[i]->picture(w->fstate[i], &v, w, emit_file, w, err)))
            return rc;
    }
    if (pic) {
        w->picture_pending = 0;
        w->picture_force = 0;
        w->last_picture_t = w->now_t;
    }
    w->msgs_changed = 0;
    return MWX_OK;
}

/* After the call's files: let formats get ready for the next message. */
static void run_prepare(mwx_warn_t *w)
{
    mwx_warn_view_t v;
    make_view(w, &v);
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->prepare)
            w->fmts[i]->prepare(w->fstate[i], &v);
}

/* The end of an entry point: the picture, then the preparation for the next message. */
static int finish(mwx_warn_t *w, mwx_err_t *err)
{
    int rc = run_picture(w, 0, err);
    run_prepare(w);
    return rc;
}

int mwx_warn_flush(mwx_warn_t *w, mwx_err_t *err)
{
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    return run_picture(w, 1, err);
}

/* ------------------------------------------------------------------ picture access */

size_t mwx_warn_pic_ntracks(const struct mwx_warn *w)
{
    return MWX_WARN_MAX_TRACKS;
}

void mwx_warn_pic_track(const struct mwx_warn *w, size_t i, mwx_warn_pic_track_t *out)
{
    const wtrack_t *tr = &w->tracks[i];
    memset(out, 0, sizeof *out);
    if (!tr->used || tr->orphan) /* a restored series without a track is not a track */
        return;
    out->trk = &tr->trk;
    out->active = !tr->done;
    if (tr->n_ring) {
        out->ring = (const double (*)[2])tr->ring;
        out->n_ring = tr->n_ring;
    }
}

size_t mwx_warn_pic_nseries(const struct mwx_warn *w)
{
    return 2 * MWX_WARN_MAX_TRACKS;
}

void mwx_warn_pic_series(const struct mwx_warn *w, size_t i, mwx_warn_pic_series_t *out)
{
    const wtrack_t *tr = &w->tracks[i / 2];
    const wseries_t *s = &tr->s[i % 2];
    memset(out, 0, sizeof *out);
    if (!tr->used || !s->has_last)
        return;
    out->track_id = tr->sname[0] ? tr->sname : tr->trk.track_id;
    out->kind = s->kind;
    out->active = s->active;
    out->last = &s->last;
    out->warned = s->warned;
}

/* ------------------------------------------------------------------ track geometry */

static void track_view(const mwx_rec_track_t *trk, mwx_warn_trackview_t *tv)
{
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t g;
    double e[3], n[3], u[3], R[3][3], P[3][3], RP[3][3], Q[3][3];
    const double *c = trk->cov_pos_m2;
    double ve, vn, vu, a, b, d, lmax;

    memset(tv, 0, sizeof *tv);
    tv->trk = trk;
    mwx_ecef_to_geo(&wgs, trk->ecef_m, &g);
    tv->lat = g.lat / MWX_DEG;
    tv->lon = g.lon / MWX_DEG;
    tv->alt_m = g.alt;
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    ve = mwx_dot3(trk->vel_mps, e);
    vn = mwx_dot3(trk->vel_mps, n);
    vu = mwx_dot3(trk->vel_mps, u);
    tv->course_deg = mwx_wrap_2pi(atan2(ve, vn)) / MWX_DEG;
    tv->speed_mps = hypot(ve, vn);
    tv->vspeed_mps = vu;
    /* P_enu = R P R^T with the ENU unit vectors as the rows of R. */
    for (int k = 0; k < 3; k++) {
        R[0][k] = e[k];
        R[1][k] = n[k];
        R[2][k] = u[k];
    }
    P[0][0] = c[0], P[0][1] = c[1], P[0][2] = c[2];
    P[1][0] = c[1], P[1][1] = c[3], P[1][2] = c[4];
    P[2][0] = c[2], P[2][1] = c[4], P[2][2] = c[5];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            RP[i][j] = 0;
            for (int k = 0; k < 3; k++)
                RP[i][j] += R[i][k] * P[k][j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            Q[i][j] = 0;
            for (int k = 0; k < 3; k++)
                Q[i][j] += RP[i][k] * R[j][k];
        }
    /* Largest eigenvalue of the horizontal 2x2 block: a one-sigma error in the worst
     * horizontal direction (CoT's ce is a one-sigma circle). */
    a = Q[0][0];
    b = Q[1][1];
    d = Q[0][1];
    lmax = 0.5 * (a + b) + sqrt(0.25 * (a - b) * (a - b) + d * d);
    tv->ce_m = lmax > 0 && isfinite(lmax) ? sqrt(lmax) : 0.0;
    tv->le_m = Q[2][2] > 0 && isfinite(Q[2][2]) ? sqrt(Q[2][2]) : 0.0;
}

/* The ground-track corridors from (lat1, lon1) to (lat2, lon2) (degrees), half-widths
 * buf_m (into ring) and buf2_m (into ring2, the release corridor): at samples along the
 * geodesic, offsets at +-90 degrees of the geodesic's local azimuth; left side forward,
 * right side back, closed. Returns the point count of each ring (0 when too short). */
static size_t corridor_rings(const struct geod_geodesic *g, double lat1, double lon1,
                             double lat2, double lon2, double buf_m, double buf2_m,
                             double step_m, double (*ring)[2], double (*ring2)[2])
{
    struct geod_geodesicline line;
    int m;
    size_t n;

    geod_inverseline(&line, g, lat1, lon1, lat2, lon2, 0);
    if (!(line.s13 >= 1000.0))
        return 0;
    m = (int)ceil(line.s13 / step_m);
    if (m < 1)
        m = 1;
    if (m > CORRIDOR_MAX_STEPS - 1)
        m = CORRIDOR_MAX_STEPS - 1;
    for (int i = 0; i <= m; i++) {
        double la, lo, az, o[4][2];
        geod_position(&line, line.s13 * i / m, &la, &lo, &az);
        geod_direct(g, la, lo, az - 90.0, buf_m, &o[0][1], &o[0][0], NULL);
        geod_direct(g, la, lo, az + 90.0, buf_m, &o[1][1], &o[1][0], NULL);
        geod_direct(g, la, lo, az - 90.0, buf2_m, &o[2][1], &o[2][0], NULL);
        geod_direct(g, la, lo, az + 90.0, buf2_m, &o[3][1], &o[3][0], NULL);
        for (int k = 0; k < 4; k++)
            o[k][0] = lon1 + mwx_wrap_pi((o[k][0] - lon1) * MWX_DEG) / MWX_DEG;
        /* left side at i, right side at 2m+1-i */
        ring[i][0] = o[0][0], ring[i][1] = o[0][1];
        ring[2 * m + 1 - i][0] = o[1][0], ring[2 * m + 1 - i][1] = o[1][1];
        ring2[i][0] = o[2][0], ring2[i][1] = o[2][1];
        ring2[2 * m + 1 - i][0] = o[3][0], ring2[2 * m + 1 - i][1] = o[3][1];
    }
    n = 2 * (size_t)m + 2;
    ring[n][0] = ring[0][0], ring[n][1] = ring[0][1];
    ring2[n][0] = ring2[0][0], ring2[n][1] = ring2[0][1];
    return n + 1;
}

/* Half-width of the ellipse across the direction az (radians): the support function of the
 * ellipse in the perpendicular direction. */
static double ellipse_half_width_km(const mwx_rec_impact_est_t *e, double az)
{
    double d = az + MWX_PI / 2 - e->orientation_deg * MWX_DEG;
    double a = e->semi_major_km, b = e->semi_minor_km;
    return sqrt(a * a * cos(d) * cos(d) + b * b * sin(d) * sin(d));
}

/* ------------------------------------------------------------------ messages */

static size_t list_regions(const mwx_warn_t *w, const uint8_t *set, int *list)
{
    size_t n = 0;
    for (size_t i = 0; i < w->nreg; i++)
        if (set[i])
            list[n++] = (int)i;
    return n;
}

/* Has the missile passed over every region in set: each region's centre is farther from
 * the predicted impact point than the track's current sub-point is (it lies behind)? */
static int passed_over(const mwx_warn_t *w, const wtrack_t *tr, const uint8_t *set)
{
    const struct geod_geodesic *g = mwx_regions_geod(w->regions);
    const mwx_rec_impact_est_t *e = &tr->trk.impact;
    mwx_earth_t wgs = mwx_earth_wgs84();
    mwx_geo_t sub;
    double d_sub, az1, az2;
    int any = 0;
    mwx_ecef_to_geo(&wgs, tr->trk.ecef_m, &sub);
    if (!e->valid || w->no_prediction) {
        /* no prediction (the boost fan, a space launch's path): behind the sub-point is
         * where the bearing to the region's centre is more than 90 degrees off the
         * course */
        mwx_warn_trackview_t tv;
        track_view(&tr->trk, &tv);
        for (size_t i = 0; i < w->nreg; i++) {
            const mwx_region_info_t *ri;
            double d, az_c, az_e;
            if (!set[i])
                continue;
            ri = mwx_regions_info(w->regions, i);
            if (!ri)
                return 0;
            geod_inverse(g, sub.lat / MWX_DEG, sub.lon / MWX_DEG,
                         0.5 * (ri->min_lat + ri->max_lat), 0.5 * (ri->min_lon + ri->max_lon), &d,
                         &az_c, &az_e);
            if (!(fabs(mwx_wrap_pi((az_c - tv.course_deg) * MWX_DEG)) > MWX_PI / 2))
                return 0;
            any = 1;
        }
        return any;
    }
    geod_inverse(g, sub.lat / MWX_DEG, sub.lon / MWX_DEG, e->lat, e->lon, &d_sub, &az1, &az2);
    for (size_t i = 0; i < w->nreg; i++) {
        const mwx_region_info_t *ri;
        double d;
        if (!set[i])
            continue;
        ri = mwx_regions_info(w->regions, i);
        if (!ri)
            return 0;
        geod_inverse(g, 0.5 * (ri->min_lat + ri->max_lat), 0.5 * (ri->min_lon + ri->max_lon),
                     e->lat, e->lon, &d, &az1, &az2);
        if (!(d > d_sub))
            return 0;
        any = 1;
    }
    return any;
}

/* ------------------------------------------------------------------ journal
 *
 * One entry per message: the series' state before the message, the message itself, and
 * the track as it was; restoring applies the message to that state exactly as issue()
 * does (after_message), so the restored series is the one the context had after sending.
 * A released track (its series closed and the track gone) gets a JR_RELEASE entry.
 * Entries are keyed by (track key, series kind); the latest wins. The journal is rewritten
 * with only the latest live entries at create and whenever it has grown to more than
 * twice that plus 256 entries. */

enum { JR_SERIES = 1, JR_RELEASE = 2 };

typedef struct jrec {
    uint32_t what, key;
    int32_t kind, serial;
    double now_t;
    char sname[MWX_ID_LEN];
    mwx_rec_track_t trk;
    double impact_t;
    /* the series before the message */
    int32_t active, n_refs;
    uint8_t warned[NREG_MAX];
    double outside_since[NREG_MAX];
    char refs[MWX_WARN_MAX_REFS][MWX_WARN_REF_LEN];
    /* the track's other series as it is now: changes without a message (a region handed
     * over to the impact series, release timers) are kept too */
    uint8_t sib_warned[NREG_MAX];
    double sib_outside_since[NREG_MAX];
    /* the message */
    char identifier[128], sent[40], incident[96], track_id[MWX_ID_LEN];
    char sources[MWX_ID_LEN * 2];
    double t, impact_lat, impact_lon, impact_t_msg, semi_major_km, semi_minor_km,
        orientation_deg;
    int32_t msg_type, all_clear, n_regions, n_removed, n_ring;
    int32_t regions[NREG_MAX], removed[NREG_MAX];
    double ring[MWX_WARN_MAX_RING + 1][2];
} jrec_t;

/* The series of a track an entry of this kind describes: impact and overflight are
 * s[kind], the launch notice its own (it has no sibling). */
static wseries_t *jseries(wtrack_t *tr, int kind)
{
    return kind == MWX_WARN_LAUNCH ? &tr->launch : &tr->s[kind];
}

/* Has the track ever sent a message (in any series)? */
static int any_sent(const wtrack_t *tr)
{
    return tr->s[0].has_last || tr->s[1].has_last || tr->launch.has_last;
}

/* The effect of a sent message on its series (issue() and the journal's restore). */
static void after_message(mwx_warn_t *w, wseries_t *s, const mwx_warn_msg_t *m)
{
    /* remember it for the references of the next message: keep the series' first message
     * and the latest ones */
    if (s->n_refs == MWX_WARN_MAX_REFS) {
        memmove(s->refs[1], s->refs[2], (MWX_WARN_MAX_REFS - 2) * sizeof s->refs[0]);
        s->n_refs--;
    }
    snprintf(s->refs[s->n_refs++], MWX_WARN_REF_LEN, "%s,%s,%s", w->sender, m->identifier,
             m->sent);
    s->last_impact_t = m->impact_t;
    s->last_msg_t = m->t;
    s->last_lat = m->impact_lat;
    s->last_lon = m->impact_lon;
    if (m->msg_type == MWX_MSG_CANCEL) {
        s->active = 0;
        memset(s->warned, 0, sizeof s->warned);
    } else {
        s->active = 1;
    }
}

static jrec_t *jlive_find(mwx_warn_t *w, uint32_t key, int kind, size_t *at)
{
    for (size_t i = 0; i < w->n_jlive; i++)
        if (w->jlive[i]->key == key && w->jlive[i]->kind == kind) {
            if (at)
                *at = i;
            return w->jlive[i];
        }
    return NULL;
}

/* Keep a copy of the latest entry of (key, kind); a release drops the key's entries. */
static int jlive_put(mwx_warn_t *w, const jrec_t *r)
{
    jrec_t *e;
    if (r->what == JR_RELEASE) {
        for (size_t i = 0; i < w->n_jlive;) {
            if (w->jlive[i]->key == r->key) {
                free(w->jlive[i]);
                w->jlive[i] = w->jlive[--w->n_jlive];
            } else {
                i++;
            }
        }
        return MWX_OK;
    }
    e = jlive_find(w, r->key, r->kind, NULL);
    if (!e) {
        if (w->n_jlive == w->cap_jlive) {
            size_t nc = w->cap_jlive ? 2 * w->cap_jlive : 16;
            jrec_t **nv = realloc(w->jlive, nc * sizeof *nv);
            if (!nv)
                return MWX_ENOMEM;
            w->jlive = nv;
            w->cap_jlive = nc;
        }
        e = malloc(sizeof *e);
        if (!e)
            return MWX_ENOMEM;
        w->jlive[w->n_jlive++] = e;
    }
    *e = *r;
    return MWX_OK;
}

/* A text field of an entry: terminated inside its array. */
#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

/* An entry read back: every string terminated, the identifier a safe file name (it
 * becomes alerts/<identifier>.cap.xml), counts within their arrays. */
static int jrec_ok(const jrec_t *r)
{
    if (r->n_refs < 0 || r->n_refs > MWX_WARN_MAX_REFS)
        return 0;
    if (!TERMINATED(r->sname) || !TERMINATED(r->identifier) || !TERMINATED(r->sent) ||
        !TERMINATED(r->incident) || !TERMINATED(r->track_id) || !TERMINATED(r->sources) ||
        !TERMINATED(r->trk.track_id) || !TERMINATED(r->trk.node) ||
        !TERMINATED(r->trk.sources))
        return 0;
    for (int i = 0; i < r->n_refs; i++)
        if (!TERMINATED(r->refs[i]))
            return 0;
    if (!r->identifier[0] || r->identifier[0] == '.')
        return 0;
    for (const char *p = r->identifier; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    if (r->msg_type != MWX_MSG_ALERT && r->msg_type != MWX_MSG_UPDATE &&
        r->msg_type != MWX_MSG_CANCEL)
        return 0;
    if (!isfinite(r->now_t) || !isfinite(r->t))
        return 0;
    return 1;
}

static int jlive_load(void *user, const void *rec, size_t len)
{
    mwx_warn_t *w = user;
    const jrec_t *r = rec;
    if (len == sizeof(jrec_t) && r->what == JR_SERIES && !jrec_ok(r))
        return MWX_ECORRUPT;
    if (len == sizeof(jrec_t) && r->what == JR_RELEASE && !isfinite(r->now_t))
        return MWX_ECORRUPT;
    if (len != sizeof(jrec_t) || (r->what != JR_SERIES && r->what != JR_RELEASE) ||
        (r->what == JR_SERIES && (r->kind < 0 || r->kind > MWX_WARN_LAUNCH || r->n_refs < 0 ||
                                  r->n_refs > MWX_WARN_MAX_REFS || r->n_regions < 0 ||
                                  r->n_regions > NREG_MAX || r->n_removed < 0 ||
                                  r->n_removed > NREG_MAX || r->n_ring < 0 ||
                                  r->n_ring > MWX_WARN_MAX_RING + 1)))
        return MWX_ECORRUPT;
    /* every entry, a release too, says how far the context got and which identifiers
     * it used */
    if (r->serial > w->serial)
        w->serial = r->serial;
    if (r->now_t > w->jmax_t)
        w->jmax_t = r->now_t;
    if (r->key >= w->next_key)
        w->next_key = r->key + 1;
    if (r->what == JR_RELEASE && r->key == 0)
        return MWX_OK; /* the compaction's marker */
    return jlive_put(w, r);
}

static int journal_compact(mwx_warn_t *w, mwx_err_t *err)
{
    const void **recs;
    size_t *lens;
    int rc;
    jrec_t *mark = w->jbuf;
    recs = calloc(w->n_jlive + 1, sizeof *recs);
    lens = calloc(w->n_jlive + 1, sizeof *lens);
    if (!recs || !lens) {
        free(recs);
        free(lens);
        return mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
    }
    for (size_t i = 0; i < w->n_jlive; i++) {
        recs[i] = w->jlive[i];
        lens[i] = sizeof(jrec_t);
    }
    /* what the dropped entries said: the latest time and message number */
    memset(mark, 0, sizeof *mark);
    mark->what = JR_RELEASE;
    mark->serial = w->serial;
    mark->now_t = w->jmax_t;
    recs[w->n_jlive] = mark;
    lens[w->n_jlive] = sizeof(jrec_t);
    rc = mwx_warn_journal_rewrite(w->journal, recs, lens, w->n_jlive + 1, err);
    free(recs);
    free(lens);
    return rc;
}

static int journal_append(mwx_warn_t *w, const jrec_t *r, mwx_err_t *err)
{
    int rc;
    if ((rc = mwx_warn_journal_append(w->journal, r, sizeof *r, err)))
        return rc;
    if ((rc = jlive_put(w, r)))
        return mwx_err_set(err, rc, "warn: out of memory");
    if (r->now_t > w->jmax_t)
        w->jmax_t = r->now_t;
    if (mwx_warn_journal_entries(w->journal) > 2 * w->n_jlive + 256)
        return journal_compact(w, err);
    return MWX_OK;
}

static int journal_message(mwx_warn_t *w, const wtrack_t *tr, const wseries_t *s,
                           const mwx_warn_msg_t *m, mwx_err_t *err)
{
    jrec_t *r = w->jbuf;
    int rc;
    if (!w->journal)
        return MWX_OK;
    memset(r, 0, sizeof *r);
    r->what = JR_SERIES;
    r->key = tr->jkey;
    r->kind = (int32_t)s->kind;
    r->serial = w->serial;
    r->now_t = m->t;
    mwx_strlcpy(r->sname, tr->sname, sizeof r->sname);
    r->trk = tr->trk;
    r->impact_t = tr->impact_t;
    r->active = s->active;
    r->n_refs = m->n_refs;
    memcpy(r->warned, s->warned, sizeof r->warned);
    memcpy(r->outside_since, s->outside_since, sizeof r->outside_since);
    if (s->kind != MWX_WARN_LAUNCH) {
        memcpy(r->sib_warned, tr->s[1 - s->kind].warned, sizeof r->sib_warned);
        memcpy(r->sib_outside_since, tr->s[1 - s->kind].outside_since,
               sizeof r->sib_outside_since);
    }
    for (int i = 0; i < m->n_refs; i++)
        mwx_strlcpy(r->refs[i], m->refs[i], MWX_WARN_REF_LEN);
    mwx_strlcpy(r->identifier, m->identifier, sizeof r->identifier);
    mwx_strlcpy(r->sent, m->sent, sizeof r->sent);
    mwx_strlcpy(r->incident, m->incident, sizeof r->incident);
    mwx_strlcpy(r->track_id, m->track_id, sizeof r->track_id);
    mwx_strlcpy(r->sources, m->sources, sizeof r->sources);
    r->t = m->t;
    r->impact_lat = m->impact_lat;
    r->impact_lon = m->impact_lon;
    r->impact_t_msg = m->impact_t;
    r->semi_major_km = m->semi_major_km;
    r->semi_minor_km = m->semi_minor_km;
    r->orientation_deg = m->orientation_deg;
    r->msg_type = (int32_t)m->msg_type;
    r->all_clear = m->all_clear;
    r->n_regions = (int32_t)m->n_regions;
    r->n_removed = (int32_t)m->n_removed;
    r->n_ring = m->ring ? (int32_t)m->n_ring : 0;
    for (size_t i = 0; i < m->n_regions; i++)
        r->regions[i] = m->regions[i];
    for (size_t i = 0; i < m->n_removed; i++)
        r->removed[i] = m->removed[i];
    if (m->ring)
        memcpy(r->ring, m->ring, m->n_ring * sizeof r->ring[0]);
    if ((rc = journal_append(w, r, err)))
        return rc;
    if (w->journaled && w->journaled(w->user, m->identifier))
        return mwx_err_set(err, MWX_EIO, "warn: stopped after journaling %s", m->identifier);
    return MWX_OK;
}

static void journal_release(mwx_warn_t *w, const wtrack_t *tr)
{
    jrec_t *r = w->jbuf;
    if (!w->journal || !any_sent(tr))
        return;
    memset(r, 0, sizeof *r);
    r->what = JR_RELEASE;
    r->key = tr->jkey;
    r->serial = w->serial;
    r->now_t = w->now_t;
    /* not critical: a lost release restores a closed series, which only waits to be
     * released again */
    (void)journal_append(w, r, NULL);
}

/* Point the last message's arrays at its own series (after a copy of the series). */
static void fix_last(wseries_t *s)
{
    s->last.regions = s->reg_list;
    s->last.removed = s->last.n_removed ? s->rem_list : NULL;
    s->last.ring = s->last.n_ring ? (const double (*)[2])s->ring : NULL;
    s->last.refs = (const char (*)[MWX_WARN_REF_LEN])s->refs;
}

static int noop_exists(const char *dir, const char *identifier)
{
    char path[MWX_PATH_LEN + 256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.cap.xml", dir, identifier);
    return stat(path, &st) == 0;
}

static void emit_none(void *ctx, mwx_warn_output_t out, const char *file, const char *identifier,
                      mwx_msg_type_t mt, const int *regions, size_t n_regions)
{
    (void)ctx, (void)out, (void)file, (void)identifier, (void)mt, (void)regions,
        (void)n_regions;
}

/* Rebuild the series of the journal as orphaned tracks: lost (no update will come under
 * their old id), keeping their warnings until a track of the rebuilt picture takes them
 * over (adopt) or their predicted impact passes (all-clear). A journaled message whose CAP
 * file is missing (a crash between the journal and the file) is written now. */
static int journal_restore(mwx_warn_t *w, mwx_err_t *err)
{
    for (size_t i = 0; i < w->n_jlive; i++) {
        const jrec_t *r = w->jlive[i];
        wtrack_t *tr = NULL;
        wseries_t *s;
        mwx_warn_msg_t *m;
        int rc;

        for (int k = 0; k < MWX_WARN_MAX_TRACKS && !tr; k++)
            if (w->tracks[k].used && w->tracks[k].orphan && w->tracks[k].jkey == r->key)
                tr = &w->tracks[k];
        if (!tr) {
            for (int k = 0; k < MWX_WARN_MAX_TRACKS && !tr; k++)
                if (!w->tracks[k].used)
                    tr = &w->tracks[k];
            if (!tr)
                return mwx_err_set(err, MWX_EFULL, "warn journal: more than %d series",
                                   MWX_WARN_MAX_TRACKS);
            memset(tr, 0, sizeof *tr);
            tr->used = 1;
            tr->orphan = 1;
            tr->lost = 1;
            tr->jkey = r->key;
            mwx_strlcpy(tr->sname, r->sname, sizeof tr->sname);
            tr->last_cot_t = -INFINITY;
            tr->last_boost_t = -INFINITY;
            for (int k = 0; k < 2; k++) {
                tr->s[k].kind = (mwx_warn_kind_t)k;
                for (int j = 0; j < NREG_MAX; j++)
                    tr->s[k].outside_since[j] = NAN;
            }
            tr->launch.kind = MWX_WARN_LAUNCH;
            for (int j = 0; j < NREG_MAX; j++)
                tr->launch.outside_since[j] = NAN;
        }
        if (!tr->trk.track_id[0] || r->now_t >= tr->last_t) {
            tr->trk = r->trk;
            tr->last_t = r->trk.t;
            tr->impact_t = r->impact_t;
        }
        s = jseries(tr, r->kind);
        if (r->kind == MWX_WARN_LAUNCH)
            tr->launch_done = 1;
        m = &s->last;
        s->active = r->active;
        s->n_refs = r->n_refs;
        memcpy(s->warned, r->warned, sizeof s->warned);
        memcpy(s->outside_since, r->outside_since, sizeof s->outside_since);
        memcpy(s->refs, r->refs, sizeof s->refs);
        memset(m, 0, sizeof *m);
        mwx_strlcpy(m->identifier, r->identifier, sizeof m->identifier);
        mwx_strlcpy(m->sent, r->sent, sizeof m->sent);
        mwx_strlcpy(m->incident, r->incident, sizeof m->incident);
        mwx_strlcpy(m->track_id, r->track_id, sizeof m->track_id);
        mwx_strlcpy(m->sources, r->sources, sizeof m->sources);
        m->t = r->t;
        m->msg_type = (mwx_msg_type_t)r->msg_type;
        m->kind = (mwx_warn_kind_t)r->kind;
        m->all_clear = r->all_clear;
        m->n_refs = r->n_refs;
        m->impact_lat = r->impact_lat;
        m->impact_lon = r->impact_lon;
        m->impact_t = r->impact_t_msg;
        m->semi_major_km = r->semi_major_km;
        m->semi_minor_km = r->semi_minor_km;
        m->orientation_deg = r->orientation_deg;
        m->n_regions = (size_t)r->n_regions;
        m->n_removed = (size_t)r->n_removed;
        m->n_ring = (size_t)r->n_ring;
        for (int j = 0; j < r->n_regions; j++)
            s->reg_list[j] = r->regions[j] >= 0 && (size_t)r->regions[j] < w->nreg
                                 ? r->regions[j] : 0;
        for (int j = 0; j < r->n_removed; j++)
            s->rem_list[j] = r->removed[j] >= 0 && (size_t)r->removed[j] < w->nreg
                                 ? r->removed[j] : 0;
        if (r->n_ring)
            memcpy(s->ring, r->ring, (size_t)r->n_ring * sizeof s->ring[0]);
        fix_last(s);
        s->has_last = 1;
        if (!noop_exists(w->alerts_dir, m->identifier)) {
            /* with the refs the message had (before after_message adds itself) */
            mwx_warn_view_t v;
            make_view(w, &v);
            v.now_t = m->t;
            for (int f = 0; f < w->nfmt; f++)
                if (w->fmts[f]->kind == MWX_WARN_OUT_CAP && w->fmts[f]->message &&
                    (rc = w->fmts[f]->message(w->fstate[f], &v, m, emit_none, w, err)))
                    return rc;
            w->st.republished++;
            s->emit_pending = 1;
            w->emit_pending = 1;
        }
        after_message(w, s, m);
    }
    /* the newer entry of a track says how its other series stood at that time */
    for (size_t i = 0; i < w->n_jlive; i++) {
        const jrec_t *r = w->jlive[i], *o;
        if (r->kind == MWX_WARN_LAUNCH)
            continue;
        o = jlive_find(w, r->key, 1 - r->kind, NULL);
        if (o && o->serial > r->serial)
            continue;
        for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
            wtrack_t *tr = &w->tracks[k];
            if (tr->used && tr->orphan && tr->jkey == r->key) {
                wseries_t *sib = &tr->s[1 - r->kind];
                if (sib->active || !sib->has_last) {
                    memcpy(sib->warned, r->sib_warned, sizeof sib->warned);
                    memcpy(sib->outside_since, r->sib_outside_since,
                           sizeof sib->outside_since);
                }
            }
        }
    }
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *tr = &w->tracks[k];
        if (!tr->used || !tr->orphan)
            continue;
        /* over once an all-clear went out and no series is left open (a crash between
         * the two all-clears leaves the second to be sent) */
        tr->done = ((tr->s[0].has_last && tr->s[0].last.all_clear) ||
                    (tr->s[1].has_last && tr->s[1].last.all_clear) ||
                    (tr->launch.has_last && tr->launch.last.all_clear)) &&
                   !tr->s[0].active && !tr->s[1].active && !tr->launch.active;
        for (int j = 0; j <= MWX_WARN_LAUNCH; j++)
            if (jseries(tr, j)->has_last) {
                w->st.restored_series++;
                w->st.restored_active += jseries(tr, j)->active ? 1 : 0;
            }
    }
    if (w->n_jlive) {
        w->msgs_changed = 1; /* the Atom feed lists the restored series */
        w->picture_pending = w->picture_force = 1;
    }
    return MWX_OK;
}

/* Messages written again at create are recorded (emitted) at the first entry point, when
 * the caller is ready for records. */
static void emit_republished(mwx_warn_t *w)
{
    if (!w->emit_pending)
        return;
    w->emit_pending = 0;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++)
        for (int j = 0; j <= MWX_WARN_LAUNCH; j++) {
            wseries_t *s = jseries(&w->tracks[k], j);
            char file[192];
            if (!w->tracks[k].used || !s->emit_pending)
                continue;
            s->emit_pending = 0;
            w->msg_kind = (mwx_alert_kind_t)s->last.kind;
            snprintf(file, sizeof file, "%s.cap.xml", s->last.identifier);
            emit_file(w, MWX_WARN_OUT_CAP, file, s->last.identifier, s->last.msg_type,
                      s->last.regions, s->last.n_regions);
        }
}

/* Is this (settled) track the threat of an orphaned series? Its predicted impact must
 * fall within the two ellipses plus update_shift_km of the series' last one, at an impact
 * time within 60 s; when both know the launch, within 60 s of it too. The nearest wins
 * (distances in units of their gates); the same track id breaks ties. This is fusion's
 * question (same missile?) asked with what the journal keeps. */
/* The rebuilt track tr continues the orphan's series (all of them, the launch notice's
 * too) under the orphan's journal key and series name. */
static void take_over(mwx_warn_t *w, wtrack_t *tr, wtrack_t *o)
{
    for (int j = 0; j < 2; j++) {
        tr->s[j] = o->s[j];
        fix_last(&tr->s[j]);
    }
    tr->launch = o->launch;
    fix_last(&tr->launch);
    tr->launch_done = o->launch_done || o->launch.has_last;
    tr->done = o->done;
    tr->jkey = o->jkey;
    mwx_strlcpy(tr->sname, o->sname, sizeof tr->sname);
    memset(o, 0, sizeof *o);
    w->st.adopted++;
    w->picture_pending = w->picture_force = 1;
}

static void adopt(mwx_warn_t *w, wtrack_t *tr)
{
    const mwx_rec_impact_est_t *e = &tr->trk.impact;
    wtrack_t *best = NULL;
    double best_cost = INFINITY;

    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        const mwx_rec_impact_est_t *oe = &o->trk.impact;
        double s12, az1, az2, gate_km, cost, dt;
        if (!o->used || !o->orphan || !oe->valid)
            continue;
        geod_inverse(mwx_regions_geod(w->regions), oe->lat, oe->lon, e->lat, e->lon, &s12,
                     &az1, &az2);
        gate_km = e->semi_major_km + oe->semi_major_km + w->pol.update_shift_km;
        dt = fabs(e->t - oe->t);
        if (s12 / 1000.0 > gate_km || dt > 60.0)
            continue;
        cost = s12 / 1000.0 / gate_km + dt / 60.0;
        if (tr->trk.launch.valid && o->trk.launch.valid) {
            double ldt = fabs(tr->trk.launch.t - o->trk.launch.t);
            if (ldt > 60.0)
                continue;
            cost += ldt / 60.0;
        }
        if (strcmp(o->trk.track_id, tr->trk.track_id) != 0)
            cost += 1e-6;
        if (cost < best_cost) {
            best_cost = cost;
            best = o;
        }
    }
    if (best)
        take_over(w, tr, best);
}

/* Is this track, about to send its launch notice, the missile of an orphaned series that
 * sent one already (a restarted node rebuilding its picture)? With both launch estimates:
 * launched within 60 s and 500 km of each other; else its position within what 8 km/s
 * covers, plus 200 km, of the orphan's last one. The nearest wins. Matching a rebuilt
 * track here, before any prediction settles, keeps a restart from sending a second
 * launch notice; adopt() later finds nothing left to take. Returns 1 when taken over. */
static int launch_adopt(mwx_warn_t *w, wtrack_t *tr, const mwx_warn_trackview_t *tv)
{
    const struct geod_geodesic *g = mwx_regions_geod(w->regions);
    wtrack_t *best = NULL;
    double best_cost = INFINITY;

    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++) {
        wtrack_t *o = &w->tracks[k];
        double s12, az1, az2, cost;
        if (!o->used || !o->orphan || !o->launch.has_last)
            continue;
        if (tr->trk.launch.valid && o->trk.launch.valid) {
            double ldt = fabs(tr->trk.launch.t - o->trk.launch.t);
            geod_inverse(g, tr->trk.launch.lat, tr->trk.launch.lon, o->trk.launch.lat,
                         o->trk.launch.lon, &s12, &az1, &az2);
            if (ldt > 60.0 || s12 > 500e3)
                continue;
            cost = ldt / 60.0 + s12 / 500e3;
        } else {
            mwx_warn_trackview_t ov;
            double gate_m = 200e3 + 8e3 * fabs(tr->trk.t - o->trk.t);
            track_view(&o->trk, &ov);
            geod_inverse(g, tv->lat, tv->lon, ov.lat, ov.lon, &s12, &az1, &az2);
            if (!(s12 <= gate_m))
                continue;
            cost = s12 / gate_m;
        }
        if (strcmp(o->trk.track_id, tr->trk.track_id) != 0)
            cost += 1e-6;
        if (cost < best_cost) {
            best_cost = cost;
            best = o;
        }
    }
    if (!best)
        return 0;
    take_over(w, tr, best);
    return 1;
}

/* A part whose fall is a drop zone, not a missile's impact (docs/WARNING_POLICY.md
 * "Space launches and stages"): a spent stage, or any part of a space launch. */
static int drop_zone_class(const mwx_rec_track_t *k)
{
    return k->klass == MWX_CLASS_STAGE || k->klass == MWX_CLASS_SPACE_LAUNCH;
}

static int issue(mwx_warn_t *w, wtrack_t *tr, wseries_t *s, mwx_msg_type_t mt, int all_clear,
                 const double (*ring)[2], size_t n_ring, const uint8_t *removed, mwx_err_t *err)
{
    /* the impact series of a stage or a space launch's part warns of a drop zone: never
     * an impact warning for a part that may reach orbit */
    mwx_warn_kind_t kind = s->kind == MWX_WARN_IMPACT && drop_zone_class(&tr->trk)
                               ? MWX_WARN_DROP_ZONE
                               : s->kind;
    mwx_warn_msg_t *m = &s->last;
    char tid[MWX_ID_LEN];
    const mwx_rec_impact_est_t *imp = &tr->trk.impact;
    int rc;

    if (mt == MWX_MSG_ALERT)
        s->n_refs = 0;
    /* the suffix counts the context's messages, so that an identifier is never reused,
     * even when a tracker reuses a track id */
    w->serial++;
    memset(m, 0, sizeof *m);
    mwx_warn_sanitize_id(tid, sizeof tid, tr->sname[0] ? tr->sname : tr->trk.track_id);
    snprintf(m->identifier, sizeof m->identifier, "%s.%s.%s.%d", w->prefix, tid,
             kind_name(kind), w->serial);
    snprintf(m->incident, sizeof m->incident, "%s.%s", w->prefix, tid);
    /* a restarted context replaying its input never dates a message before the last one
     * it journaled */
    m->t = w->now_t < w->resume_t ? w->resume_t : w->now_t;
    mwx_time_format(w->epoch + m->t, 0, 0, m->sent, sizeof m->sent);
    m->msg_type = mt;
    m->kind = kind;
    m->all_clear = all_clear;
    /* an overflight series that empties as the missile moves on ends as "passed over",
     * not as a withdrawn threat */
    m->passed = mt == MWX_MSG_CANCEL && !all_clear && s->kind == MWX_WARN_OVERFLIGHT &&
                removed && passed_over(w, tr, removed);
    m->refs = (const char (*)[MWX_WARN_REF_LEN])s->refs;
    m->n_refs = mt == MWX_MSG_ALERT ? 0 : s->n_refs;
    mwx_strlcpy(m->track_id, tr->trk.track_id, sizeof m->track_id);
    mwx_strlcpy(m->sources, tr->trk.sources, sizeof m->sources);
    if (imp->valid) {
        m->impact_lat = imp->lat;
        m->impact_lon = imp->lon;
        m->impact_t = imp->t;
        m->semi_major_km = imp->semi_major_km;
        m->semi_minor_km = imp->semi_minor_km;
        m->orientation_deg = imp->orientation_deg;
    } else {
        m->impact_lat = s->last_lat;
        m->impact_lon = s->last_lon;
        m->impact_t = s->last_impact_t;
    }
    if (s->kind == MWX_WARN_LAUNCH || (s->kind == MWX_WARN_OVERFLIGHT && w->no_prediction)) {
        /* no prediction yet: only the reach, or the path the body may fly (the CAP text
         * says "heading toward", certainty Possible) */
        m->impact_lat = m->impact_lon = m->impact_t = NAN;
        m->semi_major_km = m->semi_minor_km = m->orientation_deg = 0;
    }
    if (ring && n_ring >= 4 && n_ring <= MWX_WARN_MAX_RING + 1) {
        memcpy(s->ring, ring, n_ring * sizeof ring[0]);
        m->ring = (const double (*)[2])s->ring;
        m->n_ring = n_ring;
    }
    if (mt == MWX_MSG_CANCEL) {
        /* name what is cancelled: the regions of the series' previous message */
        m->regions = s->reg_list;
        m->n_regions = 0;
        for (size_t i = 0; i < w->nreg; i++)
            if (s->warned[i] || (removed && removed[i]))
                s->reg_list[m->n_regions++] = (int)i;
    } else {
        m->n_regions = list_regions(w, s->warned, s->reg_list);
        m->regions = s->reg_list;
        if (removed) {
            m->n_removed = list_regions(w, removed, s->rem_list);
            m->removed = s->rem_list;
        }
    }
    s->has_last = 1;
    /* the journal first: a crash after it republishes the message on restart, a crash
     * before it decides the message again (the series state is the one before it) */
    if ((rc = journal_message(w, tr, s, m, err)))
        return rc;
    if ((rc = run_message(w, m, err)))
        return rc;
    if (mt == MWX_MSG_ALERT)
        w->st.cap_alert++;
    else if (mt == MWX_MSG_UPDATE)
        w->st.cap_update++;
    else
        w->st.cap_cancel++;
    after_message(w, s, m);
    return MWX_OK;
}

/* Apply add / release to one series and issue what follows. force_off: regions that must
 * leave at once (an overflight region upgraded to the impact series). */
static int decide(mwx_warn_t *w, wtrack_t *tr, wseries_t *s, const uint8_t *now,
                  const uint8_t *rel, const uint8_t *force_off, const double (*ring)[2],
                  size_t n_ring, mwx_err_t *err)
{
    uint8_t removed[NREG_MAX];
    int added = 0, nrem = 0;
    size_t count = 0;
    double t = w->now_t;
    const mwx_rec_impact_est_t *imp = &tr->trk.impact;

    memset(removed, 0, sizeof removed);
    /* Releases alone are batched: they are applied at most every release_batch_s (an
     * addition, or a release that empties the series, goes out at once). */
    int may_release = !s->active || t - s->last_msg_t >= w->pol.release_batch_s;
    for (size_t i = 0; i < w->nreg; i++) {
        if (force_off && force_off[i]) {
            if (s->warned[i]) {
                s->warned[i] = 0;
                removed[i] = 2; /* forced: never batched */
                nrem++;
            }
            s->outside_since[i] = NAN;
            continue;
        }
        if (now[i]) {
            if (!s->warned[i]) {
                s->warned[i] = 1;
                added++;
            }
            s->outside_since[i] = NAN;
        } else if (s->warned[i]) {
            if (rel[i]) {
                s->outside_since[i] = NAN;
            } else if (isnan(s->outside_since[i])) {
                s->outside_since[i] = t;
            }
            if (!rel[i] && t - s->outside_since[i] >= w->pol.release_hold_s) {
                s->warned[i] = 0;   /* tentatively: undone below if batched */
                removed[i] = 1;
                nrem++;
            }
        }
        count += s->warned[i] ? 1 : 0;
    }
    if (nrem && count > 0 && !added && !may_release) {
        for (size_t i = 0; i < w->nreg; i++)
            if (removed[i] == 1) {
                s->warned[i] = 1;
                removed[i] = 0;
                count++;
                nrem--;
            }
    }
    for (size_t i = 0; i < w->nreg; i++)
        if (removed[i])
            s->outside_since[i] = NAN;
    if (!s->active) {
        if (count > 0)
            return issue(w, tr, s, MWX_MSG_ALERT, 0, ring, n_ring, NULL, err);
        return MWX_OK;
    }
    if (count == 0) /* threat withdrawn before impact */
        return issue(w, tr, s, MWX_MSG_CANCEL, 0, ring, n_ring, removed, err);
    if (added || nrem)
        return issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, removed, err);
    /* the first prediction after warnings that rested on none (the boost fan): say so */
    if (imp->valid && !w->no_prediction && !isfinite(s->last_impact_t))
        return issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, NULL, err);
    if (imp->valid && !w->no_prediction) {
        double shift_m = 0, az1, az2;
        mwx_earth_t wgs = mwx_earth_wgs84();
        mwx_geodesic_inverse(&wgs, s->last_lat * MWX_DEG, s->last_lon * MWX_DEG,
                             imp->lat * MWX_DEG, imp->lon * MWX_DEG, &shift_m, &az1, &az2);
        if (fabs(imp->t - s->last_impact_t) > w->pol.update_impact_dt_s ||
            shift_m > w->pol.update_shift_km * 1000.0)
            return issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, NULL, err);
    }
    return MWX_OK;
}

static int all_clear(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    int rc;
    if (tr->launch.active && (rc = issue(w, tr, &tr->launch, MWX_MSG_CANCEL, 1, NULL, 0, NULL,
                                         err)))
        return rc;
    for (int k = 0; k < 2; k++) {
        wseries_t *s = &tr->s[k];
        if (s->active &&
            (rc = issue(w, tr, s, MWX_MSG_CANCEL, 1, NULL, 0, NULL, err)))
            return rc;
    }
    tr->done = 1;
    return MWX_OK;
}

static int cancel_false(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    int rc;
    if (tr->launch.active && (rc = issue(w, tr, &tr->launch, MWX_MSG_CANCEL, 0, NULL, 0, NULL,
                                         err)))
        return rc;
    for (int k = 0; k < 2; k++) {
        wseries_t *s = &tr->s[k];
        if (s->active && (rc = issue(w, tr, s, MWX_MSG_CANCEL, 0, NULL, 0, NULL, err)))
            return rc;
    }
    return MWX_OK;
}

static void release_slot(mwx_warn_t *w, wtrack_t *tr)
{
    journal_release(w, tr);
    memset(tr, 0, sizeof *tr);
    w->picture_pending = w->picture_force = 1;
}

static int final_cot(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    mwx_warn_trackview_t tv;
    track_view(&tr->trk, &tv);
    tv.first = tr->cot_events == 0;
    tv.last = 1;
    if (tr->cot_events == 0) /* never published: nothing to retract */
        return MWX_OK;
    tr->cot_events++;
    return run_track(w, &tv, err);
}

static wtrack_t *find_track(mwx_warn_t *w, const char *id)
{
    for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++)
        if (w->tracks[i].used && !w->tracks[i].orphan &&
            strcmp(w->tracks[i].trk.track_id, id) == 0)
            return &w->tracks[i];
    return NULL;
}

static wtrack_t *new_track(mwx_warn_t *w, const char *id)
{
    wtrack_t *tr = NULL;
    for (int i = 0; i < MWX_WARN_MAX_TRACKS && !tr; i++)
        if (!w->tracks[i].used)
            tr = &w->tracks[i];
    if (!tr)
        return NULL;
    memset(tr, 0, sizeof *tr);
    tr->used = 1;
    tr->impact_t = INFINITY;
    tr->last_cot_t = -INFINITY;
    tr->last_boost_t = -INFINITY;
    tr->last_thrust_t = -INFINITY;
    w->picture_pending = w->picture_force = 1;
    for (int k = 0; k < 2; k++) {
        tr->s[k].kind = (mwx_warn_kind_t)k;
        for (int i = 0; i < NREG_MAX; i++)
            tr->s[k].outside_since[i] = NAN;
    }
    tr->launch.kind = MWX_WARN_LAUNCH;
    for (int i = 0; i < NREG_MAX; i++)
        tr->launch.outside_since[i] = NAN;
    mwx_strlcpy(tr->trk.track_id, id, sizeof tr->trk.track_id);
    mwx_strlcpy(tr->sname, id, sizeof tr->sname);
    tr->jkey = w->next_key++;
    return tr;
}

/* Remember the prediction (thinned to one per 0.5 s; 32 of them cover 16 s). */
static void remember(wtrack_t *tr, const mwx_rec_impact_est_t *e, double t)
{
    if (tr->n_hist) {
        int last = (tr->hist_head + HIST_N - 1) % HIST_N;
        if (t - tr->hist[last].t < 0.5)
            return;
    }
    tr->hist[tr->hist_head].t = t;
    tr->hist[tr->hist_head].lat = e->lat;
    tr->hist[tr->hist_head].lon = e->lon;
    tr->hist[tr->hist_head].a_km = e->semi_major_km;
    tr->hist_head = (tr->hist_head + 1) % HIST_N;
    if (tr->n_hist < HIST_N)
        tr->n_hist++;
}

/* ------------------------------------------------------------------ thrust guard */

#define THRUST_WINDOW_S 5.0    /* energy compared with the sample this far back ... */
#define THRUST_MIN_DT_S 3.0    /* ... or the oldest, once it is this far back */

/* The Jacobi integral of the Earth-fixed frame (J/kg): v^2/2 - GM/r - w^2 (x^2 + y^2)/2.
 * Constant for a body in free flight under point-mass gravity (J2 moves it by far less
 * than thrust does over seconds), lowered by drag, raised only by thrust. */
static double jacobi(const mwx_rec_track_t *k)
{
    double r = mwx_norm3(k->ecef_m), w = MWX_WGS84_OMEGA;
    double rho2 = k->ecef_m[0] * k->ecef_m[0] + k->ecef_m[1] * k->ecef_m[1];
    return 0.5 * mwx_dot3(k->vel_mps, k->vel_mps) - MWX_WGS84_GM / r - 0.5 * w * w * rho2;
}

/* Record the track's energy and say whether it shows thrust: the energy rose, over the
 * last THRUST_WINDOW_S, faster than thrust_accel_mps2 times the speed (a non-gravitational
 * acceleration along the path), and by more than 3 sigma of what the velocity
 * uncertainty allows. Independent of the phase the tracker reports. */
static int thrust_evidence(const mwx_warn_t *w, wtrack_t *tr, const mwx_rec_track_t *k)
{
    const double *cv = k->cov_vel_m2s2;
    double r = mwx_norm3(k->ecef_m), speed = mwx_norm3(k->vel_mps);
    double sv = sqrt(fmax(0.0, (cv[0] + cv[3] + cv[5]) / 3.0));
    int ref = -1, thrust = 0;

    if (!(r > 1e6) || !isfinite(sv))
        return 0;
    for (int n = 1; n <= tr->n_en; n++) { /* the newest sample at least a window back */
        int i = (tr->en_head + HIST_N - n) % HIST_N;
        double dt = k->t - tr->en[i].t;
        if (dt >= THRUST_MIN_DT_S)
            ref = i;
        if (dt >= THRUST_WINDOW_S)
            break;
    }
    if (ref >= 0) {
        double dt = k->t - tr->en[ref].t, vm = 0.5 * (speed + tr->en[ref].speed);
        double a = (jacobi(k) - tr->en[ref].jac) / (dt * fmax(vm, 1.0));
        /* dJ = v . dv: its sigma is the speed times the along-path velocity sigma */
        double noise = 3.0 * hypot(sv, tr->en[ref].sv) / dt;
        thrust = a > fmax(w->pol.thrust_accel_mps2, noise);
    }
    if (tr->n_en) {
        int last = (tr->en_head + HIST_N - 1) % HIST_N;
        if (k->t - tr->en[last].t < 1.0)
            return thrust;
    }
    tr->en[tr->en_head].t = k->t;
    tr->en[tr->en_head].jac = jacobi(k);
    tr->en[tr->en_head].speed = speed;
    tr->en[tr->en_head].sv = sv;
    tr->en_head = (tr->en_head + 1) % HIST_N;
    if (tr->n_en < HIST_N)
        tr->n_en++;
    return thrust;
}

/* Is the prediction good enough to act on: small enough, and consistent with the one from
 * settle_s ago (their ellipses can overlap)? */
static int settled(const mwx_warn_t *w, const wtrack_t *tr, const mwx_rec_impact_est_t *e,
                   double t)
{
    const mwx_warn_policy_t *p = &w->pol;
    if (e->semi_major_km > p->max_warn_semi_major_km)
        return 0;
    if (p->settle_s <= 0)
        return 1;
    /* under thrust, or just out of it: the prediction still runs downrange */
    if (t - tr->last_boost_t < p->settle_s)
        return 0;
    /* the burnout rule, not beaten by mode flips: no thrust evidence for burnout_hold_s,
     * whatever phase the track reports */
    if (t - tr->last_thrust_t < p->burnout_hold_s)
        return 0;
    for (int k = 1; k <= tr->n_hist; k++) {
        int i = (tr->hist_head + HIST_N - k) % HIST_N;
        if (tr->hist[i].t <= t - p->settle_s) {
            double s12, az1, az2;
            geod_inverse(mwx_regions_geod(w->regions), tr->hist[i].lat, tr->hist[i].lon, e->lat,
                         e->lon, &s12, &az1, &az2);
            return s12 <= (tr->hist[i].a_km + e->semi_major_km) * 1000.0;
        }
    }
    return 0; /* not tracked for settle_s yet */
}

static int impact_valid(const mwx_rec_impact_est_t *e)
{
    return e->valid && isfinite(e->lat) && isfinite(e->lon) && fabs(e->lat) <= 90.0 &&
           isfinite(e->t) && isfinite(e->semi_major_km) && isfinite(e->semi_minor_km) &&
           isfinite(e->orientation_deg) && e->semi_major_km >= 0 && e->semi_minor_km >= 0;
}

/* mask = warned and not in now; returns how many. */
static size_t release_candidates(const mwx_warn_t *w, const uint8_t *warned, const uint8_t *now,
                                 uint8_t *mask)
{
    size_t c = 0;
    for (size_t i = 0; i < w->nreg; i++) {
        mask[i] = warned[i] && !now[i];
        c += mask[i];
    }
    return c;
}

/* A ground-track corridor's half-width (km): the largest of the policy minimum, the
 * ellipse's half-width across the final azimuth az2 (degrees) and the 95 % horizontal
 * position uncertainty (2.45 sigma), at most 1000 km. */
static double corridor_buffer_km(const mwx_warn_policy_t *p, const mwx_warn_trackview_t *tv,
                                 const mwx_rec_impact_est_t *e, double az2)
{
    double buf_km = fmax(p->overflight_min_buffer_km, ellipse_half_width_km(e, az2 * MWX_DEG));
    return fmin(1000.0, fmax(buf_km, 2.45 * tv->ce_m / 1000.0));
}

#define LOW_PATH_ALT_M 100e3 /* PRODUCT.md: the ground track below 100 km is threatened */

/* The corridor of a low flight: the geodesic from the sub-point to the predicted impact
 * point, carried on past it by the ellipse's extent along the track, buffered by the
 * larger of the policy minimum, the ellipse's half-width across the track and the 95 %
 * horizontal position uncertainty (so that it holds the ellipse). Rings as
 * corridor_rings (the second one scaled by release_scale); 0 when too short. */
static size_t low_corridor(mwx_warn_t *w, const mwx_warn_trackview_t *tv,
                           const mwx_rec_impact_est_t *e, double (*ring)[2], double (*ring2)[2])
{
    const struct geod_geodesic *g = mwx_regions_geod(w->regions);
    const mwx_warn_policy_t *p = &w->pol;
    double s12, az1, az2, buf_km, along_km, lat2, lon2;
    geod_inverse(g, tv->lat, tv->lon, e->lat, e->lon, &s12, &az1, &az2);
    /* the support of the ellipse along az2 is its half-width across az2 - 90 degrees */
    along_km = ellipse_half_width_km(e, (az2 - 90.0) * MWX_DEG);
    buf_km = corridor_buffer_km(p, tv, e, az2);
    geod_direct(g, e->lat, e->lon, az2, fmin(along_km, 2000.0) * 1000.0, &lat2, &lon2, NULL);
    return corridor_rings(g, tv->lat, tv->lon, lat2, lon2, buf_km * 1000.0,
                          buf_km * p->release_scale * 1000.0, p->overflight_step_km * 1000.0,
                          ring, ring2);
}

static int assess(mwx_warn_t *w, wtrack_t *tr, const mwx_warn_trackview_t *tv, mwx_err_t *err)
{
    mwx_rec_impact_est_t e = tr->trk.impact, big;
    const mwx_warn_policy_t *p = &w->pol;
    int nv = p->ellipse_vertices, rc;
    size_t nc;

    if (e.semi_major_km < p->min_semi_axis_km)
        e.semi_major_km = p->min_semi_axis_km;
    if (e.semi_minor_km < p->min_semi_axis_km)
        e.semi_minor_km = p->min_semi_axis_km;
    mwx_warn_ellipse_ring(mwx_regions_geod(w->regions), &e, nv, p->min_semi_axis_km,
                          p->max_semi_axis_km, tr->ring);
    tr->n_ring = (size_t)nv + 1;
    memset(w->now_hit, 0, sizeof w->now_hit);
    memset(w->rel_hit, 0, sizeof w->rel_hit);
    if ((rc = mwx_regions_in_ring(w->regions, (const double (*)[2])tr->ring, tr->n_ring,
                                  w->now_hit, err)))
        return rc;
    /* Low flight (issue 11): a body below LOW_PATH_ALT_M, or one that lifts, may come down
     * anywhere along the rest of its path (a pull-up, a dive, a failure), and the regions
     * under a path below 100 km are threatened like the impact area (docs/PRODUCT.md).
     * Its impact area is the corridor from the sub-point to past the ellipse, narrowing as
     * the body flies on: those regions get the impact series, not an overflight. */
    nc = 0;
    if (tr->trk.phase != MWX_PHASE_IMPACT &&
        (tv->alt_m < LOW_PATH_ALT_M || tr->trk.klass == MWX_CLASS_LIFTING)) {
        nc = low_corridor(w, tv, &e, w->scratch, w->scratch3);
        if (nc && (rc = mwx_regions_in_ring(w->regions, (const double (*)[2])w->scratch, nc,
                                            w->now_hit, err)))
            return rc;
    }
    /* The release shape matters only for warned regions outside the shape: test those. */
    if (release_candidates(w, tr->s[MWX_WARN_IMPACT].warned, w->now_hit, w->off_hit)) {
        big = e;
        big.semi_major_km *= p->release_scale;
        big.semi_minor_km *= p->release_scale;
        mwx_warn_ellipse_ring(mwx_regions_geod(w->regions), &big, nv, p->min_semi_axis_km,
                              p->max_semi_axis_km * p->release_scale, w->scratch2);
        if ((rc = mwx_regions_in_ring_masked(w->regions, (const double (*)[2])w->scratch2,
                                             tr->n_ring, w->off_hit, w->rel_hit, err)))
            return rc;
        if (nc && (rc = mwx_regions_in_ring_masked(w->regions,
                                                   (const double (*)[2])w->scratch3, nc,
                                                   w->off_hit, w->rel_hit, err)))
            return rc;
    }
    /* the message's polygon: the corridor (it holds the ellipse) or the ellipse */
    if ((rc = decide(w, tr, &tr->s[MWX_WARN_IMPACT], w->now_hit, w->rel_hit, NULL,
                     nc ? (const double (*)[2])w->scratch : (const double (*)[2])tr->ring,
                     nc ? nc : tr->n_ring, err)))
        return rc;
    if (!p->overflight)
        return MWX_OK;

    /* Overflight: the geodesic from the current sub-point to the predicted impact point,
     * buffered by the larger of the policy minimum, the ellipse's half-width across the
     * path, and the 95 % horizontal position uncertainty (2.45 sigma). */
    {
        const struct geod_geodesic *g = mwx_regions_geod(w->regions);
        double s12, az1, az2, buf_km;
        uint8_t *impact_set = tr->s[MWX_WARN_IMPACT].warned;
        memset(w->now_hit, 0, sizeof w->now_hit);
        memset(w->rel_hit, 0, sizeof w->rel_hit);
        nc = 0;
        if (tr->trk.phase != MWX_PHASE_IMPACT) {
            geod_inverse(g, tv->lat, tv->lon, e.lat, e.lon, &s12, &az1, &az2);
            buf_km = corridor_buffer_km(p, tv, &e, az2);
            nc = corridor_rings(g, tv->lat, tv->lon, e.lat, e.lon, buf_km * 1000.0,
                                buf_km * p->release_scale * 1000.0,
                                p->overflight_step_km * 1000.0, w->scratch, w->scratch3);
            if (nc && (rc = mwx_regions_in_ring(w->regions, (const double (*)[2])w->scratch,
                                                nc, w->now_hit, err)))
                return rc;
            for (size_t i = 0; i < w->nreg; i++)
                if (impact_set[i])
                    w->now_hit[i] = 0;
            if (nc && release_candidates(w, tr->s[MWX_WARN_OVERFLIGHT].warned, w->now_hit,
                                         w->off_hit) &&
                (rc = mwx_regions_in_ring_masked(w->regions,
                                                 (const double (*)[2])w->scratch3, nc,
                                                 w->off_hit, w->rel_hit, err)))
                return rc;
        }
        for (size_t i = 0; i < w->nreg; i++) {
            w->off_hit[i] = impact_set[i];
            if (impact_set[i])
                w->now_hit[i] = 0;
        }
        return decide(w, tr, &tr->s[MWX_WARN_OVERFLIGHT], w->now_hit, w->rel_hit, w->off_hit,
                      nc ? (const double (*)[2])w->scratch : NULL, nc, err);
    }
}

#define SPACE_OVERFLIGHT_MAX_ALT_M 1000e3 /* PRODUCT.md "Threat classes" */
#define SPACE_OVERFLIGHT_AHEAD_S 120.0     /* the path ahead warned: 2 minutes of flight */

/* The free-flight range (m) of a body at radius r_m moving at speed v_mps, at the best
 * flight-path angle (launch and fall at the same radius: sin(psi / 2) = nu / (2 - nu),
 * nu = v^2 r / GM): the farthest its present energy carries it, INFINITY at orbital
 * speed. Drag only shortens it. */
static double energy_range_m(double r_m, double v_mps)
{
    double nu = v_mps * v_mps * r_m / MWX_WGS84_GM;
    if (!(r_m > 0) || !(nu < 0.99))
        return INFINITY;
    return MWX_WGS84_A * 2.0 * asin(nu / (2.0 - nu));
}

#define BOOST_FAN_MARGIN_DEG 2.0  /* the fan's half-angle beyond 2 sigma of the course: the
                                     ground track bends with the Earth's rotation and a
                                     steered burn may turn a little */
#define BOOST_FAN_MAX_KM 6000.0   /* the longest fan drawn */
#define BOOST_FAN_MIN_SPEED 100.0 /* m/s over the ground: slower, no course to speak of */

/* 95 % half-angle (degrees) of the track's course over the ground, from its velocity
 * covariance (the course's gradient through the horizontal block); INFINITY when the
 * body barely moves over the ground. */
static double course_half_angle_deg(const mwx_warn_trackview_t *tv)
{
    const mwx_rec_track_t *k = tv->trk;
    mwx_geo_t g = {tv->lat * MWX_DEG, tv->lon * MWX_DEG, 0};
    const double *c = k->cov_vel_m2s2;
    double e[3], n[3], u[3], ce[3], cn[3], ve, vn, vh2, qee, qnn, qen, ge, gn, var;
    if (!(tv->speed_mps >= BOOST_FAN_MIN_SPEED))
        return INFINITY;
    mwx_enu_basis(g.lat, g.lon, e, n, u);
    ve = mwx_dot3(k->vel_mps, e);
    vn = mwx_dot3(k->vel_mps, n);
    for (int i = 0; i < 3; i++) { /* C e and C n, C symmetric from its 6 entries */
        static const int ix[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
        ce[i] = cn[i] = 0;
        for (int j = 0; j < 3; j++) {
            ce[i] += c[ix[i][j]] * e[j];
            cn[i] += c[ix[i][j]] * n[j];
        }
    }
    qee = mwx_dot3(e, ce);
    qnn = mwx_dot3(n, cn);
    qen = mwx_dot3(e, cn);
    vh2 = ve * ve + vn * vn;
    ge = vn / vh2; /* d atan2(ve, vn) / d ve */
    gn = -ve / vh2;
    var = ge * ge * qee + 2 * ge * gn * qen + gn * gn * qnn;
    if (!(var >= 0) || !isfinite(var))
        return INFINITY;
    return 2.0 * sqrt(var) / MWX_DEG;
}

/* The reachable fan (docs/WARNING_POLICY.md "Boost phase: the reachable fan"): from the
 * sub-point along the course for len_m, half-width w0_m widening by tan(half_deg) per
 * metre flown (at most 1000 km); the release fan (widths times release_scale) into ring2.
 * Returns the point count of each ring (0 when too short). */
static size_t fan_rings(const struct geod_geodesic *g, const mwx_warn_trackview_t *tv,
                        double len_m, double w0_m, double half_deg, double scale, double step_m,
                        double (*ring)[2], double (*ring2)[2])
{
    struct geod_geodesicline line;
    double tn = tan(half_deg * MWX_DEG);
    int m;
    size_t n;
    if (!(len_m >= 1000.0))
        return 0;
    geod_directline(&line, g, tv->lat, tv->lon, tv->course_deg, len_m, 0);
    m = (int)ceil(len_m / step_m);
    if (m < 1)
        m = 1;
    if (m > CORRIDOR_MAX_STEPS - 1)
        m = CORRIDOR_MAX_STEPS - 1;
    for (int i = 0; i <= m; i++) {
        double la, lo, az, o[4][2], sd = len_m * i / m;
        double wd = fmin(1000e3, w0_m + sd * tn);
        geod_position(&line, sd, &la, &lo, &az);
        geod_direct(g, la, lo, az - 90.0, wd, &o[0][1], &o[0][0], NULL);
        geod_direct(g, la, lo, az + 90.0, wd, &o[1][1], &o[1][0], NULL);
        geod_direct(g, la, lo, az - 90.0, wd * scale, &o[2][1], &o[2][0], NULL);
        geod_direct(g, la, lo, az + 90.0, wd * scale, &o[3][1], &o[3][0], NULL);
        for (int k = 0; k < 4; k++)
            o[k][0] = tv->lon + mwx_wrap_pi((o[k][0] - tv->lon) * MWX_DEG) / MWX_DEG;
        ring[i][0] = o[0][0], ring[i][1] = o[0][1];
        ring[2 * m + 1 - i][0] = o[1][0], ring[2 * m + 1 - i][1] = o[1][1];
        ring2[i][0] = o[2][0], ring2[i][1] = o[2][1];
        ring2[2 * m + 1 - i][0] = o[3][0], ring2[2 * m + 1 - i][1] = o[3][1];
    }
    n = 2 * (size_t)m + 2;
    ring[n][0] = ring[0][0], ring[n][1] = ring[0][1];
    ring2[n][0] = ring2[0][0], ring2[n][1] = ring2[0][1];
    return n + 1;
}

#define FAN_THRUST_HOLD_S 10.0 /* the fan keeps its powered reach this long after the last
                                   sign of thrust (bridges a phase flag that flips) */

/* May the body still be under thrust, for the fan's reach: an update in phase boost or
 * thrust evidence within FAN_THRUST_HOLD_S, or a space launch (it may burn again)? Not the
 * tracker's class `thrusting`: it stays for 20 s after burnout, and in a short flight the
 * powered reach held that long kept the fan's far regions warned at 300 s to go
 * (test-salvo.json). */
static int may_thrust(const wtrack_t *tr)
{
    double t = tr->trk.t;
    return t - tr->last_boost_t < FAN_THRUST_HOLD_S ||
           t - tr->last_thrust_t < FAN_THRUST_HOLD_S ||
           tr->trk.klass == MWX_CLASS_SPACE_LAUNCH;
}

/* Is the boost fan drawn for this update: no settled prediction acted on yet, below
 * 1,000 km, not a spent stage (its fall is a drop zone), and a firm course? *half is the
 * course's 95 % half-angle. */
static int fan_due(const mwx_warn_t *w, const wtrack_t *tr, const mwx_warn_trackview_t *tv,
                   double *half)
{
    if (!w->pol.boost_fan || !w->pol.overflight || tr->assessed ||
        tr->trk.klass == MWX_CLASS_STAGE || !(tv->alt_m < SPACE_OVERFLIGHT_MAX_ALT_M))
        return 0;
    *half = course_half_angle_deg(tv);
    return *half <= w->pol.boost_fan_az_deg;
}

/* Warnings that rest on no impact prediction, in the overflight series (certainty
 * Possible, "heading toward"; never an impact warning: the body may be under thrust or
 * bound for orbit):
 *
 *   the boost fan (fan: *half the course's 95 % half-angle): the regions under the ground
 *     corridor along the course, widening by the course's uncertainty plus
 *     BOOST_FAN_MARGIN_DEG, out to what the body can reach: while it may be under thrust,
 *     boost_fan_reach_km from the launch point (or the free-flight range of its present
 *     speed, when farther); after burnout, the free-flight range (+10 %, + 50 km);
 *   a space launch's path (space): the ground track ahead along the course for
 *     SPACE_OVERFLIGHT_AHEAD_S at the current ground speed, while below 1,000 km
 *     (issue 11).
 *
 * Both are released with the series' hysteresis: as the body flies on (the fan starts at
 * the sub-point), and once a settled prediction is acted on (assess() then decides the
 * series on the predicted corridor, and the fan is no longer drawn). */
static int path_warnings(mwx_warn_t *w, wtrack_t *tr, const mwx_warn_trackview_t *tv, int fan,
                         double half, int space, mwx_err_t *err)
{
    const mwx_warn_policy_t *p = &w->pol;
    const struct geod_geodesic *g = mwx_regions_geod(w->regions);
    double w0_km = fmin(1000.0, fmax(p->overflight_min_buffer_km, 2.45 * tv->ce_m / 1000.0));
    const double (*ring)[2] = NULL;
    size_t nf = 0, nc = 0;
    int rc;

    memset(w->now_hit, 0, sizeof w->now_hit);
    memset(w->rel_hit, 0, sizeof w->rel_hit);
    if (fan) {
        double len_m, r = mwx_norm3(tr->trk.ecef_m);
        double reach_m = energy_range_m(r, mwx_norm3(tr->trk.vel_mps));
        if (may_thrust(tr)) {
            double flown = 0, az1, az2;
            if (tr->trk.launch.valid && isfinite(tr->trk.launch.lat) &&
                isfinite(tr->trk.launch.lon) && fabs(tr->trk.launch.lat) <= 90.0)
                geod_inverse(g, tr->trk.launch.lat, tr->trk.launch.lon, tv->lat, tv->lon,
                             &flown, &az1, &az2);
            len_m = fmax(p->boost_fan_reach_km * 1000.0 - flown, reach_m);
        } else {
            len_m = 1.1 * reach_m + 50e3;
        }
        len_m = fmin(len_m, BOOST_FAN_MAX_KM * 1000.0);
        nf = fan_rings(g, tv, len_m, w0_km * 1000.0, half + BOOST_FAN_MARGIN_DEG,
                       p->release_scale, p->overflight_step_km * 1000.0, w->scratch,
                       w->scratch3);
        if (nf && (rc = mwx_regions_in_ring(w->regions, (const double (*)[2])w->scratch, nf,
                                            w->now_hit, err)))
            return rc;
        if (nf && release_candidates(w, tr->s[MWX_WARN_OVERFLIGHT].warned, w->now_hit,
                                     w->off_hit) &&
            (rc = mwx_regions_in_ring_masked(w->regions, (const double (*)[2])w->scratch3, nf,
                                             w->off_hit, w->rel_hit, err)))
            return rc;
        if (nf) { /* the message's polygon: the fan (kept apart from the scratch below) */
            memcpy(w->scratch2, w->scratch, nf * sizeof w->scratch[0]);
            ring = (const double (*)[2])w->scratch2;
        }
    }
    if (space && tv->alt_m < SPACE_OVERFLIGHT_MAX_ALT_M) {
        double lat2, lon2, az2;
        double reach_m = fmax(tv->speed_mps * SPACE_OVERFLIGHT_AHEAD_S, 2000.0);
        geod_direct(g, tv->lat, tv->lon, tv->course_deg, reach_m, &lat2, &lon2, &az2);
        nc = corridor_rings(g, tv->lat, tv->lon, lat2, lon2, w0_km * 1000.0,
                            w0_km * p->release_scale * 1000.0, p->overflight_step_km * 1000.0,
                            w->scratch, w->scratch3);
        if (nc && (rc = mwx_regions_in_ring(w->regions, (const double (*)[2])w->scratch, nc,
                                            w->now_hit, err)))
            return rc;
        if (nc && release_candidates(w, tr->s[MWX_WARN_OVERFLIGHT].warned, w->now_hit,
                                     w->off_hit) &&
            (rc = mwx_regions_in_ring_masked(w->regions, (const double (*)[2])w->scratch3,
                                             nc, w->off_hit, w->rel_hit, err)))
            return rc;
        if (nc && !ring)
            ring = (const double (*)[2])w->scratch;
    }
    /* a region in the impact series (a drop zone) keeps the more severe message */
    for (size_t i = 0; i < w->nreg; i++)
        if (tr->s[MWX_WARN_IMPACT].warned[i])
            w->now_hit[i] = w->rel_hit[i] = 0;
    w->no_prediction = 1;
    rc = decide(w, tr, &tr->s[MWX_WARN_OVERFLIGHT], w->now_hit, w->rel_hit, NULL, ring,
                ring ? (ring == (const double (*)[2])w->scratch2 ? nf : nc) : 0, err);
    w->no_prediction = 0;
    return rc;
}

/* The launch notice (issue 12, item 7; docs/WARNING_POLICY.md "Launch notice"): once,
 * when the track is first eligible (confirmed), before any prediction settles: every
 * region within launch_reach_km of the launch point (the estimate, else the track's
 * sub-point) gets one Alert of kind launch. */
static int launch_notice(mwx_warn_t *w, wtrack_t *tr, const mwx_warn_trackview_t *tv,
                         mwx_err_t *err)
{
    mwx_rec_impact_est_t reach;
    const mwx_warn_policy_t *p = &w->pol;
    int rc;
    size_t n = 0;

    tr->launch_done = 1;
    memset(&reach, 0, sizeof reach);
    reach.valid = 1;
    reach.lat = tr->trk.launch.valid ? tr->trk.launch.lat : tv->lat;
    reach.lon = tr->trk.launch.valid ? tr->trk.launch.lon : tv->lon;
    reach.semi_major_km = reach.semi_minor_km = p->launch_reach_km;
    if (!isfinite(reach.lat) || !isfinite(reach.lon) || fabs(reach.lat) > 90.0)
        return MWX_OK;
    mwx_warn_ellipse_ring(mwx_regions_geod(w->regions), &reach, p->ellipse_vertices,
                          p->min_semi_axis_km, p->launch_reach_km, w->scratch2);
    memset(w->now_hit, 0, sizeof w->now_hit);
    if ((rc = mwx_regions_in_ring(w->regions, (const double (*)[2])w->scratch2,
                                  (size_t)p->ellipse_vertices + 1, w->now_hit, err)))
        return rc;
    for (size_t i = 0; i < w->nreg; i++) {
        tr->launch.warned[i] = w->now_hit[i];
        n += w->now_hit[i];
    }
    if (!n)
        return MWX_OK;
    return issue(w, tr, &tr->launch, MWX_MSG_ALERT, 0, (const double (*)[2])w->scratch2,
                 (size_t)p->ellipse_vertices + 1, NULL, err);
}

/* ------------------------------------------------------------------ entry points */

static int check_time(mwx_warn_t *w, double t, mwx_err_t *err)
{
    if (!isfinite(t))
        return mwx_err_set(err, MWX_EINVAL, "warn: time must be finite");
    w->now_t = t;
    return MWX_OK;
}

/* Time-driven transitions of one track: all-clear after impact, stale tracks, slot reuse. */
static int housekeeping(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    double t = w->now_t;
    int rc;

    if (!tr->used)
        return MWX_OK;
    if (!tr->lost && t - tr->last_t > w->pol.track_stale_s)
        tr->lost = 1;
    /* a restarted context replaying its input: what happened up to resume_t is in the
     * journal */
    if (t < w->resume_t)
        return MWX_OK;
    /* an orphaned series whose warnings are over waits a little for its track, so that
     * the rebuilt track takes over a closed series rather than warn again */
    if (tr->orphan && !tr->s[0].active && !tr->s[1].active &&
        t <= w->resume_t + w->pol.track_stale_s)
        return MWX_OK;
    if (!tr->done && t >= tr->impact_t + w->pol.all_clear_after_s) {
        if ((rc = all_clear(w, tr, err)))
            return rc;
    }
    /* a lost track with no predicted impact (its warnings rest on the boost fan or a
     * space launch's path): no impact time will end them, so they end with the track */
    if (tr->lost && !isfinite(tr->impact_t) && !tr->orphan) {
        for (int k = 0; k < 2; k++)
            if (tr->s[k].active &&
                (rc = issue(w, tr, &tr->s[k], MWX_MSG_CANCEL, 0, NULL, 0, NULL, err)))
                return rc;
    }
    /* a lost track that never warned of more: its launch notice ends with it */
    if (tr->lost && tr->launch.active && !tr->s[0].active && !tr->s[1].active &&
        (rc = issue(w, tr, &tr->launch, MWX_MSG_CANCEL, 0, NULL, 0, NULL, err)))
        return rc;
    if (tr->lost && !tr->s[0].active && !tr->s[1].active && !tr->launch.active) {
        if ((rc = final_cot(w, tr, err)))
            return rc;
        release_slot(w, tr);
    }
    return MWX_OK;
}

int mwx_warn_track(mwx_warn_t *w, const mwx_rec_track_t *trk, mwx_err_t *err)
{
    wtrack_t *tr;
    mwx_warn_trackview_t tv;
    int rc, eligible;

    if (!w || !trk)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    if (!trk->track_id[0] || !memchr(trk->track_id, '\0', sizeof trk->track_id))
        return mwx_err_set(err, MWX_EINVAL, "warn: track without an id");
    if (!isfinite(trk->ecef_m[0]) || !isfinite(trk->ecef_m[1]) || !isfinite(trk->ecef_m[2]) ||
        !isfinite(trk->vel_mps[0]) || !isfinite(trk->vel_mps[1]) || !isfinite(trk->vel_mps[2]))
        return mwx_err_set(err, MWX_EINVAL, "warn: track %s: non-finite state", trk->track_id);
    if ((rc = check_time(w, trk->t, err)))
        return rc;
    emit_republished(w);
    tr = find_track(w, trk->track_id);
    if (tr && trk->t < tr->last_t)
        return MWX_OK; /* out of order: an older picture never overrides a newer one */
    if (!tr) {
        /* make room: tracks whose flight is over and whose series are closed */
        for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++)
            if ((rc = housekeeping(w, &w->tracks[i], err)))
                return rc;
        tr = new_track(w, trk->track_id);
        if (!tr)
            return mwx_err_set(err, MWX_EFULL, "warn: more than %d live tracks",
                               MWX_WARN_MAX_TRACKS);
    }
    w->st.tracks++;
    tr->trk = *trk;
    tr->last_t = trk->t;
    tr->lost = 0;
    eligible = trk->confirmed || !w->pol.require_confirmed;
    if (impact_valid(&trk->impact))
        tr->impact_t = trk->impact.t;
    else if (trk->phase == MWX_PHASE_IMPACT && !isfinite(tr->impact_t))
        tr->impact_t = trk->t;
    track_view(trk, &tv);
    /* No new decisions once the predicted impact time has come: the flight is over and
     * the all-clear follows. */
    if (trk->phase == MWX_PHASE_BOOST)
        tr->last_boost_t = trk->t;
    if (thrust_evidence(w, tr, trk))
        tr->last_thrust_t = trk->t;
    if (impact_valid(&trk->impact))
        remember(tr, &trk->impact, trk->t);
    if (eligible && w->pol.launch_notice && !tr->launch_done && !tr->done &&
        trk->phase != MWX_PHASE_IMPACT) {
        /* a restored launch notice continues with this track; a restarted context
         * replaying its input decided the notice of a time it journaled already */
        if (!any_sent(tr) && w->n_jlive && launch_adopt(w, tr, &tv))
            ;
        else if (trk->t < w->resume_t)
            tr->launch_done = 1;
        else if ((rc = launch_notice(w, tr, &tv, err)))
            return rc;
    }
    if (eligible && !tr->done && impact_valid(&trk->impact) && trk->phase != MWX_PHASE_IMPACT &&
        trk->t < trk->impact.t && settled(w, tr, &trk->impact, trk->t)) {
        /* a restored series of this threat continues with this track */
        if (!any_sent(tr) && w->n_jlive)
            adopt(w, tr);
        /* decided again at resume_t itself: a crash may have come between the messages of
         * one update (deciding a series again on the same input sends nothing twice) */
        /* the boost fan is over (a restarted context replaying its input too: the
         * original run acted on this prediction) */
        tr->assessed = 1;
        if (!tr->done && trk->t >= w->resume_t && (rc = assess(w, tr, &tv, err)))
            return rc;
    }
    /* before a settled prediction, or without any: the boost fan and a space launch's
     * path (overflight, certainty Possible) */
    if (eligible && !tr->done && w->pol.overflight && trk->phase != MWX_PHASE_IMPACT &&
        !(impact_valid(&trk->impact) && trk->t >= trk->impact.t) && trk->t >= w->resume_t) {
        double half = INFINITY;
        int space = trk->klass == MWX_CLASS_SPACE_LAUNCH && !impact_valid(&trk->impact);
        int fan = fan_due(w, tr, &tv, &half);
        if ((space || fan) && (rc = path_warnings(w, tr, &tv, fan, half, space, err)))
            return rc;
    }
    if (!impact_valid(&trk->impact))
        tr->n_ring = 0;
    if ((rc = housekeeping(w, tr, err)))
        return rc;
    /* CoT: the first event of a track at once, then at most every picture_interval_s */
    if (tr->used && eligible &&
        (tr->cot_events == 0 || !(trk->t - tr->last_cot_t < w->pol.picture_interval_s))) {
        tv.first = tr->cot_events == 0;
        tv.last = 0;
        tr->cot_events++;
        tr->last_cot_t = trk->t;
        if ((rc = run_track(w, &tv, err)))
            return rc;
    }
    w->picture_pending = 1;
    return finish(w, err);
}

int mwx_warn_tick(mwx_warn_t *w, double t, mwx_err_t *err)
{
    int rc;
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    if ((rc = check_time(w, t, err)))
        return rc;
    emit_republished(w);
    for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++)
        if ((rc = housekeeping(w, &w->tracks[i], err)))
            return rc;
    return finish(w, err);
}

int mwx_warn_end_track(mwx_warn_t *w, const char *track_id, double t, mwx_warn_end_t why,
                       mwx_err_t *err)
{
    wtrack_t *tr;
    int rc;

    if (!w || !track_id)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    if ((rc = check_time(w, t, err)))
        return rc;
    emit_republished(w);
    tr = find_track(w, track_id);
    if (!tr)
        return mwx_err_set(err, MWX_ENOTFOUND, "warn: no track %s", track_id);
    if (why == MWX_WARN_END_FALSE) {
        if ((rc = cancel_false(w, tr, err)))
            return rc;
        if ((rc = final_cot(w, tr, err)))
            return rc;
        release_slot(w, tr);
    } else {
        tr->lost = 1;
        if ((rc = housekeeping(w, tr, err)))
            return rc;
    }
    return finish(w, err);
}

/* Open (or create) the journal, restore its series, and compact it to what is live. */
static int journal_load(mwx_warn_t *w, const char *path, mwx_err_t *err)
{
    int rc;
    w->jbuf = malloc(sizeof(jrec_t));
    if (!w->jbuf)
        return mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
    if ((rc = mwx_warn_journal_open(path, (uint32_t)sizeof(jrec_t), w->durable, jlive_load, w,
                                    &w->journal, err)))
        return rc;
    if ((rc = journal_restore(w, err)))
        return mwx_err_prefix(err, "warn journal %s", path);
    if (mwx_warn_journal_entries(w->journal))
        w->resume_t = w->jmax_t;
    if (mwx_warn_journal_entries(w->journal) > w->n_jlive + 1)
        return journal_compact(w, err);
    return MWX_OK;
}
