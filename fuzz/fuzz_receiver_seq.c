/* Stateful libFuzzer target: a sequence of envelopes from two trusted partners through the
 * receiver's checks and the node's per-partner gap recovery (src/node/gap_async.c), with
 * time moving on. Each input is a little program: every op reads a few bytes. A partner is
 * trusted but hostile: any seq (0, 2^64 - 1, jumps, replays), any label, any sent time,
 * gap requests on either path, replies that bring back anything or nothing, silence.
 * Checked after every step: the bookkeeping's cost is bounded whatever the seqs (work
 * counter), the missing range lies inside the window, a gap request never asks for more
 * than GAP_MAX_RANGE seqs or for seqs outside the window, an accepted seq is never
 * accepted twice, and backoff after a failure is counted from the failure. Signatures are
 * checked by fuzz_envelope; here the origin is taken as authenticated
 * (mwxi_receiver_admit_authenticated), except for one real signed envelope per input. */
#include "fuzz_input.h"
#include "mwx/share.h"
#include "node/gap_async.h"
#include "share/share_fixture.h"
#include "share/share_int.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1795000000.0
/* one step, plus the window bits cleared and the ones given up counted: a word each */
#define WORK_PER_ADMIT (2 * (MWX_REPLAY_WINDOW / 64 + 1) + 1)
static const char *const NATION[2] = {"KR", "JP"};
static mwx_keypair_t key[2];
static int ready;

static void setup(void)
{
    if (sodium_init() < 0)
        abort();
    for (int i = 0; i < 2; i++)
        share_fx_key_seeded(&key[i], NATION[i], (uint8_t)(11 + i));
    ready = 1;
}

static void fill(mwx_envelope_t *e, int who, uint64_t seq, mwx_payload_type_t type, double sent,
                 int label)
{
    static const uint8_t pl[] = "x";
    memset(e, 0, sizeof *e);
    e->version = MWX_WIRE_VERSION;
    strcpy(e->origin, NATION[who]);
    e->seq = seq;
    e->sent_unix_s = sent;
    strcpy(e->to[0], label ? "US" : "CN");
    e->n_to = 1;
    e->type = type;
    e->payload = pl;
    e->payload_len = 1;
}

/* Admit one envelope and check the invariants around it. */
static int admit(mwx_receiver_t *rx, mwx_path_t path, mwx_envelope_t *e, double now)
{
    mwx_share_counters_t c0, c1;
    mwx_drop_t why;
    mwx_envelope_t copy = *e;
    mwx_receiver_counters(rx, &c0);
    int rc = mwxi_receiver_admit_authenticated(rx, path, now, e, &why);
    mwx_receiver_counters(rx, &c1);
    if (c1.work - c0.work > WORK_PER_ADMIT)
        abort(); /* cost depends on the seq */
    if (rc == 0 && copy.type != MWX_PAYLOAD_GAP_REQUEST) {
        if (mwx_receiver_highest(rx, copy.origin) < copy.seq)
            abort();
        /* the same again is a replay */
        mwx_envelope_t again = copy;
        if (mwxi_receiver_admit_authenticated(rx, path, now, &again, &why) == 0 ||
            why != MWX_DROP_REPLAYED)
            abort();
    }
    return rc;
}

static void check_missing(const mwx_receiver_t *rx, int who)
{
    uint64_t from, to, hi = mwx_receiver_highest(rx, NATION[who]);
    if (mwx_receiver_missing(rx, NATION[who], &from, &to) != 0)
        return;
    if (from > to || to >= hi || hi - from >= MWX_REPLAY_WINDOW)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t r = {data, data + size};
    mwx_receiver_t *rx;
    gap_peer_t peer[2];
    double now = T0;
    int signed_used = 0;

    if (!ready)
        setup();
    if (mwx_receiver_create("US", 30.0, &rx, NULL) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        if (mwx_receiver_trust(rx, NATION[i], key[i].pk, NULL) != 0)
            abort();
        mwxi_gap_peer_init(&peer[i], NATION[i]);
    }
    for (int steps = 0; r.p < r.e && steps < 256; steps++) {
        unsigned op = (unsigned)take(&r, 1);
        int who = op >> 7 & 1;
        mwx_envelope_t e;
        uint64_t seq, hi = mwx_receiver_highest(rx, NATION[who]);
        switch (op & 7) {
        case 0: /* data, any seq */
        case 1: /* data, near the highest */
        case 2: /* data, near 2^64 */ {
            if ((op & 7) == 0)
                seq = take(&r, 8);
            else if ((op & 7) == 1)
                seq = hi + (uint64_t)(int64_t)(int16_t)take(&r, 2);
            else
                seq = UINT64_MAX - take(&r, 2);
            unsigned m = (unsigned)take(&r, 1);
            double sent = now + ((int8_t)take(&r, 1)) * 0.5;
            if (seq == 0)
                seq = 1;
            fill(&e, who, seq, (mwx_payload_type_t)(MWX_PAYLOAD_TRACK + m % 3), sent,
                 (m >> 2 & 7) != 0);
            if (admit(rx, MWX_PATH_DATA, &e, now) == 0)
                mwxi_gap_peer_seen(&peer[who], seq);
            break;
        }
        case 3: { /* a gap request, on either path */
            unsigned m = (unsigned)take(&r, 1);
            fill(&e, who, 0, MWX_PAYLOAD_GAP_REQUEST, now - (m & 15) * 0.25, m >> 4 & 1);
            mwx_drop_t why;
            int rc = mwxi_receiver_admit_authenticated(
                rx, m >> 5 & 1 ? MWX_PATH_GAP : MWX_PATH_DATA, now, &e, &why);
            if (rc == 0 && !(m >> 5 & 1))
                abort(); /* a gap request is never data */
            break;
        }
        case 4: /* time passes (silence) */ now += take(&r, 1) * 0.05; break;
        case 5: { /* gap recovery: plan, then the partner answers, fails or stays silent */
            uint64_t from, to;
            uint32_t tok;
            unsigned m = (unsigned)take(&r, 1);
            if (mwxi_gap_peer_expired(&peer[who], now)) {
                double b = mwxi_gap_peer_failed(&peer[who], now);
                if (b < GAP_BACKOFF_MIN_S || b > GAP_BACKOFF_MAX_S || peer[who].next_try != now + b)
                    abort();
            }
            if (!mwxi_gap_peer_plan(&peer[who], rx, now, GAP_TIMEOUT_S, &from, &to, &tok))
                break;
            if (from == 0 || from > to || to - from >= GAP_MAX_RANGE)
                abort();
            if (!peer[who].pending_backfill) {
                uint64_t h = mwx_receiver_highest(rx, NATION[who]);
                if (to >= h || h - from >= MWX_REPLAY_WINDOW)
                    abort();
            }
            if ((m & 3) == 0) {
                double b = mwxi_gap_peer_failed(&peer[who], now + 0.01);
                if (peer[who].next_try != now + 0.01 + b || peer[who].pending)
                    abort();
            } else if ((m & 3) == 1) {
                /* the reply: some of the range (the partner decides), maybe forged token */
                if (!mwxi_gap_peer_matches(&peer[who], tok + (m >> 7)))
                    break;
                uint64_t n = (m >> 2) & 31, got = 0;
                for (uint64_t k = 0; k < n && from + k <= to; k++) {
                    fill(&e, who, from + k, MWX_PAYLOAD_TRACK, now, 1);
                    if (admit(rx, MWX_PATH_DATA, &e, now) == 0) {
                        mwxi_gap_peer_seen(&peer[who], from + k);
                        got++;
                    }
                }
                (void)mwxi_gap_peer_answered(&peer[who], now, got);
                if (peer[who].pending)
                    abort();
            } /* else: silence; the deadline will pass */
            break;
        }
        case 6: /* one real signed envelope per input, through the whole receiver */
            if (!signed_used) {
                uint8_t buf[MWX_ENVELOPE_MAX];
                size_t len;
                mwx_envelope_t got;
                signed_used = 1;
                seq = take(&r, 8);
                fill(&e, who, seq ? seq : 1, MWX_PAYLOAD_HEARTBEAT, now, 1);
                if (mwx_envelope_seal(&e, key[who].sk, buf, sizeof buf, &len, NULL) == 0 &&
                    mwx_receiver_accept_on(rx, MWX_PATH_DATA, buf, len, now, &got, NULL) == 0) {
                    mwxi_gap_peer_seen(&peer[who], got.seq);
                    if (mwx_receiver_accept(rx, buf, len, now, &got, NULL) == 0)
                        abort();
                }
            }
            break;
        default: check_missing(rx, who); break;
        }
    }
    check_missing(rx, 0);
    check_missing(rx, 1);
    mwx_receiver_destroy(rx);
    return 0;
}
