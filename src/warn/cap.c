/* CAP 1.2 output format (OASIS Common Alerting Protocol): alerts/<identifier>.cap.xml, one
 * file per message, valid against data/cap/cap12.xsd.
 *
 * Choices (docs/WARNING_POLICY.md): scope Public; one info block per language (en-US,
 * ja-JP, ko-KR); category Security; urgency Immediate; severity Extreme for the impact
 * area, Severe for overflight; certainty Likely when the ellipse's semi-major axis is at
 * most likely_max_semi_major_km, else Possible; responseType Shelter. onset = predicted
 * impact time (impact series) or sent (overflight), expires = impact + all_clear_after_s.
 * A Cancel keeps its info blocks (urgency Past, severity Minor; responseType AllClear
 * and certainty Observed after impact, None and Unlikely when the threat was withdrawn).
 * Areas: the shape (ellipse or corridor) as a polygon, then one area per region with its
 * ISO 3166-2 geocode. With a signer in the config, every file carries an enveloped
 * XML-DSig <Signature> as the last child of <alert> (cap_sign.c). */
#include "warn/warn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EN, JA, KO, NLANG };
static const char *const lang_code[NLANG] = {"en-US", "ja-JP", "ko-KR"};

typedef struct cap_state {
    mwx_buf_t doc; /* the message */
    mwx_buf_t tmp;
    mwx_buf_t poly;           /* the message's polygon text, shared by its three info blocks */
    mwx_warn_inodes_t inodes; /* for the next messages' files */
    mwx_cap_signer_t *signer; /* NULL: unsigned */
    mwx_buf_t signed_doc;     /* the message with its <Signature> (cap_sign.c) */
} cap_state_t;

static int cap_create(void **state, const mwx_warn_config_t *cfg, mwx_err_t *err)
{
    cap_state_t *s = calloc(1, sizeof *s);
    if (!s || mwxi_buf_reserve(&s->doc, 32768) ||
        (cfg->cap_signer && mwxi_buf_reserve(&s->signed_doc, 36864))) {
        if (s)
            mwxi_buf_free(&s->doc);
        free(s);
        return mwx_err_set(err, MWX_ENOMEM, "cap: out of memory");
    }
    mwxi_warn_inodes_init(&s->inodes);
    s->signer = cfg->cap_signer;
    *state = s;
    return MWX_OK;
}

static void cap_destroy(void *state)
{
    cap_state_t *s = state;
    if (!s)
        return;
    mwxi_warn_inodes_close(&s->inodes);
    mwxi_buf_free(&s->doc);
    mwxi_buf_free(&s->tmp);
    mwxi_buf_free(&s->poly);
    mwxi_buf_free(&s->signed_doc);
    free(s);
}

/* Every region in the text of its block's language (data/regions/names.csv). */
static const char *region_name(const mwx_region_info_t *ri, int lang)
{
    return lang == JA ? ri->name_ja : lang == KO ? ri->name_ko : ri->name;
}

/* "Tokyo, Kanagawa and 3 more" style list, bounded. */
static void region_list(mwx_buf_t *b, const mwx_warn_view_t *v, const int *reg, size_t n, int lang)
{
    const size_t max_named = 8;
    for (size_t i = 0; i < n && i < max_named; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(v->regions, (size_t)reg[i]);
        if (i)
            mwxi_buf_puts(b, lang == JA ? "、" : ", ");
        mwxi_buf_puts(b, ri ? region_name(ri, lang) : "?");
    }
    if (n > max_named) {
        if (lang == EN)
            mwxi_buf_printf(b, " and %zu more", n - max_named);
        else if (lang == JA)
            mwxi_buf_printf(b, " ほか%zu地域", n - max_named);
        else
            mwxi_buf_printf(b, " 외 %zu개 지역", n - max_named);
    }
    if (n == 0)
        mwxi_buf_puts(b, lang == EN ? "none" : lang == JA ? "なし" : "없음");
}

static const char *status_tag(mwx_status_t st, int lang)
{
    if (st == MWX_STATUS_EXERCISE)
        return lang == EN ? "EXERCISE - " : lang == JA ? "【訓練】" : "[훈련] ";
    if (st == MWX_STATUS_TEST)
        return lang == EN ? "TEST - " : lang == JA ? "【試験】" : "[시험] ";
    return "";
}

/* An overflight warning that rests on no impact prediction (the boost fan, a space
 * launch's path): "heading toward", certainty Possible (docs/WARNING_POLICY.md). */
static int heading(const mwx_warn_msg_t *m)
{
    return m->kind == MWX_WARN_OVERFLIGHT && m->msg_type != MWX_MSG_CANCEL &&
           !isfinite(m->impact_t);
}

static const char *event_text(const mwx_warn_msg_t *m, int lang)
{
    if (m->kind == MWX_WARN_LAUNCH)
        return lang == EN   ? "Missile launch detected"
               : lang == JA ? "ミサイル発射情報"
                            : "미사일 발사 정보";
    if (m->kind == MWX_WARN_OVERFLIGHT)
        return lang == EN   ? "Missile overflight warning"
               : lang == JA ? "ミサイル通過情報"
                            : "미사일 상공 통과 경보";
    return lang == EN   ? "Missile impact warning"
           : lang == JA ? "ミサイル落下警報"
                        : "미사일 낙하 경보";
}

static void headline(mwx_buf_t *b, const mwx_warn_view_t *v, const mwx_warn_msg_t *m, int lang)
{
    mwxi_buf_puts(b, status_tag(v->status, lang));
    if (m->msg_type == MWX_MSG_CANCEL && m->all_clear) {
        mwxi_buf_puts(b, lang == EN ? "All clear: " : lang == JA ? "警報解除：" : "경보 해제: ");
    } else if (m->msg_type == MWX_MSG_CANCEL && m->passed) {
        mwxi_buf_puts(b, lang == EN   ? "Missile has passed over "
                         : lang == JA ? "ミサイル通過："
                                      : "미사일 상공 통과 완료: ");
    } else if (m->msg_type == MWX_MSG_CANCEL) {
        mwxi_buf_puts(b, lang == EN   ? "Warning cancelled: "
                         : lang == JA ? "警報取り消し："
                                      : "경보 취소: ");
    } else if (m->kind == MWX_WARN_LAUNCH) {
        mwxi_buf_puts(b, lang == EN   ? "Missile launched, stay informed: "
                         : lang == JA ? "ミサイル発射、情報に注意："
                                      : "미사일 발사, 정보에 유의: ");
    } else if (heading(m)) {
        mwxi_buf_puts(b, lang == EN   ? "Missile heading toward "
                         : lang == JA ? "ミサイル飛来のおそれ："
                                      : "미사일 비행 방향: ");
    } else if (m->kind == MWX_WARN_OVERFLIGHT) {
        mwxi_buf_puts(b, lang == EN   ? "Missile may pass over "
                         : lang == JA ? "ミサイル通過のおそれ："
                                      : "미사일 상공 통과 가능: ");
    } else {
        mwxi_buf_puts(b, lang == EN   ? "Missile may land in "
                         : lang == JA ? "ミサイル落下のおそれ："
                                      : "미사일 낙하 가능: ");
    }
    region_list(b, v, m->regions, m->n_regions, lang);
}

/* when: the predicted impact time, formatted */
static void description(mwx_buf_t *b, const mwx_warn_view_t *v, const mwx_warn_msg_t *m, int lang,
                        const char *when)
{
    if (m->msg_type == MWX_MSG_CANCEL && m->all_clear) {
        if (lang == EN)
            mwxi_buf_printf(b,
                            "The missile's predicted impact time (%s) has passed. The "
                            "warning for these areas is over.",
                            when);
        else if (lang == JA)
            mwxi_buf_printf(b,
                            "ミサイルの予測落下時刻（%s）を過ぎました。この地域への警報は"
                            "解除されました。",
                            when);
        else
            mwxi_buf_printf(b,
                            "미사일 예상 낙하 시각(%s)이 지났습니다. 이 지역에 대한 경보는 "
                            "해제되었습니다.",
                            when);
        return;
    }
    if (m->msg_type == MWX_MSG_CANCEL && m->passed) {
        if (lang == EN)
            mwxi_buf_puts(b, "The missile has passed over these areas. The overflight "
                             "warning for them is over.");
        else if (lang == JA)
            mwxi_buf_puts(b, "ミサイルはこれらの地域の上空を通過しました。この地域への通過警報は"
                             "終了しました。");
        else
            mwxi_buf_puts(b, "미사일이 이 지역 상공을 통과했습니다. 이 지역에 대한 상공 통과 "
                             "경보는 종료되었습니다.");
        return;
    }
    if (m->msg_type == MWX_MSG_CANCEL) {
        if (lang == EN)
            mwxi_buf_puts(b, "The earlier warning is cancelled: the latest prediction no "
                             "longer includes these areas.");
        else if (lang == JA)
            mwxi_buf_puts(b,
                          "先の警報は取り消されました。最新の予測ではこれらの地域は対象外です。");
        else
            mwxi_buf_puts(b, "이전 경보는 취소되었습니다. 최신 예측에서 이 지역은 더 이상 "
                             "포함되지 않습니다.");
        return;
    }
    if (m->kind == MWX_WARN_LAUNCH) {
        mwxi_buf_puts(b, lang == EN ? "A missile launch was detected. Where it will fall is not "
                                      "known yet. Areas within its possible reach: "
                         : lang == JA ? "ミサイルの発射を探知しました。落下地点はまだ分かりません。"
                                        "到達のおそれのある地域："
                                      : "미사일 발사가 탐지되었습니다. 낙하 지점은 아직 알 수 "
                                        "없습니다. 도달 가능 지역: ");
    } else if (heading(m)) {
        mwxi_buf_puts(b, lang == EN ? "A missile launch was detected and the missile is flying "
                                      "toward these areas. Where it will pass over or fall is "
                                      "not known yet. Areas along its possible path: "
                         : lang == JA
                             ? "ミサイルの発射を探知しました。ミサイルはこれらの地域の方向へ"
                               "飛翔しています。通過または落下する場所はまだ分かりません。"
                               "飛翔経路のおそれのある地域："
                             : "미사일 발사가 탐지되었으며 미사일이 이 지역 방향으로 비행하고 "
                               "있습니다. 통과하거나 낙하할 곳은 아직 알 수 없습니다. 비행 "
                               "경로 가능 지역: ");
    } else if (lang == EN) {
        mwxi_buf_printf(b,
                        "A ballistic missile launch was detected. Predicted impact at "
                        "latitude %.2f, longitude %.2f, at %s (95 %% area %.0f km by %.0f km). ",
                        m->impact_lat, m->impact_lon, when, 2 * m->semi_major_km,
                        2 * m->semi_minor_km);
        mwxi_buf_puts(b, m->kind == MWX_WARN_OVERFLIGHT ? "It is predicted to pass over: "
                                                        : "Areas in the predicted impact area: ");
    } else if (lang == JA) {
        mwxi_buf_printf(b,
                        "弾道ミサイルの発射を探知しました。予測落下地点は緯度%.2f、経度%.2f、"
                        "予測時刻は%s（95%%範囲 %.0f km × %.0f km）。",
                        m->impact_lat, m->impact_lon, when, 2 * m->semi_major_km,
                        2 * m->semi_minor_km);
        mwxi_buf_puts(b, m->kind == MWX_WARN_OVERFLIGHT ? "上空を通過するおそれのある地域："
                                                        : "落下のおそれのある地域：");
    } else {
        mwxi_buf_printf(b,
                        "탄도미사일 발사가 탐지되었습니다. 예상 낙하 지점은 위도 %.2f, "
                        "경도 %.2f, 예상 시각은 %s입니다(95%% 범위 %.0f km × %.0f km). ",
                        m->impact_lat, m->impact_lon, when, 2 * m->semi_major_km,
                        2 * m->semi_minor_km);
        mwxi_buf_puts(b, m->kind == MWX_WARN_OVERFLIGHT ? "상공 통과 가능 지역: "
                                                        : "낙하 가능 지역: ");
    }
    region_list(b, v, m->regions, m->n_regions, lang);
    mwxi_buf_puts(b, lang == JA ? "。" : ".");
    if (v->status != MWX_STATUS_ACTUAL)
        mwxi_buf_puts(b, lang == EN ? " This is not a real event: simulated data."
                         : lang == JA ? "これは実際の事態ではありません（模擬データ）。"
                                      : " 실제 상황이 아닙니다(모의 데이터).");
}

static const char *instruction(const mwx_warn_msg_t *m, int lang)
{
    if (m->msg_type == MWX_MSG_CANCEL && m->all_clear)
        return lang == EN ? "Follow the instructions of local authorities. Do not approach or "
                            "touch any fallen object; report it to the police or fire service."
               : lang == JA
                   ? "自治体の指示に従ってください。落下物を見つけても近づかず、"
                     "警察や消防に連絡してください。"
                   : "지방자치단체의 안내에 따르십시오. 낙하물을 발견하면 가까이 가지 말고 "
                     "경찰이나 소방서에 신고하십시오.";
    if (m->msg_type == MWX_MSG_CANCEL)
        return lang == EN ? "No action is needed for this warning. Stay informed."
               : lang == JA ? "この警報に関する行動は不要です。引き続き情報に注意してください。"
                            : "이 경보와 관련한 조치는 필요 없습니다. 계속 정보에 유의하십시오.";
    if (m->kind == MWX_WARN_LAUNCH)
        return lang == EN ? "Stay informed. Be ready to take shelter at once if a warning for "
                            "your area follows."
               : lang == JA ? "引き続き情報に注意し、この地域に警報が出たら直ちに避難できるよう"
                              "備えてください。"
                            : "계속 정보에 유의하고, 이 지역에 경보가 발령되면 즉시 대피할 수 "
                              "있도록 준비하십시오.";
    if (heading(m))
        return lang == EN ? "A missile is flying toward this area. Go inside a sturdy building "
                            "or underground now. Stay away from windows."
               : lang == JA
                   ? "ミサイルがこの地域の方向へ飛翔しています。直ちに頑丈な建物の中や"
                     "地下に避難してください。窓から離れてください。"
                   : "미사일이 이 지역 방향으로 비행하고 있습니다. 즉시 튼튼한 건물 안이나 "
                     "지하로 대피하십시오. 창문에서 멀리 떨어지십시오.";
    if (m->kind == MWX_WARN_OVERFLIGHT)
        return lang == EN ? "A missile may pass over this area. Go inside a sturdy building or "
                            "underground now; debris may fall. Stay away from windows."
               : lang == JA
                   ? "ミサイルがこの地域の上空を通過するおそれがあります。落下物のおそれ"
                     "があるため、直ちに頑丈な建物の中や地下に避難してください。"
                     "窓から離れてください。"
                   : "미사일이 이 지역 상공을 통과할 수 있습니다. 낙하물 위험이 있으니 즉시 "
                     "튼튼한 건물 안이나 지하로 대피하십시오. 창문에서 멀리 떨어지십시오.";
    return lang == EN   ? "Take shelter now in a sturdy building or underground. If there is no "
                          "building nearby, take cover or lie flat and protect your head. Stay "
                          "away from windows."
           : lang == JA ? "直ちに頑丈な建物の中や地下に避難してください。近くに建物がない場合は、"
                          "物陰に身を隠すか地面に伏せて頭部を守ってください。窓から離れてください。"
                        : "즉시 튼튼한 건물 안이나 지하로 대피하십시오. 주변에 건물이 없으면 "
                          "몸을 숨기거나 엎드려 머리를 보호하십시오. 창문에서 멀리 떨어지십시오.";
}

/* The message is written by hand into a reused buffer, in the layout libxml2's
 * xmlTextWriter produced (two-space indent, one element per line): with xmlTextWriter the
 * three-language message cost about 1 M instructions, two thirds of an update that issues
 * an impact and an overflight message (callgrind); this way it costs a tenth of that. The
 * structure is fixed (below), every text goes through mwxi_warn_xml_esc(), and the test suite
 * validates every kind of message against the OASIS schema (C and xmllint). */
static void indent(mwx_buf_t *b, int depth)
{
    static const char sp[] = "            ";
    mwxi_buf_put(b, sp, (size_t)(2 * depth));
}

static void open_el(mwx_buf_t *b, int depth, const char *name)
{
    indent(b, depth);
    mwxi_buf_put(b, "<", 1);
    mwxi_buf_puts(b, name);
    mwxi_buf_put(b, ">\n", 2);
}

static void close_el(mwx_buf_t *b, int depth, const char *name)
{
    indent(b, depth);
    mwxi_buf_put(b, "</", 2);
    mwxi_buf_puts(b, name);
    mwxi_buf_put(b, ">\n", 2);
}

/* <name>text</name> on its own line, text escaped. */
static void el(mwx_buf_t *b, int depth, const char *name, const char *text)
{
    mwxi_warn_xml_el(b, 2 * depth, name, text);
}

static void param(mwx_buf_t *b, const char *name, const char *value)
{
    open_el(b, 2, "parameter");
    el(b, 3, "valueName", name);
    el(b, 3, "value", value);
    close_el(b, 2, "parameter");
}

/* CAP polygon: "lat,lon lat,lon ...", closed, longitudes wrapped into [-180, 180]. */
static void polygon_text(mwx_buf_t *b, const double (*ring)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double lon = ring[i][0];
        while (lon > 180.0)
            lon -= 360.0;
        while (lon < -180.0)
            lon += 360.0;
        if (i)
            mwxi_buf_put(b, " ", 1);
        mwxi_warn_fixed(b, ring[i][1], 5);
        mwxi_buf_put(b, ",", 1);
        mwxi_warn_fixed(b, lon, 5);
    }
}

/* What the three info blocks share, formatted once per message. */
typedef struct msg_text {
    char onset[40], expires[40], impact_time[40], sender_name[64];
    char impact_point[64], semi_major[32], semi_minor[32], orientation[32];
    int has_times;
} msg_text_t;

static void write_info(mwx_buf_t *b, cap_state_t *s, const mwx_warn_view_t *v,
                       const mwx_warn_msg_t *m, const msg_text_t *mt, int lang)
{
    int cancel = m->msg_type == MWX_MSG_CANCEL;
    mwx_buf_t *t = &s->tmp;

    open_el(b, 1, "info");
    el(b, 2, "language", lang_code[lang]);
    el(b, 2, "category", "Security");
    el(b, 2, "event", event_text(m, lang));
    el(b, 2, "responseType",
       cancel                       ? (m->all_clear ? "AllClear" : "None")
       : m->kind == MWX_WARN_LAUNCH ? "Monitor"
                                    : "Shelter");
    el(b, 2, "urgency", cancel ? "Past" : "Immediate");
    el(b, 2, "severity",
       cancel                                                         ? "Minor"
       : m->kind == MWX_WARN_OVERFLIGHT || m->kind == MWX_WARN_LAUNCH ? "Severe"
                                                                      : "Extreme");
    el(b, 2, "certainty",
       cancel                                     ? (m->all_clear ? "Observed" : "Unlikely")
       : m->kind == MWX_WARN_LAUNCH || heading(m) ? "Possible"
       : m->semi_major_km <= v->policy->likely_max_semi_major_km ? "Likely"
                                                                 : "Possible");
    open_el(b, 2, "eventCode");
    el(b, 3, "valueName", "mwx");
    el(b, 3, "value",
       m->kind == MWX_WARN_OVERFLIGHT ? "missile-overflight"
       : m->kind == MWX_WARN_LAUNCH   ? "missile-launch"
                                      : "missile-impact");
    close_el(b, 2, "eventCode");
    if (mt->has_times) {
        if (!cancel)
            el(b, 2, "onset", mt->onset);
        el(b, 2, "expires", mt->expires);
    }
    el(b, 2, "senderName", mt->sender_name);
    mwxi_buf_reset(t);
    headline(t, v, m, lang);
    el(b, 2, "headline", t->p ? t->p : "");
    mwxi_buf_reset(t);
    description(t, v, m, lang, mt->impact_time);
    el(b, 2, "description", t->p ? t->p : "");
    el(b, 2, "instruction", instruction(m, lang));
    param(b, "mwx:track_id", m->track_id);
    param(b, "mwx:series", mwx_alert_kind_name((mwx_alert_kind_t)m->kind));
    if (mt->has_times) {
        param(b, "mwx:impact_time", mt->impact_time);
        param(b, "mwx:impact_point", mt->impact_point);
        param(b, "mwx:ellipse_semi_major_km", mt->semi_major);
        param(b, "mwx:ellipse_semi_minor_km", mt->semi_minor);
        param(b, "mwx:ellipse_orientation_deg", mt->orientation);
    }
    if (m->sources[0])
        param(b, "mwx:sources", m->sources);
    if (m->n_removed) {
        mwxi_buf_reset(t);
        for (size_t i = 0; i < m->n_removed; i++) {
            const mwx_region_info_t *ri = mwx_regions_info(v->regions, (size_t)m->removed[i]);
            if (i)
                mwxi_buf_put(t, " ", 1);
            mwxi_buf_puts(t, ri ? ri->id : "?");
        }
        param(b, "mwx:regions_removed", t->p ? t->p : "");
    }
    if (m->ring && m->n_ring >= 4) {
        open_el(b, 2, "area");
        el(b, 3, "areaDesc",
           m->kind == MWX_WARN_LAUNCH       ? (lang == EN   ? "Possible reach of the launch"
                                               : lang == JA ? "到達のおそれのある範囲"
                                                            : "도달 가능 범위")
           : heading(m)                     ? (lang == EN   ? "Possible path of the missile"
                                               : lang == JA ? "飛翔のおそれのある範囲"
                                                            : "비행 가능 경로")
           : m->kind == MWX_WARN_OVERFLIGHT ? (lang == EN   ? "Predicted ground track corridor"
                                               : lang == JA ? "予測飛翔経路の直下"
                                                            : "예상 비행 경로 아래")
                                            : (lang == EN   ? "Predicted impact area (95 %)"
                                               : lang == JA ? "予測落下範囲（95%）"
                                                            : "예상 낙하 범위(95%)"));
        el(b, 3, "polygon", s->poly.p ? s->poly.p : "");
        close_el(b, 2, "area");
    }
    for (size_t i = 0; i < m->n_regions; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(v->regions, (size_t)m->regions[i]);
        if (!ri)
            continue;
        open_el(b, 2, "area");
        el(b, 3, "areaDesc", region_name(ri, lang));
        open_el(b, 3, "geocode");
        el(b, 4, "valueName", "ISO3166-2");
        el(b, 4, "value", ri->id);
        close_el(b, 3, "geocode");
        close_el(b, 2, "area");
    }
    close_el(b, 1, "info");
}

/* The whole message into s->doc. */
static int cap_render(cap_state_t *s, const mwx_warn_view_t *v, const mwx_warn_msg_t *m)
{
    mwx_buf_t *b = &s->doc;
    msg_text_t mt;
    char source[128];

    memset(&mt, 0, sizeof mt);
    mt.has_times = isfinite(m->impact_t);
    if (mt.has_times) { /* a launch notice has no prediction yet: no times at all */
        (void)mwx_time_format(v->epoch_unix_s + m->impact_t, 0, 0, mt.impact_time,
                              sizeof mt.impact_time);
        double onset = m->kind == MWX_WARN_OVERFLIGHT ? m->t : m->impact_t;
        (void)mwx_time_format(v->epoch_unix_s + onset, 0, 0, mt.onset, sizeof mt.onset);
        (void)mwx_time_format(v->epoch_unix_s +
                                  fmax(m->impact_t + v->policy->all_clear_after_s, m->t),
                              0, 0, mt.expires, sizeof mt.expires);
        snprintf(mt.impact_point, sizeof mt.impact_point, "%.5f,%.5f", m->impact_lat,
                 m->impact_lon);
        snprintf(mt.semi_major, sizeof mt.semi_major, "%.3f", m->semi_major_km);
        snprintf(mt.semi_minor, sizeof mt.semi_minor, "%.3f", m->semi_minor_km);
        snprintf(mt.orientation, sizeof mt.orientation, "%.2f", m->orientation_deg);
    }
    snprintf(mt.sender_name, sizeof mt.sender_name, "mwx node %s", v->node);
    mwxi_buf_reset(&s->poly);
    if (m->ring && m->n_ring >= 4)
        polygon_text(&s->poly, m->ring, m->n_ring);

    mwxi_buf_reset(b);
    mwxi_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
    el(b, 1, "identifier", m->identifier);
    el(b, 1, "sender", v->sender);
    el(b, 1, "sent", m->sent);
    el(b, 1, "status", mwx_status_name(v->status));
    el(b, 1, "msgType", mwx_msg_type_name(m->msg_type));
    snprintf(source, sizeof source, "mwx %s node %s", MWX_VERSION, v->node);
    el(b, 1, "source", source);
    el(b, 1, "scope", "Public");
    if (m->msg_type == MWX_MSG_CANCEL)
        el(b, 1, "note",
           m->all_clear ? "All clear: the predicted impact time has passed."
                        : "Cancelled: the threat to these areas was withdrawn.");
    else if (v->status != MWX_STATUS_ACTUAL)
        el(b, 1, "note", "Not a real event: simulated data.");
    if (m->n_refs > 0) {
        mwx_buf_t *t = &s->tmp;
        mwxi_buf_reset(t);
        for (int i = 0; i < m->n_refs; i++) {
            if (i)
                mwxi_buf_put(t, " ", 1);
            mwxi_buf_puts(t, m->refs[i]);
        }
        el(b, 1, "references", t->p ? t->p : "");
    }
    el(b, 1, "incidents", m->incident);
    for (int lang = 0; lang < NLANG; lang++)
        write_info(b, s, v, m, &mt, lang);
    mwxi_buf_puts(b, "</alert>\n");
    return b->oom || s->tmp.oom || s->poly.oom ? MWX_ENOMEM : MWX_OK;
}

static int cap_message(void *state, const mwx_warn_view_t *v, const mwx_warn_msg_t *m,
                       mwx_warn_emit_file_fn emit, void *ectx, mwx_err_t *err)
{
    cap_state_t *s = state;
    const mwx_buf_t *out = &s->doc;
    char name[160];
    int rc;

    if (cap_render(s, v, m))
        return mwx_err_set(err, MWX_ENOMEM, "cap: could not write message %s", m->identifier);
    if (s->signer) {
        /* the enveloped XML-DSig signature, last child of <alert> (cap_sign.c) */
        if ((rc = mwxi_cap_sign_buf(s->signer, s->doc.p, s->doc.len, &s->signed_doc, err)) !=
            MWX_OK) {
            mwx_err_prefix(err, "cap: message %s", m->identifier);
            return rc;
        }
        out = &s->signed_doc;
    }
    snprintf(name, sizeof name, "%s.cap.xml", m->identifier);
    rc = mwxi_warn_write_new(&s->inodes, v->alerts_dir, name, out->p, out->len, v->durable, err);
    if (rc)
        return rc;
    emit(ectx, MWX_WARN_OUT_CAP, name, m->identifier, m->msg_type, m->regions, m->n_regions);
    return MWX_OK;
}

static void cap_prepare(void *state, const mwx_warn_view_t *v)
{
    cap_state_t *s = state;
    mwxi_warn_inodes_fill(&s->inodes, v->alerts_dir);
}

const mwx_warn_format_t mwxi_warn_format_cap = {
    .prepare = cap_prepare,
    .name = "cap",
    .kind = MWX_WARN_OUT_CAP,
    .republish = 1,
    .message = cap_message,
    .create = cap_create,
    .destroy = cap_destroy,
};
