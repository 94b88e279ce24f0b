/* Whole-sequence conductance-based LIF loops for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.coba_lif_feed_forward_step's rounding order:
 *   g_e = g_e + relu(x),  g_i = g_i + relu(-x),  g_e1 = g_e + a_e g_e,  g_i1 = g_i + a_i g_i,
 *   v1 = v + m((g_l (v_rest - v) + g_e1 (E_E - v)) + g_i1 (E_I - v)),  z = [v1 - v_th > 0],
 *   v' = (1 - z) v1 + z v_reset,
 * with a_e = -dt tau_syn_exc_inv, a_i = -dt tau_syn_inh_inv, m = dt c_m_inv (formed in the parameters'
 * type as the step forms them). Saved per step: v entering, v1, g_e1 + g_i1 and the input x. With
 * s = sigma'(v1 - v_th) and h = m g_v1 the backward pass is
 *   g_v1 = (1 - z) g_v' + (g_z + g_v' (v_reset - v1)) s,
 *   g_v = g_v1 - h (g_l + g_e1 + g_i1),  g_e = (1 + a_e)(g_e' + h (E_E - v)),  g_i = (1 + a_i)(g_i' + h (E_I - v)),
 *   g_x = [x > 0] g_e - [x < 0] g_i.
 */
#include "_common.h"

/* torch.relu: NaN passes through */
#define COBA_RELU(T, x) (((x) > 0 || (x) != (x)) ? (x) : (T)0)

#define COBA_LIF_STEP(T)                                                                        \
    T xk = x[k], nx = -xk, v0 = v[k];                                                           \
    T ge = g_e[k] + COBA_RELU(T, xk);                                                           \
    T gi = g_i[k] + COBA_RELU(T, nx);                                                           \
    T ge1 = ge + a_e * ge;                                                                      \
    T gi1 = gi + a_i * gi;                                                                      \
    T v1 = v0 + m * ((g_l * (v_rest - v0) + ge1 * (e_e - v0)) + gi1 * (e_i - v0));              \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    v[k] = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    g_e[k] = ge1;                                                                               \
    g_i[k] = gi1;                                                                               \
    z[k] = spike;

#define DEFINE_COBA_LIF(T, SUFFIX)                                                              \
void snn_coba_lif_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,             \
                                   const T *restrict v_init, const T *restrict ge_init,         \
                                   const T *restrict gi_init, T *restrict v, T *restrict g_e,   \
                                   T *restrict g_i, T *restrict zs, T *restrict v0s,            \
                                   T *restrict v1s, T *restrict gsums, T *restrict xs_saved,    \
                                   T a_e, T a_i, T m, T g_l, T v_rest, T e_e, T e_i, T v_th,    \
                                   T v_reset)                                                   \
{                                                                                               \
    memcpy(v, v_init, (size_t)n * sizeof(T));                                                   \
    memcpy(g_e, ge_init, (size_t)n * sizeof(T));                                                \
    memcpy(g_i, gi_init, (size_t)n * sizeof(T));                                                \
    for (int64_t t = 0; t < steps; ++t) {                                                       \
        const T *restrict x = xs + t * n;                                                       \
        T *restrict z = zs + t * n;                                                             \
        if (v1s) {                                                                              \
            T *restrict o_v0 = v0s + t * n, *restrict o_v1 = v1s + t * n;                       \
            T *restrict o_g = gsums + t * n, *restrict o_x = xs_saved + t * n;                  \
            for (int64_t k = 0; k < n; ++k) {                                                   \
                COBA_LIF_STEP(T)                                                                \
                o_v0[k] = v0; o_v1[k] = v1; o_g[k] = ge1 + gi1; o_x[k] = xk;                    \
            }                                                                                   \
        } else {                                                                                \
            for (int64_t k = 0; k < n; ++k) { COBA_LIF_STEP(T) }                                \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
static inline void coba_lif_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,         \
        const T *restrict v0s, const T *restrict v1s, const T *restrict gsums,                  \
        const T *restrict xs, const T *restrict g_zs, T *restrict g_xs, T *restrict g_v,        \
        T *restrict g_e, T *restrict g_i, T a_e, T a_i, T m, T g_l, T e_e, T e_i, T v_th,       \
        T v_reset, T alpha, T sqrt_pi)                                                          \
{                                                                                               \
    const T keep_e = (T)1 + a_e, keep_i = (T)1 + a_i;                                           \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v0 = v0s + t * n;                                                     \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict gsum = gsums + t * n;                                                 \
        const T *restrict x = xs + t * n;                                                       \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T xv = v1[k] - v_th;                                                                \
            T s = surrogate_##SUFFIX(kind, xv, alpha, sqrt_pi);                                 \
            T g_z = g_v[k] * (v_reset - v1[k]);                                                 \
            if (gz) g_z += gz[k];                                                               \
            T g_v1 = (xv > 0 ? (T)0 : (T)1) * g_v[k] + g_z * s;                                 \
            T h = m * g_v1;                                                                     \
            T ge = keep_e * (g_e[k] + h * (e_e - v0[k]));                                       \
            T gi = keep_i * (g_i[k] + h * (e_i - v0[k]));                                       \
            g_v[k] = g_v1 - h * (g_l + gsum[k]);                                                \
            g_e[k] = ge;                                                                        \
            g_i[k] = gi;                                                                        \
            gx[k] = (x[k] > 0 ? ge : (T)0) - (x[k] < 0 ? gi : (T)0);                            \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_e, g_i: the final state's gradients on entry, the initial state's on exit; g_zs may be NULL. */ \
void snn_coba_lif_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v0s,           \
                                    const T *v1s, const T *gsums, const T *xs, const T *g_zs,   \
                                    T *g_xs, T *g_v, T *g_e, T *g_i, T a_e, T a_i, T m, T g_l,  \
                                    T e_e, T e_i, T v_th, T v_reset, T alpha, T sqrt_pi)        \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, coba_lif_backward_##SUFFIX##_kind, steps, n, v0s, v1s, gsums, xs, \
                         g_zs, g_xs, g_v, g_e, g_i, a_e, a_i, m, g_l, e_e, e_i, v_th, v_reset,  \
                         alpha, sqrt_pi)                                                        \
}

DEFINE_COBA_LIF(float, f32)
DEFINE_COBA_LIF(double, f64)
