/* mwxi_grow: see grow.h. */
#include "core/grow.h"

#include "mwx/core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int mwxi_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    if (elem == 0 || first == 0)
        return MWX_ENOMEM;
    size_t c = first;
    if (*cap) {
        if (*cap > SIZE_MAX / 2)
            return MWX_ENOMEM;
        c = *cap * 2;
    }
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return MWX_ENOMEM;
        c *= 2;
    }
    if (c > SIZE_MAX / elem)
        return MWX_ENOMEM;
    /* the array's pointer is read and written through memcpy, so arrp may point to a
     * pointer of any object type without breaking the aliasing rules */
    void *old;
    memcpy(&old, arrp, sizeof old);
    void *p = realloc(old, c * elem);
    if (!p)
        return MWX_ENOMEM;
    memcpy(arrp, &p, sizeof p);
    *cap = c;
    return 0;
}
