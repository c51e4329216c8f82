"""Every bad input is a Python exception that says what was wrong."""

import os
import subprocess
import sys

import numpy as np
import pytest

import wgym


def test_unknown_id_lists_known_ones():
    with pytest.raises(KeyError, match="FourRooms-misc"):
        wgym.make("NoSuchEnv-v0", 4)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"num_envs": 0}, ValueError),
        ({"num_envs": -1}, ValueError),
        ({"num_envs": 2.5}, TypeError),
        ({"num_envs": 4, "seed": -1}, ValueError),
        ({"num_envs": 4, "seed": 2**32}, ValueError),
        ({"num_envs": 4, "params": b"\x00" * 3}, ValueError),
        ({"num_envs": 4, "params": b""}, ValueError),
        ({"num_envs": 4, "backend": "tpu"}, ValueError),
    ],
)
def test_bad_make_arguments(kwargs, error):
    with pytest.raises(error):
        wgym.make("FourRooms-misc", **kwargs)


@pytest.fixture(scope="module")
def discrete():
    return wgym.make("FourRooms-misc", 4)


@pytest.fixture(scope="module")
def continuous():
    return wgym.make("Manipulation-reach", 4)


@pytest.mark.parametrize(
    "actions, match",
    [
        (np.zeros(3, np.int64), "shape"),
        (np.zeros((4, 1), np.int64), "shape"),
        (np.zeros(4, np.float32), "dtype"),
        (np.array([0, 1, 2, 4]), "not in 0..4"),
        (np.array([0, -1, 2, 3]), "not in 0..4"),
    ],
)
def test_bad_discrete_actions(discrete, actions, match):
    with pytest.raises(ValueError, match=match):
        discrete.step(actions)


@pytest.mark.parametrize(
    "actions, match",
    [
        (np.zeros((4, 3), np.float32), "shape"),
        (np.zeros(4, np.float32), "shape"),
        (np.zeros((4, 4), np.int32), "dtype"),
        (np.full((4, 4), np.nan, np.float32), "not finite"),
        (np.full((4, 4), np.inf), "not finite"),
    ],
)
def test_bad_continuous_actions(continuous, actions, match):
    with pytest.raises(ValueError, match=match):
        continuous.step(actions)


def test_bad_rollout_and_reset_arguments(discrete):
    with pytest.raises(ValueError, match="policy"):
        discrete.rollout(10, policy="greedy")
    with pytest.raises(ValueError):
        discrete.rollout(-1)
    with pytest.raises(ValueError):
        discrete.reset(seed=-5)
    with pytest.raises(ValueError, match="options"):
        discrete.reset(options={"x": 1})


def test_batch_over_a_device_limit_is_a_value_error():
    with pytest.raises(ValueError, match="device limit"):
        wgym.make("FourRooms-misc", 2**31)


def test_missing_adapter_is_a_runtime_error():
    """In a fresh interpreter (the device is opened once per process)."""
    code = (
        "import wgym\n"
        "try:\n"
        "    wgym.make('FourRooms-misc', 4)\n"
        "except RuntimeError as e:\n"
        "    print('RuntimeError', e)\n"
    )
    env = dict(os.environ, WGYM_ADAPTER="no-such-adapter")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("RuntimeError") and "no-such-adapter" in out.stdout
