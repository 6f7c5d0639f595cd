/* libFuzzer target: bytes -> a scenario's reference block (src/score/reference.c). A
 * success must leave a block within its limits; every failure must say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mwx/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mwx_reference_t ref; /* large: keep it off the stack */
    mwx_err_t err = {0, ""};
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int rc = mwx_reference_parse(text, "fuzz.json", &ref, &err);
    if (rc == 0) {
        if (ref.present &&
            (ref.n_sources < 1 || ref.n_sources > MWX_REF_MAX_SOURCES ||
             ref.n_alerts > MWX_REF_MAX_ALERTS || ref.n_overflight > MWX_REF_MAX_OVERFLIGHT))
            abort();
    } else if (!err.msg[0]) {
        abort();
    }
    free(text);
    return 0;
}
