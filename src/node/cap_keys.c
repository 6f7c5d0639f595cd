/* The CAP alerting keys of a run or a node (cap_keys.h). A demo PKI keeps `make demo` and
 * `mwx run` honest: their CAP files are signed and verifiable against OUT/pki/demo-ca.pem,
 * and the CA's name says it is no warning authority (docs/WARNING_POLICY.md). */
#include "node/cap_keys.h"
#include "mwx/share.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DEMO_CA_NAME "mwx DEMO CA - exercise only, not a warning authority"

int mwxi_cap_key_paths(const char *dir, const char *nation, char *key, char *cert, mwx_err_t *err)
{
    if (snprintf(key, MWX_PATH_LEN, "%s/%s-cap.key", dir, nation) >= MWX_PATH_LEN ||
        snprintf(cert, MWX_PATH_LEN, "%s/%s-cap.pem", dir, nation) >= MWX_PATH_LEN)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    return MWX_OK;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int mwxi_cap_demo_pki(const char *dir, const char (*nations)[MWX_ID_LEN], int n, int fresh,
                      mwx_err_t *err)
{
    char cak[MWX_PATH_LEN], cac[MWX_PATH_LEN], key[MWX_PATH_LEN], cert[MWX_PATH_LEN];
    char cn[96];
    mwx_pki_subject_t sub;
    int rc, new_ca = 0;

    if ((rc = mwx_mkdir_p(dir, 0700, err)) != MWX_OK)
        return rc;
    if (snprintf(cak, sizeof cak, "%s/demo-ca.key", dir) >= (int)sizeof cak ||
        snprintf(cac, sizeof cac, "%s/demo-ca.pem", dir) >= (int)sizeof cac)
        return mwx_err_set(err, MWX_EINVAL, "%s: path too long", dir);
    if (fresh || !exists(cak) || !exists(cac)) {
        memset(&sub, 0, sizeof sub);
        sub.common_name = DEMO_CA_NAME;
        sub.org = "mwx demo";
        if ((rc = mwx_pki_make_ca(&sub, cak, cac, 1, err)) != MWX_OK)
            return rc;
        new_ca = 1;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = mwxi_cap_key_paths(dir, nations[i], key, cert, err)) != MWX_OK)
            return rc;
        if (!new_ca && exists(key) && exists(cert))
            continue;
        snprintf(cn, sizeof cn, "%s public alerting (DEMO key, exercise only)", nations[i]);
        memset(&sub, 0, sizeof sub);
        sub.common_name = cn;
        sub.org = "mwx demo";
        sub.usage = MWX_PKI_SIGNING;
        if ((rc = mwx_pki_issue(cak, cac, &sub, key, cert, 1, err)) != MWX_OK)
            return rc;
    }
    return MWX_OK;
}
