/* Whole-sequence LIF loops for CPU tensors, called through ctypes (no Python, no torch headers).
 *
 * Every expression repeats the rounding steps of snn_neurons.functional.lif_feed_forward_step in
 * the same order; the file is compiled with -ffp-contract=off so that no multiply-add is fused,
 * which keeps the forward pass bit-identical to the step loop. Arrays are contiguous [T, N] rows.
 */
#include "_common.h"

/* The forward step of one neuron; V1 is the voltage before reset (stored for the backward pass). */
#define LIF_STEP(T)                                                         \
    T j = i[k] + x[k];                                                      \
    T v1 = v[k] + a * ((v_leak - v[k]) + j);                                \
    i[k] = j + c * j;                                                       \
    T spike = (v1 - v_th > 0) ? (T)1 : (T)0;                                \
    v[k] = ((T)1 - spike) * v1 + spike * v_reset;                           \
    z[k] = spike;

#define DEFINE_LIF(T, SUFFIX)                                                                   \
void snn_lif_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,                  \
                              const T *restrict v0, const T *restrict i0, T *restrict v,        \
                              T *restrict i, T *restrict zs, T *restrict v1s, T a, T c,         \
                              T v_leak, T v_th, T v_reset)                                      \
{                                                                                               \
    /* the state is copied first, so the caller's initial state is never written */             \
    memcpy(v, v0, (size_t)n * sizeof(T));                                                       \
    memcpy(i, i0, (size_t)n * sizeof(T));                                                       \
    SNN_FORWARD_LOOP(T, LIF_STEP)                                                               \
}                                                                                               \
                                                                                                \
/* Adjoint of the forward loop, backwards in time; g_v and g_i hold the gradients of the final */ \
/* state on entry and of the initial state on exit. g_zs may be NULL (no gradient on spikes). */ \
static inline void lif_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,              \
        const T *restrict v1s, const T *restrict g_zs, T *restrict g_xs, T *restrict g_v,        \
        T *restrict g_i, T a, T c, T v_th, T v_reset, T alpha, T sqrt_pi)                        \
{                                                                                               \
    const T keep = (T)1 - a, decay = (T)1 + c;                                                  \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T factor = (v_reset - v1[k]) * s + (x > 0 ? (T)0 : (T)1);                           \
            T g_v1 = factor * g_v[k];                                                           \
            if (gz) g_v1 += s * gz[k];                                                          \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_v[k] = keep * g_v1;                                                               \
            g_i[k] = g_j;                                                                       \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
void snn_lif_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s, const T *g_zs, \
                               T *g_xs, T *g_v, T *g_i, T a, T c, T v_th, T v_reset, T alpha,   \
                               T sqrt_pi)                                                       \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lif_backward_##SUFFIX##_kind, steps, n, v1s, g_zs, g_xs, g_v, g_i,  \
                         a, c, v_th, v_reset, alpha, sqrt_pi)                                   \
}

DEFINE_LIF(float, f32)
DEFINE_LIF(double, f64)

/* The version of this interface; the loader refuses a library with another one. */
int snn_native_abi(void) { return 1; }
