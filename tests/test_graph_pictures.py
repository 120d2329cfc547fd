"""Graph pictures: PyTorchViz's make_dot for the tutorial's three graphs."""

import re

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.utils import DotGraph, make_dot, to_dot


def tutorial_graphs(T):
    """The linear-regression tutorial's three pictures, built with library T."""
    rng = np.random.default_rng(0)
    x = T.from_numpy(rng.random((80, 1))).float()
    y = T.from_numpy(1 + 2 * rng.random((80, 1))).float()
    T.manual_seed(42)
    b = T.randn(1, requires_grad=True, dtype=T.float)
    w = T.randn(1, requires_grad=True, dtype=T.float)
    graphs = {"yhat": (b + w * x, dict(b=b, w=w))}
    b_nograd = T.randn(1, requires_grad=False, dtype=T.float)
    graphs["b_nograd"] = (b_nograd + w * x, dict(w=w))
    loss = ((y - (b + w * x)) ** 2).mean()
    if loss > 0:
        loss += (y - w * x).mean()
    graphs["control_flow"] = (loss, dict(b=b, w=w))
    return graphs


def parse(dot):
    """(labels with colors, edges as label pairs) of a DOT text, ids removed."""
    nodes = dict(re.findall(r'^\t(\w+) \[label="([^"]*)"', dot, flags=re.M))
    colors = dict(re.findall(r'^\t(\w+) \[label="[^"]*" fillcolor="([^"]*)"', dot, flags=re.M))
    edges = re.findall(r"^\t(\w+) -> (\w+)$", dot, flags=re.M)
    labelled = sorted((nodes[n], colors.get(n, "grey")) for n in nodes)
    edge_labels = sorted((nodes[a], nodes[b]) for a, b in edges)
    return labelled, edge_labels


def test_yhat_graph_has_parameters_functions_and_output():
    yhat, params = tutorial_graphs(torch)["yhat"]
    nodes, edges = parse(to_dot(yhat, params=params))
    assert nodes == sorted([
        ("b\\n (1)", "lightblue"), ("w\\n (1)", "lightblue"), ("\\n (80, 1)", "darkolivegreen1"),
        ("AddBackward0", "grey"), ("MulBackward0", "grey"), ("AccumulateGrad", "grey"), ("AccumulateGrad", "grey"),
    ])
    assert ("MulBackward0", "AddBackward0") in edges
    assert ("AddBackward0", "\\n (80, 1)") in edges
    assert len(edges) == 6


def test_a_tensor_without_grad_has_no_box():
    yhat, params = tutorial_graphs(torch)["b_nograd"]
    nodes, _ = parse(to_dot(yhat, params=params))
    labels = [label for label, _ in nodes]
    assert "b\\n (1)" not in labels
    assert labels.count("AccumulateGrad") == 1


def test_control_flow_branch_joins_at_the_in_place_add():
    loss, params = tutorial_graphs(torch)["control_flow"]
    nodes, edges = parse(to_dot(loss, params=params))
    labels = [label for label, _ in nodes]
    assert labels.count("MeanBackward0") == 2
    assert labels.count("MulBackward0") == 2
    assert [e for e in edges if e[1] == "AddBackward0" and e[0] == "MeanBackward0"] == [("MeanBackward0", "AddBackward0")] * 2


@pytest.mark.parametrize("name", ["yhat", "b_nograd", "control_flow"])
def test_pictures_match_pytorch(name, torch_ref):
    ours, params = tutorial_graphs(torch)[name]
    theirs, their_params = tutorial_graphs(torch_ref)[name]
    assert parse(to_dot(ours, params=params)) == parse(to_dot(theirs, params=their_params))


def test_make_dot_without_graphviz_package_gives_dot_source():
    yhat, params = tutorial_graphs(torch)["yhat"]
    graph = make_dot(yhat, params=params)
    try:
        import graphviz
    except ImportError:
        assert isinstance(graph, DotGraph)
        assert parse(graph.source) == parse(to_dot(yhat, params=params))
        return
    # graphviz quotes differently; compare node names and edges, which both share.
    assert isinstance(graph, graphviz.Digraph)

    def structure(dot):
        return (sorted(re.findall(r"^\t(\w+) \[", dot, flags=re.M)), sorted(re.findall(r"^\t(\w+) -> (\w+)$", dot, flags=re.M)))

    assert structure(graph.source) == structure(to_dot(yhat, params=params))


def test_a_long_chain_is_drawn_without_recursion():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    nodes, edges = parse(to_dot(y))
    assert len(nodes) == 5003 and len(edges) == 5002
