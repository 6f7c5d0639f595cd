/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and
 * SQLite-style logs: the checksum of .mwxr frames and of `mwx node`'s envelope logs.
 * Internal to libmwx.
 *
 * Composable like zlib's crc32(): mwxi_crc32c(mwxi_crc32c(0, a), b) == mwxi_crc32c(0, a||b),
 * and mwxi_crc32c(0, "123456789") == 0xE3069283 (the standard check value). */
#ifndef MWX_CORE_CRC32C_H
#define MWX_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t mwxi_crc32c(uint32_t crc, const void *buf, size_t len);
/* The same by tables alone (mwxi_crc32c uses the CPU's crc32 instruction where it has
 * one): for the tests, which compare the two. */
uint32_t mwxi_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif
