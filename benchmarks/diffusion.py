"""Benchmark (issue 10, item 5): R = 16 replicates of one generation of DSM training of the sims_loop network through
``lab.simulate`` against 16 sequential calls of the same training, in one run.

Run: ``.venv/bin/python benchmarks/diffusion.py`` (or ``make bench``; for a clean 2-core figure on a bigger idle
machine: ``JAX_PLATFORMS=cpu taskset -c 0,1 python benchmarks/diffusion.py``); ``--repeats K`` (default 3) interleaved
rounds, ``--replicates R`` (default 16), ``--steps S`` (default 1000), ``--no-breakdown`` skips the extra rows.

The work, identical on both sides: the network of ``studies/sims_loop.py`` (``MLP(64, 3)`` under
``EDM(sigma_data=1.4)``), ``TrainConfig(steps=1000, batch=256, lr=2e-3)`` (warm-up, cosine decay, clipping and EMA
at their defaults), trained from scratch on n = 512 rows of the 2-D ring ``lab.truths.ring(8, 2.0, 0.15)``.

- lab: ``lab.simulate(ring, lab.Diffusion(...), lab.Replace(), n=512, generations=0, replicates=16, metrics=[])``:
  one compiled program that draws each replicate's data and trains all 16 networks at once (``jax.vmap`` of
  ``lab.diffusion.train`` over replicates), the replicates sharded over the CPU devices that ``import lab`` creates
  (one per core), results returned as the usual xarray Dataset.
- sequential: what a user would loop: ``fit = jax.jit(lambda x, w, key: lab.diffusion.train(...))``, called once per
  seed on that seed's 512 rows (drawn before the clock starts), one call after another, each result waited for.
  One compiled program per call, on one device (JAX's default; the other core idles unless XLA's own threads use it).

Each side is called once first (compile + one run; the compile time printed is that call minus a warm call), then
the two sides alternate for ``--repeats`` rounds so that they see the same load on the shared machine. The printed
ratio is the sequential time over the lab time, per round and over all rounds (the last line,
``speedup: <total sequential time / total lab time>``). The extra rows (``--no-breakdown`` skips them) split the gain
into its two sources: (i) the same 16 trainings vmapped in one jitted program on one device (vectorisation: every
step runs 16 small matrix products as one batched product and pays XLA:CPU's per-operation overhead once, not 16
times), and (ii) the lab's layout over the devices (parallelism: 8 replicates per core on 2 cores). Both rows are
timed in the same rounds as the headline.

Where the time goes on the CPU (why the issue's goal of 4 is out of reach on 2 cores): the rounds print each side's
CPU time next to its wall time. The three ways of running the same 16 trainings use about the same CPU time, because
at batch 256 and width 64 each step is dense matrix arithmetic that XLA:CPU already runs near the core's useful
throughput in the sequential program (the GFLOP/s per busy core printed at the end are alike): vectorising over
replicates removes only the per-operation overhead, which is a small part of a step here, and shares no arithmetic
(every replicate has its own weights). The only remaining gain is running on both cores at once, so the ratio is
bounded by (cores kept busy) × (sequential CPU time / lab CPU time), about 2 on this machine, and the script prints
that bound. On a machine shared with other jobs the lab's two device threads are scheduled less well than one thread
(both must get a core for the program to advance), so the measured ratio can fall below 1 when the load is high;
compare the printed CPU times, not only wall times, and run it on an idle machine for the headline.

Expected on a GPU (one device, so no sharding): the sequential loop is bound by kernel launches. This network is tiny
(64 wide, batch 256: a few hundred thousand multiply-adds per layer), so each of the few hundred small kernels a
training step launches finishes in a few microseconds, and one step costs roughly the same whether it trains one
network or sixteen. Vmapping 16 replicates therefore turns 16 launch-bound runs into one run of nearly the same
length: the ratio should approach the replicate count (about 16) and keep growing with more replicates until the
batched products fill the GPU, far above the CPU's, where the arithmetic itself, not launches, is most of each step.
"""
from __future__ import annotations

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

import lab
from lab import diffusion as D
from lab.diffusion.networks import FOURIER
from lab.truths import ring

N, REPLICATES = 512, 16
NET = D.MLP(64, 3)  # the sims_loop network
PRECOND = D.EDM(sigma_data=1.4)
TRUTH = ring(8, 2.0, 0.15)


def model(steps: int) -> D.Diffusion:
    return D.Diffusion(NET, PRECOND, D.TrainConfig(steps=steps, batch=256, lr=2e-3))


class Clock:
    """Wall time and this process's CPU time (all threads) of a block: CPU / wall is the cores the block kept busy,
    which tells parallelism apart from the machine's load (other processes take wall time, not our CPU time)."""

    def __enter__(self):
        self.t, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.t, time.process_time() - self.c


def flops_per_step(fam: D.Diffusion, dim: int = 2) -> float:
    """Multiply-adds of one MLP training step × 2 × 3 (forward + backward ≈ 3 forward passes), per replicate."""
    W, L, B = fam.net.width, fam.net.depth, fam.train.batch
    macs = 2 * FOURIER * PRECOND.n_cond * W + dim * W + L * 2 * W * W + W * dim
    return 6.0 * B * macs


def lab_run(fam: D.Diffusion, replicates: int) -> tuple[Clock, float]:
    """(clock, mean final training loss) of one ``lab.simulate`` call."""
    with Clock() as c:
        ds = lab.simulate(TRUTH, fam, lab.Replace(), n=N, generations=0, replicates=replicates, key=0, metrics=[])
        loss = float(ds["train_loss"].mean())  # materialised as numpy inside simulate already
    return c, loss


def make_sequential(fam: D.Diffusion):
    """The per-seed jitted training a user would write, and its inputs for seed r (drawn outside the clock)."""
    fit = jax.jit(lambda x, w, key: D.train(fam.precond, fam.net, fam.train, x, w, key=key))

    def data(r):
        x = TRUTH.sample(key=jax.random.key(10_000 + r), n=N).astype(jnp.float32)
        return jax.block_until_ready(x), jnp.ones(N, jnp.float32), jax.random.key(r)

    return fit, data


def sequential_run(fit, inputs) -> tuple[Clock, float]:
    losses = []
    with Clock() as c:
        for x, w, k in inputs:
            out = jax.block_until_ready(fit(x, w, k))
            losses.append(float(out.losses[-max(1, out.losses.shape[0] // 10):].mean()))
    return c, float(np.mean(losses))


def make_vmapped_one_device(fam: D.Diffusion, inputs):
    """Extra row (i): the same trainings vmapped in one jitted program, all on the default (first) device."""
    fit = jax.jit(jax.vmap(lambda x, w, key: D.train(fam.precond, fam.net, fam.train, x, w, key=key)))
    xs = jnp.stack([i[0] for i in inputs])
    ws = jnp.stack([i[1] for i in inputs])
    ks = jnp.stack([i[2] for i in inputs])

    def run() -> Clock:
        with Clock() as c:
            jax.block_until_ready(fit(xs, ws, ks))
        return c

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (lab, sequential[, extra rows])")
    ap.add_argument("--replicates", type=int, default=REPLICATES)
    ap.add_argument("--steps", type=int, default=1000, help="training steps per replicate")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the extra row (vmapped on one device)")
    args = ap.parse_args()
    R, fam = args.replicates, model(args.steps)
    print(f"jax {jax.__version__}, devices {jax.devices()}, {len(os.sched_getaffinity(0))} CPUs usable; "
          "load average at start "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"work: R={R} replicates x {fam.train.steps} steps, batch {fam.train.batch}, {NET} under {PRECOND}, "
          f"n={N} rows of ring(8, 2.0, 0.15); parameters per network "
          f"{D.count_params(NET.init(key=jax.random.key(0), dim=2, n_cond=PRECOND.n_cond))}")

    fit, data = make_sequential(fam)
    inputs = [data(r) for r in range(R)]
    first_lab = lab_run(fam, R)[0].wall
    with Clock() as c:
        jax.block_until_ready(fit(*inputs[0]))
    first_seq = c.wall
    vm = None if args.no_breakdown else make_vmapped_one_device(fam, inputs)
    first_vm = vm().wall if vm else None

    names = ("lab", "sequential") + (("vmapped on one device",) if vm else ())
    rows = {k: [] for k in names}
    for k in range(args.repeats):
        cl, loss_l = lab_run(fam, R)
        cs, loss_s = sequential_run(fit, inputs)
        clocks = (cl, cs) + ((vm(),) if vm else ())
        for name, c in zip(names, clocks):
            rows[name].append(c)
        print(f"round {k}: " + ", ".join(f"{n} {c.wall:.2f} s (cpu {c.cpu:.2f} s)" for n, c in zip(names, clocks))
              + f"; sequential / lab {cs.wall / cl.wall:.2f}; load {os.getloadavg()[0]:.2f}")
    wall = {n: sum(c.wall for c in v) for n, v in rows.items()}
    cpu = {n: sum(c.cpu for c in v) for n, v in rows.items()}
    L, S = wall["lab"], wall["sequential"]
    per_seq = S / (args.repeats * R)
    print(f"compile: lab {first_lab - min(c.wall for c in rows['lab']):.2f} s (first call {first_lab:.2f} s), "
          f"sequential {first_seq - per_seq:.2f} s (first call {first_seq:.2f} s, one seed)"
          + (f", vmapped on one device {first_vm - min(c.wall for c in rows[names[2]]):.2f} s" if vm else ""))
    print(f"final training loss (mean of last tenth, over replicates): lab {loss_l:.4f}, sequential {loss_s:.4f}")
    work = R * args.repeats * fam.train.steps * flops_per_step(fam)
    for n in names:
        print(f"{n}: {wall[n] / args.repeats:.2f} s per round, {R * args.repeats * fam.train.steps / wall[n]:.0f} "
              f"replicate-steps/s, cores busy (cpu / wall) {cpu[n] / wall[n]:.2f}, "
              f"~{work / wall[n] / 1e9:.1f} GFLOP/s wall, ~{work / cpu[n] / 1e9:.1f} GFLOP/s per busy core")
    if vm:
        V = wall[names[2]]
        print(f"breakdown: vectorisation (sequential / vmapped on one device) {S / V:.2f}; "
              f"devices and engine (vmapped on one device / lab) {V / L:.2f}; product {S / L:.2f}")
    cores = len(jax.devices()) if jax.default_backend() == "cpu" else 1
    ceiling = cores * cpu["sequential"] / cpu["lab"]
    print(f"bound on this machine: cores ({cores}) x sequential cpu / lab cpu "
          f"({cpu['sequential'] / cpu['lab']:.2f}) = {ceiling:.2f}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"speedup: {S / L:.2f}")


if __name__ == "__main__":
    main()
