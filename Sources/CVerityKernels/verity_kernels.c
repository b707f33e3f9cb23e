#include "verity_kernels.h"

#include <stdint.h>
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

#endif
