/* Shared by the sharing benchmarks: one realistic track report to sign and send. A private
 * nats-server on a free loopback port comes from the tests' fixture
 * (tests/share/nats_fixture.h, linked into every benchmark); policies and keys from
 * tests/share/share_fixture.h. Header-only because each
 * benchmark is a single file (bench/CMakeLists.txt builds every bench/<name>.c on its
 * own). */
#ifndef MWX_BENCH_SHARE_H
#define MWX_BENCH_SHARE_H

#include "mwx/core.h"
#include "share/nats_fixture.h"
#include "share/share_fixture.h"

#include <string.h>

static mwx_rec_track_t bench_sample_track(void)
{
    mwx_rec_track_t t;
    memset(&t, 0, sizeof t);
    t.t = 123.5;
    strcpy(t.node, "KR");
    strcpy(t.track_id, "KR-17");
    t.ecef_m[0] = -3.1e6;
    t.ecef_m[1] = 4.1e6;
    t.ecef_m[2] = 3.9e6;
    t.vel_mps[0] = 1200;
    t.vel_mps[1] = 2300;
    t.vel_mps[2] = 1800;
    { /* positive definite, as fusion requires of an estimate (xx xy xz yy yz zz) */
        const double cp[6] = {1000.0, 1.5, 2.5, 1003.0, 4.5, 1005.0};
        const double cv[6] = {50.0, 0.5, 1.5, 53.0, 2.5, 55.0};
        memcpy(t.cov_pos_m2, cp, sizeof cp);
        memcpy(t.cov_vel_m2s2, cv, sizeof cv);
    }
    t.phase = MWX_PHASE_BALLISTIC;
    t.confirmed = 1;
    strcpy(t.sources, "KR");
    t.launch.valid = 1;
    t.launch.lat = 39.0;
    t.launch.lon = 125.7;
    t.launch.t = 60;
    t.impact.valid = 1;
    t.impact.lat = 40.5;
    t.impact.lon = 135.5;
    t.impact.t = 1012;
    t.impact.semi_major_km = 12;
    t.impact.semi_minor_km = 4;
    t.impact.orientation_deg = 80;
    return t;
}

#endif
