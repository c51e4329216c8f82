#!/usr/bin/env python3
"""Peer benchmark: evosax OpenAI-ES (`Open_ES`) on JAX (CPU by default), sphere fitness.

Measures generations/s of OpenAI-ES with dimension D (default 10,000) and
population P (default 256) on the sphere function f(x) = sum(x**2)
(minimised). One generation is

    population, state = es.ask(key_ask, state, params)      # P x D Gaussian samples
    fitness = jnp.sum(population ** 2, axis=-1)             # sphere, P values
    state, metrics = es.tell(key_tell, population, fitness, state, params)

i.e. ask + fitness evaluation + tell, all in JAX. Two driver modes:

  * scan - the idiomatic fast way: one jitted function runs G generations in a
           `jax.lax.scan`, so Python/dispatch overhead is paid once per G
           generations (this is the headline number);
  * loop - for reference: one jitted generation step, called G times from a
           Python `for` loop per timed call (asynchronous dispatch, one
           `block_until_ready` at the end of the call).

Reported per mode:
  * first_call_s      - wall time of the first call, up to block_until_ready
                        (tracing + XLA compilation + G generations);
  * gens_per_s        - steady state: G / median(wall time of one call) over
                        --calls timed calls (after --warmup untimed calls),
                        each ended by block_until_ready.

Every generation's best fitness is returned from the jitted function (and the
ES state is carried from call to call), so XLA cannot drop the work.

Needs evosax >= 0.2 (the `Open_ES(population_size=..., solution=...)` API,
`init(key, mean, params)`, `tell(...) -> (state, metrics)`); tested with
evosax 0.3.2. The pre-0.2 API (`OpenES(popsize=..., num_dims=...)`) is not
supported.

Usage:
  python evosax_openes.py
  python evosax_openes.py --dim 10000 --popsize 256 --generations-per-call 100 \
      --calls 10 --json out.json
"""

from __future__ import annotations

import time

T_SCRIPT_START = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from importlib import metadata  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dim", type=int, default=10_000,
                   help="search-space dimension D (default: %(default)s)")
    p.add_argument("--popsize", type=int, default=256,
                   help="population size P, must be even (antithetic sampling) "
                        "(default: %(default)s)")
    p.add_argument("--generations-per-call", type=int, default=100,
                   help="generations G per timed call (scan length, or Python-loop "
                        "iterations) (default: %(default)s)")
    p.add_argument("--calls", type=int, default=10,
                   help="timed steady-state calls per mode (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1,
                   help="untimed calls after the first (compile) call "
                        "(default: %(default)s)")
    p.add_argument("--modes", nargs="+", choices=["scan", "loop"],
                   default=["scan", "loop"],
                   help="driver modes to run (default: %(default)s)")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                   help="optax optimizer for the mean (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.01,
                   help="learning rate (default: %(default)s)")
    p.add_argument("--std", type=float, default=0.1,
                   help="constant sampling std sigma (default: %(default)s)")
    p.add_argument("--init-mean", type=float, default=1.0,
                   help="initial mean, every coordinate (default: %(default)s)")
    p.add_argument("--prng-impl", default=None,
                   help="set jax_default_prng_impl (e.g. threefry2x32 [JAX default], "
                        "rbg, unsafe_rbg); default: leave JAX's default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", default=None,
                   help="write the figures as JSON to OUT")
    args = p.parse_args()
    if args.popsize % 2:
        p.error("--popsize must be even (Open_ES uses antithetic sampling)")
    return args


def pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def os_threads() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def cpu_affinity() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def build(args):
    import jax
    import jax.numpy as jnp
    import optax

    try:
        from evosax.algorithms import Open_ES
    except ImportError as e:  # evosax < 0.2
        sys.exit(f"this script needs evosax >= 0.2 (Open_ES API); "
                 f"found evosax {pkg_version('evosax')}: {e}")

    dim, pop = args.dim, args.popsize
    solution = jnp.zeros((dim,), jnp.float32)  # shape/dtype template
    opt = (optax.adam(args.lr) if args.optimizer == "adam"
           else optax.sgd(args.lr))
    es = Open_ES(
        population_size=pop,
        solution=solution,
        optimizer=opt,
        std_schedule=optax.constant_schedule(args.std),
        # defaults kept: use_antithetic_sampling=True,
        # fitness_shaping_fn=centered_rank_fitness_shaping_fn
    )
    params = es.default_params

    def generation(carry):
        key, state = carry
        key, k_ask, k_tell = jax.random.split(key, 3)
        population, state = es.ask(k_ask, state, params)
        fitness = jnp.sum(jnp.square(population), axis=-1)
        state, metrics = es.tell(k_tell, population, fitness, state, params)
        return (key, state), metrics["best_fitness_in_generation"]

    gens = args.generations_per_call

    @jax.jit
    def run_scan(key, state):
        def body(carry, _):
            return generation(carry)
        (key, state), best = jax.lax.scan(body, (key, state), None, length=gens)
        return key, state, best

    @jax.jit
    def step(key, state):
        (key, state), best = generation((key, state))
        return key, state, best

    def run_loop(key, state):
        best = None
        for _ in range(gens):
            key, state, best = step(key, state)
        return key, state, best

    @jax.jit
    def sphere_of_mean(state):
        return jnp.sum(jnp.square(state.mean))

    def init(key):
        mean0 = jnp.full((dim,), args.init_mean, jnp.float32)
        return es.init(key, mean0, params)

    return init, {"scan": run_scan, "loop": run_loop}, sphere_of_mean


def bench_mode(mode: str, fn, init, sphere_of_mean, args) -> dict:
    import jax

    key = jax.random.key(args.seed)
    key, k_init = jax.random.split(key)
    state = jax.block_until_ready(init(k_init))
    f_start = float(sphere_of_mean(state))
    gens = args.generations_per_call

    t0 = time.perf_counter()
    key, state, best = jax.block_until_ready(fn(key, state))
    first_call_s = time.perf_counter() - t0

    for _ in range(args.warmup):
        key, state, best = jax.block_until_ready(fn(key, state))

    times = []
    c0 = time.process_time()
    w0 = time.perf_counter()
    for _ in range(args.calls):
        t0 = time.perf_counter()
        key, state, best = jax.block_until_ready(fn(key, state))
        times.append(time.perf_counter() - t0)
    cpu_over_wall = (time.process_time() - c0) / (time.perf_counter() - w0)

    total_gens = gens * (1 + args.warmup + args.calls)
    med = statistics.median(times)
    return {
        "mode": mode,
        "dim": args.dim,
        "popsize": args.popsize,
        "generations_per_call": gens,
        "calls": args.calls,
        "warmup": args.warmup,
        "gens_per_s": gens / med,
        "gens_per_s_best": gens / min(times),
        "gens_per_s_mean": gens * len(times) / sum(times),
        "ms_per_gen_median": med / gens * 1e3,
        "call_s_median": med,
        "call_s_min": min(times),
        "call_s_max": max(times),
        "call_s_all": times,
        "first_call_s": first_call_s,
        "first_call_minus_median_s": first_call_s - med,
        "cpu_over_wall_timed": cpu_over_wall,
        "os_threads_after": os_threads(),
        "total_generations_run": total_gens,
        "generation_counter": int(state.generation_counter),
        "sphere_of_mean_start": f_start,
        "sphere_of_mean_end": float(sphere_of_mean(state)),
        "best_fitness_last_generation": float(best if best.ndim == 0 else best[-1]),
    }


def main() -> int:
    args = parse_args()
    t_imp = time.time()
    import jax
    import_s = time.time() - t_imp

    if args.prng_impl:
        jax.config.update("jax_default_prng_impl", args.prng_impl)

    init, fns, sphere_of_mean = build(args)

    dev = jax.devices()[0]
    meta = {
        "python_version": platform.python_version(),
        "jax_version": jax.__version__,
        "jaxlib_version": pkg_version("jaxlib"),
        "evosax_version": pkg_version("evosax"),
        "optax_version": pkg_version("optax"),
        "flax_version": pkg_version("flax"),
        "numpy_version": pkg_version("numpy"),
        "jax_backend": jax.default_backend(),
        "jax_device": str(dev),
        "jax_device_kind": getattr(dev, "device_kind", "unknown"),
        "jax_device_count": jax.device_count(),
        "jax_prng_impl": str(jax.config.jax_default_prng_impl),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": cpu_affinity(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "import_jax_s": import_s,
        "argv": sys.argv,
    }
    config = {k: v for k, v in vars(args).items()}
    print(f"evosax {meta['evosax_version']}, jax {meta['jax_version']} "
          f"(jaxlib {meta['jaxlib_version']}), optax {meta['optax_version']}, "
          f"backend={meta['jax_backend']}, device={meta['jax_device']} "
          f"({meta['jax_device_kind']}), cpus={meta['cpu_count']} "
          f"(affinity {meta['cpu_affinity']}), prng={meta['jax_prng_impl']}",
          flush=True)
    print(f"Open_ES D={args.dim} P={args.popsize} {args.optimizer}(lr={args.lr}) "
          f"std={args.std}; G={args.generations_per_call} gens/call, "
          f"{args.calls} timed calls (median), {args.warmup} warmup", flush=True)

    results = []
    for mode in args.modes:
        r = bench_mode(mode, fns[mode], init, sphere_of_mean, args)
        results.append(r)
        print(f"  done {mode:<5} {r['gens_per_s']:>9.2f} gens/s "
              f"(first call {r['first_call_s']:.2f}s, cpu/wall "
              f"{r['cpu_over_wall_timed']:.2f}, sphere(mean) "
              f"{r['sphere_of_mean_start']:.4g} -> {r['sphere_of_mean_end']:.4g})",
              flush=True)

    hdr = (f"{'mode':<5} {'D':>7} {'P':>5} {'G':>5} {'gens/s (median)':>16} "
           f"{'best':>9} {'ms/gen':>8} {'first call s':>13} {'cpu/wall':>9}")
    print()
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        print(f"{r['mode']:<5} {r['dim']:>7} {r['popsize']:>5} "
              f"{r['generations_per_call']:>5} {r['gens_per_s']:>16.2f} "
              f"{r['gens_per_s_best']:>9.2f} {r['ms_per_gen_median']:>8.2f} "
              f"{r['first_call_s']:>13.2f} {r['cpu_over_wall_timed']:>9.2f}")
    print(f"\nOS threads in process: {os_threads()}; "
          f"load average: {os.getloadavg() if hasattr(os, 'getloadavg') else 'n/a'}")

    if args.json:
        meta["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
        meta["wall_s_total"] = time.time() - T_SCRIPT_START
        with open(args.json, "w") as f:
            json.dump({"config": config, "meta": meta, "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
