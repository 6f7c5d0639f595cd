/*
 * mwx/export.h -- what marks the public API.
 *
 * libmwx is compiled with -fvisibility=hidden: the shared object exports only the
 * public headers' declarations that carry MWX_API (scripts/annotate-api adds it, and
 * scripts/check-install compares `nm -D` with these headers). Everything else in the
 * library is internal, whatever its name.
 *
 * MWX_NODISCARD is on every int-returning API: those return 0 or a negative MWX_E*, and
 * dropping one silently is a bug. It is clang's check only: gcc's warn_unused_result
 * cannot be silenced by a (void) cast, which is how a deliberate ignore is written here.
 * On in our own builds (CMake option MWX_NODISCARD, default ON, defines
 * MWX_ENABLE_NODISCARD); a program using the library opts in by defining
 * MWX_ENABLE_NODISCARD. mwx_err_set, mwx_jpath_error and mwx_strlcpy are exempt
 * (scripts/annotate-api): their result is a convenience.
 */
#ifndef MWX_EXPORT_H
#define MWX_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define MWX_API __attribute__((visibility("default")))
#else
#define MWX_API
#endif

#if defined(__clang__) && defined(MWX_ENABLE_NODISCARD)
#define MWX_NODISCARD __attribute__((warn_unused_result))
#else
#define MWX_NODISCARD
#endif

#endif
