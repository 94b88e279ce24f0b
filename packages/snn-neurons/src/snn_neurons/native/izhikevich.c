/* Whole-sequence Izhikevich loops for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.izhikevich_feed_forward_step's rounding order
 * (a polynomial step: no transcendental function, so libm and torch cannot disagree):
 *   v1 = v + e((((sq (v v) + mn v) + bias) - u) + x),  u1 = u + f(b v - u),  z = [v1 - v_th > 0],
 *   v' = (1 - z) v1 + z c,  u' = (1 - z) u1 + z (u1 + d),
 * with e = tau_inv dt and f = (tau_inv dt) a, both formed in the parameters' type as the step forms
 * them. v (entering the step) and v1 are saved per step; with s = sigma'(v1 - v_th) the backward pass is
 *   w = (g_z + g_v' (c - v1) + g_u' d) s,  g_v1 = (1 - z) g_v' + w,  g_x = e g_v1,
 *   g_v = (1 + e (2 sq v + mn)) g_v1 + f b g_u',  g_u = (1 - f) g_u' - e g_v1.
 */
#include "_common.h"

#define IZHIKEVICH_STEP(T)                                                                      \
    T v0 = v[k], u0 = u[k];                                                                     \
    T v1 = v0 + e * ((((sq * (v0 * v0) + mn * v0) + bias) - u0) + x[k]);                       \
    T u1 = u0 + f * (b * v0 - u0);                                                              \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    v[k] = ((T)1 - spike) * v1 + spike * c;                                                     \
    u[k] = ((T)1 - spike) * u1 + spike * (u1 + d);                                              \
    z[k] = spike;

#define DEFINE_IZHIKEVICH(T, SUFFIX)                                                            \
void snn_izhikevich_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,           \
                                     const T *restrict v_init, const T *restrict u_init,        \
                                     T *restrict v, T *restrict u, T *restrict zs,              \
                                     T *restrict v0s, T *restrict v1s, T e, T f, T sq, T mn,    \
                                     T bias, T b, T v_th, T c, T d)                             \
{                                                                                               \
    memcpy(v, v_init, (size_t)n * sizeof(T));                                                   \
    memcpy(u, u_init, (size_t)n * sizeof(T));                                                   \
    for (int64_t t = 0; t < steps; ++t) {                                                       \
        const T *restrict x = xs + t * n;                                                       \
        T *restrict z = zs + t * n;                                                             \
        if (v1s) {                                                                              \
            T *restrict out_v0 = v0s + t * n;                                                   \
            T *restrict out_v1 = v1s + t * n;                                                   \
            for (int64_t k = 0; k < n; ++k) { IZHIKEVICH_STEP(T) out_v0[k] = v0; out_v1[k] = v1; } \
        } else {                                                                                \
            for (int64_t k = 0; k < n; ++k) { IZHIKEVICH_STEP(T) }                              \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
static inline void izhikevich_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,       \
        const T *restrict v0s, const T *restrict v1s, const T *restrict g_zs, T *restrict g_xs,  \
        T *restrict g_v, T *restrict g_u, T e, T f, T sq, T mn, T b, T v_th, T c, T d, T alpha,  \
        T sqrt_pi)                                                                               \
{                                                                                               \
    const T keep_u = (T)1 - f, fb = f * b, sq2 = (T)2 * sq;                                     \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v0 = v0s + t * n;                                                     \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T g_z = g_v[k] * (c - v1[k]) + g_u[k] * d;                                          \
            if (gz) g_z += gz[k];                                                               \
            T g_v1 = (x > 0 ? (T)0 : (T)1) * g_v[k] + g_z * s;                                  \
            gx[k] = e * g_v1;                                                                   \
            g_v[k] = ((T)1 + e * (sq2 * v0[k] + mn)) * g_v1 + fb * g_u[k];                      \
            g_u[k] = keep_u * g_u[k] - e * g_v1;                                                \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_u: the final state's gradients on entry, the initial state's on exit; g_zs may be NULL. */ \
void snn_izhikevich_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v0s,         \
                                      const T *v1s, const T *g_zs, T *g_xs, T *g_v, T *g_u,     \
                                      T e, T f, T sq, T mn, T b, T v_th, T c, T d, T alpha,     \
                                      T sqrt_pi)                                                \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, izhikevich_backward_##SUFFIX##_kind, steps, n, v0s, v1s, g_zs,    \
                         g_xs, g_v, g_u, e, f, sq, mn, b, v_th, c, d, alpha, sqrt_pi)           \
}

DEFINE_IZHIKEVICH(float, f32)
DEFINE_IZHIKEVICH(double, f64)
