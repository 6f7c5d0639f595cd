/*
 * A trusted but malicious partner, and an honest one, against a running `mwx node` over
 * a real nats-server (tests/adversary/test_hostile_partner.sh). Both connect with their
 * own `mwx nats-config` credentials and sign with their own keys:
 *
 *   adversary URL DIR VICTIM HONEST HOSTILE START_UNIX SPEED
 *
 * DIR holds keys/<N>.key and nats/<N>.creds. Three phases, the honest partner sending one
 * track report every 20 ms throughout: baseline (honest only), attack (between two honest
 * reports the hostile partner sends one of each kind below), silence (the hostile partner
 * leaves a hole in its seqs, never answers the gap requests, and floods new track ids).
 * In each phase the honest partner also reports THREATS_PER_PHASE new threats, each a
 * ballistic body coming down on its own Japanese prefecture (one report every 20 ms), so
 * that the victim's time from a report to its public warning can be compared across the
 * phases (issue #13.2: nothing one partner does may delay the public warning).
 * Prints one JSON object: the honest seqs of each phase, what the victim must count, and
 * each threat's region and report send times.
 */
#define _POSIX_C_SOURCE 200809L
#include "mwx/share.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HONEST_PER_PHASE  150
#define THREATS_PER_PHASE 5
#define THREAT_SENDS      40 /* reports per threat, one a tick */

/* One prefecture a threat, points well inside them (ids of data/regions) */
static const struct {
    const char *region;
    double lat, lon;
} threat_at[3 * THREATS_PER_PHASE] = {
    {"JP-01", 43.4, 142.8},  {"JP-02", 40.65, 140.8}, {"JP-03", 39.5, 141.3},
    {"JP-04", 38.5, 140.85}, {"JP-05", 39.7, 140.4},  {"JP-06", 38.4, 140.1},
    {"JP-07", 37.4, 140.1},  {"JP-08", 36.3, 140.2},  {"JP-09", 36.7, 139.8},
    {"JP-10", 36.5, 139.0},  {"JP-15", 37.5, 138.9},  {"JP-16", 36.6, 137.2},
    {"JP-20", 36.1, 138.1},  {"JP-21", 35.8, 137.0},  {"JP-34", 34.6, 132.7},
};
static double threat_t0[3 * THREATS_PER_PHASE];
static double threat_sent[3 * THREATS_PER_PHASE][THREAT_SENDS];
static int threat_n[3 * THREATS_PER_PHASE];

typedef struct peer {
    mwx_keypair_t key;
    mwx_bus_t *bus;
    uint64_t seq;
    char nation[MWX_ID_LEN];
} peer_t;

static const char *victim;
static double start_unix, speed;
static uint64_t n_bad_sig, n_not_rel, n_stale, n_replayed, n_malformed, n_misrouted, n_implausible,
    n_hostile_ok, n_gap_ok, n_flood_ids, n_sent;

static void die(const char *what, const mwx_err_t *e)
{
    fprintf(stderr, "adversary: %s: %s\n", what, e ? e->msg : "");
    exit(1);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

static double scn(void)
{
    return (mwx_time_wall() - start_unix) * speed;
}

static void open_peer(peer_t *p, const char *url, const char *dir, const char *nation)
{
    char path[512], user[128], pass[256];
    mwx_nats_opts_t o;
    mwx_err_t e = {0};
    mwx_strlcpy(p->nation, nation, sizeof p->nation);
    snprintf(path, sizeof path, "%s/keys/%s.key", dir, nation);
    if (mwx_key_load_secret(path, nation, &p->key, &e) != MWX_OK)
        die(path, &e);
    snprintf(path, sizeof path, "%s/nats/%s.creds", dir, nation);
    if (mwx_nats_creds_load(path, user, sizeof user, pass, sizeof pass, &e) != MWX_OK)
        die(path, &e);
    memset(&o, 0, sizeof o);
    o.url = url;
    o.user = user;
    o.password = pass;
    o.name = nation;
    o.send_asap = 1;
    if (mwx_bus_nats_open(&o, &p->bus, &e) != MWX_OK)
        die("nats", &e);
    p->seq = mwx_share_seq_base(mwx_time_wall());
}

static void publish(peer_t *p, mwx_payload_type_t type, const uint8_t *buf, size_t len)
{
    char subject[MWX_SUBJECT_LEN];
    mwx_err_t e = {0};
    if (mwx_subject_data(type, p->nation, victim, subject) != MWX_OK ||
        mwx_bus_publish(p->bus, subject, buf, len, &e) != MWX_OK)
        die("publish", &e);
    n_sent++; /* for the victim's CPU time per envelope */
}

/* Seal with any header: seq, label, time, signing key. */
static size_t seal(peer_t *p, const uint8_t sk[MWX_SECKEY_BYTES], const char *origin, uint64_t seq,
                   const char *to, double sent, mwx_payload_type_t type, const uint8_t *payload,
                   size_t plen, uint8_t *buf)
{
    mwx_envelope_t env;
    size_t len;
    mwx_err_t e = {0};
    memset(&env, 0, sizeof env);
    env.version = MWX_WIRE_VERSION;
    mwx_strlcpy(env.origin, origin, sizeof env.origin);
    env.seq = seq;
    env.sent_unix_s = sent;
    mwx_strlcpy(env.to[0], to, sizeof env.to[0]);
    env.n_to = 1;
    env.type = type;
    env.payload = payload;
    env.payload_len = plen;
    if (mwx_envelope_seal(&env, sk, buf, MWX_ENVELOPE_MAX, &len, &e) != MWX_OK)
        die("seal", &e);
    (void)p;
    return len;
}

static void track(const char *node, const char *id, double t, double lat, mwx_rec_track_t *trk)
{
    mwx_earth_t earth = mwx_earth_wgs84();
    mwx_geo_t g = {lat, 150.0, 120e3}; /* over the Pacific, east of every region */
    memset(trk, 0, sizeof *trk);
    trk->t = t;
    mwx_strlcpy(trk->node, node, sizeof trk->node);
    mwx_strlcpy(trk->track_id, id, sizeof trk->track_id);
    mwx_geo_to_ecef(&earth, &g, trk->ecef_m);
    trk->vel_mps[0] = 100;
    trk->cov_pos_m2[0] = trk->cov_pos_m2[3] = trk->cov_pos_m2[5] = 1e4;
    trk->cov_vel_m2s2[0] = trk->cov_vel_m2s2[3] = trk->cov_vel_m2s2[5] = 100;
    trk->phase = MWX_PHASE_BALLISTIC;
    trk->confirmed = 1;
}

static size_t track_payload(const mwx_rec_track_t *trk, uint8_t *out)
{
    mwx_record_t r;
    size_t len;
    r.type = MWX_REC_TRACK;
    r.u.track = *trk;
    if (mwx_record_encode(&r, out, MWX_PAYLOAD_MAX, &len) != MWX_OK)
        die("encode", NULL);
    return len;
}

/* One honest track report (seq contiguous); returns its seq. */
static uint64_t honest_send(peer_t *h)
{
    uint8_t pl[MWX_PAYLOAD_MAX], buf[MWX_ENVELOPE_MAX];
    mwx_rec_track_t trk;
    char id[MWX_ID_LEN];
    snprintf(id, sizeof id, "%s-1", h->nation);
    track(h->nation, id, scn(), 45.0, &trk);
    size_t pn = track_payload(&trk, pl);
    uint64_t s = h->seq++;
    size_t len =
        seal(h, h->key.sk, h->nation, s, victim, mwx_time_wall(), MWX_PAYLOAD_TRACK, pl, pn, buf);
    publish(h, MWX_PAYLOAD_TRACK, buf, len);
    return s;
}

/* Report threat k (its j-th report): a body 100 km above its prefecture, falling
 * straight down at 3 km/s, classed ballistic, its impact on the point below. */
static void threat_send(peer_t *h, int k)
{
    uint8_t pl[MWX_PAYLOAD_MAX], buf[MWX_ENVELOPE_MAX];
    mwx_rec_track_t trk;
    mwx_earth_t earth = mwx_earth_wgs84();
    double t = scn();
    if (threat_n[k] == 0)
        threat_t0[k] = t;
    double dt = (t - threat_t0[k]);
    mwx_geo_t g = {threat_at[k].lat * MWX_DEG, threat_at[k].lon * MWX_DEG, 100e3 - 3e3 * dt};
    double up[3], p0[3];
    mwx_geo_t g0 = {threat_at[k].lat * MWX_DEG, threat_at[k].lon * MWX_DEG, 0};
    mwx_geo_to_ecef(&earth, &g0, p0);
    memset(&trk, 0, sizeof trk);
    trk.t = t;
    mwx_strlcpy(trk.node, h->nation, sizeof trk.node);
    snprintf(trk.track_id, sizeof trk.track_id, "%s-T%d", h->nation, k);
    mwx_geo_to_ecef(&earth, &g, trk.ecef_m);
    for (int i = 0; i < 3; i++)
        up[i] = trk.ecef_m[i] - p0[i];
    double n = sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
    for (int i = 0; i < 3; i++)
        trk.vel_mps[i] = -3e3 * up[i] / n;
    trk.cov_pos_m2[0] = trk.cov_pos_m2[3] = trk.cov_pos_m2[5] = 1e4;
    trk.cov_vel_m2s2[0] = trk.cov_vel_m2s2[3] = trk.cov_vel_m2s2[5] = 100;
    trk.phase = MWX_PHASE_BALLISTIC;
    trk.klass = MWX_CLASS_BALLISTIC;
    trk.confirmed = 1;
    trk.impact.valid = 1;
    trk.impact.lat = threat_at[k].lat;
    trk.impact.lon = threat_at[k].lon;
    trk.impact.t = threat_t0[k] + 100e3 / 3e3;
    trk.impact.semi_major_km = trk.impact.semi_minor_km = 5;
    size_t pn = track_payload(&trk, pl);
    double sent = mwx_time_wall();
    size_t len =
        seal(h, h->key.sk, h->nation, h->seq++, victim, sent, MWX_PAYLOAD_TRACK, pl, pn, buf);
    publish(h, MWX_PAYLOAD_TRACK, buf, len);
    threat_sent[k][threat_n[k]++] = sent;
}

/* The hostile partner's k-th move of the attack phase. */
static void hostile_move(peer_t *x, int k, const mwx_keypair_t *forger)
{
    uint8_t pl[MWX_PAYLOAD_MAX], buf[MWX_ENVELOPE_MAX + 2048];
    mwx_rec_track_t trk;
    char id[MWX_ID_LEN];
    size_t len, pn;
    double now = mwx_time_wall();
    snprintf(id, sizeof id, "%s-%d", x->nation, k);
    track(x->nation, id, scn(), 20.0, &trk);
    pn = track_payload(&trk, pl);
    switch (k % 10) {
    case 0: /* forged: its own name, another key */
        len = seal(x, forger->sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_bad_sig++;
        break;
    case 1: /* a valid report, then the same bytes twice more */
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        for (int i = 0; i < 3; i++)
            publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_hostile_ok++;
        n_replayed += 2;
        break;
    case 2: /* mislabelled: on the victim's subject, labelled for someone else */
        len = seal(x, x->key.sk, x->nation, x->seq++, "ZZ", now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_not_rel++;
        break;
    case 3: /* stale */
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now - 1e5, MWX_PAYLOAD_TRACK, pl, pn,
                   buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_stale++;
        break;
    case 4: /* oversize: a valid envelope padded past MWX_ENVELOPE_MAX */
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        memset(buf + len, 0, sizeof buf - len);
        publish(x, MWX_PAYLOAD_TRACK, buf, sizeof buf);
        n_malformed++;
        break;
    case 5: /* a signed gap request on the data path */
        if (mwx_gap_request_seal(&x->key, victim, 1, 2, now, buf, MWX_ENVELOPE_MAX, &len, NULL) !=
            MWX_OK)
            die("gap seal", NULL);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_misrouted++;
        break;
    case 6: /* extreme values, validly signed: a time far ahead, a position far out */
        trk.t = scn() + 1e7;
        pn = track_payload(&trk, pl);
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        track(x->nation, id, scn(), 20.0, &trk);
        trk.ecef_m[0] = 1e15;
        pn = track_payload(&trk, pl);
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_hostile_ok += 2;
        n_implausible += 2;
        break;
    case 7: { /* gap requests to the victim: one, then two copies of it */
        char subject[MWX_SUBJECT_LEN];
        mwx_err_t e = {0};
        if (mwx_gap_request_seal(&x->key, victim, 1, 2, now, buf, MWX_ENVELOPE_MAX, &len, NULL) !=
                MWX_OK ||
            mwx_subject_gap(victim, x->nation, subject) != MWX_OK)
            die("gap", NULL);
        for (int i = 0; i < 3; i++)
            if (mwx_bus_publish_request(x->bus, subject, "_INBOX.adversary.x", buf, len, &e) !=
                MWX_OK)
                die("gap publish", &e);
            else
                n_sent++;
        n_gap_ok++;
        n_replayed += 2;
        break;
    }
    case 8: /* garbage */
        for (size_t i = 0; i < 300; i++)
            buf[i] = (uint8_t)(i * 131 + (size_t)k);
        publish(x, MWX_PAYLOAD_TRACK, buf, 300);
        n_malformed++;
        break;
    default: /* a plain valid report */
        len = seal(x, x->key.sk, x->nation, x->seq++, victim, now, MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(x, MWX_PAYLOAD_TRACK, buf, len);
        n_hostile_ok++;
        break;
    }
}

int main(int argc, char **argv)
{
    peer_t h, x;
    mwx_keypair_t forger;
    mwx_err_t e = {0};
    uint64_t first[3], last[3];
    uint8_t pl[MWX_PAYLOAD_MAX], buf[MWX_ENVELOPE_MAX];
    if (argc != 8) {
        fprintf(stderr, "usage: adversary URL DIR VICTIM HONEST HOSTILE START_UNIX SPEED\n");
        return 2;
    }
    victim = argv[3];
    start_unix = atof(argv[6]);
    speed = atof(argv[7]);
    open_peer(&h, argv[1], argv[2], argv[4]);
    open_peer(&x, argv[1], argv[2], argv[5]);
    if (mwx_key_generate(argv[5], &forger, &e) != MWX_OK)
        die("keygen", &e);

    for (int phase = 0; phase < 3; phase++) {
        for (int i = 0; i < HONEST_PER_PHASE; i++) {
            uint64_t s = honest_send(&h);
            if (i == 0)
                first[phase] = s;
            /* the phase's threats, one starting every 25 ticks, each reported 40 times */
            for (int j = 0; j < THREATS_PER_PHASE; j++) {
                int k = phase * THREATS_PER_PHASE + j;
                if (i >= 10 + 25 * j && threat_n[k] < THREAT_SENDS)
                    s = (threat_send(&h, k), h.seq - 1);
            }
            last[phase] = s;
            if (phase == 1) {
                hostile_move(&x, i, &forger);
            } else if (phase == 2) {
                if (i == 0) { /* the hole it will never fill: gap requests go unanswered */
                    x.seq += 100;
                }
                /* a flood of new track ids, 0.1 degree apart */
                mwx_rec_track_t trk;
                char id[MWX_ID_LEN];
                snprintf(id, sizeof id, "%s-F%d", x.nation, i);
                track(x.nation, id, scn(), -60.0 + 0.5 * i, &trk);
                size_t pn = track_payload(&trk, pl);
                size_t len = seal(&x, x.key.sk, x.nation, x.seq++, victim, mwx_time_wall(),
                                  MWX_PAYLOAD_TRACK, pl, pn, buf);
                publish(&x, MWX_PAYLOAD_TRACK, buf, len);
                n_hostile_ok++;
                n_flood_ids++;
            }
            sleep_s(0.02);
        }
        if (mwx_bus_flush(h.bus, 5, &e) != MWX_OK || mwx_bus_flush(x.bus, 5, &e) != MWX_OK)
            die("flush", &e);
    }
    /* last: seqs at the end of the range; the bookkeeping cost stays bounded */
    {
        uint64_t big[2] = {UINT64_MAX - 1, UINT64_MAX};
        mwx_rec_track_t trk;
        track(x.nation, "US-END", scn(), 10.0, &trk);
        size_t pn = track_payload(&trk, pl);
        for (int i = 0; i < 2; i++) {
            size_t len = seal(&x, x.key.sk, x.nation, big[i], victim, mwx_time_wall(),
                              MWX_PAYLOAD_TRACK, pl, pn, buf);
            publish(&x, MWX_PAYLOAD_TRACK, buf, len);
        }
        n_hostile_ok += 2;
        /* anything later from it is a replay */
        size_t len = seal(&x, x.key.sk, x.nation, x.seq++, victim, mwx_time_wall(),
                          MWX_PAYLOAD_TRACK, pl, pn, buf);
        publish(&x, MWX_PAYLOAD_TRACK, buf, len);
        n_replayed++;
        /* and the honest partner goes on */
        for (int i = 0; i < 20; i++) {
            last[2] = honest_send(&h);
            sleep_s(0.02);
        }
        if (mwx_bus_flush(h.bus, 5, &e) != MWX_OK || mwx_bus_flush(x.bus, 5, &e) != MWX_OK)
            die("flush", &e);
    }
    printf("{\"honest\": \"%s\", \"hostile\": \"%s\", \"phases\": [", h.nation, x.nation);
    for (int p = 0; p < 3; p++)
        printf("%s[%llu, %llu]", p ? ", " : "", (unsigned long long)first[p],
               (unsigned long long)last[p]);
    printf("], \"expect\": {\"bad_signature\": %llu, \"not_releasable\": %llu, \"stale\": %llu, "
           "\"replayed\": %llu, \"malformed\": %llu, \"misrouted\": %llu, \"implausible\": %llu, "
           "\"hostile_accepted\": %llu, \"gap_accepted\": %llu, \"flood_ids\": %llu}, "
           "\"sent\": %llu, ",
           (unsigned long long)n_bad_sig, (unsigned long long)n_not_rel,
           (unsigned long long)n_stale, (unsigned long long)n_replayed,
           (unsigned long long)n_malformed, (unsigned long long)n_misrouted,
           (unsigned long long)n_implausible, (unsigned long long)n_hostile_ok,
           (unsigned long long)n_gap_ok, (unsigned long long)n_flood_ids,
           (unsigned long long)n_sent);
    printf("\"threats\": [");
    for (int k = 0; k < 3 * THREATS_PER_PHASE; k++) {
        printf("%s{\"region\": \"%s\", \"lat\": %.6f, \"lon\": %.6f, \"phase\": %d, "
               "\"sent\": [",
               k ? ", " : "", threat_at[k].region, threat_at[k].lat, threat_at[k].lon,
               k / THREATS_PER_PHASE);
        for (int j = 0; j < threat_n[k]; j++)
            printf("%s%.6f", j ? ", " : "", threat_sent[k][j]);
        printf("]}");
    }
    printf("]}\n");
    mwx_bus_close(h.bus);
    mwx_bus_close(x.bus);
    return 0;
}
