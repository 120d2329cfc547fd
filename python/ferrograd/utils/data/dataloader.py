"""DataLoader: batches from a dataset, in the order its sampler gives.

Loading always happens in the calling process.  ``num_workers > 0`` is
accepted so PyTorch scripts run unchanged, but it warns and loads in-process:
``worker_init_fn`` is not called and :func:`get_worker_info` returns None.
The sample order does not depend on ``num_workers``, in PyTorch either.
"""

import warnings

from . import _random
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]


def get_worker_info():
    """Always None: there are no worker processes."""
    return None


class _InfiniteConstantSampler:
    """Stands in for a sampler with iterable datasets, which choose their own order."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate a dataset in batches, as ``torch.utils.data.DataLoader``.

    Arguments and their conflicts are PyTorch's.  ``num_workers > 0`` loads in
    the main process after a warning (see the module docstring); ``pin_memory``
    warns and has no effect, as in PyTorch without an accelerator.
    """

    _FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
    ):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            _check_iterable_dataset_options(shuffle, sampler, batch_sampler)
        else:
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )

        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._FROZEN_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers > 0:
            warnings.warn(
                f"ferrograd's DataLoader has no worker processes; num_workers={self.num_workers} "
                "loads in the main process",
                stacklevel=2,
            )
        if self.pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, "
                "then device pinned memory won't be used.",
                stacklevel=2,
            )
        return _SingleProcessIterator(self)

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)  # TypeError when the dataset has no length, as in PyTorch
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing."
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_dataset_options(shuffle, sampler, batch_sampler):
    if shuffle not in {False, None}:
        raise ValueError(
            f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
        )
    if sampler is not None:
        raise ValueError(
            f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
        )
    if batch_sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified "
            f"batch_sampler option, but got batch_sampler={batch_sampler}"
        )


class _SingleProcessIterator:
    """One pass over a DataLoader."""

    def __init__(self, loader):
        self._loader = loader
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(loader._index_sampler)
        # PyTorch draws a seed for worker processes on every pass, even without
        # workers; drawing it too keeps the random stream in step with PyTorch.
        self._base_seed = _random.draw_int64_seed(loader.generator)
        if loader._is_iterable:
            self._dataset_iter = iter(loader.dataset)
            self._fetch = self._fetch_iterable
        else:
            self._fetch = self._fetch_map
        self._ended = False

    def __iter__(self):
        return self

    def __next__(self):
        index = next(self._sampler_iter)  # StopIteration ends the pass
        return self._fetch(index)

    def _fetch_map(self, index):
        dataset = self._loader.dataset
        if not self._auto_collation:
            return self._collate_fn(dataset[index])
        getitems = getattr(dataset, "__getitems__", None)
        samples = getitems(index) if callable(getitems) else [dataset[i] for i in index]
        return self._collate_fn(samples)

    def _fetch_iterable(self, batch_indices):
        if self._ended:
            raise StopIteration
        if not self._auto_collation:
            return self._collate_fn(next(self._dataset_iter))
        samples = []
        for _ in batch_indices:
            try:
                samples.append(next(self._dataset_iter))
            except StopIteration:
                self._ended = True
                break
        if not samples or (self._ended and self._loader.drop_last):
            raise StopIteration
        return self._collate_fn(samples)
