# In-place tensor operations, following the steps of the PyTorch tutorials
#   https://github.com/pytorch/tutorials/blob/main/beginner_source/basics/tensorqs_tutorial.py
#   https://github.com/pytorch/tutorials/blob/main/beginner_source/blitz/tensor_tutorial.py
import os

if os.environ.get("CORPUS_LIBRARY") == "ferrograd":
    import ferrograd as torch
else:
    import torch

tensor = torch.ones(4, 4)
tensor[:, 1] = 0

# In-place operations
print(tensor, "\n")
tensor.add_(5)
print(tensor)
tensor.t_()
print(tensor.shape)
tensor.copy_(torch.zeros(4, 4))
print(tensor)
