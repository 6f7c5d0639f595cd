/* libFuzzer: bytes as a CAP file given to `mwx verify-cap` (mwx_cap_verify: libxml2 parse,
 * shape checks, xmlsec signature and X.509 chain). Properties: no crash, no leak, no
 * hang; arbitrary input is refused (only a file signed by the fuzzer's own key could
 * verify).
 *
 * Input starting with "S:" is first signed (mwx_cap_sign: parse, template, xmlsec, the
 * splice before </alert>) with an alerting key of the CA, then verified: whatever the
 * signer accepted must then never fail as "changed after signing" (the splice keeps the
 * signed tree) -- only the verifier's shape rules (not a CAP alert, a DTD) may refuse it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/share.h"
#include "mwx/warn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mwx_cap_verifier_t *ver;
static mwx_cap_signer_t *sig;

static void init(void)
{
    char dir[] = "/tmp/mwx-fuzz-cap-XXXXXX", cak[64], cac[64], key[64], cert[64];
    mwx_pki_subject_t s = {.common_name = "fuzz CA"};
    mwx_err_t err = {0};
    if (!mkdtemp(dir))
        abort();
    snprintf(cak, sizeof cak, "%s/ca.key", dir);
    snprintf(cac, sizeof cac, "%s/ca.pem", dir);
    snprintf(key, sizeof key, "%s/a.key", dir);
    snprintf(cert, sizeof cert, "%s/a.pem", dir);
    if (mwx_pki_make_ca(&s, cak, cac, 1, &err))
        abort();
    s.common_name = "fuzz alerting";
    s.usage = MWX_PKI_SIGNING;
    if (mwx_pki_issue(cak, cac, &s, key, cert, 1, &err) ||
        mwx_cap_signer_create(key, cert, &sig, &err) || mwx_cap_verifier_create(cac, &ver, &err))
        abort();
    remove(cak), remove(cac), remove(key), remove(cert), remove(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mwx_err_t err = {0};
    char who[256];
    if (!ver)
        init();
    if (size >= 2 && data[0] == 'S' && data[1] == ':') {
        char *out = NULL;
        size_t len = 0;
        if (mwx_cap_sign(sig, (const char *)data + 2, size - 2, &out, &len, &err) == MWX_OK) {
            int rc = mwx_cap_verify(ver, out, len, who, sizeof who, &err);
            if (rc == MWX_ECRYPTO) {
                fprintf(stderr, "signed by mwx_cap_sign, refused: %s\n", err.msg);
                abort();
            }
            free(out);
        }
        return 0;
    }
    if (mwx_cap_verify(ver, (const char *)data, size, who, sizeof who, &err) == MWX_OK) {
        /* only our own key can sign, and the fuzzer has no way to it */
        fprintf(stderr, "arbitrary input verified\n");
        abort();
    }
    return 0;
}
