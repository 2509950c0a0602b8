"""The counter-based uniform stream the model's peer kernel draws from."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model.counter_rng import CounterUniforms, uniform


def test_the_kth_double_is_splitmix64_of_the_counter():
    key = 0xDEADBEEF12345678
    got = CounterUniforms(key).random(1000)
    expected = np.array([uniform(key, k) for k in range(1000)])
    np.testing.assert_array_equal(got, expected)


def test_blocks_continue_the_stream_like_one_call():
    whole = CounterUniforms(42).random((500, 2))
    cut = CounterUniforms(42)
    parts = [cut.random(7), cut.random((3, 2)).reshape(-1), cut.random(1), cut.random(986)]
    np.testing.assert_array_equal(np.concatenate(parts), whole.reshape(-1))
    assert cut.used == 1000
    out = np.empty((4, 2))
    assert cut.random(out=out) is out and cut.used == 1008
    assert cut.random() == uniform(42, 1008)


def test_out_must_be_contiguous_doubles():
    s = CounterUniforms(1)
    with pytest.raises(ValueError, match="C-contiguous float64"):
        s.random(out=np.empty((4, 2))[:, 0])
    with pytest.raises(ValueError, match="C-contiguous float64"):
        s.random(out=np.empty(4, dtype=np.float32))
    assert s.used == 0


def test_the_doubles_look_uniform_and_independent():
    u = CounterUniforms.from_generator(np.random.default_rng(3)).random(200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # Consecutive doubles (a focal person and their partner) are uncorrelated.
    assert abs(np.corrcoef(u[0::2], u[1::2])[0, 1]) < 0.01
    # Streams with different keys (two seeds) are uncorrelated too.
    v = CounterUniforms.from_generator(np.random.default_rng(4)).random(200_000)
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01


def test_the_key_comes_from_one_draw_of_the_generator():
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    s = CounterUniforms.from_generator(a)
    assert s.key == b.integers(0, 2**64, dtype=np.uint64)
    assert a.bit_generator.state == b.bit_generator.state
