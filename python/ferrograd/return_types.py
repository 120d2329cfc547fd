"""Named result tuples, as in ``torch.return_types``.

``x.max(dim)`` returns a ``max``: a tuple ``(values, indices)`` whose items are
also reachable as ``.values`` and ``.indices``, and which prints the way
PyTorch prints its structseq results.
"""

import operator


class _NamedResult(tuple):
    """A fixed-length tuple with named fields."""

    __slots__ = ()
    _field_names = ()

    def __new__(cls, sequence):
        items = tuple(sequence)
        if len(items) != len(cls._field_names):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a "
                            f"{len(cls._field_names)}-sequence ({len(items)}-sequence given)")
        return super().__new__(cls, items)

    def __repr__(self):
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._field_names, self))
        return f"torch.return_types.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _named_result(name, fields):
    namespace = {
        "__slots__": (),
        "__module__": __name__,
        "_field_names": fields,
        "n_fields": len(fields),
        "n_sequence_fields": len(fields),
        "n_unnamed_fields": 0,
    }
    for i, field in enumerate(fields):
        namespace[field] = property(operator.itemgetter(i), doc=f"Item {i} of the result.")
    return type(name, (_NamedResult,), namespace)


max = _named_result("max", ("values", "indices"))
min = _named_result("min", ("values", "indices"))
sort = _named_result("sort", ("values", "indices"))
topk = _named_result("topk", ("values", "indices"))
kthvalue = _named_result("kthvalue", ("values", "indices"))
median = _named_result("median", ("values", "indices"))
aminmax = _named_result("aminmax", ("min", "max"))
