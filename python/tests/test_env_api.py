"""The step API: dtypes and shapes for every registered env, and the GPU kernels against
their CPU twin through Python, byte for byte."""

import numpy as np
import pytest

import wgym
from conftest import random_actions

ALL_IDS = list(wgym.envs())
# (env, steps): a bandit and a short-horizon grid played past their episode ends, a grid
# world with long episodes, and a continuous-action env.
COMPARED = [
    ("BernoulliBandit-misc", 110),
    ("LpgGrid-rand_sparse", 60),
    ("FourRooms-misc", 40),
    ("Manipulation-reach", 40),
]


def test_envs_lists_specs(specs):
    assert "FourRooms-misc" in specs and "BernoulliBandit-misc" in specs
    for env_id, spec in specs.items():
        assert spec.id == env_id
        assert spec.obs_dim > 0 and spec.max_steps > 0 and spec.params_size > 0
        # Exactly one of the two action kinds.
        assert (spec.num_actions > 0) != (spec.action_dim > 0)
    assert any(spec.action_dim for spec in specs.values()), "no continuous env"


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_dtypes_and_shapes(env_id, specs):
    spec = specs[env_id]
    n = 3
    envs = wgym.make(env_id, n, seed=1)
    obs, info = envs.reset()
    assert obs.dtype == np.float32 and obs.shape == (n, spec.obs_dim)
    assert info == {}
    assert np.isfinite(obs).all()
    rng = np.random.default_rng(0)
    for _ in range(3):
        obs, reward, terminated, truncated, info = envs.step(random_actions(spec, n, rng))
        assert obs.dtype == np.float32 and obs.shape == (n, spec.obs_dim)
        assert reward.dtype == np.float32 and reward.shape == (n,)
        assert terminated.dtype == bool and terminated.shape == (n,)
        assert truncated.dtype == bool and truncated.shape == (n,)
        assert info["final_obs"].dtype == np.float32
        assert info["final_obs"].shape == (n, spec.obs_dim)
        np.testing.assert_array_equal(info["_final_obs"], terminated | truncated)
        assert info["success"].dtype == bool and info["success"].shape == (n,)
    assert envs.observation_space.shape == (n, spec.obs_dim)
    assert envs.single_observation_space.contains(obs[0])
    assert envs.params().shape[1] == spec.params_size


@pytest.mark.parametrize("env_id, steps", COMPARED)
def test_step_api_matches_cpu_twin(env_id, steps, specs):
    """Random play through the Python step API on the GPU gives the bytes of the Rust CPU
    twin (wgym::CpuVecEnv) fed the same actions, through episode ends and autoresets."""
    spec = specs[env_id]
    n = 64
    gpu = wgym.make(env_id, n, seed=7, backend="gpu")
    cpu = wgym.make(env_id, n, seed=7, backend="cpu")
    np.testing.assert_array_equal(gpu.reset()[0], cpu.reset()[0])
    rng = np.random.default_rng(7)
    finished = 0
    for _ in range(steps):
        actions = random_actions(spec, n, rng)
        out_gpu, out_cpu = gpu.step(actions), cpu.step(actions)
        for a, b in zip(out_gpu[:4], out_cpu[:4]):
            assert a.tobytes() == b.tobytes()
        for key in ("final_obs", "_final_obs", "success"):
            assert out_gpu[4][key].tobytes() == out_cpu[4][key].tobytes()
        finished += int(out_gpu[4]["_final_obs"].sum())
    if spec.max_steps <= steps:
        assert finished > 0, "no episode ended: autoreset was not exercised"


@pytest.mark.parametrize("env_id", ["BernoulliBandit-misc", "FourRooms-misc"])
def test_rollout_statistics_match_cpu_twin(env_id):
    """The fused rollout's statistics through Python equal the CPU twin's, same seed."""
    n, steps = 256, 300
    gpu = wgym.make(env_id, n, seed=3).rollout(steps)
    cpu = wgym.make(env_id, n, seed=3, backend="cpu").rollout(steps)
    assert gpu.dtype == wgym.STATS_DTYPE and gpu.shape == (n,)
    assert gpu.tobytes() == cpu.tobytes()
    assert gpu["episodes"].sum() > 0


def test_same_seed_same_bytes_and_reset_seed_restarts():
    spec = wgym.envs()["FourRooms-misc"]
    a = wgym.make("FourRooms-misc", 16, seed=5)
    b = wgym.make("FourRooms-misc", 16, seed=9)
    actions = random_actions(spec, 16, np.random.default_rng(1))
    first = a.step(actions)[0]
    b.reset(seed=5)
    np.testing.assert_array_equal(b.step(actions)[0], first)


def test_autoreset_is_same_step():
    """An env that finishes returns the next episode's first obs, the last one in info."""
    env_id = "BernoulliBandit-misc"
    spec = wgym.envs()[env_id]
    n = 32
    envs = wgym.make(env_id, n, seed=2)
    envs.reset()
    rng = np.random.default_rng(2)
    for t in range(spec.max_steps):
        obs, _, terminated, truncated, info = envs.step(random_actions(spec, n, rng))
    done = terminated | truncated
    assert done.all(), "every bandit episode ends at max_steps"
    # Fresh episodes from the same seed's reset stream differ from the ended ones' last obs.
    assert not np.array_equal(obs, info["final_obs"])
    assert envs.metadata["autoreset_mode"] is not None


def test_per_env_params_round_trip():
    env_id = "BernoulliBandit-misc"
    default = wgym.make(env_id, 4).params()
    per_env = np.repeat(default[:1], 4, axis=0)
    envs = wgym.make(env_id, 4, params=per_env)
    assert envs.params().shape == (4, default.shape[1])


@pytest.mark.parametrize("env_id", ["LpgGrid-rand_small", "Manipulation-mt10"])
def test_task_sampling_matches_cpu_twin(env_id):
    """Envs that sample a task per env draw the same tasks on the GPU and the CPU twin, at
    creation and again from a distribution with sample_tasks, shared within groups."""
    n = 8
    gpu = wgym.make(env_id, n, seed=4)
    cpu = wgym.make(env_id, n, seed=4, backend="cpu")
    assert gpu.params().shape[0] == n
    np.testing.assert_array_equal(gpu.params(), cpu.params())
    base = np.frombuffer(wgym._native.default_params(env_id), np.uint8)
    for envs in (gpu, cpu):
        envs.sample_tasks(base, seed=11, task_group=4)
    drawn = gpu.params()
    np.testing.assert_array_equal(drawn, cpu.params())
    np.testing.assert_array_equal(drawn[0], drawn[3])
    assert not np.array_equal(drawn[0], drawn[4]), "groups drew the same task"
    with pytest.raises(ValueError, match="task distribution"):
        gpu.sample_tasks(base[:-4], seed=1)
    with pytest.raises(ValueError, match="task distribution"):
        cpu.sample_tasks(base[:-4], seed=1)
