#!/usr/bin/env python3
"""Peer benchmark: PureJaxRL-style PPO on a gymnax env, plain JAX + optax.

One PPO update (a 128-step rollout of every env via jax.lax.scan, GAE, then
epochs x minibatches of clipped-PPO gradient steps) is a single jitted
function. With --agents A > 1 the whole update is jax.vmap'ed over A
independent agents (own seed, parameters, optimizer state and env states).
The driver loop calls it --updates times, ending each call with
block_until_ready.

Written from scratch for wgym's peer comparison (no flax / distrax: the MLPs,
the categorical head and the PPO loss are a few lines of jax.numpy). The
algorithm and defaults follow PureJaxRL's `ppo.py`.

Reported:
  * time_to_first_update_end_s - wall time from the first line of this script
    (before `import jax`) to the end of the first update (imports, env and
    agent init, tracing, XLA compilation and one update included);
  * env_steps_per_s            - steady state: A*E*T / median wall time of one
    update, over the updates after the first (the update includes rollout,
    GAE and all gradient steps, i.e. it is training throughput);
  * mean return and mean length of the episodes that finished during each
    update (FourRooms: return is 1 for reaching the goal, 0 for a 500-step
    truncation, so mean return = success rate and mean length falls as the
    policy learns).

Truncation: by default (--truncation bootstrap) an episode cut by the time
limit (truncated and not terminated) gets gamma * V(final observation) added
to its last reward, using gymnax 1.0's info["final_observation"] (the
returned obs is already the reset one); GAE is then cut at every done.
--truncation done treats truncation like termination, as PureJaxRL does.

Usage (from the repository root):
  python benches/peers/purejaxrl_ppo.py --agents 1 --num-envs 4096
  python benches/peers/purejaxrl_ppo.py --agents 256 --num-envs 16 --json out.json
"""

import time

T_PROCESS_START = time.time()  # before importing jax: part of "time to first update"

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from importlib import metadata  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="FourRooms-misc",
                   help="gymnax env id, default params (default: %(default)s; "
                        "also tested: BernoulliBandit-misc)")
    p.add_argument("--agents", type=int, default=1,
                   help="independent agents, vmapped over (default: %(default)s)")
    p.add_argument("--num-envs", type=int, default=4096,
                   help="parallel envs per agent (default: %(default)s)")
    p.add_argument("--num-steps", type=int, default=128,
                   help="rollout steps per env per update (default: %(default)s)")
    p.add_argument("--updates", type=int, default=10,
                   help="PPO updates to run; the learning rate is annealed "
                        "linearly to 0 over them (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=4, help="(default: %(default)s)")
    p.add_argument("--minibatches", type=int, default=4, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=2.5e-4, help="(default: %(default)s)")
    p.add_argument("--no-anneal-lr", action="store_true",
                   help="keep the learning rate constant")
    p.add_argument("--gamma", type=float, default=0.99, help="(default: %(default)s)")
    p.add_argument("--gae-lambda", type=float, default=0.95, help="(default: %(default)s)")
    p.add_argument("--clip-eps", type=float, default=0.2, help="(default: %(default)s)")
    p.add_argument("--vf-coef", type=float, default=0.5, help="(default: %(default)s)")
    p.add_argument("--ent-coef", type=float, default=0.01, help="(default: %(default)s)")
    p.add_argument("--max-grad-norm", type=float, default=0.5, help="(default: %(default)s)")
    p.add_argument("--hidden", type=int, default=64,
                   help="width of the 2 hidden layers (default: %(default)s)")
    p.add_argument("--truncation", choices=["bootstrap", "done"], default="bootstrap",
                   help="bootstrap: on a time-limit truncation add gamma*V(final obs) "
                        "to the reward (gymnax's info['final_observation']); "
                        "done: treat truncation like termination, as PureJaxRL "
                        "does (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="base seed; agent i uses fold_in(PRNGKey(seed), i) for its "
                        "JAX randomness and numpy default_rng([seed, i]) for its "
                        "initial weights")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="write config, versions, timings and returns as JSON")
    p.add_argument("--quiet", action="store_true", help="no per-update lines")
    return p.parse_args()


def process_age_s():
    """Seconds since this process was exec'ed (Linux /proc; None elsewhere).
    Unlike T_PROCESS_START it includes interpreter start-up (10 ms ticks)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        return (time.clock_gettime(time.CLOCK_BOOTTIME)
                - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, AttributeError, IndexError):
        return None


def pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- #
# Model: two separate tanh MLPs (actor -> logits, critic -> scalar value).
# Parameters are a dict of lists of (W, b) pairs.
# --------------------------------------------------------------------------- #

def orthogonal_np(rng, n_in, n_out, scale):
    """Orthogonal (n_in, n_out) matrix times `scale`, like
    jax.nn.initializers.orthogonal: QR of a Gaussian matrix, signs fixed by
    diag(R)."""
    import numpy as np

    rows, cols = max(n_in, n_out), min(n_in, n_out)
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    q = q * np.sign(np.diag(r))
    if n_in < n_out:
        q = q.T
    return (scale * q).astype(np.float32)


def init_mlp(rng, sizes, out_scale):
    """Layers as (W, b) pairs: orthogonal(sqrt 2) hidden weights,
    orthogonal(out_scale) output weights, zero biases.

    Done on the host with numpy on purpose: with jaxlib 0.10.2 on CPU, a jitted
    function holding two or more QR decompositions (e.g. jax.vmap of
    jax.nn.initializers.orthogonal for two 64x64 layers) deadlocks in
    block_until_ready on this machine, even with
    XLA_FLAGS=--xla_cpu_multi_thread_eigen=false."""
    import numpy as np

    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        scale = out_scale if last else np.sqrt(2.0)
        layers.append((orthogonal_np(rng, n_in, n_out, scale),
                       np.zeros((n_out,), np.float32)))
    return layers


def mlp(layers, x):
    import jax.numpy as jnp

    for w, b in layers[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = layers[-1]
    return x @ w + b


# --------------------------------------------------------------------------- #
# PPO
# --------------------------------------------------------------------------- #

def build(args):
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    import gymnax

    env, env_params = gymnax.make(args.env)
    obs_shape = env.observation_space(env_params).shape
    obs_dim = 1
    for d in obs_shape:
        obs_dim *= int(d)
    n_actions = int(env.action_space(env_params).n)

    E, T = args.num_envs, args.num_steps
    batch = E * T
    if batch % args.minibatches:
        raise SystemExit(f"num_envs*num_steps={batch} not divisible by "
                         f"minibatches={args.minibatches}")
    mb_size = batch // args.minibatches
    steps_per_update = args.epochs * args.minibatches

    def lr_schedule(count):
        # count = optimizer steps taken so far; constant within one update,
        # 1 -> 1/updates across updates (reaches 0 just after the last one).
        frac = 1.0 - (count // steps_per_update) / args.updates
        return args.lr * frac

    tx = optax.chain(
        optax.clip_by_global_norm(args.max_grad_norm),
        optax.adam(learning_rate=args.lr if args.no_anneal_lr else lr_schedule, eps=1e-5),
    )

    def flat_obs(o):
        return jnp.asarray(o, jnp.float32).reshape(o.shape[0], obs_dim)

    def actor(params, obs):
        return mlp(params["actor"], obs)

    def critic(params, obs):
        return mlp(params["critic"], obs)[..., 0]

    v_reset = jax.vmap(env.reset, in_axes=(0, None))
    v_step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    # ---- per-agent init ---------------------------------------------------
    def init_params(agent):
        import numpy as np

        rng = np.random.default_rng([args.seed, agent])
        h = args.hidden
        return {
            "actor": init_mlp(rng, [obs_dim, h, h, n_actions], 0.01),
            "critic": init_mlp(rng, [obs_dim, h, h, 1], 1.0),
        }

    def init_agent(key, params):
        k_env, key = jax.random.split(key)
        opt_state = tx.init(params)
        obs, env_state = v_reset(jax.random.split(k_env, E), env_params)
        # gymnax resets build some state leaves from Python scalars (weakly
        # typed); make them strong so the update's output state has the same
        # types as its input and the jitted update is not retraced on call 2
        env_state = jax.tree.map(
            lambda x: jax.lax.convert_element_type(x, jnp.asarray(x).dtype), env_state)
        ep_ret = jnp.zeros((E,), jnp.float32)
        ep_len = jnp.zeros((E,), jnp.int32)
        return (params, opt_state, env_state, flat_obs(obs), ep_ret, ep_len, key)

    # ---- one full PPO update for one agent --------------------------------
    def update(runner):
        params, opt_state, env_state, obs, ep_ret, ep_len, key = runner

        def env_step(carry, _):
            env_state, obs, ep_ret, ep_len, ret_sum, len_sum, ep_cnt, key = carry
            key, k_act, k_env = jax.random.split(key, 3)
            logits = actor(params, obs)
            value = critic(params, obs)
            action = jax.random.categorical(k_act, logits)
            logp = jnp.take_along_axis(jax.nn.log_softmax(logits),
                                       action[:, None], axis=1)[:, 0]
            nobs, env_state, reward, term, trunc, info = v_step(
                jax.random.split(k_env, E), env_state, action, env_params)
            reward = jnp.asarray(reward, jnp.float32)
            done = jnp.logical_or(term, trunc)
            train_reward = reward
            if args.truncation == "bootstrap":
                # episode cut by the time limit, not ended: bootstrap from the
                # value of the real last observation (the returned obs is the reset one)
                v_final = critic(params, flat_obs(info["final_observation"]))
                cut = jnp.logical_and(trunc, jnp.logical_not(term))
                train_reward = reward + args.gamma * jnp.where(cut, v_final, 0.0)
            # episode statistics (undiscounted env reward, no bootstrap term)
            ep_ret = ep_ret + reward
            ep_len = ep_len + 1
            ret_sum = ret_sum + jnp.sum(jnp.where(done, ep_ret, 0.0))
            len_sum = len_sum + jnp.sum(jnp.where(done, ep_len, 0))
            ep_cnt = ep_cnt + jnp.sum(done.astype(jnp.int32))
            ep_ret = jnp.where(done, 0.0, ep_ret)
            ep_len = jnp.where(done, 0, ep_len)
            tr = (obs, action, logp, value, train_reward, done.astype(jnp.float32))
            carry = (env_state, flat_obs(nobs), ep_ret, ep_len, ret_sum, len_sum,
                     ep_cnt, key)
            return carry, tr

        carry0 = (env_state, obs, ep_ret, ep_len, jnp.zeros((), jnp.float32),
                  jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32), key)
        (env_state, obs, ep_ret, ep_len, ret_sum, len_sum, ep_cnt, key), traj = \
            jax.lax.scan(env_step, carry0, None, length=T)
        t_obs, t_act, t_logp, t_val, t_rew, t_done = traj

        # GAE, backwards over the T steps
        last_val = critic(params, obs)

        def gae_step(carry, x):
            gae, next_val = carry
            val, rew, done = x
            nonterm = 1.0 - done
            delta = rew + args.gamma * next_val * nonterm - val
            gae = delta + args.gamma * args.gae_lambda * nonterm * gae
            return (gae, val), gae

        _, adv = jax.lax.scan(gae_step, (jnp.zeros_like(last_val), last_val),
                              (t_val, t_rew, t_done), reverse=True)
        targets = adv + t_val

        data = (t_obs.reshape(batch, obs_dim), t_act.reshape(batch),
                t_logp.reshape(batch), t_val.reshape(batch),
                adv.reshape(batch), targets.reshape(batch))

        def loss_fn(p, mb):
            o, a, old_logp, old_v, adv, tgt = mb
            logits = actor(p, o)
            logp_all = jax.nn.log_softmax(logits)
            logp = jnp.take_along_axis(logp_all, a[:, None], axis=1)[:, 0]
            entropy = -jnp.sum(jnp.exp(logp_all) * logp_all, axis=-1).mean()
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)  # per minibatch
            ratio = jnp.exp(logp - old_logp)
            pg_loss = -jnp.minimum(
                ratio * adv,
                jnp.clip(ratio, 1.0 - args.clip_eps, 1.0 + args.clip_eps) * adv).mean()
            v = critic(p, o)
            v_clip = old_v + jnp.clip(v - old_v, -args.clip_eps, args.clip_eps)
            v_loss = 0.5 * jnp.maximum((v - tgt) ** 2, (v_clip - tgt) ** 2).mean()
            total = pg_loss + args.vf_coef * v_loss - args.ent_coef * entropy
            return total, (pg_loss, v_loss, entropy)

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def sgd_step(carry, mb):
            p, o_state = carry
            (loss, aux), grads = grad_fn(p, mb)
            upd, o_state = tx.update(grads, o_state, p)
            p = optax.apply_updates(p, upd)
            return (p, o_state), (loss,) + aux

        def epoch(carry, k):
            perm = jax.random.permutation(k, batch)
            mbs = jax.tree.map(
                lambda x: jnp.take(x, perm, axis=0).reshape(
                    (args.minibatches, mb_size) + x.shape[1:]), data)
            return jax.lax.scan(sgd_step, carry, mbs)

        key, k_ep = jax.random.split(key)
        (params, opt_state), losses = jax.lax.scan(
            epoch, (params, opt_state), jax.random.split(k_ep, args.epochs))

        metrics = {
            "return_sum": ret_sum,
            "length_sum": len_sum,
            "episodes": ep_cnt,
            "loss": losses[0].mean(),
            "pg_loss": losses[1].mean(),
            "v_loss": losses[2].mean(),
            "entropy": losses[3].mean(),
        }
        return (params, opt_state, env_state, obs, ep_ret, ep_len, key), metrics

    base = jax.random.PRNGKey(args.seed)
    agent_keys = jax.vmap(lambda i: jax.random.fold_in(base, i))(
        jnp.arange(args.agents))
    # host-side parameter init (see init_mlp), stacked over agents
    all_params = jax.tree.map(lambda *xs: jnp.asarray(np.stack(xs)),
                              *[init_params(i) for i in range(args.agents)])
    init_vmapped = jax.jit(jax.vmap(init_agent))

    def init_all(keys):
        return init_vmapped(keys, all_params)

    update_all = jax.jit(jax.vmap(update), donate_argnums=0)
    info = {"obs_dim": obs_dim, "obs_shape": list(obs_shape), "n_actions": n_actions,
            "max_steps_in_episode": float(env_params.max_steps_in_episode),
            "minibatch_size": mb_size}
    return init_all, update_all, agent_keys, info


def main() -> int:
    args = parse_args()
    import jax
    import numpy as np
    import optax  # noqa: F401  (imported here so import time is reported apart)
    import gymnax  # noqa: F401

    t_import = time.time()
    init_all, update_all, agent_keys, env_info = build(args)
    runner = init_all(agent_keys)
    jax.block_until_ready(runner)
    t_init = time.time()

    A, E, T = args.agents, args.num_envs, args.num_steps
    steps_per_update = A * E * T
    backend = jax.default_backend()
    device = str(jax.devices()[0])
    print(f"purejaxrl_ppo: env={args.env} agents={A} num_envs={E} num_steps={T} "
          f"-> {steps_per_update} env-steps/update, {args.epochs}x{args.minibatches} "
          f"minibatches of {env_info['minibatch_size']}, truncation={args.truncation}; "
          f"backend={backend} device={device} cpus={os.cpu_count()}", flush=True)

    rows = []
    t_first_end = None
    for u in range(args.updates):
        c0 = os.times()
        w0 = time.perf_counter()
        if u == 0:
            in_types = [(x.dtype, x.weak_type, x.shape) for x in jax.tree.leaves(runner)]
        runner, m = update_all(runner)
        jax.block_until_ready((runner, m))
        w1 = time.perf_counter()
        c1 = os.times()
        if u == 0:
            t_first_end = time.time()
            age_first_end = process_age_s()
            out_types = [(x.dtype, x.weak_type, x.shape) for x in jax.tree.leaves(runner)]
            if out_types != in_types:
                print("WARNING: update output types differ from its input types; "
                      "the second update will be recompiled", flush=True)
        m = jax.tree.map(np.asarray, m)
        ret_sum = float(m["return_sum"].sum())
        episodes = int(m["episodes"].sum())
        len_sum = int(m["length_sum"].sum())
        per_agent = [float(s) / int(c) for s, c in zip(m["return_sum"], m["episodes"]) if c > 0]
        cpu_s = (c1.user - c0.user) + (c1.system - c0.system)
        row = {
            "update": u + 1,
            "wall_s": w1 - w0,
            "cpu_s": cpu_s,
            "episodes": episodes,
            "mean_return": ret_sum / episodes if episodes else None,
            "mean_length": len_sum / episodes if episodes else None,
            "agent_mean_return_min": min(per_agent) if per_agent else None,
            "agent_mean_return_max": max(per_agent) if per_agent else None,
            "loss": float(m["loss"].mean()),
            "pg_loss": float(m["pg_loss"].mean()),
            "v_loss": float(m["v_loss"].mean()),
            "entropy": float(m["entropy"].mean()),
        }
        rows.append(row)
        if not args.quiet:
            mr = "n/a" if row["mean_return"] is None else f"{row['mean_return']:.4f}"
            ml = "n/a" if row["mean_length"] is None else f"{row['mean_length']:.1f}"
            spread = ""
            if A > 1 and per_agent:
                spread = (f" (agents {row['agent_mean_return_min']:.3f}.."
                          f"{row['agent_mean_return_max']:.3f})")
            print(f"update {u + 1:4d}  {row['wall_s'] * 1e3:9.1f} ms  "
                  f"cpu/wall {cpu_s / row['wall_s']:4.2f}  episodes {episodes:8d}  "
                  f"mean return {mr}{spread}  mean length {ml}  "
                  f"entropy {row['entropy']:.3f}  "
                  f"v_loss {row['v_loss']:.4f}", flush=True)

    steady = [r["wall_s"] for r in rows[1:]]
    steady_cpu = [r["cpu_s"] for r in rows[1:]]
    summary = {
        "time_to_first_update_end_s": t_first_end - T_PROCESS_START,
        "process_age_at_first_update_end_s": age_first_end,
        "import_s": t_import - T_PROCESS_START,
        "build_and_init_s": t_init - t_import,
        "first_update_s": rows[0]["wall_s"],
        "env_steps_per_update": steps_per_update,
        "steady_updates": len(steady),
    }
    if steady:
        med = statistics.median(steady)
        summary.update({
            "update_s_median": med,
            "update_s_min": min(steady),
            "update_s_max": max(steady),
            "env_steps_per_s": steps_per_update / med,
            "env_steps_per_s_best": steps_per_update / min(steady),
            "cpu_over_wall_steady": sum(steady_cpu) / sum(steady),
        })
    print(f"time to end of first update (from process start, compile incl.): "
          f"{summary['time_to_first_update_end_s']:.2f} s  (imports "
          f"{summary['import_s']:.2f} s, build+init {summary['build_and_init_s']:.2f} s, "
          f"first update {summary['first_update_s']:.2f} s; since exec "
          f"{age_first_end if age_first_end is not None else float('nan'):.2f} s)")
    if steady:
        print(f"steady state over {len(steady)} updates: median "
              f"{summary['update_s_median'] * 1e3:.1f} ms/update -> "
              f"{summary['env_steps_per_s']:,.0f} env-steps/s (best "
              f"{summary['env_steps_per_s_best']:,.0f}); process cpu/wall "
              f"{summary['cpu_over_wall_steady']:.2f}")
    else:
        print("steady state: need --updates >= 2")

    if args.json:
        try:
            affinity = len(os.sched_getaffinity(0))
        except AttributeError:
            affinity = None
        out = {
            "benchmark": "purejaxrl_ppo",
            "config": vars(args),
            "env_info": env_info,
            "meta": {
                "python": platform.python_version(),
                "jax": pkg_version("jax"),
                "jaxlib": pkg_version("jaxlib"),
                "gymnax": pkg_version("gymnax"),
                "optax": pkg_version("optax"),
                "numpy": pkg_version("numpy"),
                "jax_backend": backend,
                "jax_device": device,
                "jax_device_count": jax.device_count(),
                "cpu_count": os.cpu_count(),
                "cpu_affinity": affinity,
                "platform": platform.platform(),
                "machine": platform.machine(),
                "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                "argv": sys.argv,
            },
            "summary": summary,
            "updates": rows,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
