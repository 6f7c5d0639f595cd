/* The warning context's state (struct mwx_warn, its tracks and series), shared by the
 * files of the warn context: warn.c (policy, create, entry points), warn_dispatch.c (the
 * output formats), warn_geometry.c (track shapes and regions), warn_journal.c (the
 * durable series). Private to src/warn. */
#ifndef MWX_WARN_STATE_H
#define MWX_WARN_STATE_H

#include "warn/warn_internal.h"

#define NREG_MAX           MWX_MAX_ALERT_REGIONS
#define CORRIDOR_MAX_STEPS 64
#define HIST_N             32

/* A corridor's or fan's centre line (warn_geometry.c): samples, their azimuths, and the
 * half-widths of its main ring (w1) and its release ring (w2), in metres. */
typedef struct mwxi_warn_path {
    int m; /* steps: m + 1 samples; 0: none */
    double lon0;
    double la[CORRIDOR_MAX_STEPS], lo[CORRIDOR_MAX_STEPS], az[CORRIDOR_MAX_STEPS];
    double w1[CORRIDOR_MAX_STEPS], w2[CORRIDOR_MAX_STEPS];
} mwxi_warn_path_t;

typedef struct wseries {
    mwx_warn_kind_t kind;
    int active; /* an Alert was sent and no Cancel since */
    uint8_t warned[NREG_MAX];
    double outside_since[NREG_MAX]; /* NAN while inside the release shape */
    double last_impact_t, last_lat, last_lon, last_msg_t;
    char refs[MWX_WARN_MAX_REFS][MWX_WARN_REF_LEN];
    int n_refs;
    int has_last;
    int emit_pending;       /* last message written again at create, not yet emitted */
    uint32_t jkey;          /* journal key and series name (identifiers, incident): a series */
    char sname[MWX_ID_LEN]; /* keeps them when another track takes it over */
    mwx_warn_msg_t last;
    int reg_list[NREG_MAX], rem_list[NREG_MAX];
    double ring[MWX_WARN_MAX_RING + 1][2];
} wseries_t;

typedef struct wtrack {
    int used;
    int orphan;             /* restored from the journal, no track of the picture yet */
    uint32_t jkey;          /* journal key of this track's series */
    char sname[MWX_ID_LEN]; /* series name (identifiers, incident): the track id the
                                 series began with, kept when a rebuilt track takes it over */
    mwx_rec_track_t trk;
    double last_t;
    int lost;      /* no more updates expected */
    double lost_t; /* when it was lost (an orphan: its first time after the restart);
                      NAN while live */
    int done;      /* all-clear issued: the flight is over */
    int cot_events;
    double last_cot_t; /* scenario time of the last CoT file */
    double impact_t;   /* latest predicted impact time, INFINITY when unknown */
    struct {
        double t, lat, lon, a_km;
    } hist[HIST_N]; /* recent predictions, >= 0.5 s apart */
    int n_hist, hist_head;
    double last_boost_t; /* last update in phase boost, -INFINITY if none */
    struct {
        double t, jac, speed, sv;
    } en[HIST_N]; /* energy samples, >= 1 s apart */
    int n_en, en_head;
    double last_thrust_t;       /* last update with thrust evidence, -INFINITY if none */
    double sign_run_t;          /* first update of the current run of thrust signs (phase boost or
                          thrust evidence, at most THRUST_MIN_DT_S apart) */
    int fan_withdrawn;          /* the boost fan, drawn to the free-flight reach, was cancelled:
                          the powered reach returns only on confirmed thrust */
    uint8_t fan_gone[NREG_MAX]; /* regions released from its fan (warn.c: fan_regain) */
    double fan_min_half;        /* the narrowest firm fan's course half-angle (degrees) and */
    double fan_min_reach_m;     /* the shortest reach from the launch estimate
                                   (boost_fan_reach_km less the distance flown) drawn since
                                   the powered reach began (again); INFINITY before */
    uint8_t fan_want[NREG_MAX]; /* fan regions another track's overflight series of
                                   its launch warned of for it (warn_succession.c) */
    double fan_want_t;          /* when fan_want was last decided */
    uint8_t path_hit[NREG_MAX]; /* regions its overflight corridor crossed at its last
                                   settled update, whichever series warns them (warn.c:
                                   series_keep) */
    double ring[MWX_WARN_MAX_RING + 1][2];
    size_t n_ring;
    wseries_t s[2];
    wseries_t launch;      /* the launch notice: one Alert, closed with the others */
    int launch_done;       /* the notice was considered (sent, or no region in reach) */
    int assessed;          /* a settled prediction was acted on: the boost fan is over */
    double first_t;        /* its first update (0: restored from the journal) */
    uint32_t stood_for[3]; /* per kind, the journal key of another track's series that
                              stood for this track's (0: none); warn_succession.c */
    int replayed;          /* only ever updated while the context replayed history (a
                              restarted node's inbox: its partners' reports up to its kill);
                              lost, it stands for the journal as an orphan does */
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
    int defer_views;         /* mwx_warn_config_t.defer_view_sync (with durable) */
    mwxi_warn_views_t views; /* picture files rewritten since mwx_warn_sync_views */
    mwx_warn_policy_t pol;
    mwx_regions_t *regions;
    size_t nreg;
    mwx_warn_emit_fn emit;
    void *user;
    const mwx_warn_format_t *fmts[MWX_WARN_MAX_FORMATS];
    void *fstate[MWX_WARN_MAX_FORMATS];
    int nfmt;
    wtrack_t *tracks;
    mwx_warn_stats_t st;
    double now_t;
    double max_t; /* the latest time seen */
    int msgs_changed;
    mwx_alert_kind_t msg_kind; /* kind of the message being written (alert records) */
    int no_prediction;         /* the messages being decided rest on no impact prediction
                                 (boost fan, space launch path): no impact fields */
    int serial;                /* messages issued by this context: identifier suffix */
    int picture_pending;       /* the picture changed since latest.geojson was written */
    int picture_force;         /* tracks appeared or went: write at once */
    int nocache;               /* tests: formats regenerate every text */
    int replay;                /* mwx_warn_set_replay: picture deferred, track views lazy */
    double last_picture_t;
    uint8_t now_hit[NREG_MAX], rel_hit[NREG_MAX], off_hit[NREG_MAX], gone_hit[NREG_MAX];
    double scratch[2 * CORRIDOR_MAX_STEPS + 8][2];
    double scratch3[2 * CORRIDOR_MAX_STEPS + 8][2];
    double scratch2[MWX_WARN_MAX_RING + 1][2];
    mwxi_warn_path_t path; /* of the corridor or fan whose rings are in scratch, scratch3 */
    int old_geometry;      /* mwxi_warn_set_old_geometry (bench/warn_geometry) */
    /* journal (journal_path): see the journal section below */
    mwx_warn_journal_t *journal;
    double resume_t; /* no decisions up to this time (-INFINITY: none restored) */
    uint32_t next_key;
    double jmax_t;       /* latest time of any journal entry */
    struct jrec **jlive; /* the latest entry of every live series (for compaction) */
    size_t n_jlive, cap_jlive;
    struct jrec *jbuf; /* the entry being written */
    int (*journaled)(void *user, const char *identifier);
    int emit_pending; /* republished messages still to be emitted */
    /* retention of alerts/ (warn_prune.c) */
    uint64_t keep_bytes;
    double keep_age_s;
    double last_prune; /* monotonic clock of the last scan */
};

/* The boost-phase fan (warn.c decides it, warn_geometry.c draws it). */
#define BOOST_FAN_MARGIN_DEG                                                                       \
    2.0                            /* the fan's half-angle beyond 2 sigma of the course: the
                                     ground track bends with the Earth's rotation and a
                                     steered burn may turn a little */
#define BOOST_FAN_MAX_KM    6000.0 /* the longest fan drawn */
#define BOOST_FAN_MIN_SPEED 100.0  /* m/s over the ground: slower, no course to speak of */

/* Functions of one file of the context used by another. */
void mwxi_warn_emit_file(void *ctx, mwx_warn_output_t out, const char *file, const char *identifier,
                         mwx_msg_type_t mt, const int *regions, size_t n_regions);
void mwxi_warn_make_view(mwx_warn_t *w, mwx_warn_view_t *v);
int mwxi_warn_run_message(mwx_warn_t *w, const mwx_warn_msg_t *m, mwx_err_t *err);
int mwxi_warn_run_track(mwx_warn_t *w, const mwx_warn_trackview_t *tv, mwx_err_t *err);
int mwxi_warn_run_picture(mwx_warn_t *w, int force, mwx_err_t *err);
void mwxi_warn_run_prepare(mwx_warn_t *w);
int mwxi_warn_finish(mwx_warn_t *w, mwx_err_t *err);
void mwxi_warn_track_view(const mwx_rec_track_t *trk, mwx_warn_trackview_t *tv);
int mwxi_warn_fan_sure(mwx_warn_t *w, const mwx_warn_trackview_t *tv, double len_m, double b_m,
                       double half_deg, double step_m, uint8_t *hit, uint8_t *tmp, mwx_err_t *err);
size_t mwxi_warn_corridor_path(const struct geod_geodesic *g, double lat1, double lon1, double lat2,
                               double lon2, double buf_m, double buf2_m, double step_m,
                               mwxi_warn_path_t *p);
size_t mwxi_warn_path_ring(const struct geod_geodesic *g, const mwxi_warn_path_t *p, int which,
                           double (*ring)[2]);
double mwxi_warn_ellipse_half_width_km(const mwx_rec_impact_est_t *e, double az);
size_t mwxi_warn_list_regions(const mwx_warn_t *w, const uint8_t *set, int *list);
int mwxi_warn_passed_over(const mwx_warn_t *w, const wtrack_t *tr, const uint8_t *set);
int mwxi_warn_any_sent(const wtrack_t *tr);
void mwxi_warn_after_message(mwx_warn_t *w, wseries_t *s, const mwx_warn_msg_t *m);
int mwxi_warn_journal_message(mwx_warn_t *w, const wtrack_t *tr, const wseries_t *s,
                              const mwx_warn_msg_t *m, mwx_err_t *err);
void mwxi_warn_journal_release(mwx_warn_t *w, const wtrack_t *tr);
void mwxi_warn_emit_republished(mwx_warn_t *w);
wseries_t *mwxi_warn_jseries(wtrack_t *tr, int kind);
void mwxi_warn_series_init(wseries_t *s, int kind, uint32_t jkey, const char *sname);
void mwxi_warn_fix_last(wseries_t *s);
int mwxi_warn_impact_valid(const mwx_rec_impact_est_t *e);
/* warn_succession.c: one series per threat across tracks and restarts */
#define MWXI_WARN_LOST_HOLD_S(w) (2.0 * (w)->pol.track_stale_s)
/* a lost track's launch notice stands until this long after the launch (the flight of a
 * missile reaching launch_reach_km, 3,500 km, takes under 20 minutes) */
#define MWXI_WARN_LAUNCH_HOLD_S 1200.0
/* a launch notice whose regions another notice of its launch covers waits this long at
 * most from its track's first update (warn_succession.c, notice_covered) */
#define MWXI_WARN_NOTICE_COVERED_S 60.0
int mwxi_warn_adopt(mwx_warn_t *w, wtrack_t *tr, int by_launch);
int mwxi_warn_succession(mwx_warn_t *w, wtrack_t *tr, int kind);
int mwxi_warn_hand_over(mwx_warn_t *w, wtrack_t *tr, int kind);
int mwxi_warn_notice_fate(mwx_warn_t *w, wtrack_t *tr);
int mwxi_warn_journaled(const wtrack_t *tr);
void mwxi_warn_fan_cover(mwx_warn_t *w, wtrack_t *tr, uint8_t *now, uint8_t *rel);
void mwxi_warn_fan_keep(const mwx_warn_t *w, const wtrack_t *tr, uint8_t *keep);
/* warn_prune.c: alerts/ within alerts_keep_bytes / alerts_keep_age_s (every 10 s at
 * most, or now with force) */
int mwxi_warn_prune(mwx_warn_t *w, int force, mwx_err_t *err);
int mwxi_warn_issue(mwx_warn_t *w, wtrack_t *tr, wseries_t *s, mwx_msg_type_t mt, int all_clear,
                    const double (*ring)[2], size_t n_ring, const uint8_t *removed, mwx_err_t *err);
int mwxi_warn_all_clear(mwx_warn_t *w, wtrack_t *tr, mwx_err_t *err);
double mwxi_warn_energy_range_m(double r_m, double v_mps);
double mwxi_warn_course_half_angle_deg(const mwx_warn_trackview_t *tv);
size_t mwxi_warn_fan_path(const struct geod_geodesic *g, const mwx_warn_trackview_t *tv,
                          double len_m, double w0_m, double half_deg, double scale, double step_m,
                          mwxi_warn_path_t *p);
int mwxi_warn_journal_load(mwx_warn_t *w, const char *path, mwx_err_t *err);

#endif
