/* Shared by the model files of this folder: surrogate derivatives and the per-kind dispatch.
 *
 * Included by every *.c file (each is its own translation unit, so the static inline functions are
 * private to each). This header is not compiled on its own; _build.py puts its bytes into the name of
 * the cached library, so editing it rebuilds the library like editing a .c file does.
 */
#ifndef SNN_NEURONS_NATIVE_COMMON_H
#define SNN_NEURONS_NATIVE_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The threshold codes of native/_common.py's surrogate_kind(). */
enum surrogate { SURROGATE_NONE = 0, SURROGATE_SUPER, SURROGATE_TANH, SURROGATE_ERFC,
                 SURROGATE_CIRC, SURROGATE_TRIANGLE };

/* sigma'(x) of snn-core's built-in thresholds (the heaviside threshold has none: 0). */
#define SNN_DEFINE_SURROGATE(T, SUFFIX, EXP, TANH, SQRT, FABS)                                      \
static inline T surrogate_##SUFFIX(int kind, T x, T alpha, T sqrt_pi)                              \
{                                                                                                   \
    switch (kind) {                                                                                 \
    case SURROGATE_SUPER: { T d = alpha * FABS(x) + (T)1; return (T)1 / (d * d); }                  \
    case SURROGATE_TANH: { T h = TANH(x * alpha); return (T)1 - h * h; }                            \
    case SURROGATE_ERFC: { T ax = alpha * x; return (T)2 * EXP(-(ax * ax)) / sqrt_pi; }             \
    case SURROGATE_CIRC: {                                                                          \
        T square = alpha * alpha + x * x;                                                           \
        T root = SQRT(square);                                                                      \
        return (-(x * x) / ((T)2 * (square * root)) + (T)1 / ((T)2 * root)) * (T)2 * alpha;        \
    }                                                                                               \
    case SURROGATE_TRIANGLE: { T r = (T)1 - FABS(x); return alpha * (r > 0 ? r : (T)0); }           \
    default: return (T)0;                                                                           \
    }                                                                                               \
}

SNN_DEFINE_SURROGATE(float, f32, expf, tanhf, sqrtf, fabsf)
SNN_DEFINE_SURROGATE(double, f64, exp, tanh, sqrt, fabs)

/* FN(K, ...) with the surrogate code K as a compile-time constant: one specialised copy of a backward
 * loop per surrogate, so the compiler drops the switch from the inner loop and can vectorise it. */
#define SNN_SWITCH_SURROGATE(kind, FN, ...)                                                         \
    switch (kind) {                                                                                 \
    case SURROGATE_SUPER: FN(SURROGATE_SUPER, __VA_ARGS__); break;                                  \
    case SURROGATE_TANH: FN(SURROGATE_TANH, __VA_ARGS__); break;                                    \
    case SURROGATE_ERFC: FN(SURROGATE_ERFC, __VA_ARGS__); break;                                    \
    case SURROGATE_CIRC: FN(SURROGATE_CIRC, __VA_ARGS__); break;                                    \
    case SURROGATE_TRIANGLE: FN(SURROGATE_TRIANGLE, __VA_ARGS__); break;                            \
    default: FN(SURROGATE_NONE, __VA_ARGS__);                                                       \
    }

/* The Heaviside forward of every threshold: 1 where x > 0, else 0 (also for NaN). */
#define SNN_SPIKE(T, x) (((x) > 0) ? (T)1 : (T)0)

/* The time loop of a whole-sequence forward: STEP(T) is one neuron's step on x = xs[t], z = zs[t]
 * (it defines v1); with v1s it also saves v1 per step. Expects steps, n, xs, zs, v1s in scope. */
#define SNN_FORWARD_LOOP(T, STEP)                                                                   \
    for (int64_t t = 0; t < steps; ++t) {                                                           \
        const T *restrict x = xs + t * n;                                                           \
        T *restrict z = zs + t * n;                                                                 \
        if (v1s) {                                                                                  \
            T *restrict out = v1s + t * n;                                                          \
            for (int64_t k = 0; k < n; ++k) { STEP(T) out[k] = v1; }                                \
        } else {                                                                                    \
            for (int64_t k = 0; k < n; ++k) { STEP(T) }                                             \
        }                                                                                           \
    }

#endif
