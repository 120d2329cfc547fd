"""Data-parallel training of the digits MLP over MPI ranks.

Every rank holds a replica of the model and trains on its DistributedSampler
share of each epoch; DistributedDataParallel averages the gradients during
backward, so the replicas stay identical. Run it under an MPI launcher:

    mpirun -np 2 python -m mpi4py examples/ddp_digits.py [--epochs N]

(``-m mpi4py`` makes an exception on one rank end the whole job.) Rank 0
prints the loss averaged over all ranks and the test accuracy; at the end every
rank checks that its parameters equal rank 0's bit for bit.
"""

import argparse
import os
import sys


import ferrograd as torch
import ferrograd.distributed as dist
from ferrograd.nn.parallel import DistributedDataParallel as DDP
from ferrograd.utils.data import DataLoader, DistributedSampler, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import BATCH_SIZE, LEARNING_RATE, MODEL_SEED, accuracy, build_mlp, load_split  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    (x_train, y_train), (x_test, y_test) = load_split()
    dataset = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    # Each rank's batches are BATCH_SIZE / world, so a step sees BATCH_SIZE
    # samples in all, as train_digits.py's single process does.
    sampler = DistributedSampler(dataset, seed=MODEL_SEED)
    loader = DataLoader(dataset, batch_size=max(1, BATCH_SIZE // world), sampler=sampler)

    # Different seeds on purpose: DDP starts every rank from rank 0's parameters.
    torch.manual_seed(MODEL_SEED + rank)
    model = DDP(build_mlp(torch))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        totals = torch.zeros(2, dtype=torch.float64)  # summed loss, samples
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            totals += torch.tensor([loss.item() * len(labels), len(labels)], dtype=torch.float64)
        dist.all_reduce(totals)
        test_accuracy = accuracy(torch, model.module, torch.from_numpy(x_test), torch.from_numpy(y_test))
        if rank == 0:
            print(f"epoch {epoch + 1:2d}: loss {totals[0].item() / totals[1].item():.4f}, "
                  f"test accuracy {test_accuracy:.2%} ({world} ranks)", flush=True)

    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    if not torch.equal(flat, reference):
        raise RuntimeError(f"rank {rank}: parameters differ from rank 0's by up to {(flat - reference).abs().max().item()}")
    print(f"rank {rank}: parameters identical to rank 0's", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
