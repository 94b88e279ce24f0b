/* Whole-sequence integrate-and-fire (IAF) loops for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.iaf_feed_forward_step's rounding order:
 * v1 = v + x, z = [v1 - v_th > 0], v' = (1 - z) v1 + z v_reset (dt is not used). v1 is saved per step;
 * the backward pass is
 *   g_v1 = ((v_reset - v1) s + (1 - z)) g_v' + s g_z,  g_x = g_v = g_v1,  s = sigma'(v1 - v_th).
 */
#include "_common.h"

#define IAF_STEP(T)                                                                             \
    T v1 = v[k] + x[k];                                                                         \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    v[k] = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    z[k] = spike;

#define DEFINE_IAF(T, SUFFIX)                                                                   \
void snn_iaf_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,                  \
                              const T *restrict v0, T *restrict v, T *restrict zs,              \
                              T *restrict v1s, T v_th, T v_reset)                               \
{                                                                                               \
    memcpy(v, v0, (size_t)n * sizeof(T));                                                       \
    SNN_FORWARD_LOOP(T, IAF_STEP)                                                               \
}                                                                                               \
                                                                                                \
static inline void iaf_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,              \
        const T *restrict v1s, const T *restrict g_zs, T *restrict g_xs, T *restrict g_v,        \
        T v_th, T v_reset, T alpha, T sqrt_pi)                                                   \
{                                                                                               \
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
            gx[k] = g_v1;                                                                       \
            g_v[k] = g_v1;                                                                      \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v: the final state's gradient on entry, the initial state's on exit; g_zs may be NULL. */  \
void snn_iaf_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s, const T *g_zs, \
                               T *g_xs, T *g_v, T v_th, T v_reset, T alpha, T sqrt_pi)          \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, iaf_backward_##SUFFIX##_kind, steps, n, v1s, g_zs, g_xs, g_v,     \
                         v_th, v_reset, alpha, sqrt_pi)                                         \
}

DEFINE_IAF(float, f32)
DEFINE_IAF(double, f64)
