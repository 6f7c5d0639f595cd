/* Names of enumerations as they appear in files (PRODUCT.md). */
#include "mwx/core.h"

const char *mwx_status_name(mwx_status_t s)
{
    switch (s) {
    case MWX_STATUS_ACTUAL: return "Actual";
    case MWX_STATUS_EXERCISE: return "Exercise";
    case MWX_STATUS_TEST: return "Test";
    }
    return "?";
}

const char *mwx_launch_basis_name(mwx_launch_basis_t b)
{
    switch (b) {
    case MWX_LAUNCH_BALLISTIC: return "ballistic";
    case MWX_LAUNCH_BOOST: return "boost";
    case MWX_LAUNCH_FIT: return "fit";
    }
    return "?";
}

const char *mwx_track_class_name(mwx_track_class_t c)
{
    switch (c) {
    case MWX_CLASS_UNKNOWN: return "unknown";
    case MWX_CLASS_THRUSTING: return "thrusting";
    case MWX_CLASS_BALLISTIC: return "ballistic";
    case MWX_CLASS_LIFTING: return "lifting";
    case MWX_CLASS_SPACE_LAUNCH: return "space_launch";
    case MWX_CLASS_STAGE: return "stage";
    case MWX_CLASS_GLIDE: return "glide";
    }
    return "?";
}

const char *mwx_phase_name(mwx_phase_t p)
{
    switch (p) {
    case MWX_PHASE_BOOST: return "boost";
    case MWX_PHASE_BALLISTIC: return "ballistic";
    case MWX_PHASE_IMPACT: return "impact";
    case MWX_PHASE_GLIDE: return "glide";
    case MWX_PHASE_ORBIT: return "orbit";
    }
    return "?";
}

const char *mwx_sensor_kind_name(mwx_sensor_kind_t k)
{
    switch (k) {
    case MWX_SENSOR_RADAR: return "radar";
    case MWX_SENSOR_IR: return "ir_satellite";
    }
    return "?";
}

const char *mwx_msg_type_name(mwx_msg_type_t m)
{
    switch (m) {
    case MWX_MSG_ALERT: return "Alert";
    case MWX_MSG_UPDATE: return "Update";
    case MWX_MSG_CANCEL: return "Cancel";
    }
    return "?";
}

const char *mwx_alert_kind_name(mwx_alert_kind_t k)
{
    switch (k) {
    case MWX_ALERT_IMPACT: return "impact";
    case MWX_ALERT_OVERFLIGHT: return "overflight";
    case MWX_ALERT_LAUNCH: return "launch";
    case MWX_ALERT_DROP_ZONE: return "drop_zone";
    }
    return "?";
}

const char *mwx_rec_type_name(mwx_rec_type_t t)
{
    switch (t) {
    case MWX_REC_SCENARIO: return "scenario";
    case MWX_REC_TRUTH: return "truth";
    case MWX_REC_MEAS: return "meas";
    case MWX_REC_TRACK: return "track";
    case MWX_REC_SHARE: return "share";
    case MWX_REC_ALERT: return "alert";
    }
    return "?";
}
