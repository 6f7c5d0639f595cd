/* Region names per language: every shipped region has an English, a Japanese and a Korean
 * name in the right script (data/regions/names.csv, merged into the regions file), the
 * loader falls back sensibly for files without them, and each CAP <info> block names every
 * region in its own language only: no English name in the ja-JP or ko-KR text, whatever
 * the region's country (issue 12, item 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "warn_test_util.h"

/* Next code point of UTF-8 text (-1 on a malformed sequence). */
static long next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    long c;
    int n;
    if (s[0] < 0x80) {
        c = s[0];
        n = 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        c = s[0] & 0x1F;
        n = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0F;
        n = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        c = s[0] & 0x07;
        n = 4;
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *p = s + n;
    return c;
}

static int is_kana_kanji(long c)
{
    return (c >= 0x3040 && c <= 0x30FF) || /* hiragana, katakana (with ・ and ー) */
           (c >= 0x3400 && c <= 0x9FFF) || /* CJK ideographs */
           (c >= 0xF900 && c <= 0xFAFF);
}

static int is_hangul(long c)
{
    return c >= 0xAC00 && c <= 0xD7A3;
}

/* 1 when s is non-empty and every code point passes ok() or is a space. */
static int all_script(const char *s, int (*ok)(long))
{
    const unsigned char *p = (const unsigned char *)s;
    int letters = 0;
    while (*p) {
        long c = next_cp(&p);
        if (c < 0 || (c != ' ' && !ok(c)))
            return 0;
        letters += c != ' ';
    }
    return letters > 0;
}

static int is_latin(long c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}

static void test_every_region_has_three_names(void **st)
{
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    size_t n, n_jp = 0, n_kr = 0;
    (void)st;
    assert_int_equal(mwx_regions_load(WT_REGIONS, &r, &err), 0);
    n = mwx_regions_count(r);
    assert_int_equal(n, 66);
    for (size_t i = 0; i < n; i++) {
        const mwx_region_info_t *ri = mwx_regions_info(r, i);
        if (!all_script(ri->name, is_latin))
            fail_msg("%s: English name \"%s\" is not Latin letters", ri->id, ri->name);
        if (!all_script(ri->name_ja, is_kana_kanji))
            fail_msg("%s: Japanese name \"%s\" is not kana/kanji", ri->id, ri->name_ja);
        if (!all_script(ri->name_ko, is_hangul))
            fail_msg("%s: Korean name \"%s\" is not Hangul", ri->id, ri->name_ko);
        n_jp += strcmp(ri->country, "JP") == 0;
        n_kr += strcmp(ri->country, "KR") == 0;
        /* the country's own language is its local name */
        if (strcmp(ri->country, "JP") == 0)
            assert_string_equal(ri->name_ja, ri->name_local);
        if (strcmp(ri->country, "KR") == 0)
            assert_string_equal(ri->name_ko, ri->name_local);
    }
    assert_int_equal(n_jp, 47);
    assert_int_equal(n_kr, 17);
    /* a few rows against the table (CLDR, and the 2023/2024 Korean renames) */
    const struct {
        const char *id, *ja, *ko;
    } want[] = {
        {"JP-13", "東京都", "도쿄 도"},
        {"JP-47", "沖縄県", "오키나와 현"},
        {"KR-11", "ソウル特別市", "서울특별시"},
        {"KR-42", "江原特別自治道", "강원특별자치도"},
        {"KR-45", "全北特別自治道", "전북특별자치도"},
        {"US-GU", "グアム", "괌"},
        {"US-MP", "北マリアナ諸島", "북마리아나제도"},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const mwx_region_info_t *ri = mwx_regions_info(r, (size_t)mwx_regions_find(r, want[k].id));
        assert_non_null(ri);
        assert_string_equal(ri->name_ja, want[k].ja);
        assert_string_equal(ri->name_ko, want[k].ko);
    }
    mwx_regions_free(r);
}

#define SQ "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"

static void test_fallback_and_errors(void **st)
{
    static const char ok[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"JP-13\",\"name\":\"Tokyo\","
        "\"name_local\":\"東京都\",\"country\":\"JP\"}," SQ "},"
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"KR-11\",\"name\":\"Seoul\","
        "\"name_local\":\"서울특별시\",\"country\":\"KR\"}," SQ "},"
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"US-GU\",\"name\":\"Guam\"}," SQ "},"
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"XA-1\",\"name\":\"A\","
        "\"name_ja\":\"エー\",\"name_ko\":\"에이\"}," SQ "}]}";
    mwx_regions_t *r = NULL;
    mwx_err_t err = {0};
    const mwx_region_info_t *ri;
    (void)st;
    assert_int_equal(mwx_regions_load_string(ok, strlen(ok), "names.geojson", &r, &err), 0);
    ri = mwx_regions_info(r, 0); /* JP: Japanese = local name, Korean unknown = English */
    assert_string_equal(ri->name_ja, "東京都");
    assert_string_equal(ri->name_ko, "Tokyo");
    ri = mwx_regions_info(r, 1);
    assert_string_equal(ri->name_ja, "Seoul");
    assert_string_equal(ri->name_ko, "서울특별시");
    ri = mwx_regions_info(r, 2);
    assert_string_equal(ri->name_ja, "Guam");
    assert_string_equal(ri->name_ko, "Guam");
    ri = mwx_regions_info(r, 3);
    assert_string_equal(ri->name_ja, "エー");
    assert_string_equal(ri->name_ko, "에이");
    mwx_regions_free(r);

    /* a name of the wrong type, or too long, names the feature and the property */
    static const char bad_type[] =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"id\":\"XA-1\",\"name\":\"A\",\"name_ko\":7}," SQ
        "}]}";
    r = NULL;
    assert_int_equal(mwx_regions_load_string(bad_type, strlen(bad_type), "bad.geojson", &r, &err),
                     MWX_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "XA-1"));
    assert_non_null(strstr(err.msg, "properties.name_ko"));
    char big[1024];
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    snprintf(big, sizeof big,
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
             "{\"id\":\"XA-1\",\"name\":\"A\",\"name_ja\":\"%s\"}," SQ "}]}",
             longname);
    assert_int_equal(mwx_regions_load_string(big, strlen(big), "bad.geojson", &r, &err),
                     MWX_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "properties.name_ja"));
}

/* ---------------------------------------------------------------- the CAP text */

typedef struct fixture {
    char dir[512];
    wt_log_t log;
    mwx_warn_t *w;
    mwx_regions_t *regions; /* the same file, to look names up */
} fixture_t;

static wt_schema_t g_schema;

static void open_ctx(fixture_t *f, const char *name)
{
    mwx_warn_config_t cfg = {0};
    mwx_warn_policy_t pol;
    mwx_err_t err = {0};
    double epoch;
    memset(f, 0, sizeof *f);
    wt_outdir(f->dir, sizeof f->dir, name);
    assert_int_equal(mwx_time_parse("2026-11-22T03:00:00Z", &epoch, &err), 0);
    mwx_warn_policy_default(&pol);
    pol.launch_notice = 0;
    pol.settle_s = 0;
    cfg.node = "JP";
    cfg.source = MWX_WARN_SOURCE_SIMULATED;
    cfg.status = MWX_STATUS_EXERCISE;
    cfg.epoch_unix_s = epoch;
    cfg.regions_path = WT_REGIONS;
    cfg.out_dir = f->dir;
    cfg.policy = &pol;
    cfg.emit = wt_emit;
    cfg.user = &f->log;
    if (mwx_warn_create(&cfg, &f->w, &err))
        fail_msg("mwx_warn_create: %s", err.msg);
    if (mwx_regions_load(WT_REGIONS, &f->regions, &err))
        fail_msg("mwx_regions_load: %s", err.msg);
}

static void close_ctx(fixture_t *f)
{
    mwx_warn_free(f->w);
    mwx_regions_free(f->regions);
}

/* Text content of every <info> of a CAP document, with its language. */
static int infos(xmlDocPtr d, char lang[][16], char **text, int max)
{
    xmlNodePtr v[8];
    int n = 0;
    wt_collect(xmlDocGetRootElement(d), "info", v, &n, max < 8 ? max : 8);
    for (int i = 0; i < n; i++) {
        xmlChar *s = xmlNodeGetContent(v[i]);
        const char *txt = s ? (const char *)s : "";
        size_t len = strlen(txt) + 1;
        text[i] = malloc(len);
        assert_non_null(text[i]);
        memcpy(text[i], txt, len);
        xmlFree(s);
        lang[i][0] = '\0';
        for (xmlNodePtr c = v[i]->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "language") == 0) {
                xmlChar *l = xmlNodeGetContent(c);
                snprintf(lang[i], 16, "%s", l ? (const char *)l : "");
                xmlFree(l);
            }
    }
    return n;
}

/* Every CAP message so far names each of its regions in each block's language, and no
 * block but en-US carries a region's English name. Returns the number of messages that
 * named `must_id`. */
static int check_caps(const fixture_t *f, const char *must_id)
{
    int named = 0;
    for (int i = 0; i < f->log.n; i++) {
        const mwx_rec_alert_t *rec = &f->log.rec[i];
        char lang[8][16], *text[8];
        int ni, has_must = 0;
        if (f->log.out[i] != MWX_WARN_OUT_CAP)
            continue;
        xmlDocPtr d = wt_read(f->dir, rec->file);
        if (!d)
            fail_msg("%s/%s does not parse", f->dir, rec->file);
        if (xmlSchemaValidateDoc(g_schema.vc, d) != 0)
            fail_msg("%s/%s is not valid CAP 1.2", f->dir, rec->file);
        ni = infos(d, lang, text, 8);
        assert_int_equal(ni, 3);
        for (int k = 0; k < rec->n_regions; k++) {
            int idx = mwx_regions_find(f->regions, rec->regions[k]);
            const mwx_region_info_t *ri = mwx_regions_info(f->regions, (size_t)idx);
            assert_non_null(ri);
            has_must |= strcmp(ri->id, must_id) == 0;
            for (int b = 0; b < ni; b++) {
                const char *own = strcmp(lang[b], "ja-JP") == 0   ? ri->name_ja
                                  : strcmp(lang[b], "ko-KR") == 0 ? ri->name_ko
                                                                  : ri->name;
                if (!strstr(text[b], own))
                    fail_msg("%s, %s block: no \"%s\" for %s", rec->file, lang[b], own, ri->id);
                if (strcmp(lang[b], "en-US") != 0 && strstr(text[b], ri->name))
                    fail_msg("%s, %s block names %s in English (\"%s\")", rec->file, lang[b],
                             ri->id, ri->name);
            }
        }
        named += has_must;
        for (int b = 0; b < ni; b++)
            free(text[b]);
        xmlFreeDoc(d);
    }
    return named;
}

static void feed(fixture_t *f, const mwx_rec_track_t *k)
{
    mwx_err_t err = {0};
    if (mwx_warn_track(f->w, k, &err))
        fail_msg("mwx_warn_track: %s", err.msg);
}

static void test_cap_japanese_prefecture(void **st)
{
    fixture_t f;
    mwx_rec_track_t k;
    (void)st;
    open_ctx(&f, "names-jp");
    /* a 10 km ellipse on central Tokyo */
    k = wt_track("JP-1", 100, 36.0, 133.0, 300e3, 35.69, 139.70, 400, 10, 5, 0);
    feed(&f, &k);
    assert_true(check_caps(&f, "JP-13") >= 1);
    close_ctx(&f);
}

static void test_cap_korean_province(void **st)
{
    fixture_t f;
    mwx_rec_track_t k;
    (void)st;
    open_ctx(&f, "names-kr");
    /* a 15 km circle on Seoul: Seoul and Gyeonggi */
    k = wt_track("KR-1", 200, 37.0, 128.0, 100e3, 37.5665, 126.978, 260, 15, 15, 0);
    feed(&f, &k);
    assert_true(check_caps(&f, "KR-11") >= 1);
    close_ctx(&f);
}

static void test_cap_guam(void **st)
{
    fixture_t f;
    mwx_rec_track_t k;
    (void)st;
    open_ctx(&f, "names-gu");
    k = wt_track("GU-1", 900, 14.0, 143.0, 200e3, 13.45, 144.78, 1100, 10, 10, 0);
    feed(&f, &k);
    assert_true(check_caps(&f, "US-GU") >= 1);
    close_ctx(&f);
}

static int setup(void **st)
{
    (void)st;
    return wt_schema_open(&g_schema);
}

static int teardown(void **st)
{
    (void)st;
    wt_schema_close(&g_schema);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_region_has_three_names),
        cmocka_unit_test(test_fallback_and_errors),
        cmocka_unit_test(test_cap_japanese_prefecture),
        cmocka_unit_test(test_cap_korean_province),
        cmocka_unit_test(test_cap_guam),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
