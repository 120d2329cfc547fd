# Tensor arithmetic, following the steps of the PyTorch tutorials
#   https://github.com/pytorch/tutorials/blob/main/beginner_source/basics/tensorqs_tutorial.py
#   https://github.com/pytorch/tutorials/blob/main/beginner_source/blitz/tensor_tutorial.py
# A seed is set so that the random tensors print the same under both libraries.
import os

if os.environ.get("CORPUS_LIBRARY") == "ferrograd":
    import ferrograd as torch
else:
    import torch

torch.manual_seed(0)
tensor = torch.ones(4, 4)
tensor[:, 1] = 0

# Arithmetic: three spellings of a matrix product, three of an elementwise product
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y1, y2, y3, sep="\n")

z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z1, z2, z3, sep="\n")
