"""The conformance checks behind :mod:`snn_core.testing`.

Every check follows the same pattern: build tiny inputs on each device (CPU, plus CUDA when it is
available) in float32 and float64, run the component, and compare what comes out with the plugin
contract in DESIGN.md: outputs and states take the input's shape, dtype and device; states are built
from nothing (``None``); gradients flow through the surrogate near threshold; parameters survive a
``state_dict`` round trip through ``torch.load(..., weights_only=True)``; the component runs under
``torch.compile``.
"""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import torch
from torch import Tensor, nn

from ..plugins.manager import registry
from ..plugins.specs import EncoderSpec, LayerSpec, NeuronSpec, ThresholdSpec

__all__ = [
    "ConformanceError",
    "check_encoder_spec",
    "check_layer_spec",
    "check_neuron_spec",
    "check_plugin",
    "check_threshold_spec",
    "compile_enabled",
]

DTYPES: tuple[torch.dtype, ...] = (torch.float32, torch.float64)
#: input amplitudes tried, in order, until a gradient reaches the input
DRIVES: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)
COMPILE_BACKEND = "aot_eager"  # traces forward and backward like inductor, without a C compiler


class ConformanceError(AssertionError):
    """A component breaks the plugin contract; the message names the spec, the check and the fix."""


def compile_enabled(compile: bool | None = None) -> bool:
    """Whether the ``torch.compile`` smoke run happens: ``compile`` if given, else not when
    ``SNN_TESTING_SKIP_COMPILE`` is set to a true value."""
    if compile is not None:
        return bool(compile)
    return os.environ.get("SNN_TESTING_SKIP_COMPILE", "").strip().lower() in ("", "0", "false", "no")


def _devices(devices: Sequence[str | torch.device] | None) -> list[torch.device]:
    if devices is not None:
        return [torch.device(d) for d in devices]
    found = [torch.device("cpu")]
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    return found


def _fail(spec: Any, check: str, message: str) -> ConformanceError:
    kind = type(spec).__name__
    name = getattr(spec, "name", repr(spec))
    return ConformanceError(f"{kind} {name!r} fails the {check!r} check: {message}")


def _resolve(spec: Any, kind: str, spec_type: type) -> Any:
    if isinstance(spec, str):
        return registry().kind(kind)[spec]
    if not isinstance(spec, spec_type):
        raise TypeError(
            f"spec must be a {spec_type.__name__} or a registered name, got {type(spec).__name__}"
        )
    return spec


def _is_namedtuple_class(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _tensors(value: Any) -> list[tuple[str, Tensor]]:
    """``(path, tensor)`` for every tensor inside a (nested) tuple/NamedTuple/list/dict/tensor."""
    if isinstance(value, Tensor):
        return [("", value)]
    out: list[tuple[str, Tensor]] = []
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, (tuple, list)):
        names = getattr(value, "_fields", None) or range(len(value))
        items = zip(names, value)
    else:
        return out
    for key, item in items:
        out += [(f".{key}{path}", tensor) for path, tensor in _tensors(item)]
    return out


def _check_follows(spec: Any, check: str, what: str, value: Any, ref: Tensor, *, shape: bool = True) -> None:
    for path, tensor in _tensors(value):
        label = f"{what}{path}"
        if tensor.device != ref.device:
            raise _fail(spec, check, f"{label} is on {tensor.device}, the input on {ref.device}")
        if tensor.is_floating_point() and tensor.dtype != ref.dtype:
            raise _fail(spec, check, f"{label} has dtype {tensor.dtype}, the input {ref.dtype}")
        if shape and tensor.shape != ref.shape:
            raise _fail(spec, check, f"{label} has shape {tuple(tensor.shape)}, the input {tuple(ref.shape)}")


def _check_close(spec: Any, check: str, what: str, actual: Any, expected: Any) -> None:
    pairs = zip(_tensors(actual), _tensors(expected))
    for (path, a), (_, e) in pairs:
        if a.shape != e.shape or not torch.allclose(a, e, rtol=1e-5, atol=1e-6, equal_nan=True):
            raise _fail(
                spec,
                check,
                f"{what}{path} differs: max |difference| "
                f"{(a.double() - e.double()).abs().max().item() if a.shape == e.shape else 'shape'}",
            )


def _check_grad(spec: Any, check: str, grad: Tensor | None, hint: str) -> None:
    if grad is None or not torch.isfinite(grad).all():
        raise _fail(
            spec, check, f"the input gradient is {'missing' if grad is None else 'not finite'}; {hint}"
        )
    if not bool((grad != 0).any()):
        raise _fail(spec, check, f"no gradient reaches the input; {hint}")


def _input_grad(out: Tensor, x: Tensor) -> Tensor | None:
    if not out.requires_grad:
        return None
    return torch.autograd.grad(out.sum(), x, allow_unused=True)[0]


def _compile(fn: Callable[..., Any], fullgraph: bool) -> Callable[..., Any]:
    import torch._dynamo

    torch._dynamo.reset()
    return torch.compile(fn, backend=COMPILE_BACKEND, fullgraph=fullgraph, dynamic=False)


# ---------------------------------------------------------------------------------------- thresholds
def check_threshold_spec(
    spec: ThresholdSpec | str,
    alpha: Any = None,
    *,
    heaviside: bool = True,
    surrogate: bool = True,
    devices: Sequence[str | torch.device] | None = None,
    compile: bool | None = None,
) -> list[str]:
    """Check a surrogate threshold function against the protocol ``fn(x, alpha) -> spikes``.

    Checks: forward is the Heaviside step $H(x) = [x > 0]$ (0 at $x = 0$) in the input's shape,
    dtype and device; the backward pass gives a finite, non-negative gradient that is larger near
    $x = 0$ than far from it; it works on float32 and float64, for a 0-d input, and under
    ``torch.compile``.

    Args:
        spec: the spec, or the name of a registered threshold.
        alpha: the surrogate's hyperparameter; ``None`` tries the function's default, then 1.0.
        heaviside: check the forward pass is exactly $[x > 0]$; ``False`` for a smooth activation
            registered as a threshold (traceTorch's ``sigmoid4x``), which then only has to lie in
            $[0, 1]$ and increase.
        surrogate: check the backward pass; ``False`` for a plain step without gradient.
        devices: devices to test on (default: CPU, and CUDA when available).
        compile: run the ``torch.compile`` smoke test (default: unless ``SNN_TESTING_SKIP_COMPILE``).

    Returns:
        The names of the checks that ran.

    Raises:
        ConformanceError: (an ``AssertionError``) naming the failed check.

    Example:
        >>> check_threshold_spec(snn_core.ThresholdSpec(name="mine", fn=my_fn), alpha=10.0)
    """
    spec = cast(ThresholdSpec, _resolve(spec, "thresholds", ThresholdSpec))

    def call(x: Tensor) -> Tensor:
        return (
            spec.fn(x)
            if alpha is None and _has_default_alpha(spec.fn)
            else spec.fn(x, 1.0 if alpha is None else alpha)
        )

    ran = []
    for device in _devices(devices):
        for dtype in DTYPES:
            x = torch.tensor([-2.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 2.0], dtype=dtype, device=device)
            z = call(x)
            _check_follows(spec, "follows input", "output", z, x)
            if not heaviside:
                if bool((z < 0).any() or (z > 1).any() or (z.diff() < 0).any()):
                    raise _fail(
                        spec, "forward", f"fn({x.tolist()}) = {z.tolist()} is not increasing in [0, 1]"
                    )
            elif not torch.equal(z, (x > 0).to(dtype)):
                raise _fail(spec, "heaviside forward", f"fn({x.tolist()}) = {z.tolist()}, expected x > 0")
            if surrogate:
                _check_threshold_grad(spec, call, dtype, device)
            scalar = call(torch.tensor(0.25, dtype=dtype, device=device))
            if scalar.shape != () or (heaviside and scalar.item() != 1.0):
                raise _fail(spec, "0-d input", f"fn(tensor(0.25)) = {scalar!r}, expected tensor(1.)")
    ran += ["follows input", "heaviside forward" if heaviside else "forward", "0-d input"]
    ran += ["surrogate gradient"] if surrogate else []
    if compile_enabled(compile):
        x = torch.linspace(-1, 1, 9, requires_grad=True)
        xc = x.detach().clone().requires_grad_(True)
        out = _compile(call, fullgraph=True)(xc)
        _check_close(spec, "torch.compile", "output", out, call(x))
        if surrogate:
            eager = torch.autograd.grad(call(x).sum(), x)[0]
            _check_close(spec, "torch.compile", "gradient", torch.autograd.grad(out.sum(), xc)[0], eager)
        ran.append("torch.compile")
    return ran


def _check_threshold_grad(
    spec: Any, call: Callable[[Tensor], Tensor], dtype: torch.dtype, device: torch.device
) -> None:
    x = torch.tensor([-3.0, -1e-2, 1e-2, 3.0], dtype=dtype, device=device, requires_grad=True)
    z = call(x)
    if not z.requires_grad:
        raise _fail(
            spec,
            "surrogate gradient",
            "the output does not require grad: the backward pass must "
            "give a surrogate derivative (pass surrogate=False for a plain step)",
        )
    (grad,) = torch.autograd.grad(z.sum(), x, allow_unused=True)
    _check_grad(spec, "surrogate gradient", grad, "the backward pass must give a surrogate derivative")
    assert grad is not None
    if bool((grad < 0).any()):
        raise _fail(spec, "surrogate gradient", f"negative derivative {grad.tolist()} at {x.tolist()}")
    if not bool(grad[1:3].min() > grad[[0, 3]].max()):
        raise _fail(
            spec,
            "surrogate gradient",
            f"derivative {grad.tolist()} at {x.tolist()} is not largest near the threshold",
        )


def _has_default_alpha(fn: Callable[..., Any]) -> bool:
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(params) >= 2 and params[1].default is not inspect.Parameter.empty


# ------------------------------------------------------------------------------------------- neurons
def check_neuron_spec(
    spec: NeuronSpec | str,
    p: Any = None,
    *,
    dt: float = 1e-3,
    shape: Sequence[int] = (2, 3),
    steps: int = 8,
    drives: Sequence[float] = DRIVES,
    devices: Sequence[str | torch.device] | None = None,
    compile: bool | None = None,
) -> list[str]:
    r"""Check a neuron model against ``step(x, state, p, dt) -> (z, state)`` over NamedTuples.

    Checks: ``parameters`` and ``state`` are NamedTuple classes and ``parameters()`` builds with
    defaults; ``initial_state(x, p)`` (the state from ``None``) is a ``state`` whose tensors take
    ``x``'s shape, dtype and device; ``step`` returns an output and a ``state`` of the same kind and
    is pure (same inputs, same result; the state passed in is not modified); the whole-sequence
    path, if registered, equals looping ``step``; a gradient reaches the input through the
    surrogate (inputs scaled by ``drives`` until one does); float32 and float64; ``torch.compile``
    of ``step`` (``fullgraph=True``) gives the eager numbers.

    Args:
        spec: the spec, or the name of a registered neuron.
        p: parameters to use (default ``spec.parameters()``).
        dt: time step.
        shape: shape of one time step of input.
        steps: time steps simulated.
        drives: input amplitudes tried for the gradient check.
        devices: devices to test on (default: CPU, and CUDA when available).
        compile: run the ``torch.compile`` smoke test (default: unless ``SNN_TESTING_SKIP_COMPILE``).

    Returns:
        The names of the checks that ran.

    Raises:
        ConformanceError: (an ``AssertionError``) naming the failed check.
    """
    spec = cast(NeuronSpec, _resolve(spec, "neurons", NeuronSpec))
    for attr in ("parameters", "state"):
        if not _is_namedtuple_class(getattr(spec, attr)):
            raise _fail(
                spec, "namedtuples", f"{attr} must be a NamedTuple class, got {getattr(spec, attr)!r}"
            )
    try:
        default_p = spec.parameters()
    except TypeError as error:
        raise _fail(spec, "namedtuples", f"parameters() must build with defaults: {error}") from None
    p = default_p if p is None else p

    def run(xs: Tensor, state: Any) -> tuple[Tensor, Any]:
        outs = []
        for x_t in xs.unbind(0):
            z, state = spec.step(x_t, state, p, dt)
            outs.append(z)
        return torch.stack(outs), state

    ran = ["namedtuples"]
    generator = torch.Generator().manual_seed(0)
    base = torch.rand((steps, *shape), generator=generator)
    for device in _devices(devices):
        for dtype in DTYPES:
            xs = base.to(device=device, dtype=dtype)
            state = spec.initial_state(xs[0], p)
            if not isinstance(state, spec.state):
                raise _fail(
                    spec,
                    "state from None",
                    f"initial_state returned {type(state).__name__}, expected {spec.state.__name__}",
                )
            _check_follows(spec, "state from None", "initial state", state, xs[0])
            before = [t.clone() for _, t in _tensors(state)]
            z, new_state = spec.step(xs[0], state, p, dt)
            if not isinstance(new_state, spec.state):
                raise _fail(
                    spec,
                    "step",
                    f"step returned state {type(new_state).__name__}, expected {spec.state.__name__}",
                )
            _check_follows(spec, "step", "output", z, xs[0])
            _check_follows(spec, "step", "state", new_state, xs[0])
            if any(not torch.equal(a, b) for a, (_, b) in zip(before, _tensors(state))):
                raise _fail(spec, "pure step", "step modified the state passed in (use out-of-place ops)")
            _check_close(spec, "pure step", "repeated step", spec.step(xs[0], state, p, dt), (z, new_state))
            zs, final = run(xs, spec.initial_state(xs[0], p))
            if spec.sequence is not None:
                seq = spec.sequence(xs, spec.initial_state(xs[0], p), p, dt)
                _check_close(spec, "sequence equals step loop", "sequence", seq, (zs, final))
    ran += ["state from None", "step", "pure step", "follows input"]
    if spec.sequence is not None:
        ran.append("sequence equals step loop")
    grad = None
    for drive in drives:
        xs = (base * drive).requires_grad_(True)
        zs, _ = run(xs, spec.initial_state(xs[0].detach(), p))
        grad = _input_grad(zs, xs)
        if grad is not None and torch.isfinite(grad).all() and bool((grad != 0).any()):
            break
    _check_grad(
        spec,
        "surrogate gradient",
        grad,
        f"tried input amplitudes {list(drives)}; pass drives= that bring the neuron near its threshold",
    )
    ran.append("surrogate gradient")
    if compile_enabled(compile):
        xs = base * drives[0]
        state = spec.initial_state(xs[0], p)
        compiled = _compile(lambda x, s: spec.step(x, s, p, dt), fullgraph=True)
        _check_close(
            spec, "torch.compile", "compiled step", compiled(xs[0], state), spec.step(xs[0], state, p, dt)
        )
        ran.append("torch.compile")
    return ran


# -------------------------------------------------------------------------------------------- layers
def check_layer_spec(
    spec: LayerSpec | str,
    *args: Any,
    input_shape: Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
    steps: int = 4,
    drives: Sequence[float] = DRIVES,
    devices: Sequence[str | torch.device] | None = None,
    compile: bool | None = None,
    **kwargs: Any,
) -> list[str]:
    """Check a stateful layer: ``spec.cls(*args, **kwargs)`` called one time step at a time.

    Checks: the layer is an ``nn.Module``; outputs take the input's dtype and device (and
    ``output_shape``, default the input's shape); for an ``snn_core.Layer``, hidden states start as
    ``None``, are created from the first input with its dtype and device, are neither parameters nor
    in ``state_dict()``, and ``zero_states()`` resets them so a rerun gives the same outputs; a
    gradient reaches the input (inputs scaled by ``drives`` until one does); the ``state_dict``
    saves, loads with ``torch.load(..., weights_only=True)`` into a new instance and gives the same
    outputs; float32 and float64 (after ``.to(dtype)``); ``torch.compile`` of the layer gives the
    eager outputs.

    Args:
        spec: the spec, or the name of a registered layer.
        *args: constructor arguments, e.g. ``num_neurons``.
        input_shape: shape of one time step (default ``(2, num_neurons)`` for an ``snn_core.Layer``
            with ``dim=-1``; required otherwise).
        output_shape: expected output shape (default: the input's).
        steps: time steps run.
        drives: input amplitudes tried for the gradient check.
        devices: devices to test on (default: CPU, and CUDA when available).
        compile: run the ``torch.compile`` smoke test (default: unless ``SNN_TESTING_SKIP_COMPILE``).
        **kwargs: constructor keyword arguments.

    Returns:
        The names of the checks that ran.

    Raises:
        ConformanceError: (an ``AssertionError``) naming the failed check.
    """
    from ..layer import Layer

    spec = cast(LayerSpec, _resolve(spec, "layers", LayerSpec))
    template: Any = spec.cls(*args, **kwargs)
    if not isinstance(template, nn.Module):
        raise _fail(
            spec, "module", f"{spec.cls.__name__}(...) is a {type(template).__name__}, not an nn.Module"
        )
    stateful = isinstance(template, Layer)
    if input_shape is None and (not stateful or template.dim != -1):
        raise TypeError(
            f"input_shape is required for layer {spec.name!r} (not an snn_core.Layer with dim=-1)"
        )
    shape: tuple[int, ...] = (
        tuple(input_shape) if input_shape is not None else (2, cast(int, template.num_neurons))
    )
    expected_shape = tuple(output_shape) if output_shape is not None else shape
    base = torch.rand((steps, *shape), generator=torch.Generator().manual_seed(0))

    def run(layer: Any, xs: Tensor) -> Tensor:
        if stateful:
            layer.zero_states()
        return torch.stack([layer(x_t) for x_t in xs.unbind(0)])

    def states(layer: Any) -> dict[str, Any]:
        return {name: getattr(layer, name) for name in layer.state_names} if stateful else {}

    ran = ["module"]
    for device in _devices(devices):
        for dtype in DTYPES:
            layer: Any = copy.deepcopy(template).to(device=device, dtype=dtype)
            xs = base.to(device=device, dtype=dtype)
            if stateful and any(value is not None for value in states(layer).values()):
                raise _fail(
                    spec,
                    "state from None",
                    f"states {sorted(k for k, v in states(layer).items() if v is not None)} exist before the first input",
                )
            out = layer(xs[0])
            for path, tensor in _tensors(out):
                if tensor.device != xs.device or (tensor.is_floating_point() and tensor.dtype != dtype):
                    raise _fail(
                        spec,
                        "follows input",
                        f"output{path} is {tensor.dtype} on {tensor.device}, the input {dtype} on {device}",
                    )
            if isinstance(out, Tensor) and tuple(out.shape) != expected_shape:
                raise _fail(
                    spec, "follows input", f"output shape {tuple(out.shape)}, expected {expected_shape}"
                )
            if stateful:
                for name, value in states(layer).items():
                    if not isinstance(value, Tensor):
                        raise _fail(
                            spec, "state from None", f"state {name!r} is {value!r} after the first input"
                        )
                    if value.device != xs.device or value.dtype != dtype:
                        raise _fail(
                            spec,
                            "state from None",
                            f"state {name!r} is {value.dtype} on {value.device}, "
                            f"the input {dtype} on {device}",
                        )
                    if any(value is param for param in layer.parameters()):
                        raise _fail(spec, "state from None", f"state {name!r} is a parameter")
                leaked = sorted(k for k in layer.state_dict() if k.rsplit(".", 1)[-1] in layer.state_names)
                if leaked:
                    raise _fail(spec, "state from None", f"hidden states {leaked} are in state_dict()")
                first = run(layer, xs)
                _check_close(spec, "zero_states", "rerun after zero_states()", run(layer, xs), first)
    ran += ["follows input"] + (["state from None", "zero_states"] if stateful else [])

    grad = None
    for drive in drives:
        xs = (base * drive).requires_grad_(True)
        grad = _input_grad(run(template, xs), xs)
        if grad is not None and torch.isfinite(grad).all() and bool((grad != 0).any()):
            break
    _check_grad(spec, "surrogate gradient", grad, f"tried input amplitudes {list(drives)}")
    ran.append("surrogate gradient")

    trained = copy.deepcopy(template)
    with torch.no_grad():  # make the round trip observable: a fresh instance must not match by chance
        for param in trained.parameters():
            param.add_(0.01 * torch.rand(param.shape, generator=torch.Generator().manual_seed(1)).to(param))
    buffer = io.BytesIO()
    torch.save(trained.state_dict(), buffer)
    buffer.seek(0)
    try:
        loaded = torch.load(buffer, weights_only=True)
    except Exception as error:
        raise _fail(spec, "state_dict round trip", f"torch.load(weights_only=True) fails: {error}") from None
    fresh = spec.cls(*args, **kwargs)
    try:
        fresh.load_state_dict(loaded, strict=True)
    except Exception as error:
        raise _fail(
            spec, "state_dict round trip", f"load_state_dict into a new instance fails: {error}"
        ) from None
    _check_close(
        spec, "state_dict round trip", "outputs after load_state_dict", run(fresh, base), run(trained, base)
    )
    ran.append("state_dict round trip")

    if compile_enabled(compile):
        layer = copy.deepcopy(template)
        eager = run(layer, base)
        compiled = _compile(layer, fullgraph=False)
        if stateful:
            layer.zero_states()
        out = torch.stack([compiled(x_t) for x_t in base.unbind(0)])
        _check_close(spec, "torch.compile", "compiled outputs", out, eager)
        ran.append("torch.compile")
    return ran


# ------------------------------------------------------------------------------------------ encoders
def check_encoder_spec(
    spec: EncoderSpec | str,
    *args: Any,
    input_shape: Sequence[int] = (2, 3),
    devices: Sequence[str | torch.device] | None = None,
    **kwargs: Any,
) -> list[str]:
    """Check an encoder: ``spec.fn(x, *args, **kwargs)`` on inputs in $[0, 1)$.

    Checks: every output tensor is finite and on the input's device, floating outputs in the input's
    dtype, for float32 and float64.

    Returns:
        The names of the checks that ran.
    """
    spec = cast(EncoderSpec, _resolve(spec, "encoders", EncoderSpec))
    base = torch.rand(tuple(input_shape), generator=torch.Generator().manual_seed(0))
    for device in _devices(devices):
        for dtype in DTYPES:
            x = base.to(device=device, dtype=dtype)
            out = spec.fn(x, *args, **kwargs)
            _check_follows(spec, "follows input", "output", out, x, shape=False)
            if any(not torch.isfinite(t.double()).all() for _, t in _tensors(out)):
                raise _fail(spec, "finite", "the output has non-finite values")
    return ["follows input", "finite"]


# ------------------------------------------------------------------------------------------- plugins
def check_plugin(
    plugin: Any,
    *,
    layer_args: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
    compile: bool | None = None,
) -> dict[str, list[str]]:
    """Run the checks above on every threshold, neuron and layer a plugin's hooks return.

    Args:
        plugin: the module (or object) holding the ``@snn_core.hookimpl`` functions.
        layer_args: layer name -> ``(args, kwargs)`` for its constructor; layers without an entry
            are built with ``cls(4)``.
        compile: as in the individual checks.

    Returns:
        ``"<kind>:<name>"`` -> the checks that ran.
    """
    results: dict[str, list[str]] = {}
    for spec in _hook(plugin, "snn_register_thresholds"):
        results[f"thresholds:{spec.name}"] = check_threshold_spec(spec, compile=compile)
    for spec in _hook(plugin, "snn_register_neurons"):
        results[f"neurons:{spec.name}"] = check_neuron_spec(spec, compile=compile)
    for spec in _hook(plugin, "snn_register_layers"):
        args, kwargs = (layer_args or {}).get(spec.name, ((4,), {}))
        results[f"layers:{spec.name}"] = check_layer_spec(spec, *args, compile=compile, **kwargs)
    return results


def _hook(plugin: Any, name: str) -> list[Any]:
    fn = getattr(plugin, name, None)
    return [] if fn is None else list(fn() or [])
