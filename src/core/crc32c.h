/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and
 * SQLite-style logs: the checksum of .mwxr frames. Internal to src/core.
 *
 * Composable like zlib's crc32(): mwxi_crc32c(mwxi_crc32c(0, a), b) == mwxi_crc32c(0, a||b),
 * and mwxi_crc32c(0, "123456789") == 0xE3069283 (the standard check value). */
#ifndef MWX_CORE_CRC32C_H
#define MWX_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t mwxi_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
