"""The linear regression of Godoy's "Automatic Differentiation in PyTorch",
written with ``nn.Linear``, ``nn.MSELoss`` and ``optim.SGD``.

Same data and learning rate as the tutorial (100 points of y = 1 + 2x + noise,
an 80/20 split, lr 0.1, 1000 epochs of full-batch gradient descent); the
fitted bias and weight come out near b = 1 and w = 2.

    python examples/linear_regression.py          # ferrograd
    python examples/linear_regression.py --torch  # the same script on PyTorch
"""

import sys

import numpy as np

if "--torch" in sys.argv:
    import torch
else:
    import ferrograd as torch
nn, optim = torch.nn, torch.optim

np.random.seed(42)
x = np.random.rand(100, 1)
y = 1 + 2 * x + 0.1 * np.random.randn(100, 1)

idx = np.arange(100)
np.random.shuffle(idx)
train_idx = idx[:80]
x_train = torch.from_numpy(x[train_idx]).float()
y_train = torch.from_numpy(y[train_idx]).float()

torch.manual_seed(42)
model = nn.Linear(1, 1)
loss_fn = nn.MSELoss(reduction="mean")
optimizer = optim.SGD(model.parameters(), lr=0.1)

for epoch in range(1000):
    model.train()
    loss = loss_fn(model(x_train), y_train)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()

print(model)
print(model.state_dict())
b, w = model.bias.item(), model.weight.item()
print(f"b = {b:.4f}, w = {w:.4f}  (data drawn from b = 1, w = 2)")
