"""`import ferrograd` loads only what tensors and autograd need: optional
heavy packages and the layer, optimizer and data-loading submodules wait for
first use (which the second test checks still works as if eagerly bound),
and the import stays small in memory."""

import os

import pytest
from child_process import run_child

HEAVY_OPTIONAL = ["graphviz", "matplotlib", "scipy", "sklearn", "pandas", "tqdm", "torch", "safetensors", "PIL"]
DEFERRED = ["ferrograd.nn", "ferrograd.optim", "ferrograd.serialization", "ferrograd.utils.data",
            "ferrograd.utils.graph_pictures", "zipfile"]


def test_import_leaves_heavy_and_optional_modules_unloaded():
    loaded = run_child(f"""
        import json, sys
        import ferrograd
        print(json.dumps([m for m in {HEAVY_OPTIONAL + DEFERRED!r} if m in sys.modules]))
    """)
    assert loaded == []


def test_deferred_names_load_on_first_use():
    names = run_child("""
        import json
        import ferrograd as torch
        from ferrograd import save, load
        import ferrograd.utils.data
        layer = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(layer.parameters(), lr=0.1)
        print(json.dumps([type(layer).__name__, type(opt).__name__, save.__module__, callable(load),
                          torch.utils.data.DataLoader.__name__, torch.utils.make_dot.__name__,
                          "nn" in dir(torch), hasattr(torch, "no_such_name")]))
    """)
    assert names == ["Linear", "SGD", "ferrograd.serialization", True, "DataLoader", "make_dot",
                     True, False]



@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's /proc/self/status")
def test_import_resident_memory_stays_small():
    """Peak resident memory of a fresh interpreter that imports ferrograd
    (numpy with it): mostly numpy and the pages of the extension that the
    import touches. Memory, unlike time, does not swing with machine load.
    VmHWM is the peak of this process image alone (getrusage's ru_maxrss
    would carry over the forking pytest process's peak)."""
    peak_mb = run_child("""
        import json
        import ferrograd
        with open("/proc/self/status") as status:
            kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        print(json.dumps(kib / 1024))
    """)
    assert 5 < peak_mb <= 40, f"import ferrograd peaks at {peak_mb:.1f} MB resident"
