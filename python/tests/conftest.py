import numpy as np
import pytest

import wgym


@pytest.fixture(scope="session")
def specs():
    return wgym.envs()


def random_actions(spec, num_envs, rng):
    """Uniform random actions of the right dtype and shape for ``spec``."""
    if spec.action_dim:
        return rng.uniform(-1.0, 1.0, size=(num_envs, spec.action_dim)).astype(np.float32)
    return rng.integers(0, spec.num_actions, size=num_envs)
