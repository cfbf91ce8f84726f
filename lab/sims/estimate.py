"""Run-time estimate of a diffusion study (``estimate_seconds`` of each SIMS study, printed by ``python -m lab sims``).

Method: count the network's multiply-adds from its parameter count P (an MLP does ~P multiply-adds per row and NFE),
then
  training  6 · P · batch · steps · seeds flops (forward 2P, backward 4P per row),
  sampling  2 · P · rows · NFE · nets · seeds (Heun with N steps: 2N − 1 NFE; guided sampling evaluates 2 nets),
divided by an effective rate; plus a per-step latency floor (tiny networks are launch-bound on a GPU, not flop-bound),
a compile allowance per cell and the study's own metric estimate. RATE["gpu"] is calibrated on issue 11's H100
measurement (digits MLP 1024×4, P = 8.6 M with its noise-embedding layers, 50k steps at batch 512, ≈ 40 TFLOP/s
effective: XLA's default float32 matmuls use TF32 tensor cores); RATE["cpu"] is a guess for 2 unloaded cores. Treat
the result as ±2×.
"""
from __future__ import annotations

RATE = {"gpu": 40e12, "cpu": 2e10}  # effective flop/s
STEP_FLOOR = {"gpu": 4e-4, "cpu": 0.0}  # seconds per optimiser step or sampler NFE at least (launch-bound)
COMPILE = {"gpu": 40.0, "cpu": 15.0}  # seconds per cell (trace + XLA compile)


def mlp_params(dim: int, width: int, depth: int) -> int:
    """Parameters of ``lab.diffusion.MLP(width, depth)`` on dim-D data (counted by building one)."""
    import jax

    from lab.diffusion import MLP, count_params

    return count_params(MLP(width, depth).init(key=jax.random.key(0), dim=dim, n_cond=1))


def kind(backend: str) -> str:
    """"cpu" for JAX's cpu backend, "gpu" for any accelerator."""
    return "cpu" if backend == "cpu" else "gpu"


def train_seconds(params: int, batch: int, steps: int, seeds: int, backend: str) -> float:
    """Seconds to train ``seeds`` networks of ``params`` parameters for ``steps`` steps at ``batch`` rows."""
    k = kind(backend)
    return max(6.0 * params * batch * steps * seeds / RATE[k], steps * STEP_FLOOR[k])


def sample_seconds(params: int, rows: int, sampler_steps: int, seeds: int, backend: str, nets: int = 1) -> float:
    """Seconds to draw ``rows`` samples per seed with a Heun sampler of ``sampler_steps`` steps (``nets`` networks
    evaluated per NFE: 2 for guided sampling)."""
    k = kind(backend)
    nfe = 2 * sampler_steps - 1
    return max(2.0 * params * rows * nfe * nets * seeds / RATE[k], nfe * STEP_FLOOR[k])
