"""GPU benchmark (issue 11, item 4): DSM training steps/s of the digits MLP and a larger MLP, the lab against the
PyTorch training loop a user would write, eager and under ``torch.compile``, one seed and 16 seeds.

Run (on the accelerator; needs JAX with CUDA and PyTorch with CUDA; the repository itself is put on ``sys.path``):
    python benchmarks/gpu.py --seconds 240                      # the whole run, about 4 minutes on one H100
    python benchmarks/gpu.py --smoke                            # a few steps of everything, on the CPU too
    python benchmarks/gpu.py --smoke --no-compile               # the same without row (c) (its CPU compile is slow)
Options: ``--out PATH`` (JSON results; default benchmarks/results/gpu.json, or a temporary file under ``--smoke``),
``--nets digits,large``, ``--seeds 16``, ``--chunk S`` (steps per compiled lab call), ``--precision tf32|highest``
(float32 matrix products: TF32 on both sides, JAX's default on NVIDIA GPUs and ``torch.set_float32_matmul_precision
("high")``, or full float32 on both sides), ``--compile-mode`` (``torch.compile``'s mode, default "default").

Networks (``lab.diffusion.networks.MLP``: Fourier noise embedding, one SiLU layer to an embedding added to every
hidden layer, zero output layer), both on sklearn's digits (``lab.truths.digits().x``, (1797, 64) in [−1, 1]),
batch 256, EDM preconditioning with σ_d = 0.5 (``lab.diffusion.EDM``), eq. 8 loss, ``TrainConfig`` defaults otherwise
(global-norm clipping at 1, Adam with a linear warm-up and a cosine decay, EMA of the weights every step) at lr 5e-4
(issue 11: the digits MLP diverges at 2e-3):
  digits: ``MLP(1024, 4)`` (the sims_digits/sims_shift gpu network);   large: ``MLP(2048, 6)``.

Rows, per network:
  (a) lab, one seed: ``jax.jit`` of ``lab.diffusion.train`` (one ``lax.scan`` over ``--chunk`` steps), called
      repeatedly with new keys until the row's time share is used; steps/s over the timed calls.
  (b) PyTorch eager: an ``nn.Module`` twin of the MLP (same layers, same Fourier embedding, started from the lab's
      initial weights), the same EDM preconditioning and loss, ``torch.optim.Adam`` (default implementation),
      ``LambdaLR`` for the same schedule, ``clip_grad_norm_``, a per-parameter ``lerp_`` EMA (as in EDM's reference
      code), one Python iteration per step, batches drawn on the device.
  (c) the same loop with the loss (network forward and backward) under ``torch.compile``.
  (d) 16 seeds: ``jax.jit(jax.vmap(train))`` over 16 keys (one program trains 16 networks) against 16 sequential
      PyTorch eager runs (each a fresh network, optimiser and EMA: what a user's seed loop does); seed-steps/s.
Before timing, the script checks that the twins have equal parameter counts and compute the same loss on one batch
with the same (random, non-zero) weights copied over, at full float32 precision.

Timing: every side is warmed up first (JAX: one call compiles, one warm call estimates the rate; PyTorch: a few
steps, and for (c) the compile), then timed with ``jax.block_until_ready`` / ``torch.cuda.synchronize`` around the
timed region only. Compile times are reported apart (first call minus a warm call of the same size). ``--seconds``
is the budget of the whole run: each measurement gets an equal share of what is left (steps per measurement follow
from the rate found in its warm-up), so the whole run stays within it up to compile times.

Output: a table (steps/s per row, ratios a/b, a/c, d_lab/d_torch, and the goals of issue 11: a ≥ c on one seed and
d_lab ≥ 5 × d_torch with 16 seeds) and the JSON file ``--out`` with everything printed plus the device and versions.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.6")  # leave the rest of the GPU to PyTorch

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import lab  # noqa: E402,F401  (the lab's JAX settings)
from lab import diffusion as D  # noqa: E402
from lab.diffusion.networks import FOURIER  # noqa: E402
from lab.diffusion.loss import training_pair  # noqa: E402
from lab.truths import digits  # noqa: E402

NETS = {"digits": D.MLP(1024, 4), "large": D.MLP(2048, 6)}
BATCH, LR, SIGMA_DATA = 256, 5e-4, 0.5
PRECOND = D.EDM(sigma_data=SIGMA_DATA)


# ---------------------------------------------------------------------------------------------------------------- #
# The PyTorch twin                                                                                                  #
# ---------------------------------------------------------------------------------------------------------------- #
class Fourier(torch.nn.Module):
    """silu(Linear([cos 2π f c, sin 2π f c])), f geometric on [1/8, 8]: the noise embedding of lab.diffusion.MLP."""

    def __init__(self, width: int):
        super().__init__()
        self.register_buffer("freqs", torch.tensor(np.geomspace(1 / 8, 8, FOURIER), dtype=torch.float32))
        self.emb = torch.nn.Linear(2 * FOURIER, width)

    def forward(self, c_noise):  # (n,) -> (n, width)
        arg = 2 * math.pi * c_noise[:, None] * self.freqs
        return torch.nn.functional.silu(self.emb(torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)))


class Layer(torch.nn.Module):
    def __init__(self, W: int):
        super().__init__()
        self.h = torch.nn.Linear(W, W)
        self.e = torch.nn.Linear(W, W)


class MLPNet(torch.nn.Module):
    """F(x_in; c_noise) of ``lab.diffusion.MLP``: h_0 = x_in W_in + b_in; h_{l+1} = silu(h_l W_l + e U_l + b);
    F = h W_out + b_out (zero output layer at initialisation)."""

    def __init__(self, spec: D.MLP, dim: int):
        super().__init__()
        W = spec.width
        self.fourier = Fourier(W)
        self.inp = torch.nn.Linear(dim, W)
        self.layers = torch.nn.ModuleList(Layer(W) for _ in range(spec.depth))
        self.out = torch.nn.Linear(W, dim)
        with torch.no_grad():
            self.out.weight.zero_()
            self.out.bias.zero_()

    def forward(self, x_in, c_noise):
        e, h = self.fourier(c_noise), self.inp(x_in)
        for layer in self.layers:
            h = torch.nn.functional.silu(layer.h(h) + layer.e(e))
        return self.out(h)


def torch_net(spec: D.MLP, dim: int, params=None, device="cpu") -> MLPNet:
    """The twin, holding the lab's weights ``params`` if given ((in, out) matrices -> (out, in))."""
    net = MLPNet(spec, dim)
    if params is not None:
        dense = lambda p: (torch.tensor(np.asarray(p["w"]).T), torch.tensor(np.asarray(p["b"])))
        pairs = [(net.fourier.emb, dense(params["emb"])), (net.inp, dense(params["in"])),
                 (net.out, dense(params["out"]))]
        for layer, p in zip(net.layers, params["layers"]):
            pairs += [(layer.h, dense(p["h"])), (layer.e, dense(p["e"]))]
        with torch.no_grad():
            for module, (w, b) in pairs:
                module.weight.copy_(w)
                module.bias.copy_(b)
    return net.to(device)


def torch_loss(net, y, sigma, noise):
    """Eq. 8: mean over rows of ‖F(c_in x; ¼ ln σ) − (y − c_skip x)/c_out‖², x = y + σ noise (EDM, Table 1)."""
    sd, s = SIGMA_DATA, sigma[:, None]
    x = y + s * noise
    c_in, c_skip, c_out = 1 / torch.sqrt(s**2 + sd**2), sd**2 / (s**2 + sd**2), s * sd / torch.sqrt(s**2 + sd**2)
    return ((net(c_in * x, 0.25 * torch.log(sigma)) - (y - c_skip * x) / c_out) ** 2).sum(-1).mean()


def lr_lambda(cfg: D.TrainConfig, total: int):
    """optax.warmup_cosine_decay_schedule(0, lr, warm, max(total, warm + 1), lr·lr_end) / lr, for LambdaLR."""
    warm = min(cfg.warmup, total // 2)
    decay = max(total, warm + 1) - warm

    def f(t):
        if t < warm:
            return t / warm
        c = min(t - warm, decay) / decay
        return cfg.lr_end + (1 - cfg.lr_end) * 0.5 * (1 + math.cos(math.pi * c))
    return f


class TorchRun:
    """One PyTorch training run (network, EMA copy, Adam, schedule, generator), stepped by ``run(steps)``."""

    def __init__(self, spec, data, cfg, *, seed, params=None, compile_mode=None, total_steps=None):
        dev = data.device
        torch.manual_seed(seed)
        self.net = torch_net(spec, data.shape[1], params, dev)
        self.ema = copy.deepcopy(self.net).requires_grad_(False)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lr_lambda(cfg, total_steps or cfg.steps))
        self.gen = torch.Generator(device=dev).manual_seed(seed)
        self.data, self.cfg, self.t, self.losses = data, cfg, 0, []
        fn = lambda y, sigma, noise: torch_loss(self.net, y, sigma, noise)
        self.loss = fn if compile_mode is None else torch.compile(fn, mode=compile_mode)

    def run(self, steps: int):
        cfg, data, gen, dev = self.cfg, self.data, self.gen, self.data.device
        params, ema = list(self.net.parameters()), list(self.ema.parameters())
        for _ in range(steps):
            y = data[torch.randint(0, data.shape[0], (cfg.batch,), generator=gen, device=dev)]
            sigma = torch.exp(PRECOND.p_mean + PRECOND.p_std * torch.randn(cfg.batch, generator=gen, device=dev))
            loss = self.loss(y, sigma, torch.randn(y.shape, generator=gen, device=dev))
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            self.opt.step()
            self.sched.step()
            beta = min(cfg.ema_decay, (1 + self.t) / (10 + self.t))
            with torch.no_grad():
                for e, p in zip(ema, params):
                    e.lerp_(p, 1 - beta)
            self.losses.append(loss.detach())
            self.t += 1


# ---------------------------------------------------------------------------------------------------------------- #
# Timing helpers                                                                                                    #
# ---------------------------------------------------------------------------------------------------------------- #
class Budget:
    """Equal shares of what is left of ``--seconds`` for the measurements still to run."""

    def __init__(self, seconds: float, measurements: int, floor: float):
        self.end, self.left, self.floor = time.perf_counter() + seconds, measurements, floor

    def share(self) -> float:
        s = max(self.floor, (self.end - time.perf_counter()) / max(1, self.left))
        self.left -= 1
        return s


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_torch(run: TorchRun, steps: int) -> float:
    dev = run.data.device
    sync(dev)
    t = time.perf_counter()
    run.run(steps)
    sync(dev)
    return time.perf_counter() - t


def time_jax(fn, *args) -> float:
    t = time.perf_counter()
    jax.block_until_ready(fn(*args).losses)  # the result is dropped at once (16 large networks are GBs)
    return time.perf_counter() - t


def jax_rate(fn, keys_for, steps_per_call: int, share: float) -> dict:
    """Compile (first call), one warm call, then timed calls with fresh keys until ``share`` seconds are used."""
    first = time_jax(fn, keys_for(0))
    warm = time_jax(fn, keys_for(1))
    calls = max(1, int(share / max(warm, 1e-9)))
    t = time.perf_counter()
    for i in range(calls):
        losses = fn(keys_for(2 + i)).losses  # only the losses stay referenced: one call's weights live at a time
    jax.block_until_ready(losses)
    el = time.perf_counter() - t
    return {"compile_s": max(0.0, first - warm), "first_call_s": first, "steps": calls * steps_per_call,
            "seconds": el, "steps_per_s": calls * steps_per_call / el, "final_loss": float(np.mean(
                np.asarray(losses)[..., -max(1, steps_per_call // 10):]))}


def torch_rate(run: TorchRun, share: float, warm_steps: int, min_steps: int) -> dict:
    """Warm-up steps (for ``torch.compile``: its compile), a rate estimate, then timed steps filling ``share``."""
    first = time_torch(run, warm_steps)
    est = time_torch(run, warm_steps)
    steps = max(min_steps, int(share / max(est / warm_steps, 1e-9)))
    el = time_torch(run, steps)
    return {"compile_s": max(0.0, first - est), "first_steps_s": first, "warm_steps": warm_steps, "steps": steps,
            "seconds": el, "steps_per_s": steps / el,
            "final_loss": float(torch.stack(run.losses[-max(1, steps // 10):]).mean())}


# ---------------------------------------------------------------------------------------------------------------- #
# Checks                                                                                                            #
# ---------------------------------------------------------------------------------------------------------------- #
def check_twins(spec, x: np.ndarray, device) -> dict:
    """Equal parameter counts, and the same loss on one batch with the same random non-zero weights (float32, full
    precision on both sides)."""
    dim = x.shape[1]
    params = spec.init(key=jax.random.key(7), dim=dim, n_cond=PRECOND.n_cond)
    params["out"]["w"] = 0.1 * jax.random.normal(jax.random.key(8), params["out"]["w"].shape, jnp.float32)
    k = jax.random.key(12345)
    y = x[np.asarray(jax.random.randint(jax.random.fold_in(k, 0), (512,), 0, x.shape[0]))]
    sigma = np.asarray(PRECOND.sample_sigma(key=jax.random.fold_in(k, 1), n=512))
    noise = np.asarray(jax.random.normal(jax.random.fold_in(k, 2), y.shape, jnp.float32))
    with jax.default_matmul_precision("highest"):
        x_in, target, cond = training_pair(PRECOND, jnp.asarray(y), jnp.asarray(sigma[:, None] * noise),
                                           jnp.asarray(sigma))
        a = float(jnp.mean(jnp.sum((spec.apply(params, x_in, cond) - target) ** 2, -1)))
    prev = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    net = torch_net(spec, dim, params, device)
    with torch.no_grad():
        b = float(torch_loss(net, *(torch.tensor(v, device=device) for v in (y, sigma, noise))))
    torch.set_float32_matmul_precision(prev)
    n_lab, n_torch = D.count_params(params), sum(p.numel() for p in net.parameters())
    if n_lab != n_torch:
        raise AssertionError(f"parameter counts differ: lab {n_lab}, torch {n_torch}")
    if not abs(a - b) <= 1e-4 * abs(a):
        raise AssertionError(f"lab and PyTorch networks disagree on one batch: loss {a} vs {b}")
    return {"params": n_lab, "loss_lab": a, "loss_torch": b}


# ---------------------------------------------------------------------------------------------------------------- #
# One network                                                                                                       #
# ---------------------------------------------------------------------------------------------------------------- #
def bench_net(name, spec, x, args, budget, device) -> dict:
    check = check_twins(spec, x, device)
    dim = x.shape[1]
    print(f"== {name}: {spec}, {check['params']:,} parameters (lab = torch); one-batch loss "
          f"{check['loss_lab']:.6f} (lab) vs {check['loss_torch']:.6f} (torch)", flush=True)
    out = {"net": spec.to_dict(), "check": check}
    cfg = D.TrainConfig(steps=args.chunk, batch=BATCH, lr=LR)
    xj, wj = jnp.asarray(x), jnp.ones(x.shape[0], jnp.float32)
    base = jax.random.key(0)

    # (a) the lab, one seed
    fit = jax.jit(lambda xx, ww, key: D.train(PRECOND, spec, cfg, xx, ww, key=key))
    out["a_lab"] = jax_rate(lambda k: fit(xj, wj, k), lambda i: jax.random.fold_in(base, i), args.chunk,
                            budget.share())
    print(f"(a) lab, one seed: {out['a_lab']['steps_per_s']:.1f} steps/s (compile {out['a_lab']['compile_s']:.2f} s)",
          flush=True)
    del fit

    # (b) PyTorch eager, (c) torch.compile, from the lab's initial weights
    data = torch.tensor(x, device=device)
    params0 = spec.init(key=jax.random.key(1), dim=dim, n_cond=PRECOND.n_cond)
    total = 10**6  # the schedule's horizon for the open-ended loops (the rate does not depend on it)
    run = TorchRun(spec, data, cfg, seed=0, params=params0, total_steps=total)
    out["b_torch"] = torch_rate(run, budget.share(), args.warm, args.min_steps)
    print(f"(b) torch eager: {out['b_torch']['steps_per_s']:.1f} steps/s", flush=True)
    del run
    try:
        if args.no_compile:
            raise RuntimeError("--no-compile")
        run = TorchRun(spec, data, cfg, seed=0, params=params0, compile_mode=args.compile_mode, total_steps=total)
        out["c_compile"] = torch_rate(run, budget.share(), args.warm, args.min_steps)
        print(f"(c) torch.compile ({args.compile_mode}): {out['c_compile']['steps_per_s']:.1f} steps/s (compile "
              f"{out['c_compile']['compile_s']:.2f} s)", flush=True)
        del run
    except Exception as e:  # noqa: BLE001  (no C++ compiler / Triton on a CPU machine: skipped under --smoke)
        if not (args.smoke or args.no_compile):
            raise
        why = str(e).splitlines()[0][:200] if str(e) else ""
        out["c_compile"] = {"skipped": "--no-compile" if args.no_compile else f"{type(e).__name__}: {why}"}
        print(f"(c) torch.compile skipped: {out['c_compile']['skipped']}", flush=True)

    # (d) 16 seeds: vmapped lab against 16 sequential PyTorch runs
    S = args.seeds
    fitv = jax.jit(jax.vmap(lambda key: D.train(PRECOND, spec, cfg, xj, wj, key=key)))
    d_lab = jax_rate(fitv, lambda i: jax.random.split(jax.random.fold_in(base, 1000 + i), S), args.chunk,
                     budget.share())
    d_lab["seed_steps_per_s"] = S * d_lab["steps_per_s"]
    out["d_lab"] = d_lab
    print(f"(d) lab, {S} seeds vmapped: {d_lab['seed_steps_per_s']:.1f} seed-steps/s (compile "
          f"{d_lab['compile_s']:.2f} s)", flush=True)
    del fitv
    share = budget.share()
    per_run = max(args.min_steps, int(share * out["b_torch"]["steps_per_s"] / S))
    rcfg = D.TrainConfig(steps=per_run, batch=BATCH, lr=LR)
    sync(device)
    t = time.perf_counter()
    finals = []
    for s in range(S):
        r = TorchRun(spec, data, rcfg, seed=100 + s)
        r.run(per_run)
        finals.append(r.losses[-1])
    sync(device)
    el = time.perf_counter() - t
    out["d_torch"] = {"runs": S, "steps_per_run": per_run, "seconds": el, "seed_steps_per_s": S * per_run / el,
                      "final_loss": float(torch.stack(finals).mean())}
    print(f"(d) torch, {S} sequential runs x {per_run} steps: {out['d_torch']['seed_steps_per_s']:.1f} "
          f"seed-steps/s", flush=True)
    a, b = out["a_lab"]["steps_per_s"], out["b_torch"]["steps_per_s"]
    c = out["c_compile"].get("steps_per_s")
    out["ratios"] = {"a_over_b": a / b, "a_over_c": (a / c) if c else None,
                     "d_lab_over_d_torch": d_lab["seed_steps_per_s"] / out["d_torch"]["seed_steps_per_s"],
                     "d_lab_over_b": d_lab["seed_steps_per_s"] / b}
    out["goals"] = {"a_at_least_c": (a >= c) if c else None,
                    "d_lab_at_least_5x_d_torch": out["ratios"]["d_lab_over_d_torch"] >= 5}
    return out


def table(results: dict) -> str:
    rows = [f"{'network':<8} {'row':<40} {'steps/s':>11} {'compile s':>10}"]
    for name, r in results.items():
        S = r["d_torch"]["runs"]
        c = r["c_compile"]
        for label, v, comp in (
                ("(a) lab, 1 seed", r["a_lab"]["steps_per_s"], r["a_lab"]["compile_s"]),
                ("(b) torch eager, 1 seed", r["b_torch"]["steps_per_s"], None),
                ("(c) torch.compile, 1 seed", c.get("steps_per_s"), c.get("compile_s")),
                (f"(d) lab, {S} seeds vmapped (seed-steps)", r["d_lab"]["seed_steps_per_s"], r["d_lab"]["compile_s"]),
                (f"(d) torch, {S} sequential (seed-steps)", r["d_torch"]["seed_steps_per_s"], None)):
            vs = f"{v:11.1f}" if v is not None else f"{'skipped':>11}"
            cs = f"{comp:10.2f}" if comp is not None else f"{'':>10}"
            rows.append(f"{name:<8} {label:<40} {vs} {cs}")
        q = r["ratios"]
        ac = "n/a" if q["a_over_c"] is None else f"{q['a_over_c']:.2f}"
        rows.append(f"{name:<8} ratios: a/b {q['a_over_b']:.2f}, a/c {ac} (goal >= 1), "
                    f"d_lab/d_torch {q['d_lab_over_d_torch']:.2f} (goal >= 5), d_lab/b {q['d_lab_over_b']:.2f}")
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=240.0, help="budget of the whole run (compiles included)")
    ap.add_argument("--out", default=None, help="JSON results (default benchmarks/results/gpu.json)")
    ap.add_argument("--smoke", action="store_true", help="a few steps of every row (CPU test)")
    ap.add_argument("--nets", default="digits,large", help="comma-separated subset of " + ",".join(NETS))
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--chunk", type=int, default=None, help="steps per compiled lab call (default 500; smoke 4)")
    ap.add_argument("--warm", type=int, default=None, help="PyTorch warm-up steps (default 20; smoke 2)")
    ap.add_argument("--precision", choices=("tf32", "highest"), default="tf32")
    ap.add_argument("--compile-mode", default="default")
    ap.add_argument("--no-compile", action="store_true", help="skip row (c) (torch.compile)")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="PyTorch CPU threads (default 1 on the CPU: a shared machine's cores are oversubscribed)")
    ap.add_argument("--device", default=None, help="torch device (default cuda if available, else cpu)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.chunk = args.chunk or 4
        args.warm = args.warm or 2
        args.seconds = min(args.seconds, 20.0)
        args.min_steps = 2
        nets = {"smoke": D.MLP(64, 2)} if args.nets == "digits,large" else {n: NETS[n] for n in args.nets.split(",")}
        out_path = Path(args.out or Path(tempfile.gettempdir()) / "gpu-smoke.json")
    else:
        args.chunk = args.chunk or 500
        args.warm = args.warm or 20
        args.min_steps = 20
        nets = {n: NETS[n] for n in args.nets.split(",")}
        out_path = Path(args.out or ROOT / "benchmarks" / "results" / "gpu.json")
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cpu" or args.torch_threads:
        torch.set_num_threads(args.torch_threads or 1)
    if args.precision == "highest":
        jax.config.update("jax_default_matmul_precision", "highest")
        torch.set_float32_matmul_precision("highest")
    else:
        torch.set_float32_matmul_precision("high")  # TF32, like XLA's default for float32 products on NVIDIA GPUs
    meta = {"jax": jax.__version__, "jax_backend": jax.default_backend(), "jax_devices": [str(d) for d in
            jax.devices()], "torch": torch.__version__, "torch_device": str(device),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "python": platform.python_version(), "host": platform.node(), "precision": args.precision,
            "compile_mode": None if args.no_compile else args.compile_mode,
            "torch_threads": torch.get_num_threads() if device.type == "cpu" else None,
            "seconds": args.seconds, "smoke": args.smoke, "batch": BATCH, "lr": LR,
            "precond": PRECOND.describe(), "chunk": args.chunk, "seeds": args.seeds,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    print(f"jax {meta['jax']} ({meta['jax_backend']}: {', '.join(meta['jax_devices'])}); torch {meta['torch']} on "
          f"{device}{' (' + meta['gpu'] + ')' if meta['gpu'] else ''}; precision {args.precision}; budget "
          f"{args.seconds:.0f} s", flush=True)
    x = digits().x
    budget = Budget(args.seconds, 5 * len(nets), floor=0.2 if args.smoke else 2.0)
    t0 = time.perf_counter()
    results = {name: bench_net(name, spec, x, args, budget, device) for name, spec in nets.items()}
    meta["total_s"] = time.perf_counter() - t0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(table(results))
    print(f"total {meta['total_s']:.1f} s; results written to {out_path}")


if __name__ == "__main__":
    main()
