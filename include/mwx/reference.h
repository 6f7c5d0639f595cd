/*
 * mwx/reference.h -- a historic scenario's real public alerts (the scenario's `reference`
 * block, docs/HISTORIC.md) and their comparison with mwx's own warnings
 * (`reference_comparison` of report.json, docs/SCORING.md).
 *
 * The block: {"launch": ID?, "sources": [URL, ...], "alerts": [{"nation", "regions",
 * "t_s", "kind": "alert"|"passed"|"withdrawn"}], "t_overflight_s": {REGION: s},
 * "t_impact_s": s | null}. Times are seconds after the launch's t_launch_s (the launch
 * named by "launch", default the scenario's first).
 *
 * Per region (every region the real system or mwx warned, or that the real flight
 * overflew): each side's first alert (s after launch) and its lead time against the REAL
 * event (the region's real overflight, else the real impact when the region is the one
 * struck; a region never reached has no lead: a warning there is a false region). mwx's
 * own lead against the simulated flight (the Report's lead_time_s) is given beside it.
 */
#ifndef MWX_REFERENCE_H
#define MWX_REFERENCE_H

#include "mwx/core.h"
#include "mwx/score.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

#define MWX_REF_MAX_SOURCES       16
#define MWX_REF_URL_LEN           512
#define MWX_REF_MAX_ALERTS        32
#define MWX_REF_MAX_ALERT_REGIONS 64
#define MWX_REF_MAX_OVERFLIGHT    32
#define MWX_REF_MAX_REGIONS       128

typedef enum { MWX_REF_ALERT = 0, MWX_REF_PASSED = 1, MWX_REF_WITHDRAWN = 2 } mwx_ref_kind_t;

typedef struct mwx_ref_alert {
    char nation[MWX_ID_LEN];
    char regions[MWX_REF_MAX_ALERT_REGIONS][MWX_ID_LEN];
    int n_regions;
    double t_s;
    mwx_ref_kind_t kind;
} mwx_ref_alert_t;

typedef struct mwx_reference {
    int present;             /* 0: the scenario has no reference block */
    char launch[MWX_ID_LEN]; /* the launch the times refer to */
    double t_launch_s;       /* its t_launch_s in the scenario */
    char sources[MWX_REF_MAX_SOURCES][MWX_REF_URL_LEN];
    int n_sources;
    mwx_ref_alert_t alerts[MWX_REF_MAX_ALERTS];
    int n_alerts;
    char overflight_region[MWX_REF_MAX_OVERFLIGHT][MWX_ID_LEN];
    double overflight_t_s[MWX_REF_MAX_OVERFLIGHT];
    int n_overflight;
    double t_impact_s; /* NAN: unknown (null) */
} mwx_reference_t;

/* Read the reference block of a scenario's JSON text (name: for messages). No block:
 * 0 with ref->present = 0. A malformed block: MWX_EINVAL naming the JSON path
 * ("x.json: $.reference.alerts[1].kind: expected one of ..."). ref is large: heap it. */
MWX_API MWX_NODISCARD int mwx_reference_parse(const char *scenario_json, const char *name,
                                              mwx_reference_t *ref, mwx_err_t *err);
/* Every region id of the block must exist in regions (an mwx_regions_t of warn.h). */
MWX_API MWX_NODISCARD int mwx_reference_check_regions(const mwx_reference_t *ref,
                                                      const void *regions, mwx_err_t *err);

typedef struct mwx_ref_region {
    char id[MWX_ID_LEN];
    double real_alert_s, real_passed_s, real_withdrawn_s; /* NAN = none */
    double event_s;        /* real overflight or impact time, NAN: not reached */
    int overflight;        /* event_s is an overflight */
    double real_lead_s;    /* event_s - real_alert_s */
    double mwx_alert_s;    /* mwx's first Alert/Update naming it, s after launch */
    double mwx_lead_s;     /* event_s - mwx_alert_s (against the real event) */
    double mwx_lead_sim_s; /* the Report's lead_time_s (against the simulated flight) */
    double mwx_ahead_s;    /* real_alert_s - mwx_alert_s when both warned */
    int mwx_threatened;    /* the simulated flight threatened it (Report) */
} mwx_ref_region_t;

typedef struct mwx_ref_comparison {
    char launch[MWX_ID_LEN];
    double real_t_impact_s, mwx_t_impact_s; /* s after launch; NAN unknown */
    double t_first_detection_s;             /* the simulation's, s after launch */
    mwx_ref_region_t regions[MWX_REF_MAX_REGIONS];
    int n_regions;
    int n_real_only, n_mwx_only; /* warned by one side only */
} mwx_ref_comparison_t;

/* Compare. recs (may be NULL) are the run's records: their Alert/Update alert records of
 * any kind (impact, overflight; not "launch" notices) issued while the launch flew give
 * mwx's first alert per region beside the Report's. MWX_EINVAL when the report has no
 * launch ref->launch. */
MWX_API MWX_NODISCARD int mwx_reference_compare(const mwx_reference_t *ref, const mwx_report_t *rep,
                                                const mwx_record_t *recs, size_t n_recs,
                                                mwx_ref_comparison_t *out, mwx_err_t *err);
MWX_API struct json_t *mwx_reference_comparison_json(const mwx_reference_t *ref,
                                                     const mwx_ref_comparison_t *c);
MWX_API void mwx_reference_print(const mwx_ref_comparison_t *c, FILE *f);

/* Parse the scenario's block, compare and set report["reference_comparison"]; nothing
 * when the scenario has none. The comparison is also written to *out when out != NULL.
 * Returns 1 when the scenario had a block, 0 when not, or a negative MWX_E*. */
MWX_API MWX_NODISCARD int mwx_reference_attach(struct json_t *report, const mwx_report_t *rep,
                                               const mwx_record_t *recs, size_t n_recs,
                                               const char *scenario_json, mwx_ref_comparison_t *out,
                                               mwx_err_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MWX_REFERENCE_H */
