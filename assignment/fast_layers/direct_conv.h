/* Direct stride-1 convolution kernels of the fast layers, included by im2col_cython.pyx
   (``cdef extern from "direct_conv.h"``); the why and the measurements are in the
   comment above that block. */
#ifndef FL_DIRECT_CONV_H
#define FL_DIRECT_CONV_H

/* Direct stride-1 convolution kernels (float and double), vectorised with GCC/clang vector
   extensions and compiled for AVX-512 (used only on CPUs that have it). */
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
/* The vector helpers are always inlined into the AVX-512 functions, so the ABI of passing
   64-byte vectors without AVX-512 enabled (what -Wpsabi warns about) never applies. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FL_X86 1
#endif
#if defined(__GNUC__)
#define FL_INLINE static inline __attribute__((always_inline))
#else
#define FL_INLINE static inline
#endif

/* Columns per output tile: two 64-byte vectors. */
#define FL_TILE_BYTES 128
#define FL_KB 4   /* filter columns per block in the dw kernel */
#define FL_FB 4   /* filters per block */

#ifdef FL_X86
#define FL_DIRECT 1
typedef float fl_vf __attribute__((vector_size(64)));
typedef double fl_vd __attribute__((vector_size(64)));


/* One template, instantiated below for float and double. */
#define FL_DEFINE(T, V, SFX)                                                                 \
FL_INLINE V fl_ld_##SFX(const T* p) { V v; memcpy(&v, p, sizeof v); return v; }             \
FL_INLINE void fl_st_##SFX(T* p, V v) { memcpy(p, &v, sizeof v); }                           \
FL_INLINE T fl_hsum_##SFX(const V* v) {                                                      \
    /* Halve the vector twice with vector adds, then add the last 16 bytes' lanes. */        \
    typedef T fl_h8 __attribute__((vector_size(32)));                                        \
    typedef T fl_h4 __attribute__((vector_size(16)));                                        \
    fl_h8 a, b; fl_h4 c, d; T s = 0;                                                         \
    memcpy(&a, v, 32); memcpy(&b, (const char*)v + 32, 32); a += b;                          \
    memcpy(&c, &a, 16); memcpy(&d, (const char*)&a + 16, 16); c += d;                        \
    for (int k = 0; k < (int)(16 / sizeof(T)); k++) s += c[k];                               \
    return s;                                                                                \
}                                                                                            \
/* out (F, Ho, Wo) = bias + correlation of the staged input xp (C, Hrows, Wps) with the      \
   weights wt laid out (Fp/FL_FB, C*KH*KW, FL_FB): a block's taps are contiguous.   */       \
FL_INLINE void fl_fwd_body_##SFX(const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps, const T* wt,     \
        const T* bias, ptrdiff_t F, ptrdiff_t Fp, ptrdiff_t KH, ptrdiff_t KW, T* out, ptrdiff_t Ho, ptrdiff_t Wo) {         \
    const ptrdiff_t L = (ptrdiff_t)(sizeof(V) / sizeof(T)), TW = 2 * L;                                \
    for (ptrdiff_t i = 0; i < Ho; i += 2)                                                         \
    for (ptrdiff_t f0 = 0; f0 < Fp; f0 += FL_FB)                                                  \
    for (ptrdiff_t j0 = 0; j0 < Wo; j0 += TW) {                                                   \
        V a00, a01, a02, a03, a10, a11, a12, a13, b00, b01, b02, b03, b10, b11, b12, b13;    \
        a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = (V){0};                              \
        b00 = b01 = b02 = b03 = b10 = b11 = b12 = b13 = (V){0};                              \
        for (ptrdiff_t c = 0; c < C; c++)                                                         \
        for (ptrdiff_t kh = 0; kh < KH; kh++) {                                                   \
            const T* r0 = xp + (c * Hrows + i + kh) * Wps + j0;                              \
            const T* r1 = r0 + Wps;                                                          \
            const T* wk = wt + f0 * C * KH * KW + (c * KH + kh) * KW * FL_FB;                \
            for (ptrdiff_t kw = 0; kw < KW; kw++, wk += FL_FB) {                                  \
                V x0 = fl_ld_##SFX(r0 + kw), x1 = fl_ld_##SFX(r0 + kw + L);                  \
                V y0 = fl_ld_##SFX(r1 + kw), y1 = fl_ld_##SFX(r1 + kw + L);                  \
                T w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3];                            \
                a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3;              \
                a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3;              \
                b00 += y0 * w0; b01 += y0 * w1; b02 += y0 * w2; b03 += y0 * w3;              \
                b10 += y1 * w0; b11 += y1 * w1; b12 += y1 * w2; b13 += y1 * w3;              \
            }                                                                                \
        }                                                                                    \
        V acc[2][FL_FB][2] = {{{a00, a10}, {a01, a11}, {a02, a12}, {a03, a13}},              \
                              {{b00, b10}, {b01, b11}, {b02, b12}, {b03, b13}}};             \
        ptrdiff_t n = Wo - j0 < TW ? Wo - j0 : TW;                                                \
        for (ptrdiff_t r = 0; r < 2 && i + r < Ho; r++)                                           \
        for (ptrdiff_t fb = 0; fb < FL_FB && f0 + fb < F; fb++) {                                 \
            T tmp[FL_TILE_BYTES / sizeof(T)];                                                \
            T bv = bias[f0 + fb];                                                            \
            fl_st_##SFX(tmp, acc[r][fb][0] + bv);                                            \
            fl_st_##SFX(tmp + L, acc[r][fb][1] + bv);                                        \
            memcpy(out + ((f0 + fb) * Ho + i + r) * Wo + j0, tmp, n * sizeof(T));            \
        }                                                                                    \
    }                                                                                        \
}                                                                                            \
FL_DISPATCH(T, SFX, fwd, (const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps, const T* wt,            \
        const T* bias, ptrdiff_t F, ptrdiff_t Fp, ptrdiff_t KH, ptrdiff_t KW, T* out, ptrdiff_t Ho, ptrdiff_t Wo),          \
        (xp, C, Hrows, Wps, wt, bias, F, Fp, KH, KW, out, Ho, Wo))                           \
/* dst (HW, Fp) = src (F, HW) transposed, zeros past F. Blocks of 16 positions keep the      \
   lines being written in L1 while every filter's row is read once. */                       \
static void fl_stage_t_##SFX(const T* src, ptrdiff_t F, ptrdiff_t Fp, ptrdiff_t HW, T* dst) {\
    for (ptrdiff_t p0 = 0; p0 < HW; p0 += 16) {                                              \
        ptrdiff_t pn = HW - p0 < 16 ? HW - p0 : 16;                                          \
        for (ptrdiff_t f = 0; f < F; f++) {                                                  \
            const T* s = src + f * HW + p0;                                                  \
            T* d = dst + p0 * Fp + f;                                                        \
            for (ptrdiff_t q = 0; q < pn; q++) d[q * Fp] = s[q];                             \
        }                                                                                    \
        if (Fp > F)                                                                          \
            for (ptrdiff_t q = 0; q < pn; q++)                                               \
                memset(dst + (p0 + q) * Fp + F, 0, (size_t)(Fp - F) * sizeof(T));            \
    }                                                                                        \
}                                                                                            \
/* Copy src (C, H, W) into dst (Cp, Hrows, Wps) at row pt, column pl; zeros elsewhere. */  \
static void fl_stage_##SFX(const T* src, ptrdiff_t C, ptrdiff_t Cp, ptrdiff_t H, ptrdiff_t W,     \
        ptrdiff_t pt, ptrdiff_t pl, T* dst, ptrdiff_t Hrows, ptrdiff_t Wps) {                   \
    memset(dst, 0, (size_t)(Cp * Hrows * Wps) * sizeof(T));                                   \
    for (ptrdiff_t c = 0; c < C; c++)                                                             \
        for (ptrdiff_t h = 0; h < H; h++)                                                         \
            memcpy(dst + (c * Hrows + h + pt) * Wps + pl, src + (c * H + h) * W,             \
                   (size_t)W * sizeof(T));                                                   \
}

/* fl_<name>_<sfx>: the body compiled for AVX-512, called only when the CPU has it. (AVX2
   and baseline builds of these 64-byte-vector bodies ran 30-60x slower than AVX-512 and
   10-40x slower than im2col + GEMM: such CPUs keep im2col + GEMM.) */
#define FL_DISPATCH(T, SFX, NAME, PARAMS, ARGS)                                              \
__attribute__((target("avx512f"))) static void fl_##NAME##_##SFX PARAMS {                   \
    fl_##NAME##_body_##SFX ARGS; }
static int fl_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

/* dwt (C*KH*KWp, Fp) += correlation of xp (C, Hrows, Wps) with dT (Ho*Wo, Fp), the          \
   upstream gradient transposed (filters contiguous, zero past F). Vectors run over FV       \
   vectors of filters; each input pixel is broadcast to FL_KB filter columns, so the         \
   4 x FV accumulators are dw itself (no horizontal sums) and every vector load is           \
   aligned. Filter blocks outermost: their slice of dT is reused by every input row. */      \
#define FL_DEFINE_DWT(T, V, SFX, FV)                                                         \
FL_INLINE void fl_dwt##FV##_body_##SFX(const T* xp, ptrdiff_t C, ptrdiff_t Hrows,            \
        ptrdiff_t Wps, const T* dT, ptrdiff_t Fp, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH,  \
        ptrdiff_t KWp, T* dwt) {                                                             \
    const ptrdiff_t L = (ptrdiff_t)(sizeof(V) / sizeof(T));                                  \
    for (ptrdiff_t f0 = 0; f0 < Fp; f0 += FV * L)                                            \
    for (ptrdiff_t c = 0; c < C; c++)                                                        \
    for (ptrdiff_t kh = 0; kh < KH; kh++)                                                    \
    for (ptrdiff_t k0 = 0; k0 < KWp; k0 += FL_KB) {                                          \
        V acc[FL_KB][FV];                                                                    \
        for (int a = 0; a < FL_KB; a++) for (int v = 0; v < FV; v++) acc[a][v] = (V){0};     \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                 \
            const T* xr = xp + (c * Hrows + i + kh) * Wps + k0;                              \
            const T* d = dT + i * Wo * Fp + f0;                                              \
            for (ptrdiff_t j = 0; j < Wo; j++, d += Fp) {                                    \
                V dv[FV];                                                                    \
                for (int v = 0; v < FV; v++) memcpy(&dv[v], d + v * L, sizeof(V));           \
                for (int a = 0; a < FL_KB; a++) {                                            \
                    T bx = xr[j + a];                                                        \
                    for (int v = 0; v < FV; v++) acc[a][v] += bx * dv[v];                    \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        T* dst = dwt + ((c * KH + kh) * KWp + k0) * Fp + f0;                                 \
        for (int a = 0; a < FL_KB; a++)                                                      \
            for (int v = 0; v < FV; v++) {                                                   \
                V o;                                                                         \
                memcpy(&o, dst + a * Fp + v * L, sizeof(V));                                 \
                o += acc[a][v];                                                              \
                memcpy(dst + a * Fp + v * L, &o, sizeof(V));                                 \
            }                                                                                \
    }                                                                                        \
}                                                                                            \
FL_DISPATCH(T, SFX, dwt##FV, (const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps,      \
        const T* dT, ptrdiff_t Fp, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KWp,  \
        T* dwt), (xp, C, Hrows, Wps, dT, Fp, Ho, Wo, KH, KWp, dwt))

FL_DEFINE(float, fl_vf, f32)
FL_DEFINE(double, fl_vd, f64)
FL_DEFINE_DWT(float, fl_vf, f32, 2)
FL_DEFINE_DWT(float, fl_vf, f32, 4)
FL_DEFINE_DWT(double, fl_vd, f64, 2)
FL_DEFINE_DWT(double, fl_vd, f64, 4)

#else  /* not x86 with GCC or clang: the layers use im2col + GEMM */
#define FL_DIRECT 0
#define FL_STUB(T, SFX)                                                                      \
static void fl_fwd_##SFX(const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps,           \
        const T* wt, const T* bias, ptrdiff_t F, ptrdiff_t Fp, ptrdiff_t KH, ptrdiff_t KW,    \
        T* out, ptrdiff_t Ho, ptrdiff_t Wo) {}                                               \
static void fl_dwt2_##SFX(const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps,          \
        const T* dT, ptrdiff_t Fp, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KWp,    \
        T* dwt) {}                                                                           \
static void fl_dwt4_##SFX(const T* xp, ptrdiff_t C, ptrdiff_t Hrows, ptrdiff_t Wps,          \
        const T* dT, ptrdiff_t Fp, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KWp,    \
        T* dwt) {}                                                                           \
static void fl_stage_t_##SFX(const T* src, ptrdiff_t F, ptrdiff_t Fp, ptrdiff_t HW,          \
        T* dst) {}                                                                           \
static void fl_stage_##SFX(const T* src, ptrdiff_t C, ptrdiff_t Cp, ptrdiff_t H,             \
        ptrdiff_t W, ptrdiff_t pt, ptrdiff_t pl, T* dst, ptrdiff_t Hrows, ptrdiff_t Wps) {}
FL_STUB(float, f32)
FL_STUB(double, f64)
static int fl_available(void) { return 0; }
#endif

#endif  /* FL_DIRECT_CONV_H */
