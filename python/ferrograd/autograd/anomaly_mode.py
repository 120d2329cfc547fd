"""Anomaly detection: with it on, a backward formula that returns NaN raises
a RuntimeError naming the backward function (and so the forward op)."""

import functools

from .. import _ferrograd as _C

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


def is_anomaly_enabled():
    return _C.is_anomaly_enabled()


class detect_anomaly:
    """Context manager and decorator that enables anomaly detection."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _C._set_anomaly_enabled(self.check_nan)

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Sets anomaly detection on construction (so it works as a plain call);
    as a context manager, restores the previous setting on exit."""

    def __init__(self, mode, check_nan=True):
        self._prev = _C._set_anomaly_enabled(bool(mode) and check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self._prev)
        return False
