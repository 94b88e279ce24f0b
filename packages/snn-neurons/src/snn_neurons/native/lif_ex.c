/* Exponential LIF (lif_ex) for CPU tensors, one step per call, called through ctypes.
 *
 * The step's exponential is torch's: torch.exp on CPU (vectorised, SLEEF-style) differs from libm's
 * exp in the last bit for about 1% of arguments, so the caller runs, per step,
 *   torch.exp(arg, out=e);  snn_lif_ex_step(args, t)
 * and this file does the rest of the step in snn_neurons.functional.lif_ex_feed_forward_step's
 * rounding order:
 *   j = i + x,  v1 = v + a(((v_leak - v) + delta_T e) + j),  i' = j + c j,  z = [v1 - v_th > 0],
 *   v' = (1 - z) v1 + z v_reset,  and the next argument (v' - v_th) / delta_T,
 * with a = dt tau_mem_inv, c = -dt tau_syn_inv. v1 and e are saved per step (es, v1s: NULL when no
 * gradient is needed); with s = sigma'(v1 - v_th) the backward pass is the LIF adjoint with
 * dv1/dv = 1 + a (e - 1):
 *   g_v1 = ((v_reset - v1) s + (1 - z)) g_v' + s g_z,  g_x = g_i = a g_v1 + (1 + c) g_i',
 *   g_v = (1 + a (e - 1)) g_v1.
 */
#include "_lif_exp.h"

SNN_DEFINE_EXP_LIF(float, f32, lif_ex, 0)
SNN_DEFINE_EXP_LIF(double, f64, lif_ex, 0)
