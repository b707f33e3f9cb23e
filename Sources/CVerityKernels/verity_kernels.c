#include "verity_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Three steps over 128-bit lanes, 16 shuffles each but the last (32): interleave words of
// row pairs, interleave word pairs of pair pairs (a 4×4 transpose inside each lane), then
// a 4×4 transpose of the lanes themselves.
__attribute__((target("avx512f")))
void verity_blake3_transpose16(const void *const *rows, ptrdiff_t offset, void *msg) {
    __m512i t[16], u[16];
    for (int k = 0; k < 8; k++) {
        __m512i a = _mm512_loadu_si512((const char *)rows[2 * k] + offset);
        __m512i b = _mm512_loadu_si512((const char *)rows[2 * k + 1] + offset);
        t[2 * k] = _mm512_unpacklo_epi32(a, b);     // per lane q: a[4q] b[4q] a[4q+1] b[4q+1]
        t[2 * k + 1] = _mm512_unpackhi_epi32(a, b); // per lane q: a[4q+2] b[4q+2] a[4q+3] b[4q+3]
    }
    // u[4g + c], lane q: word 4q + c of rows 4g ..< 4g + 4.
    for (int g = 0; g < 4; g++) {
        __m512i lo01 = t[4 * g], hi01 = t[4 * g + 1], lo23 = t[4 * g + 2], hi23 = t[4 * g + 3];
        u[4 * g] = _mm512_unpacklo_epi64(lo01, lo23);
        u[4 * g + 1] = _mm512_unpackhi_epi64(lo01, lo23);
        u[4 * g + 2] = _mm512_unpacklo_epi64(hi01, hi23);
        u[4 * g + 3] = _mm512_unpackhi_epi64(hi01, hi23);
    }
    // Word 4q + c of all sixteen rows: lane g of it is lane q of u[4g + c]. The immediates pick
    // lanes (0, 2) and (1, 3) of each source.
    __m512i *m = (__m512i *)msg;
    for (int c = 0; c < 4; c++) {
        __m512i even01 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88), odd01 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xDD);
        __m512i even23 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88), odd23 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xDD);
        _mm512_storeu_si512(m + c, _mm512_shuffle_i32x4(even01, even23, 0x88));
        _mm512_storeu_si512(m + 4 + c, _mm512_shuffle_i32x4(odd01, odd23, 0x88));
        _mm512_storeu_si512(m + 8 + c, _mm512_shuffle_i32x4(even01, even23, 0xDD));
        _mm512_storeu_si512(m + 12 + c, _mm512_shuffle_i32x4(odd01, odd23, 0xDD));
    }
}

// BLAKE3's compression on sixteen lanes, its state v[0..16) in registers. The G functions of
// a half round (four columns, then four diagonals) run in lockstep, and the message words are
// read from `m` where they are used: with the message words loaded up front (as the generic
// Swift body is compiled) the compiler spills state, and hashing runs 6–10% slower.
#define VERITY_ADD _mm512_add_epi32
#define VERITY_XOR _mm512_xor_si512
#define VERITY_G4(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, x0, x1, x2, x3, r1, r2)                \
    do {                                                                                                                \
        v[a0] = VERITY_ADD(VERITY_ADD(v[a0], v[b0]), m[x0]); v[a1] = VERITY_ADD(VERITY_ADD(v[a1], v[b1]), m[x1]);   \
        v[a2] = VERITY_ADD(VERITY_ADD(v[a2], v[b2]), m[x2]); v[a3] = VERITY_ADD(VERITY_ADD(v[a3], v[b3]), m[x3]);   \
        v[d0] = _mm512_ror_epi32(VERITY_XOR(v[d0], v[a0]), r1); v[d1] = _mm512_ror_epi32(VERITY_XOR(v[d1], v[a1]), r1); \
        v[d2] = _mm512_ror_epi32(VERITY_XOR(v[d2], v[a2]), r1); v[d3] = _mm512_ror_epi32(VERITY_XOR(v[d3], v[a3]), r1); \
        v[c0] = VERITY_ADD(v[c0], v[d0]); v[c1] = VERITY_ADD(v[c1], v[d1]);                                             \
        v[c2] = VERITY_ADD(v[c2], v[d2]); v[c3] = VERITY_ADD(v[c3], v[d3]);                                             \
        v[b0] = _mm512_ror_epi32(VERITY_XOR(v[b0], v[c0]), r2); v[b1] = _mm512_ror_epi32(VERITY_XOR(v[b1], v[c1]), r2); \
        v[b2] = _mm512_ror_epi32(VERITY_XOR(v[b2], v[c2]), r2); v[b3] = _mm512_ror_epi32(VERITY_XOR(v[b3], v[c3]), r2); \
    } while (0)

// The message word each G reads, per round: the specification's permutation applied r times.
static const uint8_t verity_blake3_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},   {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},   {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},   {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

__attribute__((target("avx512f"), always_inline))
static inline void verity_blake3_round16(__m512i v[16], const __m512i *m, int r) {
    const uint8_t *s = verity_blake3_schedule[r];
    VERITY_G4(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, s[0], s[2], s[4], s[6], 16, 12);
    VERITY_G4(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, s[1], s[3], s[5], s[7], 8, 7);
    VERITY_G4(0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14, s[8], s[10], s[12], s[14], 16, 12);
    VERITY_G4(0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14, s[9], s[11], s[13], s[15], 8, 7);
}

// Sixteen lanes of `blocks` compressions each, chained from the IV: lane l reads its blocks
// from `rows[l]` on, with counter `low`/`high` lane l and the flags `flags` (plus CHUNK_START
// on the first block and CHUNK_END on the last when `chunk`). Lanes from `tail_lane` on (none
// when it is negative) hold a chunk of `tail_len` bytes, 1 to 1,024, zero-padded to 1,024:
// their last block is block (tail_len − 1) / 64, shorter and with CHUNK_END, and what follows
// it does not count for them. Writes the first `lanes` lanes' eight output words at `cvs`,
// lane by lane.
__attribute__((target("avx512f"), always_inline))
static inline void verity_blake3_group16(const void *const *rows, int blocks, __m512i counter, __m512i counter_high, int chunk, uint32_t flags,
                                         int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    static const uint32_t iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
    __m512i msg[16 * 16];
    for (int block = 0; block < blocks; block++) verity_blake3_transpose16(rows, 64 * block, msg + 16 * block);
    const int tail_block = tail_lane >= 0 ? (tail_len - 1) / 64 : -1;
    const __mmask16 tail_mask = tail_lane >= 0 ? (__mmask16)(0xFFFFu << tail_lane) : 0;
    __m512i h[8], tail_h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)iv[i]);
    for (int block = 0; block < blocks; block++) {
        __m512i v[16];
        for (int i = 0; i < 8; i++) v[i] = h[i];
        for (int i = 0; i < 4; i++) v[8 + i] = _mm512_set1_epi32((int)iv[i]);
        v[12] = counter;
        v[13] = counter_high;
        v[14] = _mm512_set1_epi32(64);
        uint32_t f = flags | (chunk && block == 0 ? 1 : 0) | (chunk && block == blocks - 1 ? 2 : 0); // CHUNK_START, CHUNK_END
        v[15] = _mm512_set1_epi32((int)f);
        if (block == tail_block) {
            v[14] = _mm512_mask_blend_epi32(tail_mask, v[14], _mm512_set1_epi32(tail_len - 64 * block));
            v[15] = _mm512_mask_blend_epi32(tail_mask, v[15], _mm512_set1_epi32((int)(flags | (block == 0 ? 1 : 0) | 2)));
        }
        const __m512i *m = msg + 16 * block;
        // Unrolled, so that every message index is a constant and every read an operand.
#pragma clang loop unroll(full)
        for (int r = 0; r < 7; r++) verity_blake3_round16(v, m, r);
        for (int i = 0; i < 8; i++) h[i] = VERITY_XOR(v[i], v[8 + i]);
        if (block == tail_block) {
            for (int i = 0; i < 8; i++) tail_h[i] = h[i];
        }
    }
    uint32_t words[8][16];
    for (int i = 0; i < 8; i++) _mm512_storeu_si512(words[i], tail_block >= 0 ? _mm512_mask_blend_epi32(tail_mask, h[i], tail_h[i]) : h[i]);
    for (int l = 0; l < lanes; l++) {
        for (int i = 0; i < 8; i++) cvs[8 * l + i] = words[i][l];
    }
}

__attribute__((target("avx512f")))
void verity_blake3_chunks16(const void *input, uint64_t first_chunk, uint32_t *cvs) {
    const void *rows[16];
    uint32_t low[16], high[16];
    for (int l = 0; l < 16; l++) {
        rows[l] = (const char *)input + 1024 * l;
        low[l] = (uint32_t)(first_chunk + (uint64_t)l);
        high[l] = (uint32_t)((first_chunk + (uint64_t)l) >> 32);
    }
    verity_blake3_group16(rows, 16, _mm512_loadu_si512(low), _mm512_loadu_si512(high), 1, 0, -1, 0, 16, cvs);
}

__attribute__((target("avx512f")))
void verity_blake3_chunk_rows16(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    uint32_t low[16], high[16];
    for (int l = 0; l < 16; l++) {
        low[l] = (uint32_t)counters[l];
        high[l] = (uint32_t)(counters[l] >> 32);
    }
    verity_blake3_group16(rows, 16, _mm512_loadu_si512(low), _mm512_loadu_si512(high), 1, 0, tail_lane, tail_len, lanes, cvs);
}

__attribute__((target("avx512f")))
void verity_blake3_parents16(const void *const *rows, int lanes, uint32_t *cvs) {
    verity_blake3_group16(rows, 1, _mm512_setzero_si512(), _mm512_setzero_si512(), 0, 4, -1, 0, lanes, cvs); // PARENT
}

// Words 0–7, then 8–15 of the blocks: the first two steps of the 16-lane transpose, then a
// swap of 128-bit halves.
__attribute__((target("avx2")))
void verity_blake3_transpose8(const void *const *rows, ptrdiff_t offset, void *msg) {
    __m256i *m = (__m256i *)msg;
    for (int half = 0; half < 2; half++) {
        __m256i t[8], u[8];
        for (int k = 0; k < 4; k++) {
            __m256i a = _mm256_loadu_si256((const __m256i *)((const char *)rows[2 * k] + offset + 32 * half));
            __m256i b = _mm256_loadu_si256((const __m256i *)((const char *)rows[2 * k + 1] + offset + 32 * half));
            t[2 * k] = _mm256_unpacklo_epi32(a, b);
            t[2 * k + 1] = _mm256_unpackhi_epi32(a, b);
        }
        // u[4g + c], half q: word 4q + c of rows 4g ..< 4g + 4 (of this half's eight words).
        for (int g = 0; g < 2; g++) {
            __m256i lo01 = t[4 * g], hi01 = t[4 * g + 1], lo23 = t[4 * g + 2], hi23 = t[4 * g + 3];
            u[4 * g] = _mm256_unpacklo_epi64(lo01, lo23);
            u[4 * g + 1] = _mm256_unpackhi_epi64(lo01, lo23);
            u[4 * g + 2] = _mm256_unpacklo_epi64(hi01, hi23);
            u[4 * g + 3] = _mm256_unpackhi_epi64(hi01, hi23);
        }
        for (int c = 0; c < 4; c++) {
            _mm256_storeu_si256(m + 8 * half + c, _mm256_permute2x128_si256(u[c], u[4 + c], 0x20));
            _mm256_storeu_si256(m + 8 * half + 4 + c, _mm256_permute2x128_si256(u[c], u[4 + c], 0x31));
        }
    }
}

// BLAKE3's compression on eight lanes with AVX2, as `verity_blake3_group16` does on sixteen:
// the state in registers, the G functions of a half round in lockstep, the message words read
// where they are used. AVX2 has no rotate: the byte rotations (16, 8) are byte shuffles, the
// others two shifts and an or.
#define VERITY_ADD8 _mm256_add_epi32
#define VERITY_XOR8 _mm256_xor_si256
#define VERITY_ROR8_12(x) _mm256_or_si256(_mm256_srli_epi32((x), 12), _mm256_slli_epi32((x), 20))
#define VERITY_ROR8_7(x) _mm256_or_si256(_mm256_srli_epi32((x), 7), _mm256_slli_epi32((x), 25))
#define VERITY_G4_8(a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, x0, x1, x2, x3, first)                      \
    do {                                                                                                                    \
        v[a0] = VERITY_ADD8(VERITY_ADD8(v[a0], v[b0]), m[x0]); v[a1] = VERITY_ADD8(VERITY_ADD8(v[a1], v[b1]), m[x1]);       \
        v[a2] = VERITY_ADD8(VERITY_ADD8(v[a2], v[b2]), m[x2]); v[a3] = VERITY_ADD8(VERITY_ADD8(v[a3], v[b3]), m[x3]);       \
        const __m256i rd = (first) ? rot16 : rot8;                                                                          \
        v[d0] = _mm256_shuffle_epi8(VERITY_XOR8(v[d0], v[a0]), rd); v[d1] = _mm256_shuffle_epi8(VERITY_XOR8(v[d1], v[a1]), rd); \
        v[d2] = _mm256_shuffle_epi8(VERITY_XOR8(v[d2], v[a2]), rd); v[d3] = _mm256_shuffle_epi8(VERITY_XOR8(v[d3], v[a3]), rd); \
        v[c0] = VERITY_ADD8(v[c0], v[d0]); v[c1] = VERITY_ADD8(v[c1], v[d1]);                                                 \
        v[c2] = VERITY_ADD8(v[c2], v[d2]); v[c3] = VERITY_ADD8(v[c3], v[d3]);                                                 \
        if (first) {                                                                                                        \
            v[b0] = VERITY_ROR8_12(VERITY_XOR8(v[b0], v[c0])); v[b1] = VERITY_ROR8_12(VERITY_XOR8(v[b1], v[c1]));             \
            v[b2] = VERITY_ROR8_12(VERITY_XOR8(v[b2], v[c2])); v[b3] = VERITY_ROR8_12(VERITY_XOR8(v[b3], v[c3]));             \
        } else {                                                                                                            \
            v[b0] = VERITY_ROR8_7(VERITY_XOR8(v[b0], v[c0])); v[b1] = VERITY_ROR8_7(VERITY_XOR8(v[b1], v[c1]));               \
            v[b2] = VERITY_ROR8_7(VERITY_XOR8(v[b2], v[c2])); v[b3] = VERITY_ROR8_7(VERITY_XOR8(v[b3], v[c3]));               \
        }                                                                                                                   \
    } while (0)

__attribute__((target("avx2"), always_inline))
static inline void verity_blake3_round8(__m256i v[16], const __m256i *m, int r, __m256i rot16, __m256i rot8) {
    const uint8_t *s = verity_blake3_schedule[r];
    VERITY_G4_8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, s[0], s[2], s[4], s[6], 1);
    VERITY_G4_8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, s[1], s[3], s[5], s[7], 0);
    VERITY_G4_8(0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14, s[8], s[10], s[12], s[14], 1);
    VERITY_G4_8(0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14, s[9], s[11], s[13], s[15], 0);
}

// Eight lanes of `blocks` compressions each, as `verity_blake3_group16`.
__attribute__((target("avx2"), always_inline))
static inline void verity_blake3_group8(const void *const *rows, int blocks, __m256i counter, __m256i counter_high, int chunk, uint32_t flags,
                                        int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    static const uint32_t iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
    // Byte shuffles that rotate each 32-bit word right by 16 and by 8 bits.
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m256i rot8 = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    __m256i msg[16 * 16];
    for (int block = 0; block < blocks; block++) verity_blake3_transpose8(rows, 64 * block, msg + 16 * block);
    const int tail_block = tail_lane >= 0 ? (tail_len - 1) / 64 : -1;
    // All ones in the lanes from `tail_lane` on.
    const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(tail_lane >= 0 ? tail_lane - 1 : 7));
    __m256i h[8], tail_h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)iv[i]);
    for (int block = 0; block < blocks; block++) {
        __m256i v[16];
        for (int i = 0; i < 8; i++) v[i] = h[i];
        for (int i = 0; i < 4; i++) v[8 + i] = _mm256_set1_epi32((int)iv[i]);
        v[12] = counter;
        v[13] = counter_high;
        v[14] = _mm256_set1_epi32(64);
        uint32_t f = flags | (chunk && block == 0 ? 1 : 0) | (chunk && block == blocks - 1 ? 2 : 0); // CHUNK_START, CHUNK_END
        v[15] = _mm256_set1_epi32((int)f);
        if (block == tail_block) {
            v[14] = _mm256_blendv_epi8(v[14], _mm256_set1_epi32(tail_len - 64 * block), tail_mask);
            v[15] = _mm256_blendv_epi8(v[15], _mm256_set1_epi32((int)(flags | (block == 0 ? 1 : 0) | 2)), tail_mask);
        }
        const __m256i *m = msg + 16 * block;
#pragma clang loop unroll(full)
        for (int r = 0; r < 7; r++) verity_blake3_round8(v, m, r, rot16, rot8);
        for (int i = 0; i < 8; i++) h[i] = VERITY_XOR8(v[i], v[8 + i]);
        if (block == tail_block) {
            for (int i = 0; i < 8; i++) tail_h[i] = h[i];
        }
    }
    uint32_t words[8][8];
    for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)words[i], tail_block >= 0 ? _mm256_blendv_epi8(h[i], tail_h[i], tail_mask) : h[i]);
    for (int l = 0; l < lanes; l++) {
        for (int i = 0; i < 8; i++) cvs[8 * l + i] = words[i][l];
    }
}

__attribute__((target("avx2")))
void verity_blake3_chunk_rows8(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    uint32_t low[8], high[8];
    for (int l = 0; l < 8; l++) {
        low[l] = (uint32_t)counters[l];
        high[l] = (uint32_t)(counters[l] >> 32);
    }
    verity_blake3_group8(rows, 16, _mm256_loadu_si256((const __m256i *)low), _mm256_loadu_si256((const __m256i *)high), 1, 0, tail_lane, tail_len, lanes,
                         cvs);
}

__attribute__((target("avx2")))
void verity_blake3_parents8(const void *const *rows, int lanes, uint32_t *cvs) {
    verity_blake3_group8(rows, 1, _mm256_setzero_si256(), _mm256_setzero_si256(), 0, 4, -1, 0, lanes, cvs); // PARENT
}

#else

// No AVX2 or AVX-512 kernel level runs here; the symbols still link, and give the same words.
static void transpose(const void *const *rows, ptrdiff_t offset, uint32_t *m, int lanes) {
    for (int l = 0; l < lanes; l++) {
        for (int w = 0; w < 16; w++) {
            uint32_t word;
            memcpy(&word, (const char *)rows[l] + offset + 4 * w, 4);
            m[lanes * w + l] = word;
        }
    }
}

void verity_blake3_transpose16(const void *const *rows, ptrdiff_t offset, void *msg) { transpose(rows, offset, msg, 16); }
void verity_blake3_transpose8(const void *const *rows, ptrdiff_t offset, void *msg) { transpose(rows, offset, msg, 8); }

// Never called where no AVX-512 level runs (the Swift kernels hash every group there).
void verity_blake3_chunks16(const void *input, uint64_t first_chunk, uint32_t *cvs) {
    (void)input;
    (void)first_chunk;
    (void)cvs;
    abort();
}

void verity_blake3_chunk_rows16(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    (void)rows;
    (void)counters;
    (void)tail_lane;
    (void)tail_len;
    (void)lanes;
    (void)cvs;
    abort();
}

void verity_blake3_parents16(const void *const *rows, int lanes, uint32_t *cvs) {
    (void)rows;
    (void)lanes;
    (void)cvs;
    abort();
}

void verity_blake3_chunk_rows8(const void *const *rows, const uint64_t *counters, int tail_lane, int tail_len, int lanes, uint32_t *cvs) {
    (void)rows;
    (void)counters;
    (void)tail_lane;
    (void)tail_len;
    (void)lanes;
    (void)cvs;
    abort();
}

void verity_blake3_parents8(const void *const *rows, int lanes, uint32_t *cvs) {
    (void)rows;
    (void)lanes;
    (void)cvs;
    abort();
}

#endif
