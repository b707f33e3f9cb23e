#ifndef VERITY_KERNELS_H
#define VERITY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// BLAKE3's message transpose for sixteen lanes: the 64-byte blocks at `rows[l] + offset`
/// (l < 16) become sixteen 64-byte vectors at `msg`, vector w holding word w of every lane's
/// block, lane l at word l. On x86-64 it is AVX-512F code, for the AVX-512 kernel level only:
/// a CPU without AVX-512 traps on it.
///
/// In C because Swift has no vector shuffle: built from element initialisers, the same
/// transpose compiled to 132 two-source permutes with their index loads where these 64
/// unpacks and 128-bit-lane shuffles do it, and hashing ran 15–20% slower.
void verity_blake3_transpose16(const void *const *rows, ptrdiff_t offset, void *msg);

/// The same for eight lanes: sixteen 32-byte vectors at `msg`, vector w holding word w of the
/// blocks at `rows[l] + offset` (l < 8). AVX2 code on x86-64, for the AVX2 kernel level only.
void verity_blake3_transpose8(const void *const *rows, ptrdiff_t offset, void *msg);

/// The chaining values of sixteen whole 1 KiB chunks at `input`, the chunks `first_chunk`,
/// `first_chunk + 1`, … of their input: eight words each at `cvs`, chunk by chunk (BLAKE3's
/// leaves, no parent and no ROOT flag). AVX-512F code, for the AVX-512 kernel level only.
void verity_blake3_chunks16(const void *input, uint64_t first_chunk, uint32_t *cvs);

/// The same for chunks anywhere: lane l hashes the 1 KiB at `rows[l]` as chunk `counters[l]`
/// of its input (l < 16; lanes past the caller's last may repeat a chunk), and the first
/// `lanes` chaining values are written at `cvs`. Lanes from `tail_lane` on (none when it is
/// negative) hold the input's short last chunk: `tail_len` bytes (1 to 1,024), read from a
/// zero-padded 1 KiB. AVX-512F code, as above.
void verity_blake3_chunk_rows16(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs);

/// Sixteen parent nodes: lane l compresses the 64 bytes at `rows[l]` (a left and a right
/// child's chaining values) with the PARENT flag; the first `lanes` chaining values are
/// written at `cvs` after every lane is read, so `cvs` may overlap the children. AVX-512F code,
/// as above.
void verity_blake3_parents16(const void *const *rows, int lanes, uint32_t *cvs);

/// `verity_blake3_chunk_rows16` and `verity_blake3_parents16` for eight lanes (l < 8), in AVX2
/// code: for the AVX2 kernel level only.
void verity_blake3_chunk_rows8(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs);
void verity_blake3_parents8(const void *const *rows, int lanes, uint32_t *cvs);

#endif
