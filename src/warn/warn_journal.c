/* The warning context's journal: the durable alert series a restarted node continues
 * (docs/NODE.md "Warning continuity"). Which rebuilt track takes a journaled series over
 * is warn_succession.c's. */
#include "core/grow.h"
#include "warn/warn_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ journal
 *
 * One entry per message: the series' state before the message, the message itself, and
 * the track as it was; restoring applies the message to that state exactly as mwxi_warn_issue()
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
    double t, impact_lat, impact_lon, impact_t_msg, semi_major_km, semi_minor_km, orientation_deg;
    int32_t msg_type, all_clear, n_regions, n_removed, n_ring;
    int32_t regions[NREG_MAX], removed[NREG_MAX];
    double ring[MWX_WARN_MAX_RING + 1][2];
} jrec_t;

/* The message fields an entry keeps that go across unchanged, one list for both
 * directions (journal_message writes them, journal_restore reads them back): strings,
 * then numbers as (record field, message field, record type, message type). The
 * refs, regions, removed regions and ring go each way by hand: they need bounds. */
#define JREC_MSG_STRINGS(X) X(identifier) X(sent) X(incident) X(track_id) X(sources)
#define JREC_MSG_NUMBERS(X)                                                                        \
    X(t, t, double, double)                                                                        \
    X(impact_lat, impact_lat, double, double)                                                      \
    X(impact_lon, impact_lon, double, double)                                                      \
    X(impact_t_msg, impact_t, double, double)                                                      \
    X(semi_major_km, semi_major_km, double, double)                                                \
    X(semi_minor_km, semi_minor_km, double, double)                                                \
    X(orientation_deg, orientation_deg, double, double)                                            \
    X(msg_type, msg_type, int32_t, mwx_msg_type_t)                                                 \
    X(all_clear, all_clear, int32_t, int)                                                          \
    X(n_refs, n_refs, int32_t, int)                                                                \
    X(n_regions, n_regions, int32_t, size_t)                                                       \
    X(n_removed, n_removed, int32_t, size_t)

static void jrec_from_msg(jrec_t *r, const mwx_warn_msg_t *m)
{
#define STR_TO_REC(f)              mwx_strlcpy(r->f, m->f, sizeof r->f);
#define NUM_TO_REC(rf, mf, rt, mt) r->rf = (rt)m->mf;
    JREC_MSG_STRINGS(STR_TO_REC)
    JREC_MSG_NUMBERS(NUM_TO_REC)
#undef STR_TO_REC
#undef NUM_TO_REC
}

static void jrec_to_msg(const jrec_t *r, mwx_warn_msg_t *m)
{
#define STR_TO_MSG(f)              mwx_strlcpy(m->f, r->f, sizeof m->f);
#define NUM_TO_MSG(rf, mf, rt, mt) m->mf = (mt)r->rf;
    JREC_MSG_STRINGS(STR_TO_MSG)
    JREC_MSG_NUMBERS(NUM_TO_MSG)
#undef STR_TO_MSG
#undef NUM_TO_MSG
}

/* The series of a track an entry of this kind describes: impact and overflight are
 * s[kind], the launch notice its own (it has no sibling). */
wseries_t *mwxi_warn_jseries(wtrack_t *tr, int kind)
{
    return kind == MWX_WARN_LAUNCH ? &tr->launch : &tr->s[kind];
}

/* An empty series of a kind, under a journal key and series name. */
void mwxi_warn_series_init(wseries_t *s, int kind, uint32_t jkey, const char *sname)
{
    memset(s, 0, sizeof *s);
    s->kind = (mwx_warn_kind_t)kind;
    for (int i = 0; i < NREG_MAX; i++)
        s->outside_since[i] = NAN;
    s->jkey = jkey;
    mwx_strlcpy(s->sname, sname, sizeof s->sname);
}

/* Has the track ever sent a message (in any series)? */
int mwxi_warn_any_sent(const wtrack_t *tr)
{
    return tr->s[0].has_last || tr->s[1].has_last || tr->launch.has_last;
}

/* The effect of a sent message on its series (mwxi_warn_issue() and the journal's restore). */
void mwxi_warn_after_message(mwx_warn_t *w, wseries_t *s, const mwx_warn_msg_t *m)
{
    /* remember it for the references of the next message: keep the series' first message
     * and the latest ones */
    if (s->n_refs == MWX_WARN_MAX_REFS) {
        memmove(s->refs[1], s->refs[2], (MWX_WARN_MAX_REFS - 2) * sizeof s->refs[0]);
        s->n_refs--;
    }
    snprintf(s->refs[s->n_refs++], MWX_WARN_REF_LEN, "%s,%s,%s", w->sender, m->identifier, m->sent);
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
        if (mwxi_grow(&w->jlive, &w->cap_jlive, w->n_jlive + 1, sizeof *w->jlive, 16) != 0)
            return MWX_ENOMEM;
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
        !TERMINATED(r->trk.track_id) || !TERMINATED(r->trk.node) || !TERMINATED(r->trk.sources))
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
        (r->what == JR_SERIES &&
         (r->kind < 0 || r->kind > MWX_WARN_LAUNCH || r->n_refs < 0 ||
          r->n_refs > MWX_WARN_MAX_REFS || r->n_regions < 0 || r->n_regions > NREG_MAX ||
          r->n_removed < 0 || r->n_removed > NREG_MAX || r->n_ring < 0 ||
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
    rc = mwxi_warn_journal_rewrite(w->journal, recs, lens, w->n_jlive + 1, err);
    free(recs);
    free(lens);
    return rc;
}

static int journal_append(mwx_warn_t *w, const jrec_t *r, mwx_err_t *err)
{
    int rc;
    if ((rc = mwxi_warn_journal_append(w->journal, r, sizeof *r, err)))
        return rc;
    if ((rc = jlive_put(w, r)))
        return mwx_err_set(err, rc, "warn: out of memory");
    if (r->now_t > w->jmax_t)
        w->jmax_t = r->now_t;
    if (mwxi_warn_journal_entries(w->journal) > 2 * w->n_jlive + 256)
        return journal_compact(w, err);
    return MWX_OK;
}

int mwxi_warn_journal_message(mwx_warn_t *w, const wtrack_t *tr, const wseries_t *s,
                              const mwx_warn_msg_t *m, mwx_err_t *err)
{
    jrec_t *r = w->jbuf;
    int rc;
    if (!w->journal)
        return MWX_OK;
    memset(r, 0, sizeof *r);
    r->what = JR_SERIES;
    r->key = s->jkey;
    r->kind = (int32_t)s->kind;
    r->serial = w->serial;
    r->now_t = m->t;
    mwx_strlcpy(r->sname, s->sname, sizeof r->sname);
    r->trk = tr->trk;
    r->impact_t = tr->impact_t;
    r->active = s->active;
    memcpy(r->warned, s->warned, sizeof r->warned);
    memcpy(r->outside_since, s->outside_since, sizeof r->outside_since);
    if (s->kind != MWX_WARN_LAUNCH && tr->s[1 - s->kind].jkey == s->jkey) {
        memcpy(r->sib_warned, tr->s[1 - s->kind].warned, sizeof r->sib_warned);
        memcpy(r->sib_outside_since, tr->s[1 - s->kind].outside_since, sizeof r->sib_outside_since);
    }
    for (int i = 0; i < m->n_refs; i++)
        mwx_strlcpy(r->refs[i], m->refs[i], MWX_WARN_REF_LEN);
    jrec_from_msg(r, m);
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

/* Does a track other than tr hold a series under journal key k? */
static int key_elsewhere(const mwx_warn_t *w, const wtrack_t *tr, uint32_t k)
{
    for (int i = 0; i < MWX_WARN_MAX_TRACKS; i++) {
        const wtrack_t *o = &w->tracks[i];
        if (o != tr && o->used &&
            (o->jkey == k || o->s[0].jkey == k || o->s[1].jkey == k || o->launch.jkey == k))
            return 1;
    }
    return 0;
}

/* A released track: a release entry for each of its series' journal keys that has
 * entries and that no other track's series (taken over from this one) still uses. */
void mwxi_warn_journal_release(mwx_warn_t *w, const wtrack_t *tr)
{
    jrec_t *r = w->jbuf;
    uint32_t keys[4] = {tr->jkey, tr->s[0].jkey, tr->s[1].jkey, tr->launch.jkey};
    if (!w->journal)
        return;
    for (int i = 0; i < 4; i++) {
        int dup = 0, live = 0;
        for (int j = 0; j < i; j++)
            dup |= keys[j] == keys[i];
        for (size_t j = 0; j < w->n_jlive && !live; j++)
            live = w->jlive[j]->key == keys[i];
        if (dup || !live || key_elsewhere(w, tr, keys[i]))
            continue;
        memset(r, 0, sizeof *r);
        r->what = JR_RELEASE;
        r->key = keys[i];
        r->serial = w->serial;
        r->now_t = w->now_t;
        /* not critical: a lost release restores a closed series, which only waits to be
         * released again */
        (void)journal_append(w, r, NULL);
    }
}

/* Point the last message's arrays at its own series (after a copy of the series). */
void mwxi_warn_fix_last(wseries_t *s)
{
    s->last.regions = s->reg_list;
    s->last.removed = s->last.n_removed ? s->rem_list : NULL;
    s->last.ring = s->last.n_ring ? (const double(*)[2])s->ring : NULL;
    s->last.refs = (const char(*)[MWX_WARN_REF_LEN])s->refs;
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
    (void)ctx, (void)out, (void)file, (void)identifier, (void)mt, (void)regions, (void)n_regions;
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
            tr->lost_t = NAN;
            tr->jkey = r->key;
            mwx_strlcpy(tr->sname, r->sname, sizeof tr->sname);
            tr->last_cot_t = -INFINITY;
            tr->last_boost_t = -INFINITY;
            tr->last_thrust_t = -INFINITY;
            tr->fan_min_half = tr->fan_min_reach_m = INFINITY;
            for (int k = 0; k <= MWX_WARN_LAUNCH; k++)
                mwxi_warn_series_init(mwxi_warn_jseries(tr, k), k, r->key, r->sname);
        }
        if (!tr->trk.track_id[0] || r->now_t >= tr->last_t) {
            tr->trk = r->trk;
            tr->last_t = r->trk.t;
            tr->impact_t = r->impact_t;
        }
        s = mwxi_warn_jseries(tr, r->kind);
        if (r->kind == MWX_WARN_LAUNCH)
            tr->launch_done = 1;
        m = &s->last;
        s->active = r->active;
        s->n_refs = r->n_refs;
        memcpy(s->warned, r->warned, sizeof s->warned);
        memcpy(s->outside_since, r->outside_since, sizeof s->outside_since);
        memcpy(s->refs, r->refs, sizeof s->refs);
        memset(m, 0, sizeof *m);
        jrec_to_msg(r, m);
        m->kind = (mwx_warn_kind_t)r->kind;
        m->n_ring = (size_t)r->n_ring;
        for (int j = 0; j < r->n_regions; j++)
            s->reg_list[j] =
                r->regions[j] >= 0 && (size_t)r->regions[j] < w->nreg ? r->regions[j] : 0;
        for (int j = 0; j < r->n_removed; j++)
            s->rem_list[j] =
                r->removed[j] >= 0 && (size_t)r->removed[j] < w->nreg ? r->removed[j] : 0;
        if (r->n_ring)
            memcpy(s->ring, r->ring, (size_t)r->n_ring * sizeof s->ring[0]);
        mwxi_warn_fix_last(s);
        s->has_last = 1;
        if (!noop_exists(w->alerts_dir, m->identifier)) {
            /* with the refs the message had (before after_message adds itself) */
            mwx_warn_view_t v;
            mwxi_warn_make_view(w, &v);
            v.now_t = m->t;
            for (int f = 0; f < w->nfmt; f++)
                if (w->fmts[f]->republish && w->fmts[f]->message &&
                    (rc = w->fmts[f]->message(w->fstate[f], &v, m, emit_none, w, err)))
                    return rc;
            w->st.republished++;
            s->emit_pending = 1;
            w->emit_pending = 1;
        }
        mwxi_warn_after_message(w, s, m);
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
                    memcpy(sib->outside_since, r->sib_outside_since, sizeof sib->outside_since);
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
            if (mwxi_warn_jseries(tr, j)->has_last) {
                w->st.restored_series++;
                w->st.restored_active += mwxi_warn_jseries(tr, j)->active ? 1 : 0;
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
void mwxi_warn_emit_republished(mwx_warn_t *w)
{
    if (!w->emit_pending)
        return;
    w->emit_pending = 0;
    for (int k = 0; k < MWX_WARN_MAX_TRACKS; k++)
        for (int j = 0; j <= MWX_WARN_LAUNCH; j++) {
            wseries_t *s = mwxi_warn_jseries(&w->tracks[k], j);
            char file[192];
            if (!w->tracks[k].used || !s->emit_pending)
                continue;
            s->emit_pending = 0;
            w->msg_kind = (mwx_alert_kind_t)s->last.kind;
            snprintf(file, sizeof file, "%s.cap.xml", s->last.identifier);
            mwxi_warn_emit_file(w, MWX_WARN_OUT_CAP, file, s->last.identifier, s->last.msg_type,
                                s->last.regions, s->last.n_regions);
        }
}

/* Open (or create) the journal, restore its series, and compact it to what is live. */
int mwxi_warn_journal_load(mwx_warn_t *w, const char *path, mwx_err_t *err)
{
    int rc;
    w->jbuf = malloc(sizeof(jrec_t));
    if (!w->jbuf)
        return mwx_err_set(err, MWX_ENOMEM, "warn: out of memory");
    if ((rc = mwxi_warn_journal_open(path, (uint32_t)sizeof(jrec_t), w->durable, jlive_load, w,
                                     &w->journal, err)))
        return rc;
    if ((rc = journal_restore(w, err)))
        return mwx_err_prefix(err, "warn journal %s", path);
    if (mwxi_warn_journal_entries(w->journal))
        w->resume_t = w->jmax_t;
    if (mwxi_warn_journal_entries(w->journal) > w->n_jlive + 1)
        return journal_compact(w, err);
    return MWX_OK;
}
