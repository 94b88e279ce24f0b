/* The exponential LIF models' loops, shared by lif_ex.c (ADAPT 0) and lif_adex.c (ADAPT 1).
 *
 * AdEx is lif_ex plus the adaptation current w: ADAPT is a literal 0 or 1, so `if (ADAPT)` folds away
 * at compile time and each model keeps its own expressions, in its own rounding order, in a loop
 * specialised for it (the ctypes structs and exported signatures stay those of each model).
 * Not compiled on its own; _build.py puts its bytes into the name of the cached library.
 */
#ifndef SNN_NEURONS_NATIVE_LIF_EXP_H
#define SNN_NEURONS_NATIVE_LIF_EXP_H

#include "_common.h"

/* SNN_EXP_IF(ADAPT, ...): the tokens only for AdEx; SNN_EXP_PICK(ADAPT, no, yes): one of two. */
#define SNN_EXP_IF_0(...)
#define SNN_EXP_IF_1(...) __VA_ARGS__
#define SNN_EXP_IF(ADAPT, ...) SNN_EXP_IF_##ADAPT(__VA_ARGS__)
#define SNN_EXP_PICK_0(no, yes) no
#define SNN_EXP_PICK_1(no, yes) yes
#define SNN_EXP_PICK(ADAPT, no, yes) SNN_EXP_PICK_##ADAPT(no, yes)

/* One run's state buffers (v, i, w: the initial state on the first step), outputs, scratch and
 * constants; the field order is that of models.py's Stepwise fields. */
#define SNN_EXP_ARGS(T, ADAPT)                                                                  \
    struct {                                                                                    \
        int64_t n;                                                                              \
        const T *xs;                                                                            \
        T *v, *i, SNN_EXP_IF(ADAPT, *w,) *zs, *v1s, *es;                                        \
        const T *e; /* torch.exp(arg) of this step */                                           \
        T *arg;                                                                                 \
        T a, c, SNN_EXP_IF(ADAPT, d,) v_leak, v_th, v_reset,                                    \
            delta_t SNN_EXP_IF(ADAPT, , adaptation_current, adaptation_spike);                  \
    }

/* The forward step of neuron k; the drive's "- w" is a separate rounding step of its own. */
#define SNN_EXP_STEP(T, ADAPT)                                                                  \
    T v_in = v[k];                                                                              \
    T j = i[k] + x[k];                                                                          \
    T drive = ((v_leak - v_in) + delta_t * e[k]) + j;                                           \
    if (ADAPT) drive = drive - w[k];                                                            \
    T v1 = v_in + a * drive;                                                                    \
    i[k] = j + c * j;                                                                           \
    T w1 = ADAPT ? w[k] + d * (a_c * (v_in - v_leak) - w[k]) : (T)0;                            \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    T v2 = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    v[k] = v2;                                                                                  \
    if (ADAPT) w[k] = w1 + spike * a_s;                                                         \
    z[k] = spike;                                                                               \
    arg[k] = (v2 - v_th) / delta_t;

/* Defines snn_NAME_{begin,step,backward}_SUFFIX; w, g_w, d, a_c, a_s are NULL or 0 for lif_ex. */
#define SNN_DEFINE_EXP_LIF(T, SUFFIX, NAME, ADAPT)                                              \
typedef SNN_EXP_ARGS(T, ADAPT) NAME##_args_##SUFFIX;                                            \
                                                                                                \
/* The exponential's argument for the initial state (the caller has copied it into v). */       \
void snn_##NAME##_begin_##SUFFIX(const NAME##_args_##SUFFIX *p)                                 \
{                                                                                               \
    const T *restrict v = p->v;                                                                 \
    T *restrict arg = p->arg;                                                                   \
    const T v_th = p->v_th, delta_t = p->delta_t;                                               \
    for (int64_t k = 0, n = p->n; k < n; ++k) arg[k] = (v[k] - v_th) / delta_t;                 \
}                                                                                               \
                                                                                                \
/* One step; restrict-qualified parameters (not locals read from the struct) let gcc vectorise. */ \
static inline void NAME##_step_##SUFFIX##_loop(int64_t n, const T *restrict x,                  \
        const T *restrict e, T *restrict v, T *restrict i, T *restrict w, T *restrict z,        \
        T *restrict v1s, T *restrict es, T *restrict arg, T a, T c, T d, T v_leak, T v_th,      \
        T v_reset, T delta_t, T a_c, T a_s)                                                     \
{                                                                                               \
    if (v1s) {                                                                                  \
        for (int64_t k = 0; k < n; ++k) { SNN_EXP_STEP(T, ADAPT) v1s[k] = v1; es[k] = e[k]; }   \
    } else {                                                                                    \
        for (int64_t k = 0; k < n; ++k) { SNN_EXP_STEP(T, ADAPT) }                              \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* Step t, after the caller has written torch.exp(arg) into e. */                               \
void snn_##NAME##_step_##SUFFIX(const NAME##_args_##SUFFIX *p, int64_t t)                       \
{                                                                                               \
    const int64_t n = p->n;                                                                     \
    NAME##_step_##SUFFIX##_loop(n, p->xs + t * n, p->e, p->v, p->i,                             \
                                SNN_EXP_PICK(ADAPT, NULL, p->w), p->zs + t * n,                 \
                                p->v1s ? p->v1s + t * n : NULL, p->es ? p->es + t * n : NULL,   \
                                p->arg, p->a, p->c, SNN_EXP_PICK(ADAPT, (T)0, p->d), p->v_leak, \
                                p->v_th, p->v_reset, p->delta_t,                                \
                                SNN_EXP_PICK(ADAPT, (T)0, p->adaptation_current),               \
                                SNN_EXP_PICK(ADAPT, (T)0, p->adaptation_spike));                \
}                                                                                               \
                                                                                                \
static inline void NAME##_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,          \
        const T *restrict v1s, const T *restrict es, const T *restrict g_zs, T *restrict g_xs,  \
        T *restrict g_v, T *restrict g_i, T *restrict g_w, T a, T c, T d, T v_th, T v_reset,    \
        T a_c, T a_s, T alpha, T sqrt_pi)                                                       \
{                                                                                               \
    const T decay = (T)1 + c, keep_w = (T)1 - d, w_to_v = d * a_c;                              \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict e = es + t * n;                                                       \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T g_v1;                                                                             \
            if (ADAPT) {                                                                        \
                T g_z = g_v[k] * (v_reset - v1[k]) + g_w[k] * a_s;                              \
                if (gz) g_z += gz[k];                                                           \
                g_v1 = (x > 0 ? (T)0 : (T)1) * g_v[k] + g_z * s;                                \
            } else {                                                                            \
                T factor = (v_reset - v1[k]) * s + (x > 0 ? (T)0 : (T)1);                       \
                g_v1 = factor * g_v[k];                                                         \
                if (gz) g_v1 += s * gz[k];                                                      \
            }                                                                                   \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_i[k] = g_j;                                                                       \
            T g_v_leak = ((T)1 + a * (e[k] - (T)1)) * g_v1;                                     \
            if (ADAPT) {                                                                        \
                g_v[k] = g_v_leak + w_to_v * g_w[k];                                            \
                g_w[k] = keep_w * g_w[k] - a * g_v1;                                            \
            } else {                                                                            \
                g_v[k] = g_v_leak;                                                              \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i (and g_w): the final state's gradients on entry, the initial state's on exit. */    \
void snn_##NAME##_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s,           \
                                    const T *es, const T *g_zs, T *g_xs, T *g_v, T *g_i,        \
                                    SNN_EXP_IF(ADAPT, T *g_w,) T a, T c, SNN_EXP_IF(ADAPT, T d,) \
                                    T v_th, T v_reset, SNN_EXP_IF(ADAPT, T a_c, T a_s,)         \
                                    T alpha, T sqrt_pi)                                         \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, NAME##_backward_##SUFFIX##_kind, steps, n, v1s, es, g_zs, g_xs,  \
                         g_v, g_i, SNN_EXP_PICK(ADAPT, NULL, g_w), a, c,                        \
                         SNN_EXP_PICK(ADAPT, (T)0, d), v_th, v_reset,                           \
                         SNN_EXP_PICK(ADAPT, (T)0, a_c), SNN_EXP_PICK(ADAPT, (T)0, a_s), alpha, \
                         sqrt_pi)                                                               \
}

#endif
