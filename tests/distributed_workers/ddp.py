"""DistributedDataParallel on every rank against one process training on all
ranks' batches together."""

import copy

import numpy as np

import ferrograd as torch
import ferrograd.nn.functional as F
from common import flat_parameters, gathered, init, raises, same_on_every_rank
from ferrograd.nn.parallel import DistributedDataParallel as DDP

rank, world = init()
BATCH = 6  # per rank


def make_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def batch(step, r):
    rng = np.random.default_rng(1000 * step + r)
    return torch.tensor(rng.standard_normal((BATCH, 5)).astype(np.float32)), torch.tensor(rng.standard_normal((BATCH, 3)).astype(np.float32))


def full_batch(step):
    xs, ys = zip(*(batch(step, r) for r in range(world)))
    return torch.cat(xs), torch.cat(ys)


def check_close(ddp_model, reference):
    for (name, a), b in zip(ddp_model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


# Construction copies rank 0's parameters: the ranks start from different seeds.
for bucket_cap_mb in (None, 0.0002):
    local = make_model(seed=rank)
    reference = make_model(seed=0)
    ddp = DDP(local, bucket_cap_mb=bucket_cap_mb)
    assert ddp.module is local
    assert list(ddp.state_dict()) == ["module." + k for k in local.state_dict()]
    same_on_every_rank(flat_parameters(local))
    np.testing.assert_array_equal(flat_parameters(local), flat_parameters(reference))
    if bucket_cap_mb is None:
        assert len(ddp.reducer.buckets) == 1
    else:
        assert len(ddp.reducer.buckets) >= 3

    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    for step in range(4):
        x, y = batch(step, rank)
        opt.zero_grad()
        F.mse_loss(ddp(x), y).backward()
        opt.step()
        # Equal shares, so the mean loss over the concatenation is the mean of the ranks' means.
        X, Y = full_batch(step)
        ref_opt.zero_grad()
        F.mse_loss(reference(X), Y).backward()
        ref_opt.step()
    same_on_every_rank(flat_parameters(local))
    check_close(local, reference)

# Buffers travel too: at construction, and before every forward, rank 0's
# running statistics replace the others'.
torch.manual_seed(rank)
with_norm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4))
with_norm[1].running_mean.fill_(float(rank + 1))
ddp = DDP(with_norm)
np.testing.assert_array_equal(with_norm[1].running_mean.numpy(), np.ones(4, np.float32))
x, _ = batch(11, rank)
ddp(x).sum().backward()
after_first = gathered(with_norm[1].running_mean.numpy())
assert not np.allclose(after_first[0], after_first[1])  # each rank's own batch statistics
x, _ = batch(12, rank)
with torch.no_grad():
    batch_mean = with_norm[0](x).numpy().mean(0)
ddp(x)
momentum = with_norm[1].momentum
np.testing.assert_allclose(with_norm[1].running_mean.numpy(), (1 - momentum) * after_first[0] + momentum * batch_mean, rtol=1e-5, atol=1e-6)

# Communication overlaps backward: with one bucket per layer, the last layer's
# bucket is already in flight when backward reaches the first layer's input.
local = make_model(seed=0)
ddp = DDP(local, bucket_cap_mb=0.0002)
started_at_first_layer = []
# The gradient of the first layer's output exists before that layer's own
# parameter gradients, i.e. before the last bucket can be complete.


def watch_first_layer_output(module, args, out):
    out.register_hook(lambda g: started_at_first_layer.append(ddp.reducer._started))


local[0].register_forward_hook(watch_first_layer_output)
x, y = batch(0, rank)
F.mse_loss(ddp(x), y).backward()
assert started_at_first_layer and 1 <= started_at_first_layer[0] < len(ddp.reducer.buckets), (started_at_first_layer, len(ddp.reducer.buckets))

# A weight also read outside its own module's forward (tied to an output
# projection) gets its whole gradient, both uses summed, averaged across ranks.
class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(5, 5)
        self.mid = torch.nn.Linear(5, 5)

    def forward(self, x):
        return F.linear(torch.tanh(self.mid(self.embed(x))), self.embed.weight.t()) + self.embed(x)


torch.manual_seed(4)
local = Tied()
reference = copy.deepcopy(local)
ddp = DDP(local, bucket_cap_mb=0.00005)
x, _ = batch(7, rank)
ddp(x).pow(2).mean().backward()
X, _ = full_batch(7)
reference(X).pow(2).mean().backward()
for (name, a), b in zip(local.named_parameters(), reference.parameters()):
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)

# no_sync: two local backward passes, then a synchronised one reduces the sum.
local, reference = make_model(seed=3), make_model(seed=3)
ddp = DDP(local, bucket_cap_mb=0.0002)
for step in range(3):
    x, y = batch(step, rank)
    if step < 2:
        with ddp.no_sync():
            F.mse_loss(ddp(x), y).backward()
        if step == 0:
            # Nothing was exchanged: each rank holds its own batch's gradient.
            grads = gathered(np.concatenate([p.grad.numpy().ravel() for p in local.parameters()]))
            assert not np.allclose(grads[0], grads[1])
    else:
        F.mse_loss(ddp(x), y).backward()
    X, Y = full_batch(step)
    F.mse_loss(reference(X), Y).backward()
for (name, a), b in zip(local.named_parameters(), reference.parameters()):
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
same_on_every_rank(np.concatenate([p.grad.numpy().ravel() for p in local.parameters()]))


# find_unused_parameters: a branch only rank 0 runs still gets rank 0's share
# on both ranks, and a layer no rank runs keeps grad None.
class Branchy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(4, 4)
        self.extra = torch.nn.Linear(4, 4)
        self.never = torch.nn.Linear(4, 4)

    def forward(self, x, use_extra):
        h = self.trunk(x)
        return self.extra(h) if use_extra else h


torch.manual_seed(0)
local = Branchy()
ddp = DDP(local, find_unused_parameters=True, bucket_cap_mb=0.0001)
x = torch.tensor(np.random.default_rng(rank).standard_normal((3, 4)).astype(np.float32))
ddp(x, use_extra=(rank == 0)).sum().backward()
assert local.never.weight.grad is None and local.never.bias.grad is None
mine = copy.deepcopy(local)
for p in mine.parameters():
    p.grad = None
mine(x, use_extra=(rank == 0)).sum().backward()
extra_grads = gathered(mine.extra.weight.grad.numpy() if rank == 0 else np.zeros((4, 4)))
np.testing.assert_allclose(local.extra.weight.grad.numpy(), extra_grads.sum(0) / world, rtol=1e-6)
trunk_grads = gathered(mine.trunk.weight.grad.numpy())
np.testing.assert_allclose(local.trunk.weight.grad.numpy(), trunk_grads.mean(0), rtol=1e-5, atol=1e-6)
same_on_every_rank(local.extra.weight.grad.numpy())

# Without find_unused_parameters an unused parameter leaves the reduction
# unfinished, and the next forward says so, as PyTorch does.
torch.manual_seed(0)
ddp = DDP(Branchy(), bucket_cap_mb=0.0001)
ddp(x, use_extra=False).sum().backward()
raises(RuntimeError, "Expected to have finished reduction in the prior iteration", ddp, x, use_extra=False)

raises(RuntimeError, "doesn't have any parameter that requires a gradient", DDP, torch.nn.Tanh())
print(f"rank {rank}: ddp ok", flush=True)
