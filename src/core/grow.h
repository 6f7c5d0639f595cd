/* The one grow-array helper of the library (internal, src/ only): the doubling realloc
 * that every appendable array of structs used to write out by hand. */
#ifndef MWX_CORE_GROW_H
#define MWX_CORE_GROW_H

#include <stddef.h>

/* Make the array *arrp (a pointer to any object pointer, e.g. &s->v; elements of elem
 * bytes, *cap of them allocated) hold at least need elements: nothing when it already
 * does, else its capacity becomes first (when 0) or doubles, and doubles on until it is
 * need or more. 0, or MWX_ENOMEM (the array and *cap unchanged) when the allocation fails
 * or the byte count would overflow size_t. */
int mwxi_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);

#endif
