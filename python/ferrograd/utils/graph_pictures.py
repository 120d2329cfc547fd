"""Pictures of the autograd graph, as PyTorchViz draws them.

``make_dot(output, params=dict(model.named_parameters()))`` walks
``grad_fn.next_functions`` from the output: light blue boxes are leaf tensors
(named after ``params`` where given), grey boxes are backward functions, the
green box is the output tensor; each tensor box shows its shape. It returns a
``graphviz.Digraph`` when the ``graphviz`` package is installed, otherwise a
``DotGraph`` holding the same DOT source. ``to_dot`` always returns the text.
"""

import subprocess

NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10",
                 ranksep="0.1", height="0.2", fontname="monospace")
GRAPH_ATTR = dict(size="12,12")
LEAF_COLOR = "lightblue"
OUTPUT_COLOR = "darkolivegreen1"


class _Picture:
    """Nodes and edges of one picture, independent of how it is rendered."""

    def __init__(self):
        self.nodes = []  # (name, label, attrs)
        self.edges = []  # (tail, head)

    def node(self, name, label, **attrs):
        self.nodes.append((name, label, attrs))

    def edge(self, tail, head):
        self.edges.append((tail, head))


def _shape_label(t):
    return "(" + ", ".join(str(d) for d in t.shape) + ")"


def _tensor_label(t, name):
    return f"{name}\n {_shape_label(t)}"


def _fn_label(fn, show_attrs, max_attr_chars):
    name = type(fn).__name__
    if not show_attrs:
        return name
    attrs = {k[len("_saved_"):]: getattr(fn, k) for k in dir(fn) if k.startswith("_saved_")}
    if not attrs:
        return name
    width = max(len(k) for k in attrs)
    lines = [f"{k.ljust(width)}: {str(v)[:max_attr_chars]}" for k, v in attrs.items()]
    return name + "\n" + "-" * max(len(name), 1) + "\n" + "\n".join(lines)


def _walk(output, params, show_attrs, max_attr_chars):
    """Builds the picture without recursion (graphs can be long chains)."""
    param_names = {id(v): k for k, v in (params or {}).items()}
    pic = _Picture()
    names = {}  # graph node -> stable DOT name (node objects are made per access)

    def fn_name(fn):
        return names.setdefault(fn, f"fn{len(names)}")

    outputs = output if isinstance(output, (tuple, list)) else (output,)
    pending = []
    seen_tensors = set()
    for out in outputs:
        if id(out) in seen_tensors:
            continue
        seen_tensors.add(id(out))
        out_name = f"t{id(out)}"
        pic.node(out_name, _tensor_label(out, param_names.get(id(out), "")), fillcolor=OUTPUT_COLOR)
        if out.grad_fn is not None:
            pending.append(out.grad_fn)
            pic.edge(fn_name(out.grad_fn), out_name)

    seen_fns = set()
    while pending:
        fn = pending.pop()
        if fn in seen_fns:
            continue
        seen_fns.add(fn)
        name = fn_name(fn)
        pic.node(name, _fn_label(fn, show_attrs, max_attr_chars))
        if type(fn).__name__ == "AccumulateGrad":
            leaf = fn.variable
            leaf_name = f"t{id(leaf)}"
            if id(leaf) not in seen_tensors:
                seen_tensors.add(id(leaf))
                pic.node(leaf_name, _tensor_label(leaf, param_names.get(id(leaf), "")), fillcolor=LEAF_COLOR)
            pic.edge(leaf_name, name)
        for next_fn, _ in fn.next_functions:
            if next_fn is not None:
                pic.edge(fn_name(next_fn), name)
                pending.append(next_fn)
    return pic


def _quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs):
    return "[" + " ".join(f"{k}={_quote(v)}" for k, v in attrs.items()) + "]"


def _dot_source(pic):
    lines = ["digraph {", f"\tgraph {_attrs(GRAPH_ATTR)}", f"\tnode {_attrs(NODE_ATTR)}"]
    for name, label, attrs in pic.nodes:
        lines.append(f"\t{name} {_attrs(dict(label=label, **attrs))}")
    for tail, head in pic.edges:
        lines.append(f"\t{tail} -> {head}")
    lines.append("}")
    return "\n".join(lines) + "\n"


class DotGraph:
    """DOT source of a picture, for when the graphviz package is missing.

    ``render`` runs graphviz's ``dot`` program if it is installed.
    """

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def save(self, filename):
        with open(filename, "w") as f:
            f.write(self.source)
        return filename

    def render(self, filename, format="svg"):
        path = f"{filename}.{format}"
        try:
            subprocess.run(["dot", f"-T{format}", "-o", path], input=self.source.encode(), check=True)
        except FileNotFoundError as e:
            raise RuntimeError("rendering needs graphviz's `dot` program (e.g. apt-get install graphviz)") from e
        return path


def to_dot(output, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """DOT text of the graph that produced ``output`` (a tensor or a tuple of tensors)."""
    del show_saved  # saved tensors are not exposed on graph nodes
    return _dot_source(_walk(output, params, show_attrs, max_attr_chars))


def make_dot(output, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """PyTorchViz's ``make_dot``: a ``graphviz.Digraph`` if graphviz is installed, else a ``DotGraph``."""
    pic = _walk(output, params, show_attrs, max_attr_chars)
    try:
        import graphviz  # type: ignore[import-not-found]
    except ImportError:
        return DotGraph(_dot_source(pic))
    dot = graphviz.Digraph(node_attr=NODE_ATTR, graph_attr=GRAPH_ATTR)
    for name, label, attrs in pic.nodes:
        dot.node(name, label, **attrs)
    for tail, head in pic.edges:
        dot.edge(tail, head)
    return dot
