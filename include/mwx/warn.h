/*
 * mwx/warn.h -- public warning: threatened regions, CAP 1.2 alerts, Atom, Cursor-on-Target,
 * GeoJSON, and the region scoring used by `mwx score`.
 *
 * Contract:
 *   - Regions come from a GeoJSON FeatureCollection (RFC 7946) whose features carry
 *     properties.id (ISO 3166-2), name (English), name_local, country, and optionally
 *     name_ja / name_ko (the region's name in Japanese / Korean, used by the CAP text of
 *     that language; missing, they fall back to name_local for the country's own
 *     language and to name otherwise); geometry Polygon or
 *     MultiPolygon, lon/lat in degrees. The caller passes the path (nothing is resolved
 *     here). A malformed or invalid file is MWX_EINVAL naming the feature (index and id)
 *     and what is wrong.
 *   - The impact area of a track is its predicted 95 % ellipse, drawn as a geodesic
 *     polygon on WGS-84 (points at the ellipse's boundary along geodesics from the
 *     centre). A region is threatened when it intersects it. Overflight = regions under
 *     the predicted ground track (current sub-point -> impact point, a geodesic buffered
 *     by the cross-track uncertainty): a separate, lower-severity alert series.
 *   - One warning context (mwx_warn_t) per node; one impact series and one overflight
 *     series per track. Every message is written to disk atomically (a file appears
 *     complete or not at all) and reported through the emit callback as an
 *     mwx_rec_alert_t whose `file` is relative to the context's output directory
 *     ("alerts/<identifier>.cap.xml"). A track update writes its CAP files first, then
 *     the derived files (CoT, Atom, GeoJSON), all before the call returns. How files are written
 *     (docs/WARNING_POLICY.md, "Outputs"): new files via O_TMPFILE + linkat, rewritten
 *     files by exchanging with a hidden spare (alerts/.<name>.spare) while the context
 *     lives; tmp + rename where the file system lacks those.
 *   - Status: a context is created with a source kind. A SIMULATED source can never
 *     produce an Actual message: mwx_warn_create() refuses it with MWX_EINVAL. Every
 *     message carries the context's status.
 *   - The policy (when to Alert, Update, Cancel, all-clear; hysteresis) is documented in
 *     docs/WARNING_POLICY.md.
 *   - Thread safety: an mwx_regions_t and an mwx_warn_t each own a GEOS context; use each
 *     from one thread at a time. Different objects are independent (no global state).
 *
 * Defensive only: these functions say who must take shelter and when. Nothing here aims
 * at, intercepts or engages anything.
 */
#ifndef MWX_WARN_H
#define MWX_WARN_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_REGION_ID_LEN   12 /* fits mwx_rec_alert_t.regions[][12] */
#define MWX_WARN_MAX_TRACKS 64 /* live alert series per context (one per track) */

/* ------------------------------------------------------------------ regions */

typedef struct mwx_regions mwx_regions_t;

typedef struct mwx_region_info {
    char id[MWX_REGION_ID_LEN]; /* ISO 3166-2, "JP-13" */
    char name[64];              /* English */
    char name_local[96];        /* UTF-8 */
    char name_ja[96];           /* UTF-8, Japanese (always set: see the loader's fallback) */
    char name_ko[96];           /* UTF-8, Korean (idem) */
    char country[4];            /* ISO 3166-1 alpha-2 */
    double min_lon, min_lat, max_lon, max_lat; /* bounding box, degrees */
} mwx_region_info_t;

/* Load a regions file (path given by the caller). */
MWX_API MWX_NODISCARD int mwx_regions_load(const char *path, mwx_regions_t **out, mwx_err_t *err);
/* Same from memory; name is used in messages. */
MWX_API MWX_NODISCARD int mwx_regions_load_string(const char *text, size_t len, const char *name,
                                                  mwx_regions_t **out, mwx_err_t *err);
MWX_API void mwx_regions_free(mwx_regions_t *r);
MWX_API size_t mwx_regions_count(const mwx_regions_t *r);
MWX_API const mwx_region_info_t *mwx_regions_info(const mwx_regions_t *r, size_t i);
/* Index of the region with that id, or -1. */
MWX_API MWX_NODISCARD int mwx_regions_find(const mwx_regions_t *r, const char *id);

/* Geometry queries. `hit` has mwx_regions_count() bytes; each is set to 1 for a region
 * that matches and 0 otherwise. *n_hit (optional) = number of matches. Angles in degrees
 * here because these take file-unit inputs (records, truth). */

/* Regions intersecting the ellipse (centre lat/lon, semi-axes in km, orientation of the
 * major axis clockwise from true north, degrees). n_vertices 0 = default (72). */
MWX_API MWX_NODISCARD int mwx_regions_in_ellipse(mwx_regions_t *r,
                                                 const mwx_rec_impact_est_t *ellipse,
                                                 int n_vertices, uint8_t *hit, size_t *n_hit,
                                                 mwx_err_t *err);
/* Regions containing the point (boundary included). */
MWX_API MWX_NODISCARD int mwx_regions_at_point(mwx_regions_t *r, double lat_deg, double lon_deg,
                                               uint8_t *hit, size_t *n_hit, mwx_err_t *err);
/* Regions crossed by a polyline of n (lat, lon) points in degrees, joined by straight
 * segments in a longitude frame unwrapped from the first point (antimeridian safe),
 * optionally buffered by buffer_km (0 = the line itself). Hits are OR-ed into `hit`
 * (it is not cleared), so that several runs can be accumulated. */
MWX_API MWX_NODISCARD int mwx_regions_along_line(mwx_regions_t *r, const double (*latlon_deg)[2],
                                                 size_t n, double buffer_km, uint8_t *hit,
                                                 size_t *n_hit, mwx_err_t *err);

/* ------------------------------------------------------------------ warning context */

typedef enum mwx_warn_source {
    MWX_WARN_SOURCE_SIMULATED = 0, /* a scenario: status must be Exercise or Test */
    MWX_WARN_SOURCE_LIVE = 1       /* a live sensor feed: any status */
} mwx_warn_source_t;

/* What kind of file an emitted record refers to: the output format's position in the
 * warn module's registry (src/warn/formats.c). The four below are fixed; a format added
 * later has the next value, and mwx_warn_output_name() names every one. */
typedef enum mwx_warn_output {
    MWX_WARN_OUT_CAP = 0,    /* alerts/<identifier>.cap.xml (a public warning) */
    MWX_WARN_OUT_ATOM = 1,   /* alerts/alerts.atom (feed of current alerts) */
    MWX_WARN_OUT_COT = 2,    /* alerts/<track>.cot.xml (one per track, rewritten) */
    MWX_WARN_OUT_GEOJSON = 3 /* alerts/latest.geojson (the current picture) */
} mwx_warn_output_t;

/* The format's name ("cap", "atom", "cot", "geojson", ...), "unknown" out of range. */
MWX_API const char *mwx_warn_output_name(mwx_warn_output_t out);

/* Alert series kinds; the kind is part of the CAP identifier. */
/* Same values as core's mwx_alert_kind_t (the alert record's kind). */
typedef enum mwx_warn_kind {
    MWX_WARN_IMPACT = MWX_ALERT_IMPACT,         /* predicted impact area: severity Extreme */
    MWX_WARN_OVERFLIGHT = MWX_ALERT_OVERFLIGHT, /* under the predicted ground track: Severe */
    MWX_WARN_LAUNCH = MWX_ALERT_LAUNCH,         /* launch detected: certainty Possible */
    MWX_WARN_DROP_ZONE = MWX_ALERT_DROP_ZONE    /* a spent stage's fall area */
} mwx_warn_kind_t;

/* Called for every file written. rec->file is relative to the output directory. For CAP
 * the record is the public warning (identifier, msgType, regions). For CoT, identifier is
 * the CoT uid, msg_type Alert for a track's first event, Update after, Cancel for the
 * final (stale) event; regions empty. For Atom / GeoJSON identifier is the file name and
 * msg_type Update. A node that records only public warnings keeps out == MWX_WARN_OUT_CAP. */
typedef void (*mwx_warn_emit_fn)(void *user, mwx_warn_output_t out, const mwx_rec_alert_t *rec);

/* The policy (docs/WARNING_POLICY.md). mwx_warn_policy_default() fills the defaults shown. */
typedef struct mwx_warn_policy {
    int require_confirmed;           /* 1: tentative tracks never warn */
    double max_warn_semi_major_km;   /* 500: a larger ellipse is too uncertain to act on */
    double settle_s;                 /* 5: act only on a settled prediction: no update in
                                    phase boost for settle_s, and the ellipse from settle_s
                                    ago overlaps the current one (centres closer than the
                                    sum of the semi-major axes); this keeps the runaway
                                    predictions of a missile still under thrust out of
                                    public warnings. 0 = act on every update (and no
                                    thrust guard below) */
    double burnout_hold_s;           /* 5: and act only when the track has shown no thrust for
                                    this long: its mechanical energy (the Jacobi integral
                                    of the Earth-fixed frame, constant in free flight) has
                                    not risen, over the last 5 s, faster than
                                    thrust_accel_mps2 along its path, whatever its phase
                                    says (a thrusting rocket briefly classified ballistic
                                    must not warn) */
    double thrust_accel_mps2;        /* 3: the thrust evidence threshold (raised to 3 sigma of
                                    the velocity uncertainty over the window) */
    int ellipse_vertices;            /* 72: polygon vertices of the 95 % ellipse */
    double min_semi_axis_km;         /* 1.0: axes are clamped up to this */
    double max_semi_axis_km;         /* 3000: and down to this */
    double release_scale;            /* 1.5: a warned region is released only when it no longer
                                    intersects the ellipse scaled by this... */
    double release_hold_s;           /* 10: ...continuously for this long */
    double release_batch_s;          /* 30: releases alone go out at most this often (an
                                    Update with additions, or a Cancel, goes at once) */
    double update_impact_dt_s;       /* 10: Update when the predicted impact time moved more */
    double update_shift_km;          /* 25: Update when the ellipse centre moved more */
    double all_clear_after_s;        /* 30: all-clear this long after the predicted impact */
    double likely_max_semi_major_km; /* 50: certainty Likely at or below, else Possible */
    int overflight;                  /* 1: issue overflight series */
    int launch_notice;               /* 1: as soon as a track is confirmed, a launch notice (kind
                                    launch, certainty Possible, responseType Monitor) to
                                    the regions within launch_reach_km of its launch point */
    double launch_reach_km;          /* 3500: the reachable footprint of an unknown missile
                                    (Pyongyang - Guam is about 3,400 km) */
    int boost_fan;                   /* 1: before the first settled prediction (under thrust),
                                    once the track's course is firm, an overflight warning
                                    (certainty Possible, no prediction: "heading toward")
                                    for the regions under the reachable fan
                                    (docs/WARNING_POLICY.md "Boost phase: the reachable
                                    fan"); needs overflight */
    double boost_fan_az_deg;         /* 6: the course is firm when its 95 % half-angle (2
                                    sigma of the velocity covariance) is at most this */
    double boost_fan_sure_deg;       /* 20: before the course is firm, while its 95 %
                                    half-angle is at most this, the fan names only the
                                    regions every course within it (plus the fan's
                                    margin) crosses; boost_fan_az_deg: off */
    double boost_fan_reach_km;       /* 3500: how far from the launch point a body that may
                                    still be under thrust can reach (launch_reach_km's
                                    missile of unknown class); the free-flight range of
                                    the current speed when that is farther */
    double overflight_min_buffer_km; /* 25: minimum corridor half-width */
    double overflight_step_km;       /* 50: sampling of the predicted ground track */
    double track_stale_s;            /* 30: a track not updated for this long is dropped */
    double picture_interval_s;       /* 1: a track's CoT file and latest.geojson are rewritten
                                    at most this often (scenario time), except a track's
                                    first and final events and whenever a CAP message is
                                    issued; mwx_warn_flush() writes what is pending */
} mwx_warn_policy_t;

MWX_API void mwx_warn_policy_default(mwx_warn_policy_t *p);

/* ------------------------------------------------------------------ signed CAP */

/* An enveloped XML-DSig <Signature> as the last child of <alert> (CAP 1.2 section
 * 3.3.2.1), made with xmlsec (libxmlsec1, OpenSSL): ECDSA-SHA256 for an EC key (what `mwx
 * keygen --cap` makes; RSA-SHA256 for an RSA key), SHA-256 digest, exclusive C14N, one
 * Reference URI="" with the enveloped-signature transform (the whole alert), KeyInfo with
 * the signer's X.509 certificate. docs/WARNING_POLICY.md, "Signed CAP", says how a
 * receiver checks it. The first signer or verifier initialises xmlsec for the process
 * (once; never shut down). Use a signer or a verifier from one thread at a time;
 * different objects are independent. */
typedef struct mwx_cap_signer mwx_cap_signer_t;

/* The alerting key (PEM private key, mode 0600) and its certificate (PEM). The key must be
 * the certificate's. */
MWX_API MWX_NODISCARD int mwx_cap_signer_create(const char *key_path, const char *cert_path,
                                                mwx_cap_signer_t **out, mwx_err_t *err);
MWX_API void mwx_cap_signer_free(mwx_cap_signer_t *s);
/* The signing certificate's subject ("/O=.../CN=..."). */
MWX_API const char *mwx_cap_signer_subject(const mwx_cap_signer_t *s);
/* Sign one CAP document (text ending with </alert>, with nothing after it but white
 * space). *out (malloc'd, NUL-terminated, the caller frees) receives the signed text,
 * *out_len its length. The warning context signs through an internal reusable buffer;
 * this form is for tools and tests. */
MWX_API MWX_NODISCARD int mwx_cap_sign(mwx_cap_signer_t *s, const char *doc, size_t len, char **out,
                                       size_t *out_len, mwx_err_t *err);

/* A receiver's check: trusts the certificates issued by one CA (PEM). */
typedef struct mwx_cap_verifier mwx_cap_verifier_t;
MWX_API MWX_NODISCARD int mwx_cap_verifier_create(const char *ca_path, mwx_cap_verifier_t **out,
                                                  mwx_err_t *err);
MWX_API void mwx_cap_verifier_free(mwx_cap_verifier_t *v);
/* 0 only when data is a CAP 1.2 <alert> whose last child is an XML-DSig <Signature> with one
 * Reference URI="" (enveloped), valid now, made by a certificate the CA issued (carried in
 * its KeyInfo): the alert is unchanged since it was signed. MWX_ECRYPTO (the signature or
 * the certificate does not verify: the message says which), MWX_EINVAL (not a signed CAP
 * alert, or malformed XML). signer (optional, n bytes) receives the certificate's subject
 * when it verifies. Never reads the network or other files (external references, DTDs and
 * entities are refused). */
MWX_API MWX_NODISCARD int mwx_cap_verify(mwx_cap_verifier_t *v, const char *data, size_t len,
                                         char *signer, size_t signer_n, mwx_err_t *err);

typedef struct mwx_warn_config {
    const char *node;   /* nation of this node, "JP" (required) */
    const char *sender; /* CAP sender; NULL = "urn:mwx:node:<node>" */
    const char *run_id; /* optional, made part of every identifier so that runs
                                    of the same scenario do not reuse identifiers */
    mwx_warn_source_t source;
    mwx_status_t status;             /* SIMULATED + ACTUAL is refused (MWX_EINVAL) */
    double epoch_unix_s;             /* scenario epoch: absolute time = epoch + t */
    const char *regions_path;        /* regions GeoJSON (required) */
    const char *out_dir;             /* outputs directory; files go to out_dir/alerts/ */
    const char *tak_endpoint;        /* optional CoT stream: "udp://host:port",
                                    "tcp://host:port" or "host:port" (UDP) */
    int durable;                     /* 1: fsync each file before it gets its name */
    int defer_view_sync;             /* with durable, 1: the picture files (latest.geojson,
                                    each track's CoT event), rewritten every
                                    picture_interval_s of scenario time (200 times a
                                    second at 200x), are not fsynced at each rewrite but
                                    by mwx_warn_sync_views(): the caller's period bounds
                                    what a crash of the machine may lose of them. CAP
                                    files, the Atom feed and the journal stay synced at
                                    each write. */
    const char *picture_tag;         /* optional: several contexts sharing one out_dir (mwx run)
                                    each write alerts-<tag>.atom and latest-<tag>.geojson
                                    instead of alerts.atom and latest.geojson */
    const mwx_warn_policy_t *policy; /* NULL = defaults */
    mwx_cap_signer_t *cap_signer;    /* optional: every CAP file is signed with it (borrowed:
                                    it must outlive the context; used from the context's
                                    thread). NULL = unsigned CAP */
    mwx_warn_emit_fn emit;           /* optional */
    void *user;
    const char *journal_path; /* optional: the durable warning state (docs/NODE.md,
                                    "Warning continuity"). Each message's series state is
                                    appended and fdatasync'd here before its CAP file is
                                    written; a context created on an existing journal
                                    continues its series (Update/Cancel referencing the
                                    earlier messages, identifiers never reused), writes
                                    the CAP file of a journaled message that is missing,
                                    and makes no decision for times up to the journal's
                                    last (a restarted node replaying its input) */
    /* Tests: called after each journal entry is on disk, before the message's files; a
     * nonzero return stops there (mwx_warn_* returns MWX_EIO), as a crash would. */
    int (*journaled)(void *user, const char *identifier);
    /* Retention of alerts/ (0: no limit): CAP and CoT files beyond alerts_keep_bytes
     * (their total) or last written more than alerts_keep_age_s (wall seconds) ago are
     * removed, oldest first, except those a series the context holds refers to (its last
     * message and the messages it references; the Atom feed links only those) and the
     * CoT files of its tracks. Checked at create and every 10 s of mwx_warn_tick. */
    uint64_t alerts_keep_bytes;
    double alerts_keep_age_s;
} mwx_warn_config_t;

typedef struct mwx_warn mwx_warn_t;

MWX_API MWX_NODISCARD int mwx_warn_create(const mwx_warn_config_t *cfg, mwx_warn_t **out,
                                          mwx_err_t *err);
/* Writes any pending picture (as mwx_warn_flush(), errors ignored), then frees. */
MWX_API void mwx_warn_free(mwx_warn_t *w);

/* Feed one track update (own or fused). Decides, writes files, emits records. Updates of
 * a track must come in time order; t is trk->t (seconds since the epoch). */
MWX_API MWX_NODISCARD int mwx_warn_track(mwx_warn_t *w, const mwx_rec_track_t *trk, mwx_err_t *err);

/* Time passes without a track update: all-clear after impact, stale tracks, releases. */
MWX_API MWX_NODISCARD int mwx_warn_tick(mwx_warn_t *w, double t, mwx_err_t *err);

typedef enum mwx_warn_end {
    MWX_WARN_END_LOST = 0, /* track lost: keep warning until the predicted impact, then
                                all-clear */
    MWX_WARN_END_FALSE = 1 /* track judged false: Cancel its series now */
} mwx_warn_end_t;

/* The tracker deleted a track. */
MWX_API MWX_NODISCARD int mwx_warn_end_track(mwx_warn_t *w, const char *track_id, double t,
                                             mwx_warn_end_t why, mwx_err_t *err);

/* Write the pending picture (latest.geojson) now, e.g. at the end of a run. */
MWX_API MWX_NODISCARD int mwx_warn_flush(mwx_warn_t *w, mwx_err_t *err);

/* With defer_view_sync: fsync every picture file rewritten since the last call (one
 * fsync a file however often it was rewritten; a file removed meanwhile is skipped).
 * Without it: nothing to do. Also done by mwx_warn_free (errors ignored). */
MWX_API MWX_NODISCARD int mwx_warn_sync_views(mwx_warn_t *w, mwx_err_t *err);

/* History being fed again (a restarted node replaying its inbox): decisions, messages and
 * the journal go on as always, but the picture is not rewritten per update (only the last
 * state matters) and the per-track CoT files are written without fsync. Turning it off
 * writes the pending picture at once (durably when the context is). A restart replayed
 * 7,316 envelopes in 11.7 s with a fsync'd picture and CoT file per update. */
MWX_API MWX_NODISCARD int mwx_warn_set_replay(mwx_warn_t *w, int on, mwx_err_t *err);

/* The regions the context loaded (for display and scoring). */
MWX_API mwx_regions_t *mwx_warn_regions(mwx_warn_t *w);

typedef struct mwx_warn_stats {
    uint64_t tracks; /* track updates processed */
    uint64_t cap_alert, cap_update, cap_cancel;
    uint64_t cot_events;
    uint64_t tak_sent, tak_errors;
    uint64_t files_written;
    /* journal: series restored at create (of which still active), CAP files of journaled
     * messages found missing and written again, restored series taken over by a track of
     * the rebuilt picture */
    uint64_t restored_series, restored_active, republished, adopted;
    uint64_t pruned;       /* CAP and CoT files removed by the retention of alerts/ */
    uint64_t late;         /* track updates older than the latest time seen by more than
                        track_stale_s: not acted on (warn.c) */
    uint64_t views_synced; /* defer_view_sync: picture files fsynced by
                              mwx_warn_sync_views (one a file a call, however often it
                              was rewritten) */
} mwx_warn_stats_t;

MWX_API void mwx_warn_get_stats(const mwx_warn_t *w, mwx_warn_stats_t *st);

/* Identifiers are "<prefix>.<track>.<kind>.<n>" where prefix is "mwx.<node>" or
 * "mwx.<node>.<run_id>", track is the track id with anything outside [A-Za-z0-9_-]
 * replaced by '_', kind "impact", "overflight", "launch" or "drop_zone", n the context's
 * message count (1, 2, ...; never reused, even when a tracker reuses a track id). Parse one back
 * (track and kind optional, NULL to skip). MWX_EINVAL when it is not an mwx identifier. */
MWX_API MWX_NODISCARD int mwx_warn_identifier_parse(const char *identifier, char *track,
                                                    size_t track_n, mwx_warn_kind_t *kind);

/* ------------------------------------------------------------------ scoring */

/* The truth of one launch: time-ordered samples of the object (mwx_rec_truth_t, ECEF on
 * WGS-84) and the true impact point. */
typedef struct mwx_warn_truth {
    const mwx_rec_truth_t *states;
    size_t n_states;
    double impact_lat_deg, impact_lon_deg;
    double t_impact;
    double t_first_detection; /* for lead-time efficiency; NAN if never detected */
} mwx_warn_truth_t;

typedef struct mwx_warn_score_opts {
    double ground_track_max_alt_m; /* 100e3: the ground track counts below this */
    int count_overflight;          /* 0: only impact-area warnings count as "warned" */
} mwx_warn_score_opts_t;

typedef struct mwx_warn_region_score {
    char id[MWX_REGION_ID_LEN];
    int threatened;              /* true impact point or true ground track < 100 km inside */
    int warned;                  /* an Alert/Update naming it was sent before impact */
    double t_first_alert;        /* NAN when never warned before impact */
    double lead_time_s;          /* t_impact - t_first_alert; NAN when not warned */
    double lead_time_efficiency; /* lead_time_s / (t_impact - t_first_detection); NAN */
    mwx_alert_kind_t kind;       /* threatened by the impact (or the low ground track), or only
                                overflown above the limit: MWX_ALERT_OVERFLIGHT, whose
                                t_event is the overflight and whose lead time runs to it */
    double t_event;              /* when the threat arrives: t_impact, or the overflight time */
    double t_launch_notice;      /* first launch notice naming it (scored apart), NAN = none */
} mwx_warn_region_score_t;

typedef struct mwx_warn_score {
    /* Regions that were threatened or warned (others are omitted), in region order. */
    mwx_warn_region_score_t regions[MWX_MAX_ALERT_REGIONS];
    size_t n_regions;
    char missed[MWX_MAX_ALERT_REGIONS][MWX_REGION_ID_LEN]; /* threatened, never warned */
    size_t n_missed;
    char false_[MWX_MAX_ALERT_REGIONS][MWX_REGION_ID_LEN]; /* warned, never threatened */
    size_t n_false;
} mwx_warn_score_t;

/* Score the public warnings of one launch. alerts: the CAP alert records to consider
 * (the caller picks those of the tracks associated with this launch, e.g. with
 * mwx_warn_identifier_parse()); records whose file does not end in ".cap.xml" are
 * ignored, as are Cancel messages and those sent at or after t_impact. opts NULL =
 * defaults. */
MWX_API MWX_NODISCARD int mwx_warn_score_regions(mwx_regions_t *r, const mwx_warn_truth_t *truth,
                                                 const mwx_rec_alert_t *alerts, size_t n_alerts,
                                                 const mwx_warn_score_opts_t *opts,
                                                 mwx_warn_score_t *out, mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_WARN_H */
