"""A small training script written with full annotations.

`make test` checks it with `mypy --strict` against the installed wheel, so
the package's stubs and annotations stay usable by typed code that trains a
model the PyTorch way. It also runs, so the types describe working code.
"""

from __future__ import annotations

from typing import List, Tuple

import ferrograd
from ferrograd import Tensor, nn, optim
from ferrograd.nn import functional as F


class MLP(nn.Module):
    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.act = nn.ReLU()
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:
        # Calling a module returns Any, as in PyTorch: annotate the result.
        y: Tensor = self.out(self.act(self.hidden(x)))
        return y


def make_data(n: int, n_in: int) -> Tuple[Tensor, Tensor]:
    ferrograd.manual_seed(0)
    x = ferrograd.randn(n, n_in)
    labels = (x.sum(dim=1) > 0).long()
    return x, labels


def train(steps: int) -> List[float]:
    x, labels = make_data(64, 4)
    model = MLP(4, 16, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    losses: List[float] = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model: nn.Module, x: Tensor, labels: Tensor) -> float:
    with ferrograd.no_grad():
        predicted = model(x).argmax(dim=1)
    return float((predicted == labels).float().mean().item())


def fit_line() -> Tuple[float, float]:
    ferrograd.manual_seed(1)
    x = ferrograd.rand(100, 1)
    y = 1.0 + 2.0 * x
    layer = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(layer.parameters(), lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        loss: Tensor = loss_fn(layer(x), y)
        loss.backward()
        optimizer.step()
    return layer.bias.item(), layer.weight.item()


def main() -> None:
    losses = train(30)
    assert losses[-1] < losses[0], losses
    bias, weight = fit_line()
    assert abs(bias - 1.0) < 0.1 and abs(weight - 2.0) < 0.1, (bias, weight)
    x, labels = make_data(64, 4)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; line b={bias:.3f} w={weight:.3f}; "
          f"untrained accuracy {accuracy(MLP(4, 16, 2), x, labels):.2f}")


if __name__ == "__main__":
    main()
