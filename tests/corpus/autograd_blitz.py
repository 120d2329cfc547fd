# A gentle introduction to torch.autograd, following the steps of the PyTorch tutorial
#   https://github.com/pytorch/tutorials/blob/main/beginner_source/blitz/autograd_tutorial.py
# The pretrained torchvision model of the tutorial is replaced by a small network.
import os

if os.environ.get("CORPUS_LIBRARY") == "ferrograd":
    import ferrograd as torch
else:
    import torch
nn = torch.nn
optim = torch.optim

torch.manual_seed(0)

# One training step on a small model
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
data = torch.rand(2, 8)
labels = torch.rand(2, 4)
prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optimizer.step()
print(model(data))

# Differentiation in autograd: Q = 3a^3 - b^2
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - b**2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)
print(a.grad, b.grad)

# Exclusion from the DAG
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

# Freezing all parameters but a new classifier head
for param in model.parameters():
    param.requires_grad = False
model[2] = nn.Linear(16, 10)
print([p.requires_grad for p in model.parameters()])
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
model(data).sum().backward()
print(model[0].weight.grad, model[2].bias.grad)
