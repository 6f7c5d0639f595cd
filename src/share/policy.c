/* Releasability policy: who may receive what each nation shares (scenario `sharing`). */
#include "share_int.h"

#include <jansson.h>
#include <string.h>

int mwx_policy_index(const mwx_policy_t *p, const char *nation)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->nation[i], nation) == 0)
            return i;
    return -1;
}

int mwx_policy_allows(const mwx_policy_t *p, const char *from, const char *to)
{
    int i = mwx_policy_index(p, from), j = mwx_policy_index(p, to);
    return i >= 0 && j >= 0 && (p->to[i] >> j & 1u);
}

int mwx_policy_recipients(const mwx_policy_t *p, const char *from,
                          char to[MWX_MAX_NATIONS][MWX_ID_LEN])
{
    int i = mwx_policy_index(p, from), n = 0;
    if (i < 0)
        return 0;
    for (int j = 0; j < p->n; j++)
        if (p->to[i] >> j & 1u)
            mwx_strlcpy(to[n++], p->nation[j], MWX_ID_LEN);
    return n;
}

static int nation_at(const mwx_jpath_t *jp, const json_t *v, const mwx_policy_t *p, mwx_err_t *err)
{
    if (!json_is_string(v))
        return mwx_jpath_error(jp, NULL, err, "expected a nation id string");
    int i = mwx_policy_index(p, json_string_value(v));
    if (i < 0)
        return mwx_jpath_error(jp, NULL, err, "nation '%s' is not in $.nations",
                               json_string_value(v));
    return i;
}

int mwx_policy_from_json(const json_t *root, const char *file, mwx_policy_t *p, mwx_err_t *err)
{
    static const char *const share_keys[] = {"from", "to", NULL};
    mwx_jpath_t jp;
    const json_t *nations, *sharing, *v;
    size_t k, m;

    memset(p, 0, sizeof *p);
    mwx_jpath_init(&jp, file);
    if (!json_is_object(root))
        return mwx_jpath_error(&jp, NULL, err, "expected an object with nations and sharing");
    nations = json_object_get(root, "nations");
    if (!json_is_array(nations) || json_array_size(nations) == 0)
        return mwx_jpath_error(&jp, "nations", err, "expected a non-empty array");
    if (json_array_size(nations) > MWX_MAX_NATIONS)
        return mwx_jpath_error(&jp, "nations", err, "at most %d nations", MWX_MAX_NATIONS);
    size_t l0 = mwx_jpath_key(&jp, "nations");
    json_array_foreach(nations, k, v)
    {
        size_t l1 = mwx_jpath_index(&jp, k);
        char id[MWX_ID_LEN];
        if (!json_is_object(v))
            return mwx_jpath_error(&jp, NULL, err, "expected an object {\"id\": ...}");
        /* Other keys of a nation belong to the scenario's own reader. */
        int rc = mwx_json_string(&jp, v, "id", 1, NULL, id, sizeof id, err);
        if (rc < 0)
            return rc;
        if (!mwxi_share_id_ok(id, strlen(id)))
            return mwx_jpath_error(&jp, "id", err, "expected 1-%d characters of A-Z a-z 0-9 - _",
                                   MWX_ID_LEN - 1);
        if (mwx_policy_index(p, id) >= 0)
            return mwx_jpath_error(&jp, "id", err, "nation '%s' listed twice", id);
        mwx_strlcpy(p->nation[p->n++], id, MWX_ID_LEN);
        mwx_jpath_pop(&jp, l1);
    }
    mwx_jpath_pop(&jp, l0);

    sharing = json_object_get(root, "sharing");
    if (!sharing)
        return MWX_OK; /* nobody shares */
    if (!json_is_array(sharing))
        return mwx_jpath_error(&jp, "sharing", err, "expected an array of {from, to}");
    l0 = mwx_jpath_key(&jp, "sharing");
    uint32_t seen = 0;
    json_array_foreach(sharing, k, v)
    {
        size_t l1 = mwx_jpath_index(&jp, k);
        int rc = mwx_json_check_object(&jp, v, share_keys, err);
        if (rc < 0)
            return rc;
        const json_t *from = json_object_get(v, "from"), *to = json_object_get(v, "to"), *w;
        if (!from)
            return mwx_jpath_error(&jp, "from", err, "required");
        size_t l2 = mwx_jpath_key(&jp, "from");
        int i = nation_at(&jp, from, p, err);
        if (i < 0)
            return i;
        mwx_jpath_pop(&jp, l2);
        if (seen >> i & 1u)
            return mwx_jpath_error(&jp, "from", err, "a second entry for '%s'", p->nation[i]);
        seen |= 1u << i;
        if (!json_is_array(to))
            return mwx_jpath_error(&jp, "to", err, "expected an array of nation ids");
        l2 = mwx_jpath_key(&jp, "to");
        json_array_foreach(to, m, w)
        {
            size_t l3 = mwx_jpath_index(&jp, m);
            int j = nation_at(&jp, w, p, err);
            if (j < 0)
                return j;
            if (j == i)
                return mwx_jpath_error(&jp, NULL, err, "'%s' shares with itself", p->nation[i]);
            if (p->to[i] >> j & 1u)
                return mwx_jpath_error(&jp, NULL, err, "'%s' listed twice", p->nation[j]);
            p->to[i] |= 1u << j;
            mwx_jpath_pop(&jp, l3);
        }
        mwx_jpath_pop(&jp, l2);
        mwx_jpath_pop(&jp, l1);
    }
    return MWX_OK;
}

int mwx_policy_load(const char *path, mwx_policy_t *p, mwx_err_t *err)
{
    json_t *root = NULL;
    int rc = mwx_json_load_file(path, &root, err);
    if (rc < 0)
        return rc;
    rc = mwx_policy_from_json(root, path, p, err);
    json_decref(root);
    return rc;
}
