"""Grad-mode switches. The mode itself is thread-local state in the Rust core;
these classes are context managers and decorators over it, as in PyTorch."""

import functools

from . import _ferrograd as _C


class _ModeSwitch:
    """Context manager that sets grad mode on enter and restores it on exit;
    used as a decorator, each call runs under a fresh switch."""

    def _mode(self):
        raise NotImplementedError

    def clone(self):
        return self.__class__()

    def __enter__(self):
        self._prev = _C._set_grad_enabled(self._mode())
        return None

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_ModeSwitch):
    """Disable gradient recording in this thread."""

    def _mode(self):
        return False


class enable_grad(_ModeSwitch):
    """Enable gradient recording in this thread (e.g. inside ``no_grad``)."""

    def _mode(self):
        return True


class set_grad_enabled(_ModeSwitch):
    """Sets grad mode on construction, so it also works as a plain call;
    as a context manager it restores the previous mode on exit."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = _C._set_grad_enabled(self.mode)

    def _mode(self):
        return self.mode

    def clone(self):
        return set_grad_enabled(self.mode)

    def __enter__(self):
        return None

    def __call__(self, fn):
        # Construction already switched the mode: undo that for a decorator.
        _C._set_grad_enabled(self._prev)
        return super().__call__(fn)


def is_grad_enabled():
    return _C.is_grad_enabled()


class inference_mode(_ModeSwitch):
    """No graph and no version-counter bumps in this thread; ``mode=False`` is a no-op switch."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def clone(self):
        return inference_mode(self.mode)

    def __enter__(self):
        self._prev = _C._set_inference_mode(True) if self.mode else None
        return None

    def __exit__(self, *exc):
        if self._prev is not None:
            _C._restore_inference_mode(self._prev)
        return False


def is_inference_mode_enabled():
    return _C.is_inference_mode_enabled()
