"""Benchmark (issue 6, item 8): training steps per second of the SIMS digits networks, lab vs a per-step PyTorch (CPU)
loop of the same network, batch and update.

Run: ``.venv/bin/pip install -e '.[bench]'`` (PyTorch 2.13, CPU), then ``.venv/bin/python benchmarks/sims.py``
(``--steps N``, default 500: timed MLP steps per run; ``--conv-steps N``, default 50, 0 skips the ConvSpec row;
``--repeats R``, default 2: interleaved lab/torch rounds per network; ``--torch-threads T``). About 1.5 minutes on
the shared 2-core machine.

Headline: the network the digits studies train, ``MLPSpec(64, 256, 3)`` (studies/sims_digits.py and sims_shift.py,
cpu presets; 436,288 parameters), with their batch 128 and ``TrainConfig`` defaults otherwise. Second row:
``ConvSpec()`` (side 8, 32 channels, 2 residual blocks; 40,769 parameters), batch 256, which ``lab.sims.train`` runs
as a Python loop over jitted chunks of 5 unrolled steps (``lab.sims.training.loop_kind``: XLA:CPU runs convolution
gradients inside a rolled ``lax.scan`` ~50–100× slower; the MLP keeps the one-scan loop). Both: rows drawn with
replacement from sklearn's 1797 digits (``lab.sims.data.digits().x``, (1797, 64) in [−1, 1]), EDM's eq. 8 loss
(ln σ ~ N(−1.2, 1.2²), σ_d = 0.5, c_in/c_skip/c_out/c_noise of Table 1), global-norm clipping at 1, Adam with a linear
warm-up (100 steps) to 2e-3 and a cosine decay to 2e-4, and the EMA θ̄ ← β_t θ̄ + (1 − β_t) θ, β_t =
min(0.999, (1 + t)/(10 + t)), after every step. Float32 on both sides.

Lab: ``lab.sims.train(key, data, spec, cfg)``; a first call compiles (its time printed apart), later calls with the
same (spec, config) are timed.
PyTorch: what a user would write — an ``nn.Module`` with the same layers (``nn.Linear``, or ``nn.Conv2d`` 3×3 padding
1, SiLU, the same Fourier noise embedding), the same EDM preconditioning and loss, ``torch.optim.Adam`` (default
implementation), ``LambdaLR`` for the same schedule, ``clip_grad_norm_``, an in-place EMA copy, one Python iteration
per step. It starts from the lab's initial weights (transposed to PyTorch's layouts), so parameter counts match and the
two runs differ only in their random batches; before timing, the script checks that both compute the same loss on the
same batch, noise and (random, non-zero) weights. Threads: the warm-up (20 steps) runs PyTorch with its default
thread count (the 2 cores) and with 1 thread, and the timed runs use the faster — on this oversubscribed machine
1 thread, by 15–100× (2 OpenMP threads contend with the other processes for the 2 cores; the earlier version of
this script used the default and so measured PyTorch at 1–10.7 steps/s on ConvSpec, against ~21 steps/s at 1 thread).
Lab and PyTorch runs alternate (``--repeats`` rounds) so that both see similar load.

Printed per network: compile and warm-up times, each timed run, steps/s, parameter counts, the final training losses
(mean of the last min(50, steps/2) steps) and the loss of both trained networks on one common evaluation batch, and an
extra row (not in the speedup): the very step ``lab.sims.train`` runs, jitted alone and called from a Python loop (the
per-step JAX loop a user would otherwise write). The last line is ``speedup: <total torch time / total lab time>``
for the MLP headline.

Measured (2 shared CPU cores, jax 0.10.2, torch 2.13.0+cpu at 1 thread, MLP 2 × 500 steps, ConvSpec 2 × 50 steps):
three runs at 03:21, 03:24 and 03:26 UTC, load average 4.9, 4.3 and 6.5 at the start (1-minute; other helpers'
jobs), speedup (the MLP headline) 1.28, 1.21, 1.87.
    MLP:  lab 238, 228, 426 steps/s; torch 185, 188, 228 steps/s (run 3: torch's 2-thread warm-up was as fast as
          1 thread, and the load fell to 4.4, so both sides got more of the 2 cores). Compile: first call 2.5–7.6 s.
          Per-step jitted loop (extra row): 243, 243, 387 steps/s — the scan costs the MLP nothing.
    Conv: lab 18.6, 11.4, 17.0 steps/s; torch 21.4, 15.5, 20.6 steps/s; torch time / lab time 0.87, 0.74, 0.83
          (lab takes 1.15–1.35× PyTorch's time on this CNN; the rolled scan it replaced ran at 0.1–0.3 steps/s,
          70–200× slower than 1-thread PyTorch). First call (compile + 50 steps) 8.5–10.2 s.
          Per-step jitted loop (extra row): 12.9, 10.2, 20.8 steps/s.
    PyTorch's default 2 threads in the warm-up: 16.5–20.9 s for 20 ConvSpec steps (all runs) and 11.6–13.7 s for 20
    MLP steps (runs 1–2), against 0.9–1.2 s and 0.12–0.18 s at 1 thread.
    Losses agree (eq. 8 form; digits are not centred, so the F = 0 first step scores ~106–116, above d = 64): after
    500 MLP steps 48.5 (lab) vs 49.2 (torch) in training, 48.5 vs 48.8 on a common batch of 2048; after 50 ConvSpec
    steps 63.7 vs 63.4, and 60.0 vs 59.9. The spread between runs is the shared machine's load: compare ratios
    within a run (lab and torch interleaved), not absolute steps/s across runs.
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
import torch

import lab  # noqa: F401  (float64 on, 2 CPU devices: the lab's own setting)
from lab import sims
from lab.sims import edm, training
from lab.sims.data import digits
from lab.sims.networks import FOURIER

MLP = sims.MLPSpec(64, 256, 3)  # the digits network of studies/sims_digits.py and sims_shift.py (cpu presets)
MLP_BATCH = 128  # their batch (TrainConfig defaults otherwise, σ_d = 0.5 included)
CONV = sims.ConvSpec()  # side 8, 32 channels, 2 residual blocks (the second row)
KEY = 0
WARMUP_TORCH = 20  # PyTorch steps run (and timed) before the timed runs
LAST = 50  # final training loss: mean of the last LAST batch losses
EVAL_ROWS = 2048  # rows of the common evaluation batch
DEFAULT_THREADS = torch.get_num_threads()  # torch's default (the core count)


# ---------------------------------------------------------------------------------------------------------------- #
# PyTorch: the same network, loss and update                                                                        #
# ---------------------------------------------------------------------------------------------------------------- #
class Block(torch.nn.Module):
    def __init__(self, C: int):
        super().__init__()
        self.c1 = torch.nn.Conv2d(C, C, 3, padding=1)
        self.e = torch.nn.Linear(C, C)
        self.c2 = torch.nn.Conv2d(C, C, 3, padding=1)


class Fourier(torch.nn.Module):
    """silu(Linear([cos 2π f c, sin 2π f c])), f geometric on [1/8, 8]: the noise embedding of lab.sims.networks."""

    def __init__(self, width: int):
        super().__init__()
        self.register_buffer("freqs", torch.tensor(np.geomspace(1 / 8, 8, FOURIER), dtype=torch.float32))
        self.emb = torch.nn.Linear(2 * FOURIER, width)

    def forward(self, c_noise):
        arg = 2 * math.pi * c_noise[:, None] * self.freqs
        return torch.nn.functional.silu(self.emb(torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)))


class ConvNet(torch.nn.Module):
    """F(x_in; c_noise) of ``ConvSpec``: h_0 = conv(x); h_{b+1} = h_b + conv(silu(conv(silu(h_b)) + e U_b));
    F = conv_out(silu(h))."""

    def __init__(self, spec):
        super().__init__()
        C, self.side = spec.channels, spec.side
        self.fourier = Fourier(C)
        self.inp = torch.nn.Conv2d(1, C, 3, padding=1)
        self.blocks = torch.nn.ModuleList(Block(C) for _ in range(spec.blocks))
        self.out = torch.nn.Conv2d(C, 1, 3, padding=1)

    def forward(self, x_in, c_noise):  # (n, side²), (n,) -> (n, side²)
        n, silu = x_in.shape[0], torch.nn.functional.silu
        e = self.fourier(c_noise)
        h = self.inp(x_in.view(n, 1, self.side, self.side))
        for b in self.blocks:
            u = b.c1(silu(h)) + b.e(e)[:, :, None, None]
            h = h + b.c2(silu(u))
        return self.out(silu(h)).reshape(n, -1)


class Layer(torch.nn.Module):
    def __init__(self, W: int):
        super().__init__()
        self.h = torch.nn.Linear(W, W)
        self.e = torch.nn.Linear(W, W)


class MLPNet(torch.nn.Module):
    """F(x_in; c_noise) of ``MLPSpec``: h_0 = x_in W_in + b_in; h_{l+1} = silu(h_l W_l + b_l + e U_l + c_l);
    F = h W_out + b_out."""

    def __init__(self, spec):
        super().__init__()
        W = spec.width
        self.fourier = Fourier(W)
        self.inp = torch.nn.Linear(spec.dim, W)
        self.layers = torch.nn.ModuleList(Layer(W) for _ in range(spec.depth))
        self.out = torch.nn.Linear(W, spec.dim)

    def forward(self, x_in, c_noise):  # (n, dim), (n,) -> (n, dim)
        e, h = self.fourier(c_noise), self.inp(x_in)
        for layer in self.layers:
            h = torch.nn.functional.silu(layer.h(h) + layer.e(e))
        return self.out(h)


def torch_net(spec, params) -> torch.nn.Module:
    """The PyTorch network of ``spec`` holding the lab's weights ``params`` (HWIO convolutions → OIHW,
    (in, out) matrices → (out, in))."""
    conv = lambda p: (torch.tensor(np.asarray(p["w"]).transpose(3, 2, 0, 1)), torch.tensor(np.asarray(p["b"])))
    dense = lambda p: (torch.tensor(np.asarray(p["w"]).T), torch.tensor(np.asarray(p["b"])))
    if isinstance(spec, sims.ConvSpec):
        net = ConvNet(spec)
        pairs = [(net.fourier.emb, dense(params["emb"])), (net.inp, conv(params["in"])),
                 (net.out, conv(params["out"]))]
        for b, p in zip(net.blocks, params["blocks"]):
            pairs += [(b.c1, conv(p["c1"])), (b.e, dense(p["e"])), (b.c2, conv(p["c2"]))]
    else:
        net = MLPNet(spec)
        pairs = [(net.fourier.emb, dense(params["emb"])), (net.inp, dense(params["in"])),
                 (net.out, dense(params["out"]))]
        for layer, p in zip(net.layers, params["layers"]):
            pairs += [(layer.h, dense(p["h"])), (layer.e, dense(p["e"]))]
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


def torch_train(spec, params0, data: torch.Tensor, cfg, steps: int, gen: torch.Generator):
    """``steps`` training steps of the PyTorch net from the lab's weights params0; returns (net, ema, losses)."""
    net = torch_net(spec, params0)
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


def lab_loss(spec, params, y, sigma, noise, sd: float) -> float:
    x_in, target = edm.training_target(y, sigma[:, None] * noise, sigma, sd)
    return float(np.mean(np.sum((np.asarray(spec.apply(params, x_in, edm.c_noise(sigma))) - target) ** 2, -1)))


def check_same_network(spec, data, cfg) -> tuple[float, float]:
    """(lab, torch) losses on one batch, with random non-zero weights (the output layer too)."""
    params = spec.init(jax.random.key(7))
    params["out"]["w"] = 0.1 * jax.random.normal(jax.random.key(8), params["out"]["w"].shape, edm.DTYPE)
    y, sigma, noise = eval_batch(data, cfg, 512)
    a = lab_loss(spec, params, y, sigma, noise, cfg.sigma_data)
    with torch.no_grad():
        b = float(torch_loss(torch_net(spec, params), *map(torch.tensor, (y, sigma, noise)), cfg.sigma_data))
    if not abs(a - b) < 1e-4 * abs(a):
        raise AssertionError(f"lab and PyTorch networks disagree: loss {a} vs {b}")
    return a, b


def lab_time(spec, data, cfg) -> tuple[float, sims.Model]:
    t = time.perf_counter()
    model = sims.train(KEY, data, spec, cfg)
    jax.block_until_ready(model)
    return time.perf_counter() - t, model


def torch_time(spec, params0, data, cfg, steps, seed) -> tuple[float, tuple]:
    gen = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    out = torch_train(spec, params0, data, cfg, steps, gen)
    return time.perf_counter() - t, out


def jax_loop_time(spec, params0, data, cfg, steps) -> float:
    """The very step ``lab.sims.train`` runs, jitted alone and called once per step from a Python loop (carry
    donated): the per-step JAX loop a user would otherwise write; an informative extra row."""
    init, step = training.make_chunk_fn(spec, cfg, 1)
    init, step = jax.jit(init), jax.jit(step, donate_argnums=2)
    key, y = jax.random.key(KEY), jnp.asarray(data)
    jax.block_until_ready(step(key, y, init(params0), jnp.int32(0)))  # compile, untimed
    carry = init(params0)
    t = time.perf_counter()
    for i in range(steps):
        carry, loss = step(key, y, carry, jnp.int32(i))
    jax.block_until_ready(carry)
    return time.perf_counter() - t


def bench(name, spec, cfg, data, repeats, threads=None) -> tuple[float, float]:
    """Print one network's rows; returns (total lab time, total torch time) over the timed rounds."""
    data_t = torch.from_numpy(data)
    params0 = spec.init(jax.random.fold_in(jax.random.key(KEY), 1))  # the initial weights sims.train(KEY, ...) uses
    n_lab = sims.count_params(params0)
    n_torch = sum(p.numel() for p in torch_net(spec, params0).parameters())
    if n_lab != n_torch:
        raise AssertionError(f"parameter counts differ: lab {n_lab}, torch {n_torch}")
    same = check_same_network(spec, data, cfg)
    print(f"== {name}: {spec}, loop {training.loop_kind(spec)!r}: {n_lab} parameters (lab) = {n_torch} (torch); "
          f"same-batch loss {same[0]:.6f} (lab) vs {same[1]:.6f} (torch)")
    print(f"config: steps={cfg.steps} batch={cfg.batch} lr={cfg.lr} warmup={cfg.warmup} sigma_data={cfg.sigma_data} "
          f"data={data.shape}")
    first, _ = lab_time(spec, data, cfg)
    print(f"lab: first call {first:.2f} s ({cfg.steps} steps + compilation)")
    probe = {}
    for n in sorted({1, DEFAULT_THREADS}, reverse=True) if threads is None else [threads]:
        torch.set_num_threads(n)
        probe[n], _ = torch_time(spec, params0, data_t, cfg, WARMUP_TORCH, seed=999)
    torch.set_num_threads(min(probe, key=probe.get))
    print(f"torch warm-up, {WARMUP_TORCH} steps: " + ", ".join(f"{n} thread(s) {t:.2f} s" for n, t in probe.items())
          + f"; timed runs use {torch.get_num_threads()} thread(s)")
    lab_times, torch_times = [], []
    for r in range(repeats):
        tl, model = lab_time(spec, data, cfg)
        tt, (net, ema, losses_t) = torch_time(spec, params0, data_t, cfg, cfg.steps, seed=r)
        lab_times.append(tl)
        torch_times.append(tt)
        print(f"round {r}: lab {tl:.2f} s ({cfg.steps / tl:.1f} steps/s), torch {tt:.2f} s ({cfg.steps / tt:.1f} "
              f"steps/s), ratio {tt / tl:.2f}; load {os.getloadavg()[0]:.2f}")
    tj = jax_loop_time(spec, params0, data, cfg, cfg.steps)
    print(f"extra (not lab's entry point): the same step jitted alone, called from a Python loop: {tj:.2f} s "
          f"({cfg.steps / tj:.1f} steps/s); torch / this = {torch_times[-1] / tj:.2f}")
    y, sigma, noise = eval_batch(data, cfg, EVAL_ROWS)
    with torch.no_grad():
        ev_t = float(torch_loss(net, *map(torch.tensor, (y, sigma, noise)), cfg.sigma_data))
    ev_l = lab_loss(spec, model.params, y, sigma, noise, cfg.sigma_data)
    last = max(1, min(LAST, cfg.steps // 2))
    fin_l, fin_t = float(np.mean(np.asarray(model.losses)[-last:])), float(np.mean(losses_t[-last:]))
    print(f"final training loss (mean of last {last} steps): lab {fin_l:.3f}, torch {fin_t:.3f} "
          f"(first step, F = 0: {float(model.losses[0]):.2f} / {losses_t[0]:.2f})")
    print(f"loss of the trained raw weights on a common batch of {EVAL_ROWS}: lab {ev_l:.3f}, torch {ev_t:.3f}")
    L, T = sum(lab_times), sum(torch_times)
    print(f"{name} total: lab {L:.2f} s, torch {T:.2f} s over {repeats} x {cfg.steps} steps; "
          f"lab {repeats * cfg.steps / L:.1f} steps/s, torch {repeats * cfg.steps / T:.1f} steps/s, "
          f"torch time / lab time {T / L:.2f}")
    return L, T


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=500, help="timed training steps per run of the MLP (headline)")
    ap.add_argument("--conv-steps", type=int, default=50,
                    help="timed training steps per run of the ConvSpec row (0 skips it)")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved lab / torch rounds per network")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="PyTorch threads (default: the faster of 1 and torch's default in the warm-up)")
    args = ap.parse_args()
    data = digits().x
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs); "
          f"jax {jax.__version__}, torch {torch.__version__}")
    if args.conv_steps > 0:
        lc, tc = bench("ConvSpec (second row)", CONV, sims.TrainConfig(steps=args.conv_steps), data, args.repeats,
                       args.torch_threads)
    L, T = bench("MLPSpec (headline)", MLP, sims.TrainConfig(steps=args.steps, batch=MLP_BATCH), data, args.repeats,
                 args.torch_threads)
    if args.conv_steps > 0:
        print(f"ConvSpec row: torch time / lab time {tc / lc:.2f}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"speedup: {T / L:.2f}")


if __name__ == "__main__":
    main()
