/* Internal to src/node: where a nation's CAP alerting key is, and the demo PKI that `mwx
 * run`, `mwx demo` and `mwx node` use when no key is configured (cap_keys.c). */
#ifndef MWX_NODE_CAP_KEYS_H
#define MWX_NODE_CAP_KEYS_H

#include "mwx/core.h"

/* dir/NATION-cap.key and dir/NATION-cap.pem (the names `mwx keygen --cap` writes); each
 * buffer MWX_PATH_LEN bytes. */
int mwxi_cap_key_paths(const char *dir, const char *nation, char *key, char *cert, mwx_err_t *err);

/* A demo PKI in dir (created 0700): demo-ca.key/.pem, a CA whose name says it is a demo,
 * and NATION-cap.key/.pem issued by it for each nation. fresh: made anew (a run); else only
 * what is missing is made (a node keeps its demo key across restarts). */
int mwxi_cap_demo_pki(const char *dir, const char (*nations)[MWX_ID_LEN], int n, int fresh,
                      mwx_err_t *err);

#endif
