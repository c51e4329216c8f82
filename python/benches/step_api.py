"""Env-steps/s through wgym's Python step API (numpy in and out) and its fused rollout,
next to Gymnasium's SyncVectorEnv on CartPole-v1, one right after the other.

    python python/benches/step_api.py [--batches 1024 4096] [--seconds 3]
"""

import argparse
import time

import numpy as np

import wgym


def rate(step, batch, seconds):
    """Env-steps/s of ``step()`` (one call steps ``batch`` envs), after one warm-up call."""
    step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return calls * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rollout-steps", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for batch in args.batches:
        for env_id in ["FourRooms-misc", "BernoulliBandit-misc"]:
            envs = wgym.make(env_id, batch)
            actions = rng.integers(0, envs.spec.num_actions, size=batch)
            step_rate = rate(lambda: envs.step(actions), batch, args.seconds)
            steps = args.rollout_steps
            rollout_rate = rate(lambda: envs.rollout(steps), batch * steps, args.seconds)
            print(f"wgym {env_id:22} batch {batch:6}: step API {step_rate:12,.0f} /s, "
                  f"fused rollout {rollout_rate:14,.0f} /s  ({envs.device})")
        try:
            import gymnasium
        except ImportError:
            continue
        envs = gymnasium.make_vec("CartPole-v1", num_envs=batch, vectorization_mode="sync")
        envs.reset(seed=0)
        actions = rng.integers(0, 2, size=batch)
        sync_rate = rate(lambda: envs.step(actions), batch, args.seconds)
        print(f"gymnasium SyncVectorEnv CartPole-v1 batch {batch:6}: {sync_rate:12,.0f} /s")


if __name__ == "__main__":
    main()
