#!/usr/bin/env python3
"""Peer benchmark: gymnax on JAX (CPU by default), uniformly random actions.

Measures env-steps/s of a jitted rollout

    jax.lax.scan over T steps of jax.vmap(env.step) over B envs

with actions sampled uniformly at random *inside* the scan (jax.random), the
observation computed every step (gymnax's `step` returns it) and auto-reset on
episode end (gymnax's `step` does it). This is the standard gymnax speed
benchmark style and the closest JAX analogue of wgym's fused on-device rollout
with its random policy.

Reported separately per (env, batch):
  * compile_s        - wall time of the first call, up to block_until_ready
                       (tracing + XLA compilation + one rollout);
  * env_steps_per_s  - steady state: B*T / median(wall time of one call),
                       over --repeats calls, each ended by block_until_ready.

The rollout's output (final state, summed reward, done count, an observation
checksum) is returned from the jitted function so XLA cannot drop the work.

Usage:
  python gymnax_random_rollout.py --batch 4096
  python gymnax_random_rollout.py --batch 1024 4096 16384 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata

DEFAULT_ENVS = [
    "BernoulliBandit-misc", "GaussianBandit-misc", "FourRooms-misc",
    "CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0",
    "Pendulum-v1", "MetaMaze-misc", "PointRobot-misc",
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", nargs="+", default=DEFAULT_ENVS,
                   help="gymnax env ids (default: %(default)s)")
    p.add_argument("--batch", nargs="+", type=int, default=[4096],
                   help="batch sizes (number of parallel envs); several allowed "
                        "(default: %(default)s)")
    p.add_argument("--steps", type=int, default=128,
                   help="rollout length T per jitted call (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=20,
                   help="timed steady-state calls per (env, batch) (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed calls after the first (compile) call (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", default=None,
                   help="write results as JSON to FILE")
    return p.parse_args()


def pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def make_rollout(env, env_params, batch: int, steps: int):
    import jax
    import jax.numpy as jnp

    space = env.action_space(env_params)

    def sample_actions(key):
        # Discrete spaces: uniform indices; Box spaces: uniform in [low, high] (wgym's
        # random continuous actions are uniform in [-1, 1], its units of the same box).
        if hasattr(space, "n"):
            return jax.random.randint(key, (batch,), 0, space.n)
        return jax.random.uniform(key, (batch, *space.shape), minval=space.low,
                                  maxval=space.high)

    def step_one(key, state, action):
        out = env.step(key, state, action, env_params)
        # gymnax >= 1.0: (obs, state, reward, terminated, truncated, info)
        # gymnax <  1.0: (obs, state, reward, done, info)
        if len(out) == 6:
            obs, state, reward, terminated, truncated, _info = out
            done = jnp.logical_or(terminated, truncated)
        else:
            obs, state, reward, done, _info = out
        return obs, state, reward, done

    vstep = jax.vmap(step_one)
    vreset = jax.vmap(env.reset, in_axes=(0, None))

    def body(carry, _):
        key, state, rew_sum, done_cnt, obs_sum = carry
        key, k_act, k_step = jax.random.split(key, 3)
        actions = sample_actions(k_act)
        step_keys = jax.random.split(k_step, batch)
        obs, state, reward, done = vstep(step_keys, state, actions)
        rew_sum = rew_sum + reward.astype(jnp.float32)
        done_cnt = done_cnt + done.astype(jnp.int32)
        # consume the observation so it is really computed every step
        obs_sum = obs_sum + jnp.sum(jnp.asarray(obs, jnp.float32))
        return (key, state, rew_sum, done_cnt, obs_sum), None

    @jax.jit
    def rollout(key, state):
        carry0 = (key, state,
                  jnp.zeros((batch,), jnp.float32),
                  jnp.zeros((batch,), jnp.int32),
                  jnp.zeros((), jnp.float32))
        (key, state, rew_sum, done_cnt, obs_sum), _ = jax.lax.scan(
            body, carry0, None, length=steps)
        return key, state, rew_sum.sum(), done_cnt.sum(), obs_sum

    @jax.jit
    def reset(key):
        _obs, state = vreset(jax.random.split(key, batch), env_params)
        return state

    return reset, rollout


def bench_one(env_id: str, batch: int, steps: int, repeats: int, warmup: int, seed: int) -> dict:
    import jax
    import gymnax

    env, env_params = gymnax.make(env_id)
    reset, rollout = make_rollout(env, env_params, batch, steps)

    key = jax.random.PRNGKey(seed)
    key, k_reset = jax.random.split(key)
    state = jax.block_until_ready(reset(k_reset))

    # First call: trace + compile + run.
    t0 = time.perf_counter()
    out = jax.block_until_ready(rollout(key, state))
    compile_s = time.perf_counter() - t0
    key, state = out[0], out[1]

    for _ in range(warmup):
        out = jax.block_until_ready(rollout(key, state))
        key, state = out[0], out[1]

    times = []
    total_done = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(rollout(key, state))
        times.append(time.perf_counter() - t0)
        key, state = out[0], out[1]
        total_done += int(out[3])

    med = statistics.median(times)
    n = batch * steps
    return {
        "env": env_id,
        "batch": batch,
        "steps": steps,
        "repeats": repeats,
        "env_steps_per_call": n,
        "env_steps_per_s": n / med,
        "env_steps_per_s_best": n / min(times),
        "env_steps_per_s_mean": n * len(times) / sum(times),
        "call_s_median": med,
        "call_s_min": min(times),
        "call_s_max": max(times),
        "compile_s": compile_s,
        "episodes_done_in_timed_calls": total_done,
    }


def main() -> int:
    args = parse_args()
    import jax

    dev = jax.devices()[0]
    meta = {
        "jax_version": jax.__version__,
        "jaxlib_version": pkg_version("jaxlib"),
        "gymnax_version": pkg_version("gymnax"),
        "python_version": platform.python_version(),
        "jax_backend": jax.default_backend(),
        "jax_device": str(dev),
        "jax_device_kind": getattr(dev, "device_kind", "unknown"),
        "jax_device_count": jax.device_count(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "steps": args.steps,
        "repeats": args.repeats,
        "warmup": args.warmup,
    }
    print(f"jax {meta['jax_version']} (jaxlib {meta['jaxlib_version']}), "
          f"gymnax {meta['gymnax_version']}, backend={meta['jax_backend']}, "
          f"device={meta['jax_device']} ({meta['jax_device_kind']}), "
          f"cpus={meta['cpu_count']}", flush=True)
    print(f"T={args.steps} steps/call, {args.repeats} timed calls (median), "
          f"{args.warmup} warmup calls", flush=True)

    results = []
    for batch in args.batch:
        for env_id in args.envs:
            r = bench_one(env_id, batch, args.steps, args.repeats, args.warmup, args.seed)
            for k in ("jax_version", "gymnax_version", "jax_backend", "jax_device"):
                r[k] = meta[k]
            results.append(r)
            print(f"  done {env_id:<22} B={batch:<6} "
                  f"{r['env_steps_per_s']:>14,.0f} env-steps/s  "
                  f"(first call {r['compile_s']:.2f}s)", flush=True)

    hdr = (f"{'env':<22} {'batch':>6} {'T':>5} {'env-steps/s (median)':>21} "
           f"{'best':>14} {'call ms':>9} {'first call s':>13}")
    print()
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        print(f"{r['env']:<22} {r['batch']:>6} {r['steps']:>5} "
              f"{r['env_steps_per_s']:>21,.0f} {r['env_steps_per_s_best']:>14,.0f} "
              f"{r['call_s_median'] * 1e3:>9.2f} {r['compile_s']:>13.2f}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
