"""wgym from Python: batches of RL environments that run as compute shaders on the GPU.

    import numpy as np, wgym
    envs = wgym.make("FourRooms-misc", num_envs=4096, seed=0)
    obs, info = envs.reset()
    actions = np.random.default_rng(0).integers(0, 4, size=envs.num_envs)
    obs, reward, terminated, truncated, info = envs.step(actions)

Autoreset follows Gymnasium 1.x's *same-step* mode (``AutoresetMode.SAME_STEP``): an env
whose episode ends in a step is reset within that step, so the returned ``obs`` row is the
first observation of its next episode, and ``info["final_obs"]`` holds the last observation
of the finished one (rows where ``info["_final_obs"]`` is True). Actions are never ignored.
"""

from typing import NamedTuple, Optional

import json
import os

import numpy as np

from . import _native

__all__ = ["make", "envs", "train", "TrainResult", "EnvSpec", "VecEnv", "Space", "STATS_DTYPE"]

AUTORESET_MODE = "same-step"

# The per-env statistics of a fused rollout (wgym::RolloutStats).
STATS_DTYPE = np.dtype(
    [
        ("episode_return", "<f4"),  # return of the running episode, carried across rollouts
        ("return_sum", "<f4"),  # sum of the returns of episodes finished in this rollout
        ("episodes", "<u4"),  # episodes finished in this rollout
        ("obs_checksum", "<u4"),  # checksum of every observation the rollout computed
    ]
)


class EnvSpec(NamedTuple):
    """What a user needs to know to drive an env.

    Discrete envs have ``num_actions`` > 0 and ``action_dim`` == 0; continuous ones the
    reverse (actions are vectors of ``action_dim`` values in [-1, 1]). ``params_size`` is
    the byte size of one params struct (see ``make``'s ``params``).
    """

    id: str
    obs_dim: int
    num_actions: int
    action_dim: int
    max_steps: int
    description: str
    params_size: int


def envs():
    """All registered envs: a dict from id to ``EnvSpec``, in display order."""
    return {spec[0]: EnvSpec(*spec) for spec in _native.envs()}


class Space(NamedTuple):
    """A space described without Gymnasium: shape, dtype and bounds (``n`` for discrete)."""

    shape: tuple
    dtype: np.dtype
    low: Optional[float] = None
    high: Optional[float] = None
    n: Optional[int] = None


def _spaces(spec, num_envs):
    """(single obs, single action, batched obs, batched action) spaces: Gymnasium's when it
    is installed, else ``Space``s."""
    try:
        import gymnasium
        from gymnasium.vector.utils import batch_space
    except ImportError:
        obs = Space((spec.obs_dim,), np.dtype(np.float32), -np.inf, np.inf)
        if spec.action_dim:
            act = Space((spec.action_dim,), np.dtype(np.float32), -1.0, 1.0)
        else:
            act = Space((), np.dtype(np.int64), 0, spec.num_actions - 1, spec.num_actions)
        batched = lambda s: s._replace(shape=(num_envs,) + s.shape)  # noqa: E731
        return obs, act, batched(obs), batched(act)
    obs = gymnasium.spaces.Box(-np.inf, np.inf, (spec.obs_dim,), np.float32)
    if spec.action_dim:
        act = gymnasium.spaces.Box(-1.0, 1.0, (spec.action_dim,), np.float32)
    else:
        act = gymnasium.spaces.Discrete(spec.num_actions)
    return obs, act, batch_space(obs, num_envs), batch_space(act, num_envs)


def make(env_id, num_envs, seed=0, params=None, backend="gpu"):
    """A batch of ``num_envs`` copies of env ``env_id``, each reset from ``seed``.

    Args:
        env_id: a registered id (see ``wgym.envs()``); an unknown one raises KeyError
            listing the known ids.
        num_envs: batch size, at least 1.
        seed: the u32 seed of every random draw (resets, env randomness, random actions,
            task sampling). The same seed gives the same bytes on every adapter.
        params: None for the env's defaults, else the env's params as bytes or a numpy
            array (any dtype, read as raw bytes): one struct shared by every env or
            ``num_envs`` structs, one per env (meta-RL task distributions).
            ``EnvSpec.params_size`` gives a struct's size; ``VecEnv.params()`` reads
            the params in use (envs that sample a task per env have drawn theirs).
        backend: "gpu" (the compute shaders on the wgpu adapter, WGYM_ADAPTER picks one)
            or "cpu" (the plain-Rust CPU twin: same bytes, for checking and debugging).

    Returns:
        a ``VecEnv``. Device problems (no adapter, a device limit) raise RuntimeError or,
        for a batch over a device limit, ValueError.
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a str, not {type(env_id).__name__}")
    num_envs = _u32("num_envs", num_envs)
    seed = _u32("seed", seed)
    if num_envs == 0:
        raise ValueError("num_envs must be at least 1")
    if params is None:
        raw = b""
    else:
        raw = np.ascontiguousarray(params).tobytes() if not isinstance(params, bytes) else params
        if not raw:
            raise ValueError("params is empty; pass None for the env's defaults")
    return VecEnv(_native.Batch(env_id, num_envs, seed, raw, backend), env_id, num_envs)


def _u32(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value < 2**32:
        raise ValueError(f"{name} = {value} is not in 0..2**32")
    return int(value)


class VecEnv:
    """A batch of one env, stepped together (made by ``wgym.make``).

    Attributes: ``num_envs``, ``spec`` (``EnvSpec``), ``single_observation_space``,
    ``single_action_space``, ``observation_space``, ``action_space`` (batched) and
    ``metadata["autoreset_mode"]``. Autoreset is Gymnasium 1.x's same-step mode (see the
    package docstring).
    """

    def __init__(self, native, env_id, num_envs):
        self._native = native
        self.num_envs = num_envs
        self.spec = envs()[env_id]
        (
            self.single_observation_space,
            self.single_action_space,
            self.observation_space,
            self.action_space,
        ) = _spaces(self.spec, num_envs)
        self.metadata = {"autoreset_mode": _autoreset_mode()}

    def __repr__(self):
        return f"wgym.VecEnv({self.spec.id!r}, num_envs={self.num_envs}, device={self.device!r})"

    @property
    def device(self):
        """The adapter the batch runs on ("cpu twin" for backend="cpu")."""
        return self._native.device()

    def reset(self, seed=None, options=None):
        """Start a fresh episode in every env.

        With ``seed``, the batch starts over as ``make(..., seed=seed)`` would; without, it
        draws fresh resets from its own stream. ``options`` is accepted for Gymnasium
        compatibility and must be empty.

        Returns ``(obs, info)``: obs float32 of shape (num_envs, obs_dim), info ``{}``.
        """
        if options:
            raise ValueError(f"wgym envs take no reset options, got {options!r}")
        if seed is not None:
            seed = _u32("seed", seed)
        obs = self._native.reset(seed)
        return self._obs(obs), {}

    def step(self, actions):
        """Step every env once with ``actions``.

        ``actions``: integers of shape (num_envs,) in ``0..num_actions`` for discrete envs;
        finite floats of shape (num_envs, action_dim) for continuous ones (clipped to
        [-1, 1] by the env). Bad shapes, dtypes or values raise ValueError.

        Returns ``(obs, reward, terminated, truncated, info)``: obs float32 (num_envs,
        obs_dim), reward float32 (num_envs,), terminated and truncated bool (num_envs,).
        Envs that finished were reset in this step (same-step autoreset): their obs row
        starts the next episode, ``info["final_obs"]`` holds their last observation (rows
        where ``info["_final_obs"]`` is True; other rows are zero). ``info["success"]``
        (bool) says which steps met the task's success criterion.
        """
        words = self._action_words(actions)
        obs, final_obs, reward, terminated, truncated, success = self._native.step(words)
        terminated = np.frombuffer(terminated, np.uint8).astype(bool)
        truncated = np.frombuffer(truncated, np.uint8).astype(bool)
        done = terminated | truncated
        final_obs = self._obs(final_obs).copy()
        final_obs[~done] = 0.0
        info = {
            "final_obs": final_obs,
            "_final_obs": done,
            "success": np.frombuffer(success, np.uint8).astype(bool),
        }
        reward = np.frombuffer(reward, np.float32)
        return self._obs(obs), reward, terminated, truncated, info

    def rollout(self, steps, policy="random"):
        """Run ``steps`` steps of every env inside the GPU (the fused rollout), with uniform
        random actions, and return the per-env statistics as a structured array of dtype
        ``STATS_DTYPE``: episode_return (the running episode's, carried over),
        return_sum and episodes (of the episodes finished in this rollout) and
        obs_checksum. Nothing but the statistics is read back. Afterwards ``step`` goes on
        from the states the rollout reached.
        """
        if policy != "random":
            raise ValueError(f"unknown policy {policy!r}; the fused rollout supports 'random'")
        stats = self._native.rollout(_u32("steps", steps))
        return np.frombuffer(stats, STATS_DTYPE)

    def params(self):
        """The params the kernels see, as a uint8 array of shape (structs, params_size):
        one struct shared by every env, or one per env."""
        raw = np.frombuffer(self._native.params(), np.uint8)
        return raw.reshape(-1, self.spec.params_size)

    def sample_tasks(self, base, seed, task_group=1):
        """Draw every env's task (params) again, on the device, from the distribution one
        params struct ``base`` (bytes or an array, e.g. a row of ``params()``) describes:
        envs i with equal ``i // task_group`` share a draw from ``seed``. The batch must
        hold per-env params (made with one struct per env, or an env that samples tasks).
        """
        raw = base if isinstance(base, bytes) else np.ascontiguousarray(base).tobytes()
        self._native.sample_tasks(raw, _u32("seed", seed), _u32("task_group", task_group))

    def as_gymnasium(self):
        """This batch as a ``gymnasium.vector.VectorEnv`` (needs gymnasium)."""
        from .gymnasium import VectorEnv

        return VectorEnv.wrap(self)

    def close(self):
        """Nothing to release early; present for Gymnasium compatibility."""

    def _obs(self, raw):
        return np.frombuffer(raw, np.float32).reshape(self.num_envs, self.spec.obs_dim)

    def _action_words(self, actions):
        """The action buffer's bytes for ``actions``, after checking them."""
        actions = np.asarray(actions)
        spec = self.spec
        if spec.action_dim:
            expected = (self.num_envs, spec.action_dim)
            if actions.shape != expected:
                raise ValueError(f"actions of shape {actions.shape}; expected {expected}")
            if not np.issubdtype(actions.dtype, np.floating):
                raise ValueError(f"actions of dtype {actions.dtype}; expected a float dtype")
            values = actions.astype(np.float32)
            bad = np.argwhere(~np.isfinite(values))
            if bad.size:
                raise ValueError(f"action value {tuple(bad[0])} is not finite")
            return values.tobytes()
        if actions.shape != (self.num_envs,):
            raise ValueError(f"actions of shape {actions.shape}; expected ({self.num_envs},)")
        if not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"actions of dtype {actions.dtype}; expected an integer dtype")
        out_of_range = np.flatnonzero((actions < 0) | (actions >= spec.num_actions))
        if out_of_range.size:
            i = out_of_range[0]
            raise ValueError(
                f"action {actions[i]} of env {i} is not in 0..{spec.num_actions} of {spec.id}"
            )
        return actions.astype(np.uint32).tobytes()


def _autoreset_mode():
    try:
        from gymnasium.vector import AutoresetMode
    except ImportError:
        return AUTORESET_MODE
    return AutoresetMode.SAME_STEP


# The columns of a training log and their dtypes, in the order of the rows wgym returns.
_LOG_DTYPES = {
    "update": np.uint32,
    "env_steps": np.uint64,
    "seconds": np.float64,
    "mean_return": np.float32,
    "episodes": np.float32,
    "successes": np.float32,
    "policy_loss": np.float32,
    "value_loss": np.float32,
    "entropy": np.float32,
    "approx_kl": np.float32,
    "clip_frac": np.float32,
    "grad_norm": np.float32,
}
LOG_COLUMNS = tuple(_LOG_DTYPES)


class TrainResult(NamedTuple):
    """A training run's log, one numpy array per column of ``LOG_COLUMNS`` (one entry per
    logged update; ``mean_return`` is the mean over agents), and its run directory
    (``checkpoint.bin``, ``log.csv``, the curve and ``config.toml``, as ``wgym train``
    writes them)."""

    log: dict
    out: str


def train(env_id, config=None, agents=1, out=None, resume=False):
    """Train ``agents`` independent agents on ``env_id``: the same run as ``wgym train``.

    Args:
        env_id: a registered id (KeyError lists them).
        config: None for the env's training defaults, a dict of settings over them
            (nested dicts for TOML tables, e.g. ``{"network": {"hidden": [16, 16]}}``),
            or the path of a TOML file. Unknown keys raise ValueError.
        agents: agents trained at once, each with its own seed, weights and envs.
        out: the run directory (default ``runs/<env_id>``); a fresh run refuses one that
            holds a checkpoint.
        resume: continue the run in ``out`` from its checkpoint (``env_id`` and
            ``config`` must match what it was started with; they come from the
            checkpoint).

    Ctrl-C (KeyboardInterrupt) stops after the update in progress, writes a checkpoint
    and re-raises; ``train(env_id, out=out, resume=True)`` continues it to the same bytes
    as an uninterrupted run. Returns a ``TrainResult``.
    """
    out = os.fspath(out) if out is not None else os.path.join("runs", env_id)
    checkpoint = os.path.join(out, "checkpoint.bin")
    if resume:
        run = _native.TrainRun.resume(out)
    else:
        if os.path.exists(checkpoint):
            raise ValueError(f"{out} holds a run's checkpoint: resume it or choose another out")
        run = _native.TrainRun.start(env_id, _config_toml(config), _u32("agents", agents), out)
    try:
        while not run.done():
            run.step(False)
    except KeyboardInterrupt:
        run.save()
        raise KeyboardInterrupt(
            f"training stopped; checkpoint in {out}: continue with "
            f"wgym.train({env_id!r}, out={out!r}, resume=True)"
        ) from None
    columns = list(zip(*run.history())) or [()] * len(LOG_COLUMNS)
    log = {
        name: np.asarray(column, dtype) for (name, dtype), column in zip(_LOG_DTYPES.items(), columns)
    }
    return TrainResult(log, out)


def _config_toml(config):
    """A config as TOML text: a dict written out, a path read."""
    if config is None:
        return ""
    if isinstance(config, (str, os.PathLike)):
        with open(config) as f:
            return f.read()
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict or a path, not {type(config).__name__}")
    lines, tables = [], []
    for key, value in config.items():
        if isinstance(value, dict):
            tables.append(f"[{key}]")
            tables += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines + tables) + "\n"


def _toml_value(value):
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(value.item() if hasattr(value, "item") else value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"config value {value!r} is not a TOML scalar, list or table")
