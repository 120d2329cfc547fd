"""``Work``: the handle an ``async_op=True`` collective returns."""

__all__ = ["Work"]


class Work:
    """A collective in flight. ``wait`` blocks until this rank's part is done and
    then runs what must follow it (AVG's division, copying gathered values out)."""

    def __init__(self, request, finish=None, keep_alive=()):
        self._request = request
        self._finish = finish
        # The arrays MPI reads or writes must outlive the request.
        self._keep_alive = keep_alive
        self._done = False

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()
            self._keep_alive = ()

    def wait(self, timeout=None):
        self._request.Wait()
        self._complete()
        return True

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        return None

    def synchronize(self):
        self.wait()
