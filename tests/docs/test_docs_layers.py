"""docs/layers.md draws the contracts of `.importlinter`, no more and no less: the layers and
their packages, who may import whom, and each forbidden contract's edges."""

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PREFIX = "importlinter:contract:"
ARROWS = {"-->": "may", "-.-x": "never"}
_NODE = re.compile(r'^(?P<id>[A-Za-z0-9_]+)(?:\["(?P<label>[^"]+)"\])?$')

Edge = tuple[str, str]


@dataclass
class Drawing:
    """One ```mermaid block: its contract comment, layers (subgraphs) and edges by kind."""

    contract: str | None = None
    layers: list[set[str]] = field(default_factory=list)
    edges: dict[str, set[Edge]] = field(
        default_factory=lambda: {kind: set() for kind in ARROWS.values()}
    )


def _node(token: str, labels: dict[str, str]) -> str:
    match = _NODE.match(token.strip())
    assert match is not None, f"not a node: {token!r}"
    if match["label"]:
        labels[match["id"]] = match["label"]
    return labels.get(match["id"], match["id"])


def parse(block: str) -> Drawing:
    drawing = Drawing()
    labels: dict[str, str] = {}
    layer: set[str] | None = None
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("flowchart"):
            continue
        if contract := re.fullmatch(r"%% contract: (\S+)", line):
            drawing.contract = contract[1]
        elif line.startswith("subgraph "):
            layer = set()
            drawing.layers.append(layer)
        elif line == "end":
            layer = None
        elif arrow := next((arrow for arrow in ARROWS if f" {arrow} " in line), None):
            left, right = line.split(f" {arrow} ")
            for source in left.split("&"):
                for target in right.split("&"):
                    edge = (_node(source, labels), _node(target, labels))
                    drawing.edges[ARROWS[arrow]].add(edge)
        else:
            assert layer is not None, f"a node outside a layer: {line!r}"
            layer.add(_node(line, labels))
    return drawing


def drawings() -> list[Drawing]:
    text = (ROOT / "docs" / "layers.md").read_text()
    return [parse(block) for block in re.findall(r"^```mermaid\n(.*?)^```$", text, re.M | re.S)]


def contracts() -> dict[str, configparser.SectionProxy]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return {
        name.removeprefix(CONTRACT_PREFIX): config[name]
        for name in config.sections()
        if name.startswith(CONTRACT_PREFIX)
    }


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def contract_layers() -> list[set[str]]:
    return [
        {package.strip() for package in re.split(r"[|:]", layer)}
        for layer in lines(contracts()["layers"]["layers"])
    ]


def forbidden_edges(contract: configparser.SectionProxy) -> set[Edge]:
    return {
        (source, target)
        for source in lines(contract["source_modules"])
        for target in lines(contract["forbidden_modules"])
    }


def ignored_edges(contract: configparser.SectionProxy) -> set[Edge]:
    """`a -> b` and `a -> b.**` alike: the drawing shows the package."""
    pairs = (line.split("->") for line in lines(contract.get("ignore_imports", "")))
    return {(source.strip(), target.strip().removesuffix(".**")) for source, target in pairs}


def forbidden_contracts() -> dict[str, configparser.SectionProxy]:
    return {name: c for name, c in contracts().items() if c["type"] == "forbidden"}


def layers_drawing() -> Drawing:
    (drawing,) = [drawing for drawing in drawings() if drawing.layers]
    return drawing


def test_the_drawing_has_the_layers_of_the_contract_in_order() -> None:
    drawn = [{node.split(".")[0] for node in layer} for layer in layers_drawing().layers]

    assert drawn == contract_layers()


def test_the_drawing_names_exactly_the_root_packages() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    roots = set(lines(config["importlinter"]["root_packages"]))

    drawn = {node for layer in layers_drawing().layers for node in layer}

    assert {node for node in drawn if "." not in node} == roots


def test_the_may_import_edges_are_the_layers_minus_the_forbidden_plus_the_ignored() -> None:
    layers = contract_layers()
    downwards = {
        (upper, lower)
        for index, layer in enumerate(layers)
        for upper in layer
        for below in layers[index + 1 :]
        for lower in below
    }
    forbidden = set().union(*(forbidden_edges(c) for c in forbidden_contracts().values()))
    ignored = set().union(*(ignored_edges(c) for c in forbidden_contracts().values()))

    assert layers_drawing().edges["may"] == (downwards - forbidden) | ignored
    assert not layers_drawing().edges["never"]


@pytest.mark.parametrize("name", sorted(forbidden_contracts()))
def test_each_forbidden_contract_has_its_drawing(name: str) -> None:
    mine = [drawing for drawing in drawings() if drawing.contract == name]

    assert len(mine) == 1, f"docs/layers.md has {len(mine)} drawings of contract {name}"
    assert mine[0].edges["never"] == forbidden_edges(forbidden_contracts()[name])
    assert not mine[0].edges["may"]


def test_no_drawing_names_a_contract_that_does_not_exist() -> None:
    named = {drawing.contract for drawing in drawings() if drawing.contract is not None}

    assert named <= set(forbidden_contracts())
