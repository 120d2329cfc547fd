"""``torch.distributed.ReduceOp``: how a collective combines the ranks' values."""

import enum

__all__ = ["ReduceOp"]


class RedOpType(enum.Enum):
    # PyTorch's numbering, so ``int(op.value)`` means the same thing in both.
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"


class ReduceOp:
    """Namespace of reduction operations; its attributes are ``RedOpType`` members,
    as in PyTorch (``dist.ReduceOp.SUM`` is ``<RedOpType.SUM: 0>``)."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED
