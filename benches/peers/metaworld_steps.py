#!/usr/bin/env python3
"""Peer benchmark: Meta-World (MuJoCo, CPU) env-steps/s with uniform random actions.

Measures how many environment steps per second the reference Meta-World
implementation (Farama `metaworld` on MuJoCo) does on this machine, as the
baseline for wgym's kinematic re-implementations of the Sawyer tasks.

Modes (each run for every task in --tasks):
  * gym  - the public API: gym.make("Meta-World/MT1", env_name=TASK, seed=SEED)
           (Meta-World's wrapper stack: TimeLimit(500), AutoTerminateOnSuccess
           (off), RecordEpisodeStatistics, RandomTaskSelect (a new one of the 50
           goal variations on every reset), CheckpointWrapper, plus gymnasium's
           OrderEnforcing/PassiveEnvChecker). This is the headline number.
  * raw  - the bare env class with one fixed task (env.set_task once, then
           env.step / env.reset directly): the same physics without wrappers.
  * vec  - gymnasium.vector.AsyncVectorEnv (or SyncVectorEnv) of --workers
           copies of the `gym` env, same-step autoreset; counts workers x calls.
  * envpool - EnvPool's native C++ port of the Meta-World v3 Sawyer envs
           (envpool.make_gymnasium("MetaWorld/Reach-v3", num_envs=E,
           num_threads=T, partially_observable=False)), one config per
           --envpool-configs ExT entry; counts E x calls. EnvPool auto-resets
           on the call after an episode ends (that call returns the reset
           observation), so 1 in 501 counted steps is a reset. Skipped with a
           message if envpool is not installed.

In every mode the policy is uniform random in [-1, 1]^4 (numpy Generator, fixed
seed, sampled inside the timed loop), and the env is reset when an episode
ends (truncation at 500 steps; success does not terminate here, and random
actions rarely succeed anyway). Resets happen inside the timed loop
and are counted. Episodes continue across timed runs.

Reported per (task, mode): env-steps/s from the median / best / mean wall time
of --repeats timed runs of --steps env-steps each (after --warmup-steps untimed
steps), the number of resets in the timed runs, mean wall time of one reset
(gym/raw), and process CPU time / wall time (gym/raw/envpool; ~1.0 for gym/raw
means the benchmark had one core to itself).

Usage:
  python metaworld_steps.py
  python metaworld_steps.py --tasks reach-v3 push-v3 pick-place-v3 --steps 5000 \
      --repeats 5 --workers 2 --json /tmp/metaworld_steps.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from importlib import metadata

DEFAULT_TASKS = ["reach-v3", "push-v3", "pick-place-v3"]
EPISODE_STEPS = 500  # SawyerXYZEnv.max_path_length


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS,
                   help="Meta-World v3 task names (default: %(default)s)")
    p.add_argument("--steps", type=int, default=5000,
                   help="env-steps per timed run (vec: total over all workers, "
                        "rounded up to a multiple of --workers) (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=5,
                   help="timed runs per (task, mode); median reported (default: %(default)s)")
    p.add_argument("--warmup-steps", type=int, default=1000,
                   help="untimed env-steps before the timed runs (default: %(default)s)")
    p.add_argument("--modes", nargs="+", choices=["gym", "raw", "vec", "envpool"],
                   default=["gym", "raw", "vec", "envpool"], help="(default: %(default)s)")
    p.add_argument("--workers", type=int, default=2,
                   help="number of envs / worker processes in mode vec (default: %(default)s)")
    p.add_argument("--vector-strategy", choices=["async", "sync"], default="async",
                   help="gymnasium vector env class for mode vec (default: %(default)s)")
    p.add_argument("--envpool-configs", nargs="+", default=["1x1", "2x2", "8x2"],
                   metavar="ExT", help="EnvPool num_envs x num_threads configs for "
                   "mode envpool (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", default=None,
                   help="write config, meta and results as JSON to OUT")
    return p.parse_args()


def pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def summarize(run_s: list[float], steps: int) -> dict:
    med = statistics.median(run_s)
    return {
        "env_steps_per_s": steps / med,
        "env_steps_per_s_best": steps / min(run_s),
        "env_steps_per_s_mean": steps / statistics.mean(run_s),
        "run_s_median": med,
        "run_s_min": min(run_s),
        "run_s_max": max(run_s),
        "run_s_all": run_s,
        "us_per_step_median": 1e6 * med / steps,
    }


# ----------------------------------------------------------------------------
# single-process modes


def make_single(task: str, mode: str, seed: int):
    """The env for a single-process mode, already reset once with `seed`."""
    import gymnasium as gym
    import metaworld  # noqa: F401  (registers Meta-World/*)

    if mode == "gym":
        env = gym.make("Meta-World/MT1", env_name=task, seed=seed)
        env.reset(seed=seed)
    else:  # raw
        bench = metaworld.MT1(task, seed=seed)
        env = bench.train_classes[task]()
        env.seed(seed)
        env.set_task(bench.train_tasks[0])
        env.reset()
    return env


def run_single(task: str, mode: str, args: argparse.Namespace) -> dict:
    import numpy as np

    t0 = time.perf_counter()
    env = make_single(task, mode, args.seed)
    make_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)

    state = {"ep_len": 0, "resets": 0, "reset_s": 0.0, "succ_steps": 0,
             "reward_sum": 0.0, "obs_sum": 0.0}

    def loop(n: int) -> None:
        for _ in range(n):
            a = rng.uniform(-1.0, 1.0, 4).astype(np.float32)
            obs, reward, terminated, truncated, info = env.step(a)
            state["ep_len"] += 1
            state["reward_sum"] += float(reward)
            state["obs_sum"] += float(obs[0])
            if info["success"]:
                state["succ_steps"] += 1
            if terminated or truncated:
                r0 = time.perf_counter()
                env.reset()
                state["reset_s"] += time.perf_counter() - r0
                state["resets"] += 1
                state["ep_len"] = 0

    loop(args.warmup_steps)
    state.update({"resets": 0, "reset_s": 0.0, "succ_steps": 0, "reward_sum": 0.0})

    run_s = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.repeats):
        t = time.perf_counter()
        loop(args.steps)
        run_s.append(time.perf_counter() - t)
    cpu_over_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    total = args.steps * args.repeats
    env.close()

    res = {"task": task, "mode": mode, "workers": 1, "steps_per_run": args.steps,
           "repeats": args.repeats, "make_s": make_s}
    res.update(summarize(run_s, args.steps))
    res.update({
        "resets_in_timed_runs": state["resets"],
        "reset_ms_mean": (1e3 * state["reset_s"] / state["resets"]) if state["resets"] else None,
        "reset_share_of_time": state["reset_s"] / sum(run_s),
        "cpu_over_wall_timed": cpu_over_wall,
        "success_step_fraction": state["succ_steps"] / total,
        "mean_reward_per_step": state["reward_sum"] / total,
    })
    return res


# ----------------------------------------------------------------------------
# vector mode


def _make_env_fn(task: str, seed: int):
    def fn():
        import warnings as _w
        _w.filterwarnings("ignore")
        import gymnasium as gym
        import metaworld  # noqa: F401
        return gym.make("Meta-World/MT1", env_name=task, seed=seed)
    return fn


def run_vec(task: str, args: argparse.Namespace) -> dict:
    import gymnasium as gym
    import numpy as np

    w = args.workers
    fns = [_make_env_fn(task, args.seed + i) for i in range(w)]
    cls = gym.vector.AsyncVectorEnv if args.vector_strategy == "async" else gym.vector.SyncVectorEnv
    t0 = time.perf_counter()
    venv = cls(fns, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    venv.reset(seed=args.seed)
    make_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    calls = -(-args.steps // w)  # ceil
    steps = calls * w
    state = {"resets": 0, "succ": 0, "reward_sum": 0.0}

    def loop(n_calls: int) -> None:
        for _ in range(n_calls):
            a = rng.uniform(-1.0, 1.0, (w, 4)).astype(np.float32)
            obs, reward, terminated, truncated, info = venv.step(a)
            state["resets"] += int(np.count_nonzero(np.logical_or(terminated, truncated)))
            state["reward_sum"] += float(np.sum(reward))
            if "success" in info:
                state["succ"] += int(np.count_nonzero(info["success"]))

    loop(-(-args.warmup_steps // w))
    state.update({"resets": 0, "succ": 0, "reward_sum": 0.0})
    run_s = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        loop(calls)
        run_s.append(time.perf_counter() - t)
    venv.close()
    total = steps * args.repeats
    res = {"task": task, "mode": "vec", "vector_strategy": args.vector_strategy,
           "workers": w, "steps_per_run": steps, "calls_per_run": calls,
           "repeats": args.repeats, "make_s": make_s}
    res.update(summarize(run_s, steps))
    res.update({
        "resets_in_timed_runs": state["resets"],
        "success_step_fraction": state["succ"] / total,
        "mean_reward_per_step": state["reward_sum"] / total,
    })
    return res


# ----------------------------------------------------------------------------
# EnvPool (native C++ Meta-World port)


def envpool_task_id(task: str) -> str:
    """'pick-place-v3' -> 'MetaWorld/PickPlace-v3' (EnvPool's naming)."""
    name, version = task.rsplit("-", 1)
    return "MetaWorld/" + "".join(p[:1].upper() + p[1:] for p in name.split("-")) + "-" + version


def run_envpool(task: str, num_envs: int, num_threads: int, args: argparse.Namespace) -> dict:
    import envpool
    import numpy as np

    tid = envpool_task_id(task)
    t0 = time.perf_counter()
    env = envpool.make_gymnasium(tid, num_envs=num_envs, num_threads=num_threads,
                                 seed=args.seed, partially_observable=False)
    env.reset()
    make_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    calls = -(-args.steps // num_envs)
    steps = calls * num_envs
    state = {"resets": 0, "succ": 0, "reward_sum": 0.0}

    def loop(n_calls: int) -> None:
        for _ in range(n_calls):
            a = rng.uniform(-1.0, 1.0, (num_envs, 4)).astype(np.float32)
            obs, reward, terminated, truncated, info = env.step(a)
            state["resets"] += int(np.count_nonzero(np.logical_or(terminated, truncated)))
            state["reward_sum"] += float(np.sum(reward))
            state["succ"] += int(np.count_nonzero(info["success"]))

    loop(-(-args.warmup_steps // num_envs))
    state.update({"resets": 0, "succ": 0, "reward_sum": 0.0})
    run_s = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.repeats):
        t = time.perf_counter()
        loop(calls)
        run_s.append(time.perf_counter() - t)
    cpu_over_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    env.close()
    total = steps * args.repeats
    res = {"task": task, "mode": "envpool", "envpool_task_id": tid, "workers": num_threads,
           "num_envs": num_envs, "num_threads": num_threads, "steps_per_run": steps,
           "calls_per_run": calls, "repeats": args.repeats, "make_s": make_s}
    res.update(summarize(run_s, steps))
    res.update({
        "resets_in_timed_runs": state["resets"],
        "cpu_over_wall_timed": cpu_over_wall,
        "success_step_fraction": state["succ"] / total,
        "mean_reward_per_step": state["reward_sum"] / total,
    })
    return res


# ----------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    warnings.filterwarnings("ignore")  # gymnasium's passive checker warns on the 1st step
    t_import = time.perf_counter()
    import gymnasium  # noqa: F401
    import metaworld  # noqa: F401
    import mujoco  # noqa: F401
    import numpy  # noqa: F401
    import_s = time.perf_counter() - t_import
    envpool_configs = []
    for c in args.envpool_configs:
        try:
            e, t = (int(x) for x in c.lower().split("x"))
        except ValueError:
            print(f"bad --envpool-configs entry {c!r}, expected e.g. 2x2", file=sys.stderr)
            return 2
        envpool_configs.append((e, t))
    if "envpool" in args.modes:
        try:
            import envpool  # noqa: F401
        except ImportError as ex:
            print(f"envpool not importable ({ex}); skipping mode envpool", file=sys.stderr)
            args.modes = [m for m in args.modes if m != "envpool"]

    for t in args.tasks:
        if t not in metaworld.env_dict.ALL_V3_ENVIRONMENTS:
            print(f"unknown task {t!r}; Meta-World {pkg_version('metaworld')} has e.g. "
                  f"{list(metaworld.env_dict.ALL_V3_ENVIRONMENTS)[:5]} ...", file=sys.stderr)
            return 2

    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    meta = {
        "python": platform.python_version(),
        "metaworld": pkg_version("metaworld"),
        "mujoco": pkg_version("mujoco"),
        "gymnasium": pkg_version("gymnasium"),
        "numpy": pkg_version("numpy"),
        "envpool": pkg_version("envpool"),
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "MUJOCO_GL": os.environ.get("MUJOCO_GL"),
        "import_s": import_s,
        "loadavg_start": loadavg(),
        "argv": sys.argv,
    }
    print(f"metaworld {meta['metaworld']}  mujoco {meta['mujoco']}  gymnasium "
          f"{meta['gymnasium']}  numpy {meta['numpy']}  python {meta['python']}  "
          f"cpus {meta['cpu_count']}  loadavg {meta['loadavg_start']}")

    results = []
    def report(r: dict, label: str) -> None:
        r["loadavg_after"] = loadavg()
        results.append(r)
        extra = ""
        if r.get("reset_ms_mean") is not None:
            extra += f"  reset {r['reset_ms_mean']:.1f} ms ({100 * r['reset_share_of_time']:.0f}% of time)"
        if "cpu_over_wall_timed" in r:
            extra += f"  cpu/wall {r['cpu_over_wall_timed']:.2f}"
        print(f"{task:16s} {label:16s} {r['env_steps_per_s']:9.0f} env-steps/s (median; best "
              f"{r['env_steps_per_s_best']:.0f})  {r['us_per_step_median']:.0f} us/step  "
              f"resets {r['resets_in_timed_runs']}  make {r['make_s']:.2f} s{extra}",
              flush=True)

    for task in args.tasks:
        for mode in args.modes:
            if mode == "vec":
                if args.workers >= 1:
                    report(run_vec(task, args), f"vec/{args.vector_strategy} x{args.workers}")
            elif mode == "envpool":
                for e, t in envpool_configs:
                    report(run_envpool(task, e, t, args), f"envpool {e}x{t}")
            else:
                report(run_single(task, mode, args), mode)

    meta["loadavg_end"] = loadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": vars(args), "meta": meta, "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
