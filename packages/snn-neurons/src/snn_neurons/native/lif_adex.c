/* Adaptive exponential LIF (lif_adex) for CPU tensors, one step per call, called through ctypes.
 *
 * As in lif_ex.c the exponential is torch's (torch.exp differs from libm's exp in the last bit for
 * about 1% of arguments): the caller runs, per step,
 *   torch.exp(arg, out=e);  snn_lif_adex_step(args, t)
 * and this file does the rest of snn_neurons.functional.lif_adex_feed_forward_step in its rounding
 * order (w is the adaptation current, the state field ``a``):
 *   j = i + x,  v1 = v + a_m((((v_leak - v) + delta_T e) + j) - w),  i' = j + c j,
 *   w1 = w + d(A_c (v - v_leak) - w),  z = [v1 - v_th > 0],  v' = (1 - z) v1 + z v_reset,
 *   w' = w1 + z A_s,  and the next argument (v' - v_th) / delta_T,
 * with a_m = dt tau_mem_inv, c = -dt tau_syn_inv, d = dt tau_ada_inv. v1 and e are saved per step;
 * with s = sigma'(v1 - v_th) the backward pass is
 *   u = (g_z + g_v' (v_reset - v1) + g_w' A_s) s,  g_v1 = (1 - z) g_v' + u,
 *   g_x = g_i = a_m g_v1 + (1 + c) g_i',  g_v = (1 + a_m (e - 1)) g_v1 + d A_c g_w',
 *   g_w = (1 - d) g_w' - a_m g_v1.
 */
#include "_lif_exp.h"

SNN_DEFINE_EXP_LIF(float, f32, lif_adex, 1)
SNN_DEFINE_EXP_LIF(double, f64, lif_adex, 1)
