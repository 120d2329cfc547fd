"""Train an MLP and a small CNN on scikit-learn's 8x8 handwritten digits.

The training code is written once against PyTorch's API and run on
ferrograd and then, where PyTorch is installed, on PyTorch itself, so the
two libraries' accuracies and times per epoch can be read side by side.
The digits ship inside scikit-learn: nothing is downloaded.

    python examples/train_digits.py [--epochs N] [--no-torch] [--out DIR]

Writes ``DIR/digits_cnn.pt`` and ``DIR/digits_mlp.pt`` (state dicts in
PyTorch's checkpoint format: ``torch.load`` reads them) and
``DIR/digits_training.png`` (loss and test accuracy per epoch).
"""

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits
from tqdm import tqdm

import ferrograd

BATCH_SIZE = 32
LEARNING_RATE = 0.01
SPLIT_SEED = 0
MODEL_SEED = 0


def load_split():
    """Pixels scaled to [0, 1] as (N, 1, 8, 8) float32, labels as int64; 80/20 split."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(SPLIT_SEED).permutation(len(labels))
    n_train = int(0.8 * len(labels))
    train, test = order[:n_train], order[n_train:]
    return (images[train], labels[train]), (images[test], labels[test])


def build_mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def accuracy(lib, model, images, labels):
    model.eval()
    with lib.no_grad():
        predicted = model(images).argmax(dim=1)
    return (predicted == labels).float().mean().item()


def train(lib, build, data, epochs, label):
    """Trains a fresh model; returns it with per-epoch loss, accuracy and seconds."""
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = lib.from_numpy(x_train), lib.from_numpy(y_train)
    x_test, y_test = lib.from_numpy(x_test), lib.from_numpy(y_test)

    lib.manual_seed(MODEL_SEED)
    model = build(lib)
    loader = lib.utils.data.DataLoader(
        lib.utils.data.TensorDataset(x_train, y_train),
        batch_size=BATCH_SIZE,
        shuffle=True,
        generator=lib.Generator().manual_seed(MODEL_SEED),
    )
    optimizer = lib.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = lib.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LEARNING_RATE, epochs=epochs, steps_per_epoch=len(loader))
    loss_fn = lib.nn.CrossEntropyLoss()

    history = {"loss": [], "accuracy": [], "seconds": []}
    for epoch in range(epochs):
        model.train()
        started = time.perf_counter()
        total, seen = 0.0, 0
        bar = tqdm(loader, desc=f"{label} epoch {epoch + 1:2d}/{epochs}", leave=False, unit="batch")
        for images, labels in bar:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(labels)
            seen += len(labels)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        history["seconds"].append(time.perf_counter() - started)
        history["loss"].append(total / seen)
        history["accuracy"].append(accuracy(lib, model, x_test, y_test))
        tqdm.write(f"{label} epoch {epoch + 1:2d}: loss {history['loss'][-1]:.4f}, "
                   f"test accuracy {history['accuracy'][-1]:.2%}, {history['seconds'][-1] * 1e3:.0f} ms")
    return model, history


def seconds_per_epoch(history):
    # The first epoch pays for warm-up (allocations, thread pools); the median
    # of the rest is the steady-state cost.
    steady = history["seconds"][1:] or history["seconds"]
    return statistics.median(steady)


def plot(histories, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for name, history in histories.items():
        epochs = range(1, len(history["loss"]) + 1)
        loss_ax.plot(epochs, history["loss"], marker="o", label=name)
        acc_ax.plot(epochs, [100 * a for a in history["accuracy"]], marker="o", label=name)
    loss_ax.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    acc_ax.set(title="test accuracy", xlabel="epoch", ylabel="%")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    data = load_split()
    print(f"digits: {len(data[0][1])} training and {len(data[1][1])} test images of 8x8 pixels")

    libraries = {"ferrograd": ferrograd}
    if not args.no_torch:
        try:
            import torch

            libraries["PyTorch"] = torch
        except ImportError:
            print("PyTorch is not installed: showing ferrograd only")

    models = {"MLP": build_mlp, "CNN": build_cnn}
    results, ferrograd_histories = {}, {}
    for lib_name, lib in libraries.items():
        for model_name, build in models.items():
            model, history = train(lib, build, data, args.epochs, f"{lib_name} {model_name}")
            results[lib_name, model_name] = history
            if lib is ferrograd:
                ferrograd_histories[model_name] = history
                path = os.path.join(args.out, f"digits_{model_name.lower()}.pt")
                ferrograd.save(model.state_dict(), path)
                print(f"saved {path}")

    print()
    print(f"{'model':6} {'library':10} {'test accuracy':>14} {'ms per epoch':>13}")
    for model_name in models:
        for lib_name in libraries:
            history = results[lib_name, model_name]
            print(f"{model_name:6} {lib_name:10} {history['accuracy'][-1]:>14.2%} "
                  f"{seconds_per_epoch(history) * 1e3:>13.1f}")
        if "PyTorch" in libraries:
            ratio = seconds_per_epoch(results["ferrograd", model_name]) / seconds_per_epoch(results["PyTorch", model_name])
            print(f"{model_name:6} ferrograd time / PyTorch time: {ratio:.2f}x")

    picture = os.path.join(args.out, "digits_training.png")
    plot({f"ferrograd {name}": h for name, h in ferrograd_histories.items()}, picture)
    print(f"saved {picture}")


if __name__ == "__main__":
    main()
