"""Training from Python: the run learns, bad config keys are errors, and Ctrl-C leaves a
checkpoint that resumes to the end."""

import threading
import _thread

import numpy as np
import pytest

import wgym

# tests/learning.rs's bandit setting: arms pay with probability 0.9 and 0.1, 100 steps per
# episode, so random play returns 50 and a policy that stays on the paying arm ~90.
BANDIT = {"envs": 64, "steps": 100, "updates": 25, "lr": 1e-2, "network": {"hidden": [16, 16]}}


def test_training_on_a_bandit_learns(tmp_path):
    result = wgym.train("BernoulliBandit-misc", config=BANDIT, out=tmp_path / "run")
    log = result.log
    assert set(log) == set(wgym.LOG_COLUMNS)
    assert log["update"][-1] == BANDIT["updates"]
    assert log["mean_return"].dtype == np.float32
    late = log["mean_return"][-3:].mean()
    assert late > 70, f"mean return {late} over the last logs (random play: 50)"
    assert (tmp_path / "run" / "checkpoint.bin").exists()


def test_bad_config_keys_and_reused_out(tmp_path):
    with pytest.raises(ValueError, match="no_such_key"):
        wgym.train("BernoulliBandit-misc", config={"no_such_key": 1}, out=tmp_path / "a")
    with pytest.raises(KeyError, match="FourRooms-misc"):
        wgym.train("NoSuchEnv-v0", out=tmp_path / "b")
    small = dict(BANDIT, updates=1)
    wgym.train("BernoulliBandit-misc", config=small, out=tmp_path / "c")
    with pytest.raises(ValueError, match="checkpoint"):
        wgym.train("BernoulliBandit-misc", config=small, out=tmp_path / "c")


def test_keyboard_interrupt_leaves_a_resumable_checkpoint(tmp_path):
    out = tmp_path / "run"
    config = dict(BANDIT, updates=40)
    # Ctrl-C as the interpreter sees it, once training is under way.
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt, match="resume=True"):
        wgym.train("BernoulliBandit-misc", config=config, out=out)
    timer.cancel()
    assert (out / "checkpoint.bin").exists()
    resumed = wgym.train("BernoulliBandit-misc", out=out, resume=True)
    assert resumed.log["update"][-1] == config["updates"]
    # Resuming continues the logged history rather than starting over.
    assert np.all(np.diff(resumed.log["update"]) > 0)
