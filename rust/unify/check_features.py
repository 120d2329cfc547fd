"""Fails when the bindings' build and the core's tests would compile a shared
dependency with different features (see Cargo.toml here): cargo would then
build it, and everything above it, twice. Run by `make check-unify`, which
`make test` runs; needs only cargo (no compiling)."""

import re
import subprocess
import sys

CARGO = sys.argv[1] if len(sys.argv) > 1 else "cargo"
LINE = re.compile(r"(\S+) (v\S+)(?: \(.*?\))?(?: \(\*\))? \[(.*)\]$")


def features(*args):
    """{(crate, version): {feature sets}} over the dependency graph, with host
    (proc macro, build script) and target crates told apart by cargo tree."""
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    target = re.search(r"^host: (\S+)$", host, re.M).group(1)
    out = subprocess.run([CARGO, "tree", "--target", target, "--prefix", "none",
                          "-f", "{p} [{f}]", *args], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        match = LINE.match(line.strip())
        if match:
            found.setdefault((match[1], match[2]), set()).add(match[3])
    return found


bindings = features("-p", "ferrograd-py", "-e", "normal,build")
core_tests = features("-p", "ferrograd", "-e", "normal,build,dev")
differ = {k: (bindings[k], core_tests[k]) for k in bindings.keys() & core_tests.keys() if bindings[k] != core_tests[k]}
for (name, version), (a, b) in sorted(differ.items()):
    print(f"{name} {version}: bindings {sorted(a)} vs core tests {sorted(b)}")
if differ:
    sys.exit("shared dependencies differ in features: add the union to rust/unify/Cargo.toml")
print(f"{len(bindings.keys() & core_tests.keys())} shared dependencies, same features in both builds")
