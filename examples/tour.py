"""A tour of five introductory autograd tutorials, run on ferrograd.

1. Maxim Lapan, "Gradients in PyTorch" (from Deep Reinforcement Learning
   Hands-On): leaves, requires_grad, grad.
2. "PyTorch Gradients" course notes: back-propagation on one and on
   multiple steps.
3. "How to Calculate Gradients In PyTorch?"
4. Daniel Voigt Godoy, "Automatic Differentiation in PyTorch": a linear
   regression trained by hand, and the dynamic computation graph.
5. Deep Learning Wizard, "Gradients with PyTorch".

Every example is run in order and each value the tutorial shows (at a
``>>>`` prompt, in a notebook cell or with ``print``) is printed, as modern
PyTorch prints it. This file runs unchanged with ``import torch`` in place
of ``import ferrograd as torch``, and the two outputs are meant to be
identical.

    python examples/tour.py
"""

import numpy as np

import ferrograd as torch


def section(title):
    print()
    print("=" * 72)
    print(title)
    print("=" * 72)


def step(title):
    print()
    print("--", title)


def show_graph(fn, depth=0):
    """Print an autograd graph from ``fn`` down to its leaves.

    The graph-picture API (make_dot) is not built yet, so this walks
    ``grad_fn.next_functions`` and prints one node per line, indented by
    depth. Leaves that require grad appear as AccumulateGrad; inputs that do
    not take part in the gradient (None) are skipped, as make_dot does.
    """
    print("  " * depth + type(fn).__name__)
    for child, _ in fn.next_functions:
        if child is not None:
            show_graph(child, depth + 1)


# ---------------------------------------------------------------------------
section("1. Gradients in PyTorch: leaves, requires_grad and grad")

step("two tensors, only the first requires grad")
v1 = torch.tensor([1.0, 1.0], requires_grad=True)
v2 = torch.tensor([2.0, 2.0])

step("v_res = ((v1 + v2) * 2).sum()")
v_sum = v1 + v2
v_res = (v_sum * 2).sum()
print(v_res)

step("leaves and requires_grad")
print((v1.is_leaf, v2.is_leaf))
print((v_sum.is_leaf, v_res.is_leaf))
print(v1.requires_grad)
print(v2.requires_grad)
print(v_sum.requires_grad)
print(v_res.requires_grad)

step("v_res.backward()")
v_res.backward()
print(v1.grad)
print(v2.grad)


# ---------------------------------------------------------------------------
section("2. PyTorch Gradients: back-propagation on one and on multiple steps")

step("y = 2*x**4 + x**3 + 3*x**2 + 5*x + 1 at x = 2")
x = torch.tensor(2.0, requires_grad=True)
y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
print(y)

step("y.backward(); x.grad")
y.backward()
print(x.grad)

step("x: a 2x3 tensor")
x = torch.tensor([[1.0, 2, 3], [3, 2, 1]], requires_grad=True)
print(x)

step("y = 3*x + 2")
y = 3 * x + 2
print(y)

step("z = 2*y**2")
z = 2 * y**2
print(z)

step("out = z.mean()")
out = z.mean()
print(out)

step("out.backward(); x.grad")
out.backward()
print(x.grad)

step("turn off tracking: no_grad, detach, requires_grad_(False)")
with torch.no_grad():
    print((x * 2).requires_grad)
print(x.detach().requires_grad)
x.requires_grad_(False)
print(x.requires_grad)


# ---------------------------------------------------------------------------
section("3. How to calculate gradients in PyTorch")

step("y = x**2 + 3*x + 1 at x = [2.]")
x = torch.tensor([2.0], requires_grad=True)
y = x**2 + 3 * x + 1
y.backward()
print("Gradient of x:", x.grad)

step("z = (2*x + 1).mean()")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = 2 * x + 1
z = y.mean()

step("x.grad.zero_() before any backward: x.grad is still None")
try:
    x.grad.zero_()
except AttributeError as e:
    print("AttributeError:", e)

step("z.backward(); x.grad")
z.backward()
print(x.grad)


# ---------------------------------------------------------------------------
section("4. Automatic differentiation in PyTorch: linear regression")

step("data: y = 1 + 2x + noise, 80 training points")
np.random.seed(42)
x = np.random.rand(100, 1)
y = 1 + 2 * x + 0.1 * np.random.randn(100, 1)
idx = np.arange(100)
np.random.shuffle(idx)
train_idx = idx[:80]
x_train, y_train = x[train_idx], y[train_idx]

device = "cuda" if torch.cuda.is_available() else "cpu"
x_train_tensor = torch.from_numpy(x_train).float().to(device)
y_train_tensor = torch.from_numpy(y_train).float().to(device)

step("requires_grad: parameters b and w")
# Step 0 - Initializes parameters "b" and "w" randomly
torch.manual_seed(42)
b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)

step("backward: b.grad, w.grad")
# Step 1 - Computes our model's predicted output - forward pass
yhat = b + w * x_train_tensor
# Step 2 - Computes the loss (mean squared error over all points)
error = y_train_tensor - yhat
loss = (error**2).mean()
# Step 3 - Computes gradients for both "b" and "w" parameters
loss.backward()
print((b.grad, w.grad))

step("zero_: b.grad.zero_(), w.grad.zero_()")
print((b.grad.zero_(), w.grad.zero_()))

step("updating parameters outside no_grad")
lr = 0.1
try:
    # Attempt at Step 4
    b -= lr * b.grad
    w -= lr * w.grad
except RuntimeError as e:
    print("RuntimeError:", e)

step("no_grad: the same update, for real")
with torch.no_grad():
    b -= lr * b.grad
    w -= lr * w.grad

step("training loop: 200 epochs, then b and w")
# Step 0 - Initializes parameters "b" and "w" randomly
torch.manual_seed(42)
b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
lr = 0.1
for epoch in range(200):
    # Step 1 - Computes our model's predicted output - forward pass
    yhat = b + w * x_train_tensor
    # Step 2 - Computes the loss
    error = y_train_tensor - yhat
    loss = (error**2).mean()
    # Step 3 - Computes gradients for both "b" and "w" parameters
    loss.backward()
    # Step 4, for real
    with torch.no_grad():
        b -= lr * b.grad
        w -= lr * w.grad
    # zero the gradients after updating the parameters
    b.grad.zero_(), w.grad.zero_()
print(b, w)

step("dynamic computation graph of yhat = b + w * x_train_tensor")
show_graph(yhat.grad_fn)

step("b without gradients: no gradients, no graph")
# New Step 0
b_nograd = torch.randn(1, requires_grad=False, dtype=torch.float, device=device)
w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
# New Step 1
yhat = b_nograd + w * x_train_tensor
show_graph(yhat.grad_fn)

step("control flow in the graph")
b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
yhat = b + w * x_train_tensor
error = y_train_tensor - yhat
loss = (error**2).mean()
# this makes no sense!!
if loss > 0:
    yhat2 = w * x_train_tensor
    error2 = y_train_tensor - yhat2
# neither does this :-)
loss += error2.mean()
show_graph(loss.grad_fn)


# ---------------------------------------------------------------------------
section("5. Gradients with PyTorch: tensors with gradients")

step("method 1: create a tensor with gradients")
a = torch.ones((2, 2), requires_grad=True)
print(a)
print(a.requires_grad)

step("method 2: requires_grad_() on an existing tensor")
# Normal way of creating gradients
a = torch.ones((2, 2))
# Requires gradient
a.requires_grad_()
# Check if requires gradient
print(a.requires_grad)

step("a tensor without gradients, for comparison")
no_gradient = torch.ones(2, 2)
print(no_gradient.requires_grad)

step("addition")
b = torch.ones((2, 2), requires_grad=True)
print(a + b)
print(torch.add(a, b))

step("multiplication")
print(a * b)
print(torch.mul(a, b))

step("x = torch.ones(2, requires_grad=True)")
x = torch.ones(2, requires_grad=True)
print(x)

step("y = 5 * (x + 1) ** 2")
y = 5 * (x + 1) ** 2
print(y)

step("o = (1/2) * torch.sum(y)")
o = (1 / 2) * torch.sum(y)
print(o)

step("o.backward(); x.grad")
o.backward()
print(x.grad)

step("everything computed from x requires grad")
print(x.requires_grad)
print(y.requires_grad)
print(o.requires_grad)
