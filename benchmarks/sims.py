"""Benchmark (issue 6, item 8): training steps per second of the SIMS digits network, lab vs a per-step PyTorch (CPU)
loop of the same network, batch and update.

Run: ``.venv/bin/pip install -e '.[bench]'`` (PyTorch 2.13, CPU), then ``.venv/bin/python benchmarks/sims.py``
(``--steps N``, default 10, and ``--repeats R``, default 1, set the timed steps per run and the interleaved lab/torch
rounds). Few steps by default because ``lab.sims.train`` runs this network at about 0.1–0.3 steps/s on 2 CPU cores
(see "Measured" below); the whole script takes 3–5 minutes on the shared 2-core machine.

The network is ``lab.sims.ConvSpec()`` (side 8, 32 channels, 2 residual blocks; no study or docstring of the core
recommends another for the digits), trained with ``lab.sims.TrainConfig(steps=STEPS)`` defaults: batch 256 drawn with
replacement from sklearn's 1797 digits (``lab.sims.data.digits().x``, (1797, 64) in [−1, 1]), EDM's eq. 8 loss
(ln σ ~ N(−1.2, 1.2²), σ_d = 0.5, c_in/c_skip/c_out/c_noise of Table 1), global-norm clipping at 1, Adam with a linear
warm-up (100 steps) to 2e-3 and a cosine decay to 2e-4, and the EMA θ̄ ← β_t θ̄ + (1 − β_t) θ, β_t =
min(0.999, (1 + t)/(10 + t)), after every step. Float32 on both sides, default threads.

Lab: ``lab.sims.train(key, data, spec, cfg)`` — the whole run is one jitted ``lax.scan``; a first call compiles
(its time printed apart), later calls with the same (spec, config) are timed.
PyTorch: what a user would write — an ``nn.Module`` with the same layers (``nn.Conv2d`` 3×3 padding 1, ``nn.Linear``,
SiLU, the same Fourier noise embedding), the same EDM preconditioning and loss, ``torch.optim.Adam`` (default
implementation), ``LambdaLR`` for the same schedule, ``clip_grad_norm_``, an in-place EMA copy, one Python iteration
per step. It starts from the lab's initial weights (transposed to PyTorch's layouts), so parameter counts match and the
two runs differ only in their random batches; before timing, the script checks that both compute the same loss on the
same batch, noise and (random, non-zero) weights. A few PyTorch warm-up steps (first-call allocations) are timed apart.
Lab and PyTorch runs alternate (``--repeats`` rounds) so that both see similar load on a shared machine.

Printed: warm-up times, each timed run, steps/s, parameter counts, the final training losses (mean of the last
min(50, steps/2) steps) and the loss of both trained networks on one common evaluation batch. An extra row (not in
the speedup) times the very step ``lab.sims.train`` scans over, jitted alone and called from a Python loop: the
per-step JAX loop a user would otherwise write. The last line is ``speedup: <total torch time / total lab time>``.

Measured (2 shared CPU cores, load average 8–15, jax 0.10.2, torch 2.13.0+cpu, 10 steps, batch 256): lab.sims.train
0.1–0.3 steps/s (4–9 s per step), PyTorch 1.0–10.7 steps/s, speedup 0.02–0.11 (lab 10–50× slower). The cause is
XLA:CPU, not the model: the same step jitted alone ran at 10–14 steps/s (on par with PyTorch), and a separate test
measured 0.22 s for one jitted step, 0.59 s for a fully unrolled ``lax.scan`` of 3 steps, but 33.5 s for the rolled
``lax.scan`` of the same 3 steps (49 s as ``fori_loop``): the convolutions inside an XLA:CPU while loop run ~50×
slower. Losses agree (eq. 8 form; the first step, F = 0, scores 107 (lab) and 111
(torch): digits are not centred, so the targets exceed unit variance): after 10 steps 90.9 vs 89.0 in training,
87.1 vs 87.4 on a common batch. Timings on this machine vary ×10 between runs (oversubscribed threads).
"""
from __future__ import annotations

import argparse
import copy
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch

import lab  # noqa: F401  (float64 on, 2 CPU devices: the lab's own setting)
from lab import sims
from lab.sims import edm
from lab.sims.data import digits
from lab.sims.networks import FOURIER

SPEC = sims.ConvSpec()
KEY = 0
WARMUP_TORCH = 20  # PyTorch steps run (and timed) before the timed runs
LAST = 50  # final training loss: mean of the last LAST batch losses
EVAL_ROWS = 2048  # rows of the common evaluation batch


# ---------------------------------------------------------------------------------------------------------------- #
# PyTorch: the same network, loss and update                                                                        #
# ---------------------------------------------------------------------------------------------------------------- #
class Block(torch.nn.Module):
    def __init__(self, C: int):
        super().__init__()
        self.c1 = torch.nn.Conv2d(C, C, 3, padding=1)
        self.e = torch.nn.Linear(C, C)
        self.c2 = torch.nn.Conv2d(C, C, 3, padding=1)


class Net(torch.nn.Module):
    """F(x_in; c_noise) of ``ConvSpec``: h_0 = conv(x); h_{b+1} = h_b + conv(silu(conv(silu(h_b)) + e U_b));
    F = conv_out(silu(h)); e = silu(Linear([cos 2π f c, sin 2π f c])), f geometric on [1/8, 8]."""

    def __init__(self, side: int, C: int, blocks: int):
        super().__init__()
        self.side = side
        self.register_buffer("freqs", torch.tensor(np.geomspace(1 / 8, 8, FOURIER), dtype=torch.float32))
        self.emb = torch.nn.Linear(2 * FOURIER, C)
        self.inp = torch.nn.Conv2d(1, C, 3, padding=1)
        self.blocks = torch.nn.ModuleList(Block(C) for _ in range(blocks))
        self.out = torch.nn.Conv2d(C, 1, 3, padding=1)

    def forward(self, x_in, c_noise):  # (n, side²), (n,) -> (n, side²)
        n, silu = x_in.shape[0], torch.nn.functional.silu
        arg = 2 * math.pi * c_noise[:, None] * self.freqs
        e = silu(self.emb(torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)))
        h = self.inp(x_in.view(n, 1, self.side, self.side))
        for b in self.blocks:
            u = b.c1(silu(h)) + b.e(e)[:, :, None, None]
            h = h + b.c2(silu(u))
        return self.out(silu(h)).reshape(n, -1)


def torch_net(params) -> Net:
    """A ``Net`` holding the lab's ``ConvSpec`` weights ``params`` (HWIO convolutions → OIHW, (in, out) → (out, in))."""
    net = Net(SPEC.side, SPEC.channels, SPEC.blocks)
    conv = lambda p: (torch.tensor(np.asarray(p["w"]).transpose(3, 2, 0, 1)), torch.tensor(np.asarray(p["b"])))
    dense = lambda p: (torch.tensor(np.asarray(p["w"]).T), torch.tensor(np.asarray(p["b"])))
    pairs = [(net.emb, dense(params["emb"])), (net.inp, conv(params["in"])), (net.out, conv(params["out"]))]
    for b, p in zip(net.blocks, params["blocks"]):
        pairs += [(b.c1, conv(p["c1"])), (b.e, dense(p["e"])), (b.c2, conv(p["c2"]))]
    with torch.no_grad():
        for module, (w, bias) in pairs:
            module.weight.copy_(w)
            module.bias.copy_(bias)
    return net


def torch_loss(net, y, sigma, noise, sd: float):
    """Eq. 8 of Karras et al. 2022: mean over rows of ‖F(c_in x; c_noise) − (y − c_skip x)/c_out‖², x = y + σ noise."""
    s = sigma[:, None]
    x = y + s * noise
    c_in, c_skip, c_out = 1 / torch.sqrt(s**2 + sd**2), sd**2 / (s**2 + sd**2), s * sd / torch.sqrt(s**2 + sd**2)
    return ((net(c_in * x, 0.25 * torch.log(sigma)) - (y - c_skip * x) / c_out) ** 2).sum(-1).mean()


def lr_lambda(cfg):
    """optax.warmup_cosine_decay_schedule(0, lr, warm, max(steps, warm + 1), lr·lr_end) / lr, as LambdaLR wants it."""
    warm = min(cfg.warmup, cfg.steps // 2)
    decay = max(cfg.steps, warm + 1) - warm

    def f(t):
        if t < warm:
            return t / warm
        c = min(t - warm, decay) / decay
        return cfg.lr_end + (1 - cfg.lr_end) * 0.5 * (1 + math.cos(math.pi * c))
    return f


def torch_train(params0, data: torch.Tensor, cfg, steps: int, gen: torch.Generator):
    """``steps`` training steps of the PyTorch net from the lab's weights params0; returns (net, ema, losses)."""
    net = torch_net(params0)
    ema = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg))
    losses = []
    for t in range(steps):
        y = data[torch.randint(0, data.shape[0], (cfg.batch,), generator=gen)]
        sigma = torch.exp(cfg.p_mean + cfg.p_std * torch.randn(cfg.batch, generator=gen))
        loss = torch_loss(net, y, sigma, torch.randn(y.shape, generator=gen), cfg.sigma_data)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        beta = min(cfg.ema_decay, (1 + t) / (10 + t))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), net.parameters()):
                e.lerp_(p, 1 - beta)
        losses.append(loss.detach())
    return net, ema, torch.stack(losses).numpy()


# ---------------------------------------------------------------------------------------------------------------- #
# Checks and timing                                                                                                 #
# ---------------------------------------------------------------------------------------------------------------- #
def eval_batch(data: np.ndarray, cfg, rows: int):
    """A fixed (y, σ, noise) batch drawn from a key of its own (the same for both sides)."""
    k = jax.random.key(12345)
    y = data[np.asarray(jax.random.randint(jax.random.fold_in(k, 0), (rows,), 0, data.shape[0]))]
    sigma = np.asarray(edm.sample_sigma(jax.random.fold_in(k, 1), rows, cfg.p_mean, cfg.p_std))
    noise = np.asarray(jax.random.normal(jax.random.fold_in(k, 2), y.shape, edm.DTYPE))
    return y, sigma, noise


def lab_loss(params, y, sigma, noise, sd: float) -> float:
    x_in, target = edm.training_target(y, sigma[:, None] * noise, sigma, sd)
    return float(np.mean(np.sum((np.asarray(SPEC.apply(params, x_in, edm.c_noise(sigma))) - target) ** 2, -1)))


def check_same_network(data, cfg) -> tuple[float, float]:
    """(lab, torch) losses on one batch, with random non-zero weights (the output layer too)."""
    params = SPEC.init(jax.random.key(7))
    params["out"]["w"] = 0.1 * jax.random.normal(jax.random.key(8), params["out"]["w"].shape, edm.DTYPE)
    y, sigma, noise = eval_batch(data, cfg, 512)
    a = lab_loss(params, y, sigma, noise, cfg.sigma_data)
    with torch.no_grad():
        b = float(torch_loss(torch_net(params), *map(torch.tensor, (y, sigma, noise)), cfg.sigma_data))
    if not abs(a - b) < 1e-4 * abs(a):
        raise AssertionError(f"lab and PyTorch networks disagree: loss {a} vs {b}")
    return a, b


def lab_time(data, cfg) -> tuple[float, sims.Model]:
    t = time.perf_counter()
    model = sims.train(KEY, data, SPEC, cfg)
    jax.block_until_ready(model)
    return time.perf_counter() - t, model


def torch_time(params0, data, cfg, steps, seed) -> tuple[float, tuple]:
    gen = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    out = torch_train(params0, data, cfg, steps, gen)
    return time.perf_counter() - t, out


def jax_step_fn(cfg):
    """The body of ``lab.sims.train``'s ``lax.scan`` (same loss, optax chain and EMA), jitted alone, so that a Python
    loop can call it once per step: an informative extra row, not the benchmarked lab entry point."""
    opt = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), optax.adam(optax.warmup_cosine_decay_schedule(
        0.0, cfg.lr, min(cfg.warmup, cfg.steps // 2), max(cfg.steps, min(cfg.warmup, cfg.steps // 2) + 1),
        cfg.lr * cfg.lr_end)))

    def loss_fn(params, y, key):
        return edm.dsm_loss(lambda x, c: SPEC.apply(params, x, c), y, key, cfg.sigma_data, cfg.p_mean, cfg.p_std)

    @jax.jit
    def step(carry, key, data, t):
        params, ema, opt_state = carry
        kb, kl = jax.random.split(jax.random.fold_in(key, t))
        y = data[jax.random.randint(kb, (cfg.batch,), 0, data.shape[0])]
        loss, grads = jax.value_and_grad(loss_fn)(params, y, kl)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        beta = jnp.minimum(cfg.ema_decay, (1.0 + t) / (10.0 + t)).astype(edm.DTYPE)
        ema = jax.tree_util.tree_map(lambda e, p: beta * e + (1 - beta) * p, ema, params)
        return (params, ema, opt_state), loss

    return opt, step


def jax_loop_time(params0, data, cfg, steps) -> float:
    opt, step = jax_step_fn(cfg)
    key, y = jax.random.key(KEY), jnp.asarray(data)
    carry = (params0, params0, opt.init(params0))
    jax.block_until_ready(step(carry, key, y, jnp.int32(0)))  # compile, untimed
    t = time.perf_counter()
    for i in range(steps):
        carry, loss = step(carry, key, y, jnp.int32(i))
    jax.block_until_ready(carry)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="timed training steps per run")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved lab / torch rounds")
    args = ap.parse_args()
    cfg = sims.TrainConfig(steps=args.steps)
    data = digits().x
    data_t = torch.from_numpy(data)
    params0 = SPEC.init(jax.random.fold_in(jax.random.key(KEY), 1))  # the initial weights sims.train(KEY, ...) uses
    n_lab = sims.count_params(params0)
    n_torch = sum(p.numel() for p in torch_net(params0).parameters())
    if n_lab != n_torch:
        raise AssertionError(f"parameter counts differ: lab {n_lab}, torch {n_torch}")
    same = check_same_network(data, cfg)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print(f"network {SPEC}: {n_lab} parameters (lab) = {n_torch} (torch); "
          f"same-batch loss {same[0]:.6f} (lab) vs {same[1]:.6f} (torch)")
    print(f"config: steps={cfg.steps} batch={cfg.batch} lr={cfg.lr} warmup={cfg.warmup} data={data.shape}")

    first, _ = lab_time(data, cfg)
    print(f"lab: first call {first:.2f} s ({cfg.steps} steps + compilation)")
    tw, _ = torch_time(params0, data_t, cfg, WARMUP_TORCH, seed=999)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): warm-up {WARMUP_TORCH} steps {tw:.2f} s")

    lab_times, torch_times = [], []
    for r in range(args.repeats):
        tl, model = lab_time(data, cfg)
        tt, (net, ema, losses_t) = torch_time(params0, data_t, cfg, cfg.steps, seed=r)
        lab_times.append(tl)
        torch_times.append(tt)
        print(f"round {r}: lab {tl:.2f} s ({cfg.steps / tl:.1f} steps/s), torch {tt:.2f} s ({cfg.steps / tt:.1f} "
              f"steps/s), ratio {tt / tl:.2f}; load {os.getloadavg()[0]:.2f}")

    tj = jax_loop_time(params0, data, cfg, cfg.steps)
    print(f"extra (not lab's entry point): the same step jitted alone, called from a Python loop: {tj:.2f} s "
          f"({cfg.steps / tj:.1f} steps/s); torch / this = {torch_times[-1] / tj:.2f}")
    y, sigma, noise = eval_batch(data, cfg, EVAL_ROWS)
    with torch.no_grad():
        ev_t = float(torch_loss(net, *map(torch.tensor, (y, sigma, noise)), cfg.sigma_data))
    ev_l = lab_loss(model.params, y, sigma, noise, cfg.sigma_data)
    last = max(1, min(LAST, cfg.steps // 2))
    fin_l, fin_t = float(np.mean(np.asarray(model.losses)[-last:])), float(np.mean(losses_t[-last:]))
    print(f"final training loss (mean of last {last} steps): lab {fin_l:.3f}, torch {fin_t:.3f} "
          f"(first step, F = 0: {float(model.losses[0]):.2f} / {losses_t[0]:.2f})")
    print(f"loss of the trained raw weights on a common batch of {EVAL_ROWS}: lab {ev_l:.3f}, torch {ev_t:.3f}")
    L, T = sum(lab_times), sum(torch_times)
    print(f"total: lab {L:.2f} s, torch {T:.2f} s over {args.repeats} x {cfg.steps} steps; "
          f"lab {args.repeats * cfg.steps / L:.1f} steps/s, torch {args.repeats * cfg.steps / T:.1f} steps/s; "
          f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"speedup: {T / L:.2f}")


if __name__ == "__main__":
    main()
