/* Internal interfaces of the warn module (src/warn only). */
#ifndef MWX_WARN_INTERNAL_H
#define MWX_WARN_INTERNAL_H

#include "mwx/warn.h"

#include "core/buf.h"

#include <geodesic.h>
#include <geos_c.h>

/* ------------------------------------------------------------------ text */

/* Messages are built in the core buffer (core/buf.h), reused between messages so that
 * steady state does not allocate; these write into it. */

/* v with exactly `decimals` (0..7) digits after the point, like "%.*f" (fast path). */
void mwxi_warn_fixed(mwx_buf_t *b, double v, int decimals);
/* XML-escaped text (& < > " '), fit for attributes and content. */
void mwxi_warn_xml(mwx_buf_t *b, const char *s);
/* Same; attr 0 leaves ' as it is (element content, as libxml2's writer does). Control
 * characters other than tab and newline, and bytes that are not UTF-8, become '?'. */
void mwxi_warn_xml_esc(mwx_buf_t *b, const char *s, int attr);
/* "<name>text</name>\n" after `spaces` spaces (at most 16), text escaped as content. */
void mwxi_warn_xml_el(mwx_buf_t *b, int spaces, const char *name, const char *text);
/* An id fit for CAP identifiers and CoT uids: anything outside [A-Za-z0-9_-] becomes '_'
 * (CAP forbids spaces, commas, '<' and '&'; dots separate our fields). */
void mwxi_warn_sanitize_id(char *dst, size_t n, const char *src);

/* Write data to dir/name atomically: dir/.name.tmp, optional fsync, rename. */
int mwxi_warn_write_file(const char *dir, const char *name, const char *data, size_t len,
                         int durable, mwx_err_t *err);
/* Unnamed inodes (O_TMPFILE) allocated ahead for new files: allocating an inode can cost
 * far more than writing the file (ext4 without a journal scans the recently freed ones),
 * so the CAP format takes that cost after a call's files are written, not before a
 * message. */
#define MWX_WARN_INODES 4
typedef struct mwx_warn_inodes {
    int fd[MWX_WARN_INODES];
    int n;
    int off; /* O_TMPFILE is not available there */
} mwx_warn_inodes_t;

void mwxi_warn_inodes_init(mwx_warn_inodes_t *p);
/* Top the pool up to MWX_WARN_INODES inodes in dir. */
void mwxi_warn_inodes_fill(mwx_warn_inodes_t *p, const char *dir);
void mwxi_warn_inodes_close(mwx_warn_inodes_t *p);

/* A new file (a CAP message): written into an unnamed inode (from pool when it has one;
 * pool may be NULL) and linked under its name complete; falls back to
 * mwxi_warn_write_file() (which replaces an existing file). */
int mwxi_warn_write_new(mwx_warn_inodes_t *pool, const char *dir, const char *name,
                        const char *data, size_t len, int durable, mwx_err_t *err);
/* A file rewritten in place (feed, picture, CoT): the content goes into the spare inode
 * dir/.name.spare, which is then exchanged with dir/name in one step (no inode created or
 * freed per write); falls back to mwxi_warn_write_file(). */
int mwxi_warn_rewrite_file(const char *dir, const char *name, const char *data, size_t len,
                           int durable, mwx_err_t *err);
/* Remove dir/.name.spare (the file will not be rewritten again). */
void mwxi_warn_drop_spare(const char *dir, const char *name);
/* mkdir -p of one level under an existing parent (dir itself). */
int mwxi_warn_mkdir(const char *dir, mwx_err_t *err);

/* Sign a CAP document (cap_sign.c): out receives text with the <Signature> spliced in
 * before </alert> (out is reset first; reused between messages). */
int mwxi_cap_sign_buf(mwx_cap_signer_t *s, const char *text, size_t len, mwx_buf_t *out,
                      mwx_err_t *err);

/* ------------------------------------------------------------------ geometry */

/* The WGS-84 geodesic solver, initialised once per regions object: the same PROJ
 * geodesic.h algorithm as core's mwx_geodesic_direct(), without re-running geod_init() for
 * every vertex (a quarter of the cost of a polygon). */
const struct geod_geodesic *mwxi_regions_geod(const mwx_regions_t *r);

/* Vertices of the 95 % ellipse as (lon, lat) degrees, lon unwrapped around the centre
 * (so it may leave [-180, 180]), closed (last == first): n_vertices + 1 points. Semi-axes
 * are clamped into [min_km, max_km]. */
void mwxi_warn_ellipse_ring(const struct geod_geodesic *g, const mwx_rec_impact_est_t *e,
                            int n_vertices, double min_km, double max_km, double (*lonlat)[2]);

/* Regions intersecting a closed ring of (lon, lat) degrees in an unwrapped frame
 * (shifted copies are tested when it leaves [-180, 180]). Hits OR-ed into hit. */
int mwxi_regions_in_ring(mwx_regions_t *r, const double (*lonlat)[2], size_t n, uint8_t *hit,
                         mwx_err_t *err);

/* Same, testing only the regions marked in mask. */
int mwxi_regions_in_ring_masked(mwx_regions_t *r, const double (*lonlat)[2], size_t n,
                                const uint8_t *mask, uint8_t *hit, mwx_err_t *err);

/* Regions crossed by a line string of (lon, lat) degrees in an unwrapped frame, testing
 * only the regions marked in mask (NULL: all). Hits OR-ed into hit. */
int mwxi_regions_on_line_masked(mwx_regions_t *r, const double (*lonlat)[2], size_t n,
                                const uint8_t *mask, uint8_t *hit, mwx_err_t *err);

/* How the region tests were answered (one count per region tested): by the cell grid
 * (regions_grid.c), or by GEOS. */
typedef struct mwxi_regions_stats {
    uint64_t grid_hit, grid_miss, geos;
} mwxi_regions_stats_t;
void mwxi_regions_stats(const mwx_regions_t *r, mwxi_regions_stats_t *st);

/* on = 0: every region test by GEOS alone, as before the cell grid (the bench's baseline,
 * the tests' reference); 1 (the default): the grid first. */
void mwxi_regions_set_grid(mwx_regions_t *r, int on);

/* on: the warning context's geometry as before issue 17 (bench/warn_geometry's baseline):
 * region tests by GEOS alone, and every corridor's and fan's release ring drawn with its
 * main ring whether a test needs it or not. The same decisions either way. */
void mwxi_warn_set_old_geometry(mwx_warn_t *w, int on);

/* The region's geometry as compact GeoJSON text (kept from the file). */
const char *mwxi_regions_geojson(const mwx_regions_t *r, size_t i);

/* ------------------------------------------------------------------ series and messages */

#define MWX_WARN_MAX_RING 512
#define MWX_WARN_MAX_REFS 32 /* the Alert plus the latest earlier messages */
#define MWX_WARN_REF_LEN  232

/* One issued CAP message, as formats see it. */
typedef struct mwx_warn_msg {
    char identifier[128];
    char sent[40]; /* RFC 3339 with numeric offset */
    double t;      /* scenario time sent */
    mwx_msg_type_t msg_type;
    mwx_warn_kind_t kind;
    int all_clear; /* Cancel that closes a series after impact */
    int passed;    /* overflight Cancel: the missile has passed over them */
    int n_refs;
    const char (*refs)[MWX_WARN_REF_LEN]; /* "sender,identifier,sent" of earlier messages */
    char incident[96]; /* series id shared by impact and overflight: prefix.track */
    char track_id[MWX_ID_LEN];
    /* predicted impact */
    double impact_lat, impact_lon, impact_t;
    double semi_major_km, semi_minor_km, orientation_deg;
    const double (*ring)[2]; /* area polygon (lon, lat), closed */
    size_t n_ring;
    /* regions named by this message: warned (Alert/Update) or released (Cancel) */
    const int *regions; /* indices into the context's regions */
    size_t n_regions;
    const int *removed; /* Update: regions dropped since the previous message */
    size_t n_removed;
    char sources[MWX_ID_LEN * 2];
} mwx_warn_msg_t;

/* Per-track state visible to the output formats. */
typedef struct mwx_warn_trackview {
    const mwx_rec_track_t *trk;
    double lat, lon, alt_m; /* sub-point, degrees / metres */
    double course_deg, speed_mps, vspeed_mps;
    double ce_m, le_m; /* 1-sigma horizontal (largest axis) and vertical */
    int first, last;   /* first event of the track, final (stale) event */
} mwx_warn_trackview_t;

/* Picture files rewritten but not yet fsynced (mwx_warn_config_t.defer_view_sync): one
 * entry a file, however often rewritten; when full, all are synced at once. */
#define MWXI_WARN_VIEW_NAME 128
typedef struct mwxi_warn_views {
    char name[MWX_WARN_MAX_TRACKS + 2][MWXI_WARN_VIEW_NAME];
    size_t n;
    uint64_t synced; /* files fsynced so far */
} mwxi_warn_views_t;

/* The read-only part of the context that formats may look at. */
typedef struct mwx_warn_view {
    const char *node, *sender, *out_dir, *alerts_dir;
    mwx_status_t status;
    double epoch_unix_s;
    double now_t;
    mwx_regions_t *regions;
    const mwx_warn_policy_t *policy;
    int durable;                          /* fsync files before rename */
    mwxi_warn_views_t *views;             /* picture files: synced later, or NULL */
    const char *atom_name, *geojson_name; /* alerts[-tag].atom, latest[-tag].geojson */
    mwx_warn_stats_t *stats;              /* formats may count (TAK) */
    int nocache;                          /* regenerate every text (tests compare) */
} mwx_warn_view_t;

/* A picture file (latest.geojson, a CoT event) rewritten as mwxi_warn_rewrite_file with
 * v->durable, except that with v->views its fsync is left to mwxi_warn_views_sync. */
int mwxi_warn_rewrite_view(const mwx_warn_view_t *v, const char *name, const char *data, size_t len,
                           mwx_err_t *err);
/* fsync the files of d under dir (a removed one is skipped) and empty d. */
int mwxi_warn_views_sync(mwxi_warn_views_t *d, const char *dir, mwx_err_t *err);

/* An output format: a new format is a new file with one of these and its entry in the
 * registry (formats.c). Each callback may be NULL. `scratch` is the context's reusable buffer. Files are written under alerts_dir and
 * reported with emit(). */
typedef void (*mwx_warn_emit_file_fn)(void *ctx, mwx_warn_output_t out, const char *file,
                                      const char *identifier, mwx_msg_type_t mt, const int *regions,
                                      size_t n_regions);

typedef struct mwx_warn_format {
    const char *name;
    mwx_warn_output_t kind; /* its position in the registry (formats.c) */
    /* 1: picture() runs only when the set of messages changed (a feed of messages),
     * 0: whenever the picture is due (a map of the current state). */
    int picture_on_messages;
    /* 1: it writes the public message, rewritten when a restarted node finds a journaled
     * message's file missing. */
    int republish;
    /* A CAP message was decided. */
    int (*message)(void *state, const mwx_warn_view_t *v, const mwx_warn_msg_t *m,
                   mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err);
    /* A track update (or its final event). */
    int (*track)(void *state, const mwx_warn_view_t *v, const mwx_warn_trackview_t *tv,
                 mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err);
    /* The picture changed (after processing an update). */
    int (*picture)(void *state, const mwx_warn_view_t *v, const struct mwx_warn *w,
                   mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err);
    /* The call's files are all written: get ready for the next message (e.g. allocate
     * inodes ahead). Errors are not reported: whatever is not ready is done on demand. */
    void (*prepare)(void *state, const mwx_warn_view_t *v);
    int (*create)(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err);
    void (*destroy)(void *state);
} mwx_warn_format_t;

/* The registry (formats.c): format i has kind i. */
#define MWX_WARN_MAX_FORMATS 8
size_t mwxi_warn_format_count(void);
const mwx_warn_format_t *mwxi_warn_format_at(size_t i);

/* Picture access for the picture formats (GeoJSON, Atom). */
typedef struct mwxi_warn_pic_track {
    const mwx_rec_track_t *trk;
    int active;
    const double (*ring)[2]; /* impact ellipse polygon, or NULL */
    size_t n_ring;
} mwx_warn_pic_track_t;

typedef struct mwxi_warn_pic_series {
    const char *track_id;
    mwx_warn_kind_t kind;
    int active;                 /* not cancelled */
    const mwx_warn_msg_t *last; /* last message of the series (NULL if none) */
    const uint8_t *warned;      /* per region */
} mwx_warn_pic_series_t;

/* Tests: formats keep no text between writes, so that their files can be compared with
 * those of a context that does. */
void mwxi_warn_set_nocache(struct mwx_warn *w, int on);

size_t mwxi_warn_pic_ntracks(const struct mwx_warn *w);
void mwxi_warn_pic_track(const struct mwx_warn *w, size_t i, mwx_warn_pic_track_t *out);
size_t mwxi_warn_pic_nseries(const struct mwx_warn *w);
void mwxi_warn_pic_series(const struct mwx_warn *w, size_t i, mwx_warn_pic_series_t *out);

/* The warning journal (journal.c): CRC-framed entries, fdatasync'd on append, torn tail
 * cut on open. `layout` is the record size: a journal of another layout is refused. */
typedef struct mwx_warn_journal mwx_warn_journal_t;
int mwxi_warn_journal_open(const char *path, uint32_t layout, int durable,
                           int (*each)(void *user, const void *rec, size_t len), void *user,
                           mwx_warn_journal_t **out, mwx_err_t *err);
int mwxi_warn_journal_append(mwx_warn_journal_t *j, const void *rec, size_t len, mwx_err_t *err);
/* Replace the whole journal by these entries (atomically: tmp, fsync, rename). */
int mwxi_warn_journal_rewrite(mwx_warn_journal_t *j, const void *const *recs, const size_t *lens,
                              size_t n, mwx_err_t *err);
uint64_t mwxi_warn_journal_size(const mwx_warn_journal_t *j);
uint64_t mwxi_warn_journal_entries(const mwx_warn_journal_t *j);
void mwxi_warn_journal_close(mwx_warn_journal_t *j);

/* TAK sender (tak.c). */
typedef struct mwx_tak mwx_tak_t;
int mwxi_tak_open(const char *endpoint, mwx_tak_t **out, mwx_err_t *err);
/* Send one event; failures are counted, the caller goes on. 0 or MWX_EBUS. */
int mwxi_tak_send(mwx_tak_t *t, const char *data, size_t len);
void mwxi_tak_counts(const mwx_tak_t *t, uint64_t *sent, uint64_t *errors);
void mwxi_tak_close(mwx_tak_t *t);

#endif
