"""wgym batches as Gymnasium 1.x objects (needs the ``gymnasium`` extra).

``VectorEnv``: a ``gymnasium.vector.VectorEnv`` over a wgym batch, with same-step autoreset
(``metadata["autoreset_mode"] == AutoresetMode.SAME_STEP``). ``Env``: one env of a batch of
one as a ``gymnasium.Env``, for tools that take a single env (e.g. ``check_env``).
"""

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode

from . import make


class VectorEnv(gymnasium.vector.VectorEnv):
    """``wgym.make(env_id, num_envs, seed, params, backend)`` as a Gymnasium VectorEnv."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, env_id, num_envs, seed=0, params=None, backend="gpu"):
        self._adopt(make(env_id, num_envs, seed=seed, params=params, backend=backend))

    @classmethod
    def wrap(cls, batch):
        """An existing ``wgym.VecEnv`` as a Gymnasium VectorEnv (sharing its state)."""
        env = cls.__new__(cls)
        env._adopt(batch)
        return env

    def _adopt(self, batch):
        self.batch = batch
        self.num_envs = batch.num_envs
        self.single_observation_space = self.batch.single_observation_space
        self.single_action_space = self.batch.single_action_space
        self.observation_space = self.batch.observation_space
        self.action_space = self.batch.action_space

    def reset(self, *, seed=None, options=None):
        """Gymnasium's ``reset``; ``seed`` must be one int (or None): wgym seeds a batch
        with one seed."""
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError("wgym batches take one int seed for the whole batch")
        return self.batch.reset(seed=seed, options=options)

    def step(self, actions):
        """Gymnasium's ``step`` (see ``wgym.VecEnv.step``)."""
        return self.batch.step(actions)


class Env(gymnasium.Env):
    """Env ``env_id`` alone, as a ``gymnasium.Env``: a wgym batch of one.

    ``reset(seed=s)`` restarts from seed ``s``; after an episode ends, the next ``step``
    must follow a ``reset`` as Gymnasium expects (the batch has already drawn the next
    episode, which ``reset()`` without a seed replaces by a fresh one).
    """

    metadata = {"render_modes": []}

    def __init__(self, env_id, seed=0, params=None, backend="gpu"):
        self.batch = make(env_id, 1, seed=seed, params=params, backend=backend)
        self.observation_space = self.batch.single_observation_space
        self.action_space = self.batch.single_action_space

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        obs, info = self.batch.reset(seed=seed, options=options)
        return obs[0], info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.batch.step(np.asarray(action)[None])
        if terminated[0] or truncated[0]:
            obs = info["final_obs"]
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), {}
