"""`import ferrograd` loads only what tensors and autograd need: optional
heavy packages and the layer, optimizer and data-loading submodules wait for
first use (which the second test checks still works as if eagerly bound)."""

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
