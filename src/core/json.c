/* Strict JSON readers over jansson. Every error names the file and the JSON path
 * ("scenario.json: $.sensors[2].pd: expected a number in [0, 1], got 1.5"), because a
 * user fixing a scenario needs to know exactly where to look. */
#include "mwx/core.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

int mwx_json_load_file(const char *path, struct json_t **root, mwx_err_t *err)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (je.line < 1)
            return mwx_err_set(err, MWX_EINVAL, "%s: %s", path, je.text);
        return mwx_err_set(err, MWX_EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    *root = j;
    return MWX_OK;
}

int mwx_json_load_string(const char *text, size_t len, const char *name, struct json_t **root,
                         mwx_err_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return mwx_err_set(err, MWX_EINVAL, "%s:%d:%d: %s", name ? name : "(json)", je.line,
                           je.column, je.text);
    *root = j;
    return MWX_OK;
}

void mwx_jpath_init(mwx_jpath_t *jp, const char *file)
{
    jp->file = file ? file : "(json)";
    strcpy(jp->path, "$");
}

size_t mwx_jpath_key(mwx_jpath_t *jp, const char *key)
{
    size_t old = strlen(jp->path);
    snprintf(jp->path + old, sizeof jp->path - old, ".%s", key);
    return old;
}

size_t mwx_jpath_index(mwx_jpath_t *jp, size_t index)
{
    size_t old = strlen(jp->path);
    snprintf(jp->path + old, sizeof jp->path - old, "[%zu]", index);
    return old;
}

void mwx_jpath_pop(mwx_jpath_t *jp, size_t len)
{
    if (len < sizeof jp->path)
        jp->path[len] = '\0';
}

int mwx_jpath_error(const mwx_jpath_t *jp, const char *key, mwx_err_t *err, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (key)
        return mwx_err_set(err, MWX_EINVAL, "%s: %s.%s: %s", jp->file, jp->path, key, what);
    return mwx_err_set(err, MWX_EINVAL, "%s: %s: %s", jp->file, jp->path, what);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

int mwx_json_check_object(const mwx_jpath_t *jp, const struct json_t *obj,
                          const char *const *allowed, mwx_err_t *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return mwx_jpath_error(jp, NULL, err, "expected an object, got %s", type_name(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) {
                ok = 1;
                break;
            }
        if (!ok) {
            char list[256] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list - 1; a++) {
                int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *a);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            return mwx_jpath_error(jp, key, err, "unknown key (expected one of: %s)", list);
        }
    }
    return MWX_OK;
}

static json_t *get(const struct json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v;
}

int mwx_json_number(const mwx_jpath_t *jp, const struct json_t *obj, const char *key, int required,
                    double def, double min, double max, double *out, mwx_err_t *err)
{
    json_t *v = get(obj, key);
    double x;
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected a number in [%g, %g])", min,
                                   max);
        *out = def;
        return MWX_OK;
    }
    if (!json_is_number(v))
        return mwx_jpath_error(jp, key, err, "expected a number in [%g, %g], got %s", min, max,
                               type_name(v));
    x = json_number_value(v);
    if (!isfinite(x) || x < min || x > max)
        return mwx_jpath_error(jp, key, err, "expected a number in [%g, %g], got %g", min, max, x);
    *out = x;
    return MWX_OK;
}

int mwx_json_integer(const mwx_jpath_t *jp, const struct json_t *obj, const char *key, int required,
                     long long def, long long min, long long max, long long *out, mwx_err_t *err)
{
    json_t *v = get(obj, key);
    long long x;
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected an integer in [%lld, %lld])",
                                   min, max);
        *out = def;
        return MWX_OK;
    }
    if (!json_is_integer(v))
        return mwx_jpath_error(jp, key, err, "expected an integer in [%lld, %lld], got %s", min,
                               max, json_is_real(v) ? "a fractional number" : type_name(v));
    x = (long long)json_integer_value(v);
    if (x < min || x > max)
        return mwx_jpath_error(jp, key, err, "expected an integer in [%lld, %lld], got %lld", min,
                               max, x);
    *out = x;
    return MWX_OK;
}

int mwx_json_bool(const mwx_jpath_t *jp, const struct json_t *obj, const char *key, int required,
                  int def, int *out, mwx_err_t *err)
{
    json_t *v = get(obj, key);
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected true or false)");
        *out = def;
        return MWX_OK;
    }
    if (!json_is_boolean(v))
        return mwx_jpath_error(jp, key, err, "expected true or false, got %s", type_name(v));
    *out = json_is_true(v);
    return MWX_OK;
}

int mwx_json_string(const mwx_jpath_t *jp, const struct json_t *obj, const char *key, int required,
                    const char *def, char *buf, size_t n, mwx_err_t *err)
{
    json_t *v = get(obj, key);
    const char *s;
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected a string)");
        if (mwx_strlcpy(buf, def ? def : "", n))
            return mwx_jpath_error(jp, key, err, "default value too long");
        return MWX_OK;
    }
    if (!json_is_string(v))
        return mwx_jpath_error(jp, key, err, "expected a string, got %s", type_name(v));
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return mwx_jpath_error(jp, key, err, "string contains a NUL character");
    if (mwx_strlcpy(buf, s, n))
        return mwx_jpath_error(jp, key, err, "string longer than %zu characters", n - 1);
    return MWX_OK;
}

int mwx_json_enum(const mwx_jpath_t *jp, const struct json_t *obj, const char *key, int required,
                  int def, const char *const *choices, int *out, mwx_err_t *err)
{
    json_t *v = get(obj, key);
    char list[256] = "";
    size_t used = 0;
    for (const char *const *c = choices; *c && used < sizeof list - 1; c++) {
        int w = snprintf(list + used, sizeof list - used, "%s\"%s\"", used ? ", " : "", *c);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!v) {
        if (required)
            return mwx_jpath_error(jp, key, err, "missing (expected one of %s)", list);
        *out = def;
        return MWX_OK;
    }
    if (json_is_string(v)) {
        for (int i = 0; choices[i]; i++)
            if (strcmp(choices[i], json_string_value(v)) == 0) {
                *out = i;
                return MWX_OK;
            }
        return mwx_jpath_error(jp, key, err, "expected one of %s, got \"%s\"", list,
                               json_string_value(v));
    }
    return mwx_jpath_error(jp, key, err, "expected one of %s, got %s", list, type_name(v));
}
