"""Two runs side by side: the service's and the flat app's req/s over the floor's, per workload.

    uv run python bench/compare.py BEFORE/latest.json AFTER/latest.json [--rows N] [--workers N]

Each run's ratios are to its own floor (measured in the same run, on the same data, back to
back with the service), so a change of the machine's load between the runs moves them less
than it moves req/s. Prints a markdown table.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WORKLOADS = ("W1", "W2", "W3", "W4", "W5")


def load(path: Path, rows: int | None, workers: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(app, workload) -> result, of the run's `rows` (its smallest if None) at `workers`."""
    results: list[dict[str, Any]] = json.loads(path.read_text())
    size = rows if rows is not None else min(r["rows"] for r in results)
    return {
        (r["app"], r["workload"]): r
        for r in results
        if r["rows"] == size and r["workers"] == workers
    }


def ratio(run: dict[tuple[str, str], dict[str, Any]], app: str, workload: str) -> str:
    mine, floor = run.get((app, workload)), run.get(("floor", workload))
    if not mine or not floor or not floor["rps"]:
        return "-"
    return f"{mine['rps'] / floor['rps']:.2f}"


def rps(run: dict[tuple[str, str], dict[str, Any]], app: str, workload: str) -> str:
    result = run.get((app, workload))
    return f"{result['rps']:,.0f}" if result else "-"


def cpu(run: dict[tuple[str, str], dict[str, Any]], workload: str) -> str:
    """The server's CPU per request, floor / service (steadier than req/s on a shared machine)."""
    cells = [run.get((app, workload)) for app in ("floor", "service")]
    return " / ".join(f"{c['cpu_us']:.0f}" if c else "-" for c in cells)


def table(
    before: dict[tuple[str, str], dict[str, Any]], after: dict[tuple[str, str], dict[str, Any]]
) -> str:
    lines = [
        "| workload | service/floor before | service/floor after | flat/floor before "
        "| flat/floor after | req/s before floor / flat / service "
        "| req/s after floor / flat / service | CPU us/req before floor / service "
        "| CPU us/req after floor / service |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for workload in WORKLOADS:
        if ("floor", workload) not in before and ("floor", workload) not in after:
            continue
        figures = " | ".join(
            [
                ratio(before, "service", workload),
                ratio(after, "service", workload),
                ratio(before, "flat", workload),
                ratio(after, "flat", workload),
                " / ".join(rps(before, app, workload) for app in ("floor", "flat", "service")),
                " / ".join(rps(after, app, workload) for app in ("floor", "flat", "service")),
                cpu(before, workload),
                cpu(after, workload),
            ]
        )
        lines.append(f"| {workload} | {figures} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rows", type=int, default=None, help="default: each run's smallest")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    before = load(args.before, args.rows, args.workers)
    after = load(args.after, args.rows, args.workers)
    print(table(before, after))


if __name__ == "__main__":
    main()
