"""Gymnasium's own checks on wgym's Gymnasium views."""

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402

import wgym.gymnasium  # noqa: E402


@pytest.mark.parametrize("env_id", ["FourRooms-misc", "BernoulliBandit-misc", "Manipulation-reach"])
def test_check_env_on_a_single_env_view(env_id):
    check_env(wgym.gymnasium.Env(env_id), skip_render_check=True)


@pytest.mark.parametrize("env_id", ["FourRooms-misc", "Manipulation-reach"])
def test_vector_env(env_id):
    envs = wgym.gymnasium.VectorEnv(env_id, 8, seed=0)
    assert isinstance(envs, gymnasium.vector.VectorEnv)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, _ = envs.reset(seed=3)
    assert envs.observation_space.contains(obs)
    envs.action_space.seed(0)
    for _ in range(5):
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert envs.observation_space.contains(obs)
    again, _ = envs.reset(seed=3)
    np.testing.assert_array_equal(again, envs.reset(seed=3)[0])


def test_as_gymnasium_shares_the_batch():
    batch = wgym.make("FourRooms-misc", 4, seed=2)
    envs = batch.as_gymnasium()
    assert isinstance(envs, gymnasium.vector.VectorEnv) and envs.batch is batch
    np.testing.assert_array_equal(envs.reset(seed=2)[0], batch.reset(seed=2)[0])
