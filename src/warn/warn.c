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
#include "warn/warn_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    p->boost_fan_sure_deg = 20.0;
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
    if (w && st) {
        *st = w->st;
        st->views_synced = w->views.synced;
    }
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

int mwx_warn_identifier_parse(const char *id, char *track, size_t track_n, mwx_warn_kind_t *kind)
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
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: semi-axis bounds must satisfy "
                           "0 < min <= max <= 3000 km");
    if (!(p->release_scale >= 1.0) || p->release_scale > 10.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: release_scale must be in [1, 10]");
    if (!(p->max_warn_semi_major_km > 0) || !(p->settle_s >= 0) || p->settle_s > 60.0)
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: max_warn_semi_major_km must be > 0 "
                           "and settle_s in [0, 60]");
    if (!(p->release_hold_s >= 0) || !(p->release_batch_s >= 0) || !(p->update_impact_dt_s >= 0) ||
        !(p->update_shift_km >= 0) || !(p->all_clear_after_s >= 0) ||
        !(p->likely_max_semi_major_km >= 0) || !(p->track_stale_s > 0) ||
        !(p->picture_interval_s >= 0))
        return mwx_err_set(err, MWX_EINVAL, "warn policy: times and distances must be >= 0");
    if (!(p->launch_reach_km > 0) || p->launch_reach_km > 20000.0)
        return mwx_err_set(err, MWX_EINVAL, "warn policy: launch_reach_km must be in (0, 20000]");
    if (!(p->burnout_hold_s >= 0) || p->burnout_hold_s > 600.0 || !(p->thrust_accel_mps2 > 0))
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: burnout_hold_s must be in [0, 600] "
                           "and thrust_accel_mps2 > 0");
    if (!(p->boost_fan_az_deg > 0) || p->boost_fan_az_deg > 45.0 || !(p->boost_fan_reach_km > 0) ||
        p->boost_fan_reach_km > 20000.0)
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: boost_fan_az_deg must be in "
                           "(0, 45] and boost_fan_reach_km in (0, 20000]");
    if (!(p->boost_fan_sure_deg >= p->boost_fan_az_deg) || p->boost_fan_sure_deg > 45.0)
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: boost_fan_sure_deg must be in [boost_fan_az_deg, 45]");
    if (!(p->overflight_min_buffer_km > 0) || p->overflight_min_buffer_km > 1000.0 ||
        !(p->overflight_step_km >= 1.0))
        return mwx_err_set(err, MWX_EINVAL,
                           "warn policy: overflight buffer must be in "
                           "(0, 1000] km and step >= 1 km");
    return MWX_OK;
}

void mwx_warn_free(mwx_warn_t *w)
{
    if (!w)
        return;
    /* leave the picture current (errors cannot be reported here: call mwx_warn_flush()
     * first to see them) */
    if (w->tracks && w->regions && w->picture_pending)
        mwxi_warn_run_picture(w, 1, NULL);
    (void)mwxi_warn_views_sync(&w->views, w->alerts_dir, NULL);
    for (int i = 0; i < w->nfmt; i++)
        if (w->fmts[i]->destroy)
            w->fmts[i]->destroy(w->fstate[i]);
    mwxi_warn_journal_close(w->journal);
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
        return mwx_err_set(err, MWX_EINVAL,
                           "warn: status Actual is refused for a simulated "
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
    mwxi_warn_sanitize_id(node, sizeof node, cfg->node);
    mwx_strlcpy(w->node, cfg->node, sizeof w->node);
    if (cfg->sender && cfg->sender[0]) {
        if (strpbrk(cfg->sender, " ,<&\t\n\r") || strlen(cfg->sender) >= sizeof w->sender) {
            mwx_warn_free(w);
            return mwx_err_set(err, MWX_EINVAL,
                               "warn: sender must be at most %zu characters "
                               "without spaces, commas, '<' or '&'",
                               sizeof w->sender - 1);
        }
        mwx_strlcpy(w->sender, cfg->sender, sizeof w->sender);
    } else {
        snprintf(w->sender, sizeof w->sender, "urn:mwx:node:%s", node);
    }
    if (cfg->run_id && cfg->run_id[0]) {
        mwxi_warn_sanitize_id(run, sizeof run, cfg->run_id);
        snprintf(w->prefix, sizeof w->prefix, "mwx.%s.%s", node, run);
    } else {
        snprintf(w->prefix, sizeof w->prefix, "mwx.%s", node);
    }
    if (cfg->picture_tag && cfg->picture_tag[0]) {
        char tag[MWX_ID_LEN];
        mwxi_warn_sanitize_id(tag, sizeof tag, cfg->picture_tag);
        snprintf(w->atom_name, sizeof w->atom_name, "alerts-%s.atom", tag);
        snprintf(w->geojson_name, sizeof w->geojson_name, "latest-%s.geojson", tag);
    } else {
        strcpy(w->atom_name, "alerts.atom");
        strcpy(w->geojson_name, "latest.geojson");
    }
    w->status = cfg->status;
    w->epoch = cfg->epoch_unix_s;
    w->durable = cfg->durable;
    w->defer_views = cfg->durable && cfg->defer_view_sync;
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
    if ((rc = mwxi_warn_mkdir(w->out_dir, err)) || (rc = mwxi_warn_mkdir(w->alerts_dir, err))) {
        mwx_warn_free(w);
        return rc;
    }
    for (size_t i = 0; i < mwxi_warn_format_count(); i++) {
        const mwx_warn_format_t *f = mwxi_warn_format_at(i);
        w->fmts[w->nfmt] = f;
        w->fstate[w->nfmt] = NULL;
        if (f->create && (rc = f->create(&w->fstate[w->nfmt], cfg, err))) {
            mwx_warn_free(w);
            return rc;
        }
        w->nfmt++;
    }
    w->resume_t = -INFINITY;
    w->jmax_t = -INFINITY;
    w->next_key = 1;
    w->journaled = cfg->journaled;
    w->keep_bytes = cfg->alerts_keep_bytes;
    w->keep_age_s = isfinite(cfg->alerts_keep_age_s) ? cfg->alerts_keep_age_s : 0;
    w->last_prune = -INFINITY;
    w->max_t = -INFINITY;
    if ((cfg->journal_path && cfg->journal_path[0] &&
         (rc = mwxi_warn_journal_load(w, cfg->journal_path, err))) ||
        (rc = mwxi_warn_prune(w, 1, err))) {
        mwx_warn_free(w);
        return rc;
    }
    mwxi_warn_run_prepare(w);
    *out = w;
    return MWX_OK;
}

/* A part whose fall is a drop zone, not a missile's impact (docs/WARNING_POLICY.md
 * "Space launches and stages"): a spent stage, or any part of a space launch. */
static int drop_zone_class(const mwx_rec_track_t *k)
{
    return k->klass == MWX_CLASS_STAGE || k->klass == MWX_CLASS_SPACE_LAUNCH;
}

int mwxi_warn_issue(mwx_warn_t *w, wtrack_t *tr, wseries_t *s, mwx_msg_type_t mt, int all_clear,
                    const double (*ring)[2], size_t n_ring, const uint8_t *removed, mwx_err_t *err)
{
    /* the impact series of a stage or a space launch's part warns of a drop zone: never
     * an impact warning for a part that may reach orbit */
    mwx_warn_kind_t kind =
        s->kind == MWX_WARN_IMPACT && drop_zone_class(&tr->trk) ? MWX_WARN_DROP_ZONE : s->kind;
    mwx_warn_msg_t *m = &s->last;
    char tid[MWX_ID_LEN];
    const mwx_rec_impact_est_t *imp = &tr->trk.impact;
    int rc;

    /* ...decided by its Alert: an Update or Cancel says what the Alert said, whatever class
     * the track carrying the series has now (a track rebuilt after a restart and classed a
     * space launch late in its fall ended a missile's impact series with a "drop_zone"
     * Cancel: the series, named by its identifiers, was never cancelled; the chaos test,
     * JP M1/M2 impact). The last message's identifier holds it, across restarts too. */
    if (mt != MWX_MSG_ALERT && s->kind == MWX_WARN_IMPACT && s->has_last) {
        mwx_warn_kind_t k0;
        if (mwx_warn_identifier_parse(m->identifier, NULL, 0, &k0) == MWX_OK &&
            (k0 == MWX_WARN_IMPACT || k0 == MWX_WARN_DROP_ZONE))
            kind = k0;
    }

    if (mt == MWX_MSG_ALERT)
        s->n_refs = 0;
    /* the suffix counts the context's messages, so that an identifier is never reused,
     * even when a tracker reuses a track id */
    w->serial++;
    memset(m, 0, sizeof *m);
    mwxi_warn_sanitize_id(tid, sizeof tid, s->sname[0] ? s->sname : tr->trk.track_id);
    snprintf(m->identifier, sizeof m->identifier, "%s.%s.%s.%d", w->prefix, tid, kind_name(kind),
             w->serial);
    snprintf(m->incident, sizeof m->incident, "%s.%s", w->prefix, tid);
    /* a restarted context replaying its input never dates a message before the last one
     * it journaled */
    m->t = w->now_t < w->resume_t ? w->resume_t : w->now_t;
    (void)mwx_time_format(w->epoch + m->t, 0, 0, m->sent, sizeof m->sent);
    m->msg_type = mt;
    m->kind = kind;
    m->all_clear = all_clear;
    /* an overflight series that empties as the missile moves on ends as "passed over",
     * not as a withdrawn threat */
    m->passed = mt == MWX_MSG_CANCEL && !all_clear && s->kind == MWX_WARN_OVERFLIGHT && removed &&
                mwxi_warn_passed_over(w, tr, removed);
    m->refs = (const char(*)[MWX_WARN_REF_LEN])s->refs;
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
        m->ring = (const double(*)[2])s->ring;
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
        m->n_regions = mwxi_warn_list_regions(w, s->warned, s->reg_list);
        m->regions = s->reg_list;
        if (removed) {
            m->n_removed = mwxi_warn_list_regions(w, removed, s->rem_list);
            m->removed = s->rem_list;
        }
    }
    s->has_last = 1;
    /* the journal first: a crash after it republishes the message on restart, a crash
     * before it decides the message again (the series state is the one before it) */
    if ((rc = mwxi_warn_journal_message(w, tr, s, m, err)))
        return rc;
    if ((rc = mwxi_warn_run_message(w, m, err)))
        return rc;
    if (mt == MWX_MSG_ALERT)
        w->st.cap_alert++;
    else if (mt == MWX_MSG_UPDATE)
        w->st.cap_update++;
    else
        w->st.cap_cancel++;
    mwxi_warn_after_message(w, s, m);
    return MWX_OK;
}

/* Regions of series s whose release does not start (keep[]): they are still threatened
 * and another message would only say so again.
 *   - overflight: regions another track's path of the same launch crosses
 *     (mwxi_warn_fan_keep: one region, one path warning per launch);
 *   - impact: while the track's overflight series is closed, regions its own settled
 *     corridor crosses (the previous settled update's, tr->path_hit). Released, such a
 *     region goes straight back to the overflight series, and a closed series reopens with
 *     a fresh Alert for a region warned throughout: a second siren for one missile (soak
 *     at 200x, KR B0L17 and B1L17: the low-flight corridor put a short flight's corridor
 *     regions in the impact series below 100 km, the fan's last regions left, the
 *     overflight series was cancelled, and 20 s later, above 100 km, the impact series
 *     released the corridor regions into a new overflight Alert). Kept, the region keeps
 *     the impact warning it has until the corridor leaves it (passed over, or the path
 *     moved away), then the usual hysteresis; with the overflight series open it moves to
 *     it by an Update, as before. */
static void series_keep(const mwx_warn_t *w, const wtrack_t *tr, const wseries_t *s, uint8_t *keep)
{
    if (s->kind == MWX_WARN_OVERFLIGHT)
        mwxi_warn_fan_keep(w, tr, keep);
    else if (s == &tr->s[MWX_WARN_IMPACT] && !tr->s[MWX_WARN_OVERFLIGHT].active)
        memcpy(keep, tr->path_hit, w->nreg);
    else
        memset(keep, 0, w->nreg);
}

/* Apply add / release to one series and issue what follows. force_off: regions that must
 * leave at once (an overflight region upgraded to the impact series). */
static int decide(mwx_warn_t *w, wtrack_t *tr, wseries_t *s, const uint8_t *now, const uint8_t *rel,
                  const uint8_t *force_off, const double (*ring)[2], size_t n_ring, mwx_err_t *err)
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
    uint8_t keep[NREG_MAX];
    int kept = 0; /* keep[] filled (series_keep) */
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
            if (!rel[i] && !kept) {
                series_keep(w, tr, s, keep);
                kept = 1;
            }
            if (rel[i] || (kept && keep[i])) {
                s->outside_since[i] = NAN;
            } else if (isnan(s->outside_since[i])) {
                s->outside_since[i] = t;
            }
            if (!rel[i] && !(kept && keep[i]) && t - s->outside_since[i] >= w->pol.release_hold_s) {
                s->warned[i] = 0; /* tentatively: undone below if batched */
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
        if (count == 0)
            return MWX_OK;
        switch (mwxi_warn_succession(w, tr, s->kind)) {
        case 1: /* s is now the series taken over: decide on it */
            return decide(w, tr, s, now, rel, force_off, ring, n_ring, err);
        case 2: /* another track of the threat carries it */
        case 3: /* a newcomer waits (warn_succession.c) */
            memset(s->warned, 0, sizeof s->warned);
            return MWX_OK;
        default: return mwxi_warn_issue(w, tr, s, MWX_MSG_ALERT, 0, ring, n_ring, NULL, err);
        }
    }
    if (count == 0) /* threat withdrawn before impact */
        return mwxi_warn_issue(w, tr, s, MWX_MSG_CANCEL, 0, ring, n_ring, removed, err);
    if (added || nrem)
        return mwxi_warn_issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, removed, err);
    /* the first prediction after warnings that rested on none (the boost fan): say so */
    if (imp->valid && !w->no_prediction && !isfinite(s->last_impact_t))
        return mwxi_warn_issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, NULL, err);
    if (imp->valid && !w->no_prediction) {
        double shift_m = 0, az1, az2;
        mwx_earth_t wgs = mwx_earth_wgs84();
        mwx_geodesic_inverse(&wgs, s->last_lat * MWX_DEG, s->last_lon * MWX_DEG, imp->lat * MWX_DEG,
                             imp->lon * MWX_DEG, &shift_m, &az1, &az2);
        if (fabs(imp->t - s->last_impact_t) > w->pol.update_impact_dt_s ||
            shift_m > w->pol.update_shift_km * 1000.0)
            return mwxi_warn_issue(w, tr, s, MWX_MSG_UPDATE, 0, ring, n_ring, NULL, err);
    }
    return MWX_OK;
}

int mwxi_warn_all_clear(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    int rc;
    if (tr->launch.active &&
        (rc = mwxi_warn_issue(w, tr, &tr->launch, MWX_MSG_CANCEL, 1, NULL, 0, NULL, err)))
        return rc;
    for (int k = 0; k < 2; k++) {
        wseries_t *s = &tr->s[k];
        if (s->active && (rc = mwxi_warn_issue(w, tr, s, MWX_MSG_CANCEL, 1, NULL, 0, NULL, err)))
            return rc;
    }
    tr->done = 1;
    return MWX_OK;
}

/* A track judged false: its series end, unless a live track of the same threat takes
 * them over (the threat is real, this track of it was not). */
static int cancel_false(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    int rc;
    for (int k = 0; k <= MWX_WARN_LAUNCH; k++) {
        wseries_t *s = mwxi_warn_jseries(tr, k);
        if (s->active && !mwxi_warn_hand_over(w, tr, k) &&
            (rc = mwxi_warn_issue(w, tr, s, MWX_MSG_CANCEL, 0, NULL, 0, NULL, err)))
            return rc;
    }
    return MWX_OK;
}

static void release_slot(mwx_warn_t *w, wtrack_t *tr)
{
    mwxi_warn_journal_release(w, tr);
    memset(tr, 0, sizeof *tr);
    w->picture_pending = w->picture_force = 1;
}

static int final_cot(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    mwx_warn_trackview_t tv;
    mwxi_warn_track_view(&tr->trk, &tv);
    tv.first = tr->cot_events == 0;
    tv.last = 1;
    if (tr->cot_events == 0) /* never published: nothing to retract */
        return MWX_OK;
    tr->cot_events++;
    return mwxi_warn_run_track(w, &tv, err);
}

static wtrack_t *find_track(mwx_warn_t *w, const char *id)
{
    for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++)
        if (w->tracks[i].used && !w->tracks[i].orphan && strcmp(w->tracks[i].trk.track_id, id) == 0)
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
    tr->fan_min_half = tr->fan_min_reach_m = INFINITY;
    tr->lost_t = NAN;
    w->picture_pending = w->picture_force = 1;
    mwx_strlcpy(tr->trk.track_id, id, sizeof tr->trk.track_id);
    mwx_strlcpy(tr->sname, id, sizeof tr->sname);
    tr->jkey = w->next_key++;
    for (int k = 0; k <= MWX_WARN_LAUNCH; k++)
        mwxi_warn_series_init(mwxi_warn_jseries(tr, k), k, tr->jkey, tr->sname);
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

#define THRUST_WINDOW_S 5.0 /* energy compared with the sample this far back ... */
#define THRUST_MIN_DT_S 3.0 /* ... or the oldest, once it is this far back */

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
static int settled(const mwx_warn_t *w, const wtrack_t *tr, const mwx_rec_impact_est_t *e, double t)
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
            geod_inverse(mwxi_regions_geod(w->regions), tr->hist[i].lat, tr->hist[i].lon, e->lat,
                         e->lon, &s12, &az1, &az2);
            return s12 <= (tr->hist[i].a_km + e->semi_major_km) * 1000.0;
        }
    }
    return 0; /* not tracked for settle_s yet */
}

int mwxi_warn_impact_valid(const mwx_rec_impact_est_t *e)
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

/* The release ring of w->path into w->scratch3 (drawn with the main one already under
 * old_geometry). */
static void path_release_ring(mwx_warn_t *w)
{
    if (!w->old_geometry)
        mwxi_warn_path_ring(mwxi_regions_geod(w->regions), &w->path, 1, w->scratch3);
}

/* The main ring of w->path into w->scratch (n: its point count, 0: no path); under
 * old_geometry the release ring too, at once, as before. */
static size_t path_main(mwx_warn_t *w, size_t n)
{
    if (n)
        mwxi_warn_path_ring(mwxi_regions_geod(w->regions), &w->path, 0, w->scratch);
    if (n && w->old_geometry)
        mwxi_warn_path_ring(mwxi_regions_geod(w->regions), &w->path, 1, w->scratch3);
    return n;
}

void mwxi_warn_set_old_geometry(mwx_warn_t *w, int on)
{
    w->old_geometry = on;
    mwxi_regions_set_grid(w->regions, !on);
}

/* The release shape of w->path (its ring of n points into w->scratch3, drawn only now:
 * most updates have no warned region outside the main ring) for the regions of warned
 * outside w->now_hit: their hits into w->rel_hit. */
static int path_release(mwx_warn_t *w, size_t n, const uint8_t *warned, mwx_err_t *err)
{
    if (!n || !release_candidates(w, warned, w->now_hit, w->off_hit))
        return MWX_OK;
    path_release_ring(w);
    return mwxi_regions_in_ring_masked(w->regions, (const double(*)[2])w->scratch3, n, w->off_hit,
                                       w->rel_hit, err);
}

/* A ground-track corridor's half-width (km): the largest of the policy minimum, the
 * ellipse's half-width across the final azimuth az2 (degrees) and the 95 % horizontal
 * position uncertainty (2.45 sigma), at most 1000 km. */
static double corridor_buffer_km(const mwx_warn_policy_t *p, const mwx_warn_trackview_t *tv,
                                 const mwx_rec_impact_est_t *e, double az2)
{
    double buf_km =
        fmax(p->overflight_min_buffer_km, mwxi_warn_ellipse_half_width_km(e, az2 * MWX_DEG));
    return fmin(1000.0, fmax(buf_km, 2.45 * tv->ce_m / 1000.0));
}

#define LOW_PATH_ALT_M 100e3 /* PRODUCT.md: the ground track below 100 km is threatened */

/* The corridor of a low flight: the geodesic from the sub-point to the predicted impact
 * point, carried on past it by the ellipse's extent along the track, buffered by the
 * larger of the policy minimum, the ellipse's half-width across the track and the 95 %
 * horizontal position uncertainty (so that it holds the ellipse). Its path in w->path
 * (the release corridor's widths scaled by release_scale), its ring in w->scratch: the
 * ring's point count, 0 when too short. */
static size_t low_corridor(mwx_warn_t *w, const mwx_warn_trackview_t *tv,
                           const mwx_rec_impact_est_t *e)
{
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    const mwx_warn_policy_t *p = &w->pol;
    double s12, az1, az2, buf_km, along_km, lat2, lon2;
    geod_inverse(g, tv->lat, tv->lon, e->lat, e->lon, &s12, &az1, &az2);
    /* the support of the ellipse along az2 is its half-width across az2 - 90 degrees */
    along_km = mwxi_warn_ellipse_half_width_km(e, (az2 - 90.0) * MWX_DEG);
    buf_km = corridor_buffer_km(p, tv, e, az2);
    geod_direct(g, e->lat, e->lon, az2, fmin(along_km, 2000.0) * 1000.0, &lat2, &lon2, NULL);
    return path_main(w, mwxi_warn_corridor_path(g, tv->lat, tv->lon, lat2, lon2, buf_km * 1000.0,
                                                buf_km * p->release_scale * 1000.0,
                                                p->overflight_step_km * 1000.0, &w->path));
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
    mwxi_warn_ellipse_ring(mwxi_regions_geod(w->regions), &e, nv, p->min_semi_axis_km,
                           p->max_semi_axis_km, tr->ring);
    tr->n_ring = (size_t)nv + 1;
    memset(w->now_hit, 0, sizeof w->now_hit);
    memset(w->rel_hit, 0, sizeof w->rel_hit);
    if ((rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])tr->ring, tr->n_ring, w->now_hit,
                                   err)))
        return rc;
    /* Low flight (issue 11): a body below LOW_PATH_ALT_M, or one that lifts, may come down
     * anywhere along the rest of its path (a pull-up, a dive, a failure), and the regions
     * under a path below 100 km are threatened like the impact area (docs/PRODUCT.md).
     * Its impact area is the corridor from the sub-point to past the ellipse, narrowing as
     * the body flies on: those regions get the impact series, not an overflight. */
    nc = 0;
    if (tr->trk.phase != MWX_PHASE_IMPACT &&
        (tv->alt_m < LOW_PATH_ALT_M || tr->trk.klass == MWX_CLASS_LIFTING ||
         tr->trk.klass == MWX_CLASS_GLIDE)) {
        nc = low_corridor(w, tv, &e);
        if (nc && (rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])w->scratch, nc,
                                             w->now_hit, err)))
            return rc;
    }
    /* The release shape matters only for warned regions outside the shape: test those. */
    if (release_candidates(w, tr->s[MWX_WARN_IMPACT].warned, w->now_hit, w->off_hit)) {
        big = e;
        big.semi_major_km *= p->release_scale;
        big.semi_minor_km *= p->release_scale;
        mwxi_warn_ellipse_ring(mwxi_regions_geod(w->regions), &big, nv, p->min_semi_axis_km,
                               p->max_semi_axis_km * p->release_scale, w->scratch2);
        if ((rc = mwxi_regions_in_ring_masked(w->regions, (const double(*)[2])w->scratch2,
                                              tr->n_ring, w->off_hit, w->rel_hit, err)))
            return rc;
        if (nc) {
            path_release_ring(w);
            if ((rc = mwxi_regions_in_ring_masked(w->regions, (const double(*)[2])w->scratch3, nc,
                                                  w->off_hit, w->rel_hit, err)))
                return rc;
        }
    }
    /* the message's polygon: the corridor (it holds the ellipse) or the ellipse */
    if ((rc = decide(w, tr, &tr->s[MWX_WARN_IMPACT], w->now_hit, w->rel_hit, NULL,
                     nc ? (const double(*)[2])w->scratch : (const double(*)[2])tr->ring,
                     nc ? nc : tr->n_ring, err)))
        return rc;
    if (!p->overflight)
        return MWX_OK;

    /* Overflight: the geodesic from the current sub-point to the predicted impact point,
     * buffered by the larger of the policy minimum, the ellipse's half-width across the
     * path, and the 95 % horizontal position uncertainty (2.45 sigma). */
    {
        const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
        double s12, az1, az2, buf_km;
        uint8_t *impact_set = tr->s[MWX_WARN_IMPACT].warned;
        memset(w->now_hit, 0, sizeof w->now_hit);
        memset(w->rel_hit, 0, sizeof w->rel_hit);
        nc = 0;
        if (tr->trk.phase != MWX_PHASE_IMPACT) {
            geod_inverse(g, tv->lat, tv->lon, e.lat, e.lon, &s12, &az1, &az2);
            buf_km = corridor_buffer_km(p, tv, &e, az2);
            nc = path_main(w, mwxi_warn_corridor_path(g, tv->lat, tv->lon, e.lat, e.lon,
                                                      buf_km * 1000.0,
                                                      buf_km * p->release_scale * 1000.0,
                                                      p->overflight_step_km * 1000.0, &w->path));
            if (nc && (rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])w->scratch, nc,
                                                 w->now_hit, err)))
                return rc;
            /* what the corridor crosses, whichever series warns it (series_keep) */
            memcpy(tr->path_hit, w->now_hit, sizeof tr->path_hit);
            for (size_t i = 0; i < w->nreg; i++)
                if (impact_set[i])
                    w->now_hit[i] = 0;
            if ((rc = path_release(w, nc, tr->s[MWX_WARN_OVERFLIGHT].warned, err)))
                return rc;
        }
        for (size_t i = 0; i < w->nreg; i++) {
            w->off_hit[i] = impact_set[i];
            if (impact_set[i])
                w->now_hit[i] = 0;
        }
        return decide(w, tr, &tr->s[MWX_WARN_OVERFLIGHT], w->now_hit, w->rel_hit, w->off_hit,
                      nc ? (const double(*)[2])w->scratch : NULL, nc, err);
    }
}

#define SPACE_OVERFLIGHT_MAX_ALT_M 1000e3 /* PRODUCT.md "Threat classes" */
#define SPACE_OVERFLIGHT_AHEAD_S   120.0  /* the path ahead warned: 2 minutes of flight */

#define FAN_THRUST_HOLD_S                                                                          \
    10.0 /* the fan keeps its powered reach this long after the last
                                   sign of thrust (bridges a phase flag that flips) */

#define FAN_THRUST_CONFIRM_S                                                                       \
    8.0 /* thrust signs for this long (a run, at most THRUST_MIN_DT_S apart) confirm
           thrust: a single step of a track's velocity shows as thrust evidence for at most
           THRUST_WINDOW_S plus THRUST_MIN_DT_S */

/* Thrust confirmed: the current run of thrust signs has lasted FAN_THRUST_CONFIRM_S. */
static int thrust_confirmed(const wtrack_t *tr)
{
    return fmax(tr->last_boost_t, tr->last_thrust_t) - tr->sign_run_t >= FAN_THRUST_CONFIRM_S;
}

/* May the body still be under thrust, for the fan's reach: an update in phase boost or
 * thrust evidence within FAN_THRUST_HOLD_S, or a space launch (it may burn again)? Not the
 * tracker's class `thrusting`: it stays for 20 s after burnout, and in a short flight the
 * powered reach held that long kept the fan's far regions warned at 300 s to go
 * (test-salvo.json).
 * A fan withdrawn at the free-flight reach after burnout (its series cancelled:
 * fan_withdrawn) takes the powered reach back only on confirmed thrust: a single sign of
 * thrust after burnout drew it again 13-30 s after its Cancel, a second series of one
 * track (soak block 0: JP B0L21, KR B0L1, B0L17). A fan that still warns of something
 * keeps the hold above (a staging coast: 2016-02-07-kwangmyongsong-4, seed 2, JP-47 named
 * 5 s later when any fan drawn to the free-flight reach waited for confirmation). */
static int may_thrust(const wtrack_t *tr)
{
    double t = tr->trk.t;
    if (tr->trk.klass == MWX_CLASS_SPACE_LAUNCH)
        return 1;
    if (!(t - tr->last_boost_t < FAN_THRUST_HOLD_S || t - tr->last_thrust_t < FAN_THRUST_HOLD_S))
        return 0;
    return !tr->fan_withdrawn || thrust_confirmed(tr);
}

#define FAN_FIRM 1 /* the course is firm: the fan's regions */
#define FAN_SURE 2 /* not yet: only the regions on every path the fan holds */

/* Is the boost fan drawn for this update: no settled prediction acted on yet, below
 * 1,000 km, not a spent stage (its fall is a drop zone), and a firm course (FAN_FIRM), or
 * one at most boost_fan_sure_deg wide (FAN_SURE)? *half is the course's 95 % half-angle. */
static int fan_due(const mwx_warn_t *w, const wtrack_t *tr, const mwx_warn_trackview_t *tv,
                   double *half)
{
    if (!w->pol.boost_fan || !w->pol.overflight || tr->assessed ||
        tr->trk.klass == MWX_CLASS_STAGE || !(tv->alt_m < SPACE_OVERFLIGHT_MAX_ALT_M))
        return 0;
    *half = mwxi_warn_course_half_angle_deg(tv);
    if (*half <= w->pol.boost_fan_az_deg)
        return FAN_FIRM;
    return *half <= w->pol.boost_fan_sure_deg ? FAN_SURE : 0;
}

/* A region released from this track's fan comes back into it only when the fan no wider
 * (the narrowest firm half-angle drawn) and no longer (nlen_m: the shortest reach from the
 * launch estimate drawn, or the free-flight range of the present speed when farther)
 * than any it was drawn with since its powered reach began would name it: around the
 * present course, so a course that moves (a turn, a corrected estimate) takes it back,
 * and so does a missile that has sped up. The fan's width is the course's uncertainty,
 * and its length rests on the launch estimate; neither growing again says the missile
 * may now go there. Soak (six blocks at 150x), US B1L39: the fan named Guam near its
 * edge, released it (Cancel, the series' last region) and named it again 4 s later (a
 * second Alert), as a live fused track's course uncertainty and launch estimate moved
 * with its sources' reports. Candidates are the regions of w->now_hit (the firm fan drawn
 * for this update, its path in w->path) that the series does not warn of; the narrower
 * fan is drawn into w->scratch. */
static int fan_regain(mwx_warn_t *w, wtrack_t *tr, const mwx_warn_trackview_t *tv, double len_m,
                      double nlen_m, double half, double w0_m, mwx_err_t *err)
{
    const mwx_warn_policy_t *p = &w->pol;
    const uint8_t *warned = tr->s[MWX_WARN_OVERFLIGHT].warned;
    double h = fmin(half, tr->fan_min_half), len = fmin(len_m, nlen_m);
    size_t n = 0, nf;
    int rc;

    if (!(half > h || len_m > len))
        return MWX_OK;
    for (size_t i = 0; i < w->nreg; i++)
        n += w->off_hit[i] = w->now_hit[i] && tr->fan_gone[i] && !warned[i];
    if (!n)
        return MWX_OK;
    memset(w->gone_hit, 0, sizeof w->gone_hit);
    nf = path_main(w, mwxi_warn_fan_path(mwxi_regions_geod(w->regions), tv, len, w0_m,
                                         h + BOOST_FAN_MARGIN_DEG, p->release_scale,
                                         p->overflight_step_km * 1000.0, &w->path));
    if (nf && (rc = mwxi_regions_in_ring_masked(w->regions, (const double(*)[2])w->scratch, nf,
                                                w->off_hit, w->gone_hit, err)))
        return rc;
    for (size_t i = 0; i < w->nreg; i++)
        if (w->off_hit[i] && !w->gone_hit[i])
            w->now_hit[i] = 0;
    return MWX_OK;
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
    const struct geod_geodesic *g = mwxi_regions_geod(w->regions);
    double w0_km = fmin(1000.0, fmax(p->overflight_min_buffer_km, 2.45 * tv->ce_m / 1000.0));
    const double(*ring)[2] = NULL;
    size_t nf = 0, nc = 0;
    int rc, coast = 0, was_active = tr->s[MWX_WARN_OVERFLIGHT].active;
    /* powered: the reach from the launch estimate, and the fan's length for fan_regain */
    double from_launch = NAN, nlen_m = INFINITY;
    uint8_t before[NREG_MAX];

    memset(w->now_hit, 0, sizeof w->now_hit);
    memset(w->rel_hit, 0, sizeof w->rel_hit);
    if (fan) {
        double len_m, r = mwx_norm3(tr->trk.ecef_m);
        double reach_m = mwxi_warn_energy_range_m(r, mwx_norm3(tr->trk.vel_mps));
        if (may_thrust(tr)) {
            double flown = 0, az1, az2;
            if (tr->fan_withdrawn) /* confirmed thrust after the withdrawal: a new reach */
                tr->fan_min_half = tr->fan_min_reach_m = INFINITY;
            tr->fan_withdrawn = 0;
            if (tr->trk.launch.valid && isfinite(tr->trk.launch.lat) &&
                isfinite(tr->trk.launch.lon) && fabs(tr->trk.launch.lat) <= 90.0)
                geod_inverse(g, tr->trk.launch.lat, tr->trk.launch.lon, tv->lat, tv->lon, &flown,
                             &az1, &az2);
            from_launch = p->boost_fan_reach_km * 1000.0 - flown;
            len_m = fmax(from_launch, reach_m);
            /* for fan_regain: the launch estimate's part at its shortest */
            nlen_m = fmin(fmax(fmin(from_launch, tr->fan_min_reach_m), reach_m),
                          BOOST_FAN_MAX_KM * 1000.0);
        } else {
            len_m = 1.1 * reach_m + 50e3;
            coast = 1;
        }
        len_m = fmin(len_m, BOOST_FAN_MAX_KM * 1000.0);
        /* the course not firm yet: only the regions every path within the fan crosses,
         * from anywhere within the 95 % position (the fan's regions can wait for the
         * course; these cannot be missed whichever way it firms) */
        if (fan == FAN_SURE &&
            (rc = mwxi_warn_fan_sure(w, tv, len_m, 2.45 * tv->ce_m, half + BOOST_FAN_MARGIN_DEG,
                                     p->overflight_step_km * 1000.0, w->now_hit, w->rel_hit, err)))
            return rc;
        memset(w->rel_hit, 0, sizeof w->rel_hit);
        nf = path_main(w, mwxi_warn_fan_path(g, tv, len_m, w0_km * 1000.0,
                                             half + BOOST_FAN_MARGIN_DEG, p->release_scale,
                                             p->overflight_step_km * 1000.0, &w->path));
        if (nf && fan == FAN_FIRM &&
            (rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])w->scratch, nf, w->now_hit,
                                       err)))
            return rc;
        if ((rc = path_release(w, nf, tr->s[MWX_WARN_OVERFLIGHT].warned, err)))
            return rc;
        if (nf) { /* the message's polygon: the fan (kept apart from the scratch below) */
            memcpy(w->scratch2, w->scratch, nf * sizeof w->scratch[0]);
            ring = (const double(*)[2])w->scratch2;
        }
        if (nf && fan == FAN_FIRM &&
            (rc = fan_regain(w, tr, tv, len_m, nlen_m, half, w0_km * 1000.0, err)))
            return rc;
        if (fan == FAN_FIRM)
            tr->fan_min_half = fmin(tr->fan_min_half, half);
        if (!isnan(from_launch))
            tr->fan_min_reach_m = fmin(tr->fan_min_reach_m, from_launch);
    }
    if (space && tv->alt_m < SPACE_OVERFLIGHT_MAX_ALT_M) {
        double lat2, lon2, az2;
        double reach_m = fmax(tv->speed_mps * SPACE_OVERFLIGHT_AHEAD_S, 2000.0);
        geod_direct(g, tv->lat, tv->lon, tv->course_deg, reach_m, &lat2, &lon2, &az2);
        nc = path_main(w, mwxi_warn_corridor_path(g, tv->lat, tv->lon, lat2, lon2, w0_km * 1000.0,
                                                  w0_km * p->release_scale * 1000.0,
                                                  p->overflight_step_km * 1000.0, &w->path));
        if (nc && (rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])w->scratch, nc,
                                             w->now_hit, err)))
            return rc;
        if ((rc = path_release(w, nc, tr->s[MWX_WARN_OVERFLIGHT].warned, err)))
            return rc;
        if (nc && !ring)
            ring = (const double(*)[2])w->scratch;
    }
    /* a region in the impact series (a drop zone) keeps the more severe message */
    for (size_t i = 0; i < w->nreg; i++)
        if (tr->s[MWX_WARN_IMPACT].warned[i])
            w->now_hit[i] = w->rel_hit[i] = 0;
    /* a region another track of its launch warns of keeps that message */
    mwxi_warn_fan_cover(w, tr, w->now_hit, w->rel_hit);
    w->no_prediction = 1;
    memcpy(before, tr->s[MWX_WARN_OVERFLIGHT].warned, sizeof before);
    rc = decide(w, tr, &tr->s[MWX_WARN_OVERFLIGHT], w->now_hit, w->rel_hit, NULL, ring,
                ring ? (ring == (const double(*)[2])w->scratch2 ? nf : nc) : 0, err);
    w->no_prediction = 0;
    if (fan)
        for (size_t i = 0; i < w->nreg; i++)
            tr->fan_gone[i] |= before[i] && !tr->s[MWX_WARN_OVERFLIGHT].warned[i];
    if (coast && was_active && !tr->s[MWX_WARN_OVERFLIGHT].active)
        tr->fan_withdrawn = 1;
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
    mwxi_warn_ellipse_ring(mwxi_regions_geod(w->regions), &reach, p->ellipse_vertices,
                           p->min_semi_axis_km, p->launch_reach_km, w->scratch2);
    memset(w->now_hit, 0, sizeof w->now_hit);
    if ((rc = mwxi_regions_in_ring(w->regions, (const double(*)[2])w->scratch2,
                                   (size_t)p->ellipse_vertices + 1, w->now_hit, err)))
        return rc;
    for (size_t i = 0; i < w->nreg; i++)
        n += w->now_hit[i];
    if (!n)
        return MWX_OK;
    /* one notice a launch: another track's (journaled, lost or live) of it stands; a
     * newcomer waits, and is asked again at its next update */
    switch (mwxi_warn_succession(w, tr, MWX_WARN_LAUNCH)) {
    case 0: break;
    case 3: tr->launch_done = 0; return MWX_OK;
    default: return MWX_OK;
    }
    memcpy(tr->launch.warned, w->now_hit, sizeof tr->launch.warned);
    return mwxi_warn_issue(w, tr, &tr->launch, MWX_MSG_ALERT, 0, (const double(*)[2])w->scratch2,
                           (size_t)p->ellipse_vertices + 1, NULL, err);
}

/* ------------------------------------------------------------------ entry points */

static int check_time(mwx_warn_t *w, double t, mwx_err_t *err)
{
    if (!isfinite(t))
        return mwx_err_set(err, MWX_EINVAL, "warn: time must be finite");
    w->now_t = t;
    if (t > w->max_t)
        w->max_t = t;
    return MWX_OK;
}

/* May the state still be of the launch l estimated: within the launch hold of it, its
 * sub-point within 500 km plus what its speed covers since then of the launch point? A
 * kept estimate (mwx_warn_track) that no longer fits the track is dropped. */
#define LAUNCH_PLAUSIBLE_EARLY_S 60.0 /* an estimate's time may err late by this much */
static int launch_plausible(const mwx_warn_t *w, const mwx_rec_launch_est_t *l,
                            const mwx_rec_track_t *trk, const mwx_warn_trackview_t *tv)
{
    double dt = trk->t - l->t, s12, az1, az2;
    if (!(dt >= -LAUNCH_PLAUSIBLE_EARLY_S && dt < MWXI_WARN_LAUNCH_HOLD_S) || !isfinite(l->lat) ||
        !isfinite(l->lon) || fabs(l->lat) > 90.0)
        return 0;
    geod_inverse(mwxi_regions_geod(w->regions), l->lat, l->lon, tv->lat, tv->lon, &s12, &az1, &az2);
    return s12 <= 500e3 + mwx_norm3(trk->vel_mps) * fmax(dt, 0.0);
}

/* Could the state be a missile in flight (see mwx_warn_track)? Under the ground by more
 * than UNDER_GROUND_M plus 3 sigma of its position (a first boost-phase fix may be
 * kilometres off), or on or near it past its own predicted impact time when not in boost
 * (a boosting missile's prediction may be an older ballistic one's): no. */
#define UNDER_GROUND_M  (-5e3)
#define FLYING_ON_ALT_M 20e3
static int in_flight(const mwx_rec_track_t *trk, const mwx_warn_trackview_t *tv)
{
    double var = trk->cov_pos_m2[0] + trk->cov_pos_m2[3] + trk->cov_pos_m2[5];
    double sigma = isfinite(var) && var > 0 ? sqrt(var) : 0;
    if (!(tv->alt_m > UNDER_GROUND_M - 3.0 * sigma))
        return 0;
    return !(trk->phase != MWX_PHASE_BOOST && mwxi_warn_impact_valid(&trk->impact) &&
             trk->t >= trk->impact.t && tv->alt_m <= FLYING_ON_ALT_M);
}

/* Is the track, live, still reported well above the ground after the impact time it was
 * last predicted (with no prediction since)? That prediction was not its body's: a missile
 * whose predicted impact time has passed flies on (a glide vehicle, a prediction that
 * failed), or the track now carries another missile (the week soak: a fused track of a
 * landed missile took the next missile's report). Its all-clear waits for a new prediction
 * or for the track to be lost: an all-clear while a missile flies sends the public out of
 * shelter. */
static int flying_on(const wtrack_t *tr)
{
    mwx_warn_trackview_t tv;
    if (tr->lost || !(tr->last_t > tr->impact_t) || tr->trk.phase == MWX_PHASE_IMPACT)
        return 0;
    mwxi_warn_track_view(&tr->trk, &tv);
    return tv.alt_m > FLYING_ON_ALT_M;
}

/* Time-driven transitions of one track: all-clear after impact, stale tracks, slot reuse. */
static int housekeeping(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err)
{
    double t = w->now_t;
    int rc, held;

    if (!tr->used)
        return MWX_OK;
    /* stale against the newest time the context has seen, not the caller's clock: a node
     * whose own tracking lags its partners' reports ticks at its own, older time (the
     * week soak at 150x on a loaded machine, KR B17L45: 120 s behind), and a track gone
     * silent while the others' reports ran on was never lost, so its series was no
     * lost track's to take over and the missile's other track sent its own */
    if (!tr->lost && w->max_t - tr->last_t > w->pol.track_stale_s) {
        tr->lost = 1;
        tr->lost_t = t; /* the hold counts on the caller's clock, as END_LOST's does */
    }
    /* a restarted context replaying its input: what happened up to resume_t is in the
     * journal */
    if (t < w->resume_t)
        return MWX_OK;
    /* the hold of a journaled series counts from the restart: from the first time the
     * context decides on live input, not on the history a restarted node replays first
     * (its inbox: the partners' reports up to its kill, minutes before its restart; a hold
     * counted from them was over before the rebuilt tracks' first live update, and the
     * journaled boost fan was cancelled and sent again: the chaos test, seed 5) */
    if (tr->orphan && isnan(tr->lost_t) && !w->replay)
        tr->lost_t = t;
    held = tr->lost && (isnan(tr->lost_t) || t - tr->lost_t < MWXI_WARN_LOST_HOLD_S(w));
    /* an orphaned series with no impact warning open waits for its rebuilt track, so that
     * it takes over the series (a launch notice, a closed series) rather than warn again */
    if (tr->orphan && !tr->s[0].active && !tr->s[1].active && held)
        return MWX_OK;
    if (!tr->done && t >= tr->impact_t + w->pol.all_clear_after_s && !flying_on(tr)) {
        if ((rc = mwxi_warn_all_clear(w, tr, err)))
            return rc;
    }
    /* a lost track with no predicted impact (its warnings rest on the boost fan or a
     * space launch's path): no impact time will end them, so they end with the track,
     * after the hold, unless a live track of the threat takes them over */
    if (tr->lost && !held && !isfinite(tr->impact_t)) {
        for (int k = 0; k < 2; k++)
            if (tr->s[k].active && !mwxi_warn_hand_over(w, tr, k) &&
                (rc = mwxi_warn_issue(w, tr, &tr->s[k], MWX_MSG_CANCEL, 0, NULL, 0, NULL, err)))
                return rc;
    }
    /* a lost track that never warned of more: its launch notice goes on with a live track
     * of its launch after the hold (which closes it with its flight: a node's boost-phase
     * track of a missile, the notice's first carrier, dropped or silenced while another
     * track carries the missile on, held it to the launch hold, 20 minutes, past the
     * all-clear: the chaos test's "a series left open"), else it ends with it, held while
     * the missile may still fly (the launch is not over because one track of it was
     * lost) */
    if (tr->lost && !held && tr->launch.active && !tr->s[0].active && !tr->s[1].active &&
        !mwxi_warn_hand_over(w, tr, MWX_WARN_LAUNCH)) {
        /* a journaled notice no rebuilt track took over ends with its launch's flight:
         * while a live track of the launch warns of it (a notice of its own), it stands;
         * once one has given the all-clear, it ends too (an all-clear); with no track of
         * the launch, as a lost track's (held to the launch hold); never past the launch
         * hold counted from the journaled state (launches every few minutes keep some
         * notice within reach) */
        int fate = mwxi_warn_journaled(tr) ? mwxi_warn_notice_fate(w, tr) : 0;
        if (fate == 1 && !(t < tr->trk.t + MWXI_WARN_LAUNCH_HOLD_S))
            fate = 0;
        if (fate != 1 &&
            (fate == 2 ||
             !(tr->trk.launch.valid && t < tr->trk.launch.t + MWXI_WARN_LAUNCH_HOLD_S)) &&
            (rc = mwxi_warn_issue(w, tr, &tr->launch, MWX_MSG_CANCEL, fate == 2, NULL, 0, NULL,
                                  err)))
            return rc;
    }
    if (!tr->used) /* an orphan whose series all went to other tracks */
        return MWX_OK;
    /* the slot goes once the track is stale by the caller's clock too: a track lost by
     * max_t alone (its updates 30 s behind a partner's backlog) may still be updated,
     * and a slot freed and re-made would forget what it decided (launch_done, first_t) */
    if (tr->lost && !tr->s[0].active && !tr->s[1].active && !tr->launch.active &&
        !(t - tr->last_t <= w->pol.track_stale_s)) {
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
    int rc, eligible, flying;

    if (!w || !trk)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    if (!trk->track_id[0] || !memchr(trk->track_id, '\0', sizeof trk->track_id))
        return mwx_err_set(err, MWX_EINVAL, "warn: track without an id");
    if (!isfinite(trk->ecef_m[0]) || !isfinite(trk->ecef_m[1]) || !isfinite(trk->ecef_m[2]) ||
        !isfinite(trk->vel_mps[0]) || !isfinite(trk->vel_mps[1]) || !isfinite(trk->vel_mps[2]))
        return mwx_err_set(err, MWX_EINVAL, "warn: track %s: non-finite state", trk->track_id);
    /* A report stale on arrival (a partner's, recovered by gap request long after it was
     * sent) is history: a warning decided on it would be for the past, and its track,
     * lost again at the next tick, would flap (Alert, Cancel, Alert as the backlog
     * drains). */
    if (trk->t < w->max_t - w->pol.track_stale_s) {
        w->st.late++;
        return MWX_OK;
    }
    if ((rc = check_time(w, trk->t, err)))
        return rc;
    mwxi_warn_emit_republished(w);
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
        tr->replayed = w->replay;
        tr->first_t = trk->t;
    }
    if (!w->replay)
        tr->replayed = 0;
    w->st.tracks++;
    mwxi_warn_track_view(trk, &tv);
    {
        /* a track keeps the last launch estimate it had while its updates carry none:
         * fusion drops a source's estimate with the source, and a track whose estimate
         * went with the partner that left it could no longer be told of its launch (the
         * 3-block soak at 150x, JP B2L58: the track that left drew a second fan of eight
         * regions) */
        mwx_rec_launch_est_t kept = tr->trk.launch;
        int keep = kept.valid && !trk->launch.valid && launch_plausible(w, &kept, trk, &tv);
        tr->trk = *trk;
        if (keep)
            tr->trk.launch = kept;
    }
    tr->last_t = trk->t;
    tr->lost = 0;
    tr->lost_t = NAN;
    eligible = trk->confirmed || !w->pol.require_confirmed;
    if (mwxi_warn_impact_valid(&trk->impact))
        tr->impact_t = trk->impact.t;
    else if (trk->phase == MWX_PHASE_IMPACT && !isfinite(tr->impact_t))
        tr->impact_t = trk->t;
    /* A state under the ground, or on it past its own predicted impact time, is no
     * missile in flight: nothing is decided on it (the 3-block soak at 150x, US B2L56: a
     * landed missile's fused track came back on a partner's late report coasted 22 km
     * under the ground, still called ballistic; its slot freed, the context took it for a
     * new track and sent a launch notice). High past its prediction, it flies on. */
    flying = in_flight(trk, &tv);
    /* No new decisions once the predicted impact time has come: the flight is over and
     * the all-clear follows. */
    {
        /* a run of thrust signs: its start, for thrust_confirmed */
        double prev = fmax(tr->last_boost_t, tr->last_thrust_t);
        int boost = trk->phase == MWX_PHASE_BOOST, thrust = thrust_evidence(w, tr, trk);
        if ((boost || thrust) && !(trk->t - prev <= THRUST_MIN_DT_S))
            tr->sign_run_t = trk->t;
        if (boost)
            tr->last_boost_t = trk->t;
        if (thrust)
            tr->last_thrust_t = trk->t;
    }
    if (mwxi_warn_impact_valid(&trk->impact))
        remember(tr, &trk->impact, trk->t);
    if (eligible && flying && w->pol.launch_notice && !tr->launch_done && !tr->done &&
        trk->phase != MWX_PHASE_IMPACT) {
        /* a restored launch notice continues with this track (or, its launch not known
         * yet, the track waits: asked again at its next update); a restarted context
         * replaying its input decided the notice of a time it journaled already */
        if (!mwxi_warn_any_sent(tr) && w->n_jlive && mwxi_warn_adopt(w, tr, 1))
            ;
        else if (trk->t < w->resume_t && trk->t - tr->first_t >= MWXI_WARN_NOTICE_COVERED_S)
            tr->launch_done = 1;
        else if (trk->t < w->resume_t)
            ; /* it may have been waiting (a newcomer, a covered notice): decided live */
        else if ((rc = launch_notice(w, tr, &tv, err)))
            return rc;
    }
    if (eligible && flying && !tr->done && mwxi_warn_impact_valid(&trk->impact) &&
        trk->phase != MWX_PHASE_IMPACT && trk->t < trk->impact.t &&
        settled(w, tr, &trk->impact, trk->t)) {
        /* a restored series of this threat continues with this track */
        if (!mwxi_warn_any_sent(tr) && w->n_jlive)
            (void)mwxi_warn_adopt(w, tr, 0);
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
    if (eligible && flying && !tr->done && w->pol.overflight && trk->phase != MWX_PHASE_IMPACT &&
        !(mwxi_warn_impact_valid(&trk->impact) && trk->t >= trk->impact.t) &&
        trk->t >= w->resume_t) {
        double half = INFINITY;
        int space = trk->klass == MWX_CLASS_SPACE_LAUNCH && !mwxi_warn_impact_valid(&trk->impact);
        int fan = fan_due(w, tr, &tv, &half);
        if ((space || fan) && (rc = path_warnings(w, tr, &tv, fan, half, space, err)))
            return rc;
    }
    if (!mwxi_warn_impact_valid(&trk->impact))
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
        if ((rc = mwxi_warn_run_track(w, &tv, err)))
            return rc;
    }
    w->picture_pending = 1;
    return mwxi_warn_finish(w, err);
}

int mwx_warn_tick(mwx_warn_t *w, double t, mwx_err_t *err)
{
    int rc;
    if (!w)
        return mwx_err_set(err, MWX_EINVAL, "warn: missing argument");
    if ((rc = check_time(w, t, err)))
        return rc;
    mwxi_warn_emit_republished(w);
    for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++)
        if ((rc = housekeeping(w, &w->tracks[i], err)))
            return rc;
    if ((rc = mwxi_warn_prune(w, 0, err)))
        return rc;
    return mwxi_warn_finish(w, err);
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
    mwxi_warn_emit_republished(w);
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
        if (!tr->lost)
            tr->lost_t = t;
        tr->lost = 1;
        if ((rc = housekeeping(w, tr, err)))
            return rc;
    }
    return mwxi_warn_finish(w, err);
}
