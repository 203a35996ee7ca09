"""Runs side by side: the service's and the flat app's req/s over the floor's, per workload.

    uv run python bench/compare.py before=BEFORE/latest.json after=AFTER/latest.json ...

Each argument is LABEL=PATH of a run's `latest.json`. A label may repeat (several runs of the
same code): with `--median` its column holds the median ratio of its runs and their range,
else one column a run. Each run's ratios are to its own floor (measured in the same run, on
the same data, back to back with the other apps), so a change of the machine's load between
runs moves them less than it moves req/s. Prints markdown tables: service/floor, flat/floor
(and without `--median` req/s and the server CPU per request of floor and service, steadier
than req/s on a shared machine).
"""

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
Run = dict[tuple[str, str], dict[str, Any]]


def load(path: Path, rows: int | None, workers: int) -> Run:
    """(app, workload) -> result, of the run's `rows` (its smallest if None) at `workers`."""
    results: list[dict[str, Any]] = json.loads(path.read_text())
    size = rows if rows is not None else min(r["rows"] for r in results)
    return {
        (r["app"], r["workload"]): r
        for r in results
        if r["rows"] == size and r["workers"] == workers
    }


def ratio(run: Run, app: str, workload: str) -> float | None:
    mine, floor = run.get((app, workload)), run.get(("floor", workload))
    if not mine or not floor or not floor["rps"]:
        return None
    return float(mine["rps"] / floor["rps"])


def ratio_to_floor(app: str) -> Callable[[Run, str], str]:
    def cell(run: Run, workload: str) -> str:
        value = ratio(run, app, workload)
        return "-" if value is None else f"{value:.2f}"

    return cell


def median_table(title: str, runs: list[tuple[str, Run]], app: str) -> str:
    """One column per label: the median of its runs' ratios, and their range."""
    labels = list(dict.fromkeys(label for label, _ in runs))
    lines = [f"| {title} | {' | '.join(labels)} |", f"|---|{'--:|' * len(labels)}"]
    for workload in WORKLOADS:
        cells = []
        for label in labels:
            values = [
                v
                for name, run in runs
                if name == label and (v := ratio(run, app, workload)) is not None
            ]
            if not values:
                cells.append("-")
            elif len(values) == 1:
                cells.append(f"{values[0]:.2f}")
            else:
                middle = statistics.median(values)
                cells.append(f"{middle:.2f} ({min(values):.2f}-{max(values):.2f})")
        if any(cell != "-" for cell in cells):
            lines.append(f"| {workload} | {' | '.join(cells)} |")
    return "\n".join(lines)


def cpu(run: Run, workload: str) -> str:
    cells = [run.get((app, workload)) for app in ("floor", "service")]
    return " / ".join(f"{c['cpu_us']:.0f}" if c else "-" for c in cells)


def rps(run: Run, workload: str) -> str:
    cells = [run.get((app, workload)) for app in ("floor", "flat", "service")]
    return " / ".join(f"{c['rps']:,.0f}" if c else "-" for c in cells)


def table(title: str, runs: list[tuple[str, Run]], cell: Callable[[Run, str], str]) -> str:
    lines = [
        f"| {title} | {' | '.join(label for label, _ in runs)} |",
        f"|---|{'--:|' * len(runs)}",
    ]
    for workload in WORKLOADS:
        if any(("floor", workload) in run for _, run in runs):
            lines.append(f"| {workload} | {' | '.join(cell(run, workload) for _, run in runs)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=PATH")
    parser.add_argument("--rows", type=int, default=None, help="default: each run's smallest")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--median", action="store_true", help="one column per label: median (range) of its runs"
    )
    args = parser.parse_args(argv)
    runs: list[tuple[str, Run]] = []
    for argument in args.runs:
        label, separator, path = argument.partition("=")
        if not separator:
            parser.error(f"{argument}: expected LABEL=PATH")
        runs.append((label, load(Path(path), args.rows, args.workers)))
    if args.median:
        print(median_table("service/floor", runs, "service"))
        print()
        print(median_table("flat/floor", runs, "flat"))
        return
    tables = [
        table("service/floor", runs, ratio_to_floor("service")),
        table("flat/floor", runs, ratio_to_floor("flat")),
        table("req/s floor / flat / service", runs, rps),
        table("server CPU us/req floor / service", runs, cpu),
    ]
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
