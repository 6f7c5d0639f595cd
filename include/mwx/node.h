/*
 * mwx/node.h -- a nation's node: the layer that composes the stages.
 *
 * A node takes its nation's measurements, tracks them (track), publishes its tracks and
 * receives its partners' (share), fuses them into one picture (this header's fusion),
 * and warns the public of its own regions (warn). `mwx node` runs one node as a
 * service on a real bus; `mwx run` runs every nation's node in one process.
 *
 * Fusion contract: mwx_fusion_update() takes one source track report (the node's own,
 * or a partner's already verified by share) and returns the fused track it now belongs
 * to. Tracks from different sources are associated by a chi-square gate on position and
 * velocity; estimates are combined by covariance intersection (CI), which stays
 * consistent whatever the unknown correlation between the nations' estimates (they
 * share no sensor data, but their tracks may share process-noise history). Two tracks of
 * the same source are never fused together: a salvo stays a salvo.
 */
#ifndef MWX_NODE_H
#define MWX_NODE_H

#include "mwx/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MWX_FUSION_MAX_SOURCES 8

typedef struct mwx_fusion mwx_fusion_t;

typedef struct mwx_fusion_cfg {
    char node[MWX_ID_LEN];  /* this node's nation: fused ids are "<node>-F<n>" */
    int capacity;           /* max fused tracks (preallocated) */
    double gate_chi2;       /* association gate on 6-D distance; 0 = 22.46 (99.9 %, 6 dof) */
    double max_age_s;       /* a source silent this long no longer contributes; 0 = 30 s */
} mwx_fusion_cfg_t;

int mwx_fusion_create(const mwx_fusion_cfg_t *cfg, mwx_fusion_t **out, mwx_err_t *err);
void mwx_fusion_destroy(mwx_fusion_t *f);

/* Feed one source track (src->node = its origin nation, src->track_id its id there).
 * On success *fused holds the fused track it belongs to, as of src->t. MWX_EFULL when
 * capacity is exhausted (the report is dropped and counted). */
int mwx_fusion_update(mwx_fusion_t *f, const mwx_rec_track_t *src, mwx_rec_track_t *fused,
                      mwx_err_t *err);

/* Current fused tracks (index 0..count-1) as of their last update. */
size_t mwx_fusion_count(const mwx_fusion_t *f);
int mwx_fusion_get(const mwx_fusion_t *f, size_t i, mwx_rec_track_t *out);
/* Drops counted because the table was full. */
uint64_t mwx_fusion_dropped(const mwx_fusion_t *f);

/* Covariance intersection of two Gaussian estimates (n = 2 or 3; row-major n x n
 * covariances). omega in [0, 1] minimising the trace of the result is found by golden
 * section. Exposed for tests and benchmarks. */
int mwx_fusion_ci(int n, const double *xa, const double *pa, const double *xb,
                  const double *pb, double *x, double *p, double *omega);

#ifdef __cplusplus
}
#endif

#endif /* MWX_NODE_H */
