"""The load benchmark: the service beside the floor and the flat app, same data, same load.

    uv run python bench/run.py                   # full run (100,000 todos, then 1,000,000)
    uv run python bench/run.py --quick           # CI smoke test of the harness (no speed check)

Creates a fresh database, migrates it with Alembic, seeds it with COPY, mints tokens with a
random bench-only secret, and for 1 and then 2 workers starts each app in its own process on a
free loopback port (the service through its command line `todo-api serve`), drives W1-W5 with
wrk and stops it. Writes `bench/results/latest.{md,json}` and prints the markdown table.
Exits non-zero when the harness fails or any request failed; never on a speed threshold.
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import seed
from seed import Dataset

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "lua"
RESULTS = BENCH / "results"

APPS = ("floor", "flat", "service")
WORKLOADS = {
    "W1": ("get by id", "w1_get.lua"),
    "W2": ("list 50, status + tag", "w2_list.lua"),
    "W3": ("create", "w3_create.lua"),
    "W4": ("patch, If-Match", "w4_patch.lua"),
    "W5": ("mix 80% read / 20% write", "w5_mix.lua"),
}
WRITES = ("W3", "W4", "W5")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class Options:
    dsn_server: str
    database: str
    rows: int
    scale_rows: int
    users: int
    workers: list[int]
    apps: list[str]
    workloads: list[str]
    duration: float
    warmup: float
    connections: int
    threads: int
    pool: int
    service_pool: str  # "SIZE+OVERFLOW" for the service, or "default": its shipped settings
    cap: int
    quick: bool
    out: Path
    update_readme: bool
    keep: bool


@dataclass
class Result:
    rows: int
    workers: int
    app: str
    workload: str
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    cpu_us: float = 0.0  # server CPU time per request: robust to a busy neighbour
    db_cpu_us: float = 0.0  # PostgreSQL's processes, per request
    load_cpu_us: float = 0.0  # wrk's, per request
    connections_per_min: float = 0.0  # new PostgreSQL sessions on the bench database

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


class HarnessError(RuntimeError):
    pass


# --- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One app in a process group of its own (uvicorn's workers included), always stopped."""

    running: list["Server"] = []  # noqa: RUF012 - every server started, for the exit handler

    def __init__(self, app: str, workers: int, env: dict[str, str], logs: Path) -> None:
        self.app, self.workers, self.port = app, workers, free_port()
        self.log_path = logs / f"{app}-{workers}w-{self.port}.log"
        if app == "service":
            script = Path(sys.executable).with_name("todo-api")
            command = [str(script)] if script.exists() else [sys.executable, "-m", "todo_api"]
            command += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        else:
            command = [sys.executable, str(BENCH / f"{app}.py"), "--port", str(self.port)]
        command += ["--workers", str(workers)]
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the workers too
        )
        log.close()
        Server.running.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"{self.app} exited at start-up:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/health/live", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise HarnessError(f"{self.app} did not answer in {START_TIMEOUT}s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The server process and its workers (for py-spy)."""
        if self.process is None:
            return []
        found = subprocess.run(
            ["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its workers so far."""
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(STOP_TIMEOUT)
        # Workers left behind by a killed master share its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self.process = None
        if self in Server.running:
            Server.running.remove(self)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def cpu_by_process(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def cpu_seconds(pids: Sequence[int]) -> float:
    return sum(cpu_by_process(pids).values())


def database_cpu() -> dict[int, float]:
    """CPU so far of the PostgreSQL server's processes (backends included)."""
    found = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True)
    return cpu_by_process([int(pid) for pid in found.stdout.split()])


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a process that started in between counts whole (a
    backend the pool opened during the measurement)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def sessions_opened(server_dsn: str, database: str) -> int:
    """Sessions PostgreSQL has started on `database` so far (`pg_stat_database.sessions`: a
    pool that closes and reopens connections shows here). Asked from another database, so the
    question itself is not counted."""
    connection = await asyncpg.connect(server_dsn)
    try:
        opened: int | None = await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await connection.close()
    return opened or 0


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
    return usage.ru_utime + usage.ru_stime


def stop_all() -> None:
    for server in list(Server.running):
        server.stop()


@contextlib.contextmanager
def serving(app: str, workers: int, env: dict[str, str], logs: Path) -> Iterator[Server]:
    server = Server(app, workers, env, logs)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- load ------------------------------------------------------------------------------------
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise HarnessError("wrk is not installed: apt-get install -y wrk")
    return found


def run_wrk(
    options: Options, base: str, workload: str, duration: float, data: Path, nonce: str
) -> dict[str, Any]:
    script = LUA / WORKLOADS[workload][1]
    env = os.environ | {
        "BENCH_DATA": str(data),
        "BENCH_LUA": str(LUA),
        "BENCH_NONCE": nonce,
        "BENCH_CAP": str(options.cap),
        "BENCH_THREADS": str(options.threads),
    }
    command = [
        ensure_wrk(),
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        # A slow answer is a latency, not a failure: at 1,000,000 todos the flat app's p99
        # passes 3 s, and a 5 s timeout turned its slowest page into a socket error.
        "30s",
        "-s",
        str(script),
        base,
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise HarnessError(f"wrk did not finish {workload} in time") from error
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return result
    raise HarnessError(f"wrk {workload} gave no result:\n{done.stdout}\n{done.stderr}")


def write_data(
    data: Path, tokens: Sequence[str], dataset: Dataset, versions: dict[uuid.UUID, int]
) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "tokens.txt").write_text("".join(f"{token}\n" for token in tokens))
    (data / "reads.txt").write_text("".join(f"{u} {i}\n" for u, i in dataset.samples))
    (data / "patches.txt").write_text(
        "".join(f"{u} {i} {versions[i]}\n" for u, i in dataset.patchable if i in versions)
    )
    lists = [
        f"{u} status={status}&tag={seed.tag_name(t)}&limit=50"
        for t in range(seed.TAGS_PER_LIST)
        for status in ("open", "done")
        for u in range(len(dataset.users))
    ]
    (data / "lists.txt").write_text("".join(f"{line}\n" for line in lists))
    (data / "creates.txt").write_text("".join(f"{u} {target}\n" for u, target in creates(dataset)))


def creates(dataset: Dataset, per_user: int = 10) -> list[tuple[int, str]]:
    """(user index, list id, or "-" for the Inbox) of W3's creates, users round robin: as the
    seeded todos are spread, 70% go to the Inbox (no `list_id`) and the rest, in turn, to the
    shared lists the user may write to."""
    shared = per_user - round(per_user * seed.INBOX_SHARE)
    plans: list[list[str]] = []
    for u in range(len(dataset.users)):
        writable = [str(todo_list.id) for todo_list in dataset.writable(u)]
        into = [writable[k % len(writable)] for k in range(shared)] if writable else []
        plans.append(into + ["-"] * (per_user - len(into)))
    return [(u, plan[n]) for n in range(per_user) for u, plan in enumerate(plans)]


def result_of(rows: int, workers: int, app: str, workload: str, raw: dict[str, Any]) -> Result:
    seconds = raw["duration_us"] / 1e6
    return Result(
        rows=rows,
        workers=workers,
        app=app,
        workload=workload,
        requests=raw["requests"],
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non2xx=max(raw["non2xx"], raw["status"]),
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    )


# --- the run ---------------------------------------------------------------------------------
def app_env(options: Options, dsn: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODO_", "BENCH_"))}
    return (
        env
        | service_pool_env(options)
        | {
            # the service, configured as an operator would
            "TODO_DATABASE_URL": seed.sqlalchemy_url(dsn),
            "TODO_SECRET_KEY": secret,
            "TODO_LOG_LEVEL": "WARNING",  # no access log line per request (nor for the baselines)
            # the baselines
            "BENCH_DSN": dsn,
            "BENCH_SECRET": secret,
            "BENCH_POOL": str(options.pool),
        }
    )


def service_pool_env(options: Options) -> dict[str, str]:
    """The service's pool: the baselines' (`--pool`, no overflow), `--service-pool SIZE+OVERFLOW`,
    or with `--service-pool default` none at all (the service's shipped defaults)."""
    if options.service_pool == "default":
        return {}
    size, overflow = service_pool_of(options)
    return {"TODO_POOL_SIZE": str(size), "TODO_MAX_OVERFLOW": str(overflow)}


def service_pool_of(options: Options) -> tuple[int, int]:
    if not options.service_pool:
        return options.pool, 0
    size, _, overflow = options.service_pool.partition("+")
    return int(size), int(overflow or 0)


def measure(
    options: Options,
    dsn: str,
    env: dict[str, str],
    tokens: Sequence[str],
    dataset: Dataset,
    workers: int,
    workloads: Sequence[str],
    logs: Path,
) -> list[Result]:
    """Every app on every workload. A full run starts a fresh server for each measurement and
    runs the apps back to back per workload, so a neighbour's noise (the machine is shared)
    hits all three alike; quick mode starts each app once."""
    if options.quick:
        groups = [(app, list(workloads)) for app in options.apps]
    else:
        groups = [(app, [workload]) for workload in workloads for app in options.apps]
    results: list[Result] = []
    data = logs / "data"
    for app, planned in groups:
        with serving(app, workers, env, logs) as server:
            for workload in planned:
                nonce = uuid.uuid4().hex[:8]
                if options.warmup > 0:
                    write_data(data, tokens, dataset, current_versions(dsn, dataset))
                    run_wrk(options, server.base, workload, options.warmup, data, nonce + "w")
                    settle(options)
                write_data(data, tokens, dataset, current_versions(dsn, dataset))
                sessions = asyncio.run(sessions_opened(options.dsn_server, options.database))
                server_cpu, database, load = (
                    server.cpu_seconds(),
                    database_cpu(),
                    children_cpu_seconds(),
                )
                raw = run_wrk(options, server.base, workload, options.duration, data, nonce)
                used = (
                    server.cpu_seconds() - server_cpu,
                    cpu_since(database, database_cpu()),
                    children_cpu_seconds() - load,
                )
                opened = asyncio.run(sessions_opened(options.dsn_server, options.database))
                result = result_of(dataset.rows, workers, app, workload, raw)
                per_request = 1e6 / max(result.requests, 1)
                result.cpu_us, result.db_cpu_us, result.load_cpu_us = (
                    seconds * per_request for seconds in used
                )
                minutes = raw["duration_us"] / 60e6
                result.connections_per_min = (opened - sessions) / minutes if minutes else 0.0
                results.append(result)
                log(
                    f"  {dataset.rows:>9,} rows {workers}w {app:8} {workload} "
                    f"{result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                    f"p99 {result.p99_ms:7.2f} ms  cpu {result.cpu_us:5.0f} us/req "
                    f"(db {result.db_cpu_us:4.0f}, wrk {result.load_cpu_us:3.0f})  "
                    f"connections {result.connections_per_min:5.0f}/min  errors {result.errors}"
                )
                if result.errors:
                    log(f"    {app} log:\n{server.log_tail()}")
                settle(options)
                if workload in WRITES:
                    asyncio.run(seed.remove_created(dsn, dataset.seeded_before))
    return results


SETTLE_TIMEOUT = 30.0


def settle(options: Options) -> None:
    """Let the requests still in flight when wrk stopped finish (their writes included): a
    patch that commits after the next workload read the versions would make its first
    If-Match stale. Waits until no session on the bench database is busy (twice in a row:
    a request waiting for a pooled connection gets one at once), at least half a second."""
    time.sleep(0.5)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        busy = asyncio.run(busy_sessions(options.dsn_server, options.database))
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.1)


async def busy_sessions(server_dsn: str, database: str) -> int:
    """Sessions on `database` running a statement or inside a transaction (asked from another
    database)."""
    connection = await asyncpg.connect(server_dsn)
    try:
        busy: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'",
            database,
        )
    finally:
        await connection.close()
    return busy


def current_versions(dsn: str, dataset: Dataset) -> dict[uuid.UUID, int]:
    return asyncio.run(seed.versions_of(dsn, [i for _, i in dataset.patchable]))


async def explain_w2(dsn: str, dataset: Dataset) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the service's W2 page statement, as todo_sql renders it
    (the generic plan of the prepared statement, under the service's session settings)."""
    from sqlalchemy.dialects import postgresql

    from todo_domain import SortKey
    from todo_sql import statements

    statement = statements.list_todos(
        SortKey.CREATED_AT,
        True,
        statements.CursorKind.NONE,
        frozenset({statements.Filter.STATUS, statements.Filter.TAG}),
        True,  # PostgreSQL's form: a LATERAL per list, the tag names as an array column
    )
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
    user = dataset.users[0]
    values = {"user_id": user, "status": "open", "tag": "tag07", "limit": 51}
    names = compiled.positiontup or []
    params = [values[name] for name in names]
    connection = await asyncpg.connect(dsn)
    try:
        # As the service's connections run it: its session settings, and the generic plan
        # that PostgreSQL settles on for a prepared statement (asyncpg prepares and caches).
        await connection.execute(
            "SET max_parallel_workers_per_gather = 0; SET plan_cache_mode = force_generic_plan"
        )
        rows = await connection.fetch(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), *params
        )
    finally:
        await connection.close()
    plan = "\n".join(row[0] for row in rows)
    return f"{compiled}\n\n{plan}".replace(str(user), "<user>")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def versions_table() -> str:
    names = ("fastapi", "starlette", "pydantic", "sqlalchemy", "asyncpg", "uvicorn", "uvloop")
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            parts.append(f"{name} {metadata.version(name)}")
    wrk = subprocess.run([ensure_wrk(), "-v"], capture_output=True, text=True, check=False)
    parts.append((wrk.stdout or wrk.stderr).split(" [")[0].strip())
    server = subprocess.run(
        ["psql", "-V"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if server:
        parts.append(server.replace("psql (PostgreSQL) ", "PostgreSQL "))
    return ", ".join(parts)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def markdown(options: Options, results: list[Result], plan: str, command: str) -> str:
    by = {(r.rows, r.workers, r.app, r.workload): r for r in results}
    out = [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} CPUs "
        f"(nproc), {cpu_model()}; load generator and servers share them.",
        "",
        f"Versions: {versions_table()}.",
        "",
        f"Command: `{command}`",
        "",
        f"wrk -t{options.threads} -c{options.connections}, {options.duration:g} s per workload "
        f"after {options.warmup:g} s of warm-up; {pool_description(options)}; "
        f"{options.users} users.",
        "",
    ]
    for rows in sorted({r.rows for r in results}):
        for workers in sorted({r.workers for r in results if r.rows == rows}):
            out += [
                f"### {rows:,} todos, {workers} worker(s)",
                "",
                "| workload | floor req/s | flat req/s | service req/s | service/floor "
                "| service/flat | p50 ms floor / flat / service | p99 ms floor / flat / service "
                "| CPU us/req floor / flat / service | DB CPU us/req floor / flat / service "
                "| DB connections opened/min floor / flat / service | errors |",
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
            ]
            for workload in options.workloads:
                cells = [by.get((rows, workers, app, workload)) for app in APPS]
                if all(c is None for c in cells):
                    continue
                floor, flat, service = cells

                def rps(r: Result | None) -> str:
                    return f"{r.rps:,.0f}" if r else "-"

                def lat(attr: str, cells: list[Result | None] = cells, digits: int = 1) -> str:
                    return " / ".join(f"{getattr(c, attr):.{digits}f}" if c else "-" for c in cells)

                errors = sum(c.errors for c in cells if c)
                out.append(
                    f"| {workload} {WORKLOADS[workload][0]} | {rps(floor)} | {rps(flat)} "
                    f"| {rps(service)} "
                    f"| {ratio(service.rps, floor.rps) if service and floor else '-'} "
                    f"| {ratio(service.rps, flat.rps) if service and flat else '-'} "
                    f"| {lat('p50_ms')} | {lat('p99_ms')} | {lat('cpu_us', digits=0)} "
                    f"| {lat('db_cpu_us', digits=0)} | {lat('connections_per_min', digits=0)} "
                    f"| {errors} |"
                )
            out.append("")
    workers_seen = sorted({r.workers for r in results})
    if len(workers_seen) > 1:
        low, high = workers_seen[0], workers_seen[-1]
        out += [
            f"### Scaling: {high} workers / {low} worker (req/s, {options.rows:,} todos)",
            "",
            "| workload | floor | flat | service | most the cores allow the service |",
            "|---|--:|--:|--:|--:|",
        ]
        for workload in options.workloads:
            ratios: list[str] = []
            for app in APPS:
                one = by.get((options.rows, low, app, workload))
                two = by.get((options.rows, high, app, workload))
                ratios.append(ratio(two.rps, one.rps) if one and two else "-")
            one = by.get((options.rows, low, "service", workload))
            bound = ratio(scaling_bound(one, high), one.rps) if one else "-"
            out.append(f"| {workload} | {' | '.join(ratios)} | {bound} |")
        out += [
            "",
            "The last column: the machine's cores divided by the CPU one request costs all",
            "processes together (service + PostgreSQL + wrk, measured at one worker), over",
            "the one-worker req/s: no number of workers passes it on these cores while a",
            "request costs what it costs at one worker (with more it costs more, not less).",
            "",
        ]
    if options.scale_rows:
        out += [
            f"### Scale: W2 p50 at {options.scale_rows:,} / {options.rows:,} todos (1 worker)",
            "",
            "| app | p50 ms small | p50 ms large | ratio | req/s small | req/s large |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        w = min(workers_seen)
        for app in options.apps:
            small = by.get((options.rows, w, app, "W2"))
            large = by.get((options.scale_rows, w, app, "W2"))
            if small and large:
                out.append(
                    f"| {app} | {small.p50_ms:.2f} | {large.p50_ms:.2f} "
                    f"| {ratio(large.p50_ms, small.p50_ms)} | {small.rps:,.0f} "
                    f"| {large.rps:,.0f} |"
                )
        out.append("")
    if plan:
        out += [
            f"### The W2 page query at {max(options.rows, options.scale_rows):,} todos",
            "",
            "```",
            plan,
            "```",
            "",
        ]
    return "\n".join(out)


def pool_description(options: Options) -> str:
    baselines = f"pool of {options.pool} connections per worker for floor and flat"
    if options.service_pool == "default":
        return f"{baselines}, the service's default pool settings"
    size, overflow = service_pool_of(options)
    return f"{baselines}, {size} + {overflow} overflow for the service"


def scaling_bound(one_worker: Result, workers: int) -> float:
    """The most req/s `workers` workers can reach when every process shares the cores."""
    per_request = (one_worker.cpu_us + one_worker.db_cpu_us + one_worker.load_cpu_us) / 1e6
    cores = os.cpu_count() or 1
    return min(workers / (one_worker.cpu_us / 1e6), cores / per_request)


def update_readme(table: str) -> None:
    readme = BENCH / "README.md"
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    text = readme.read_text()
    if start not in text or end not in text:
        raise HarnessError("bench/README.md lacks the results markers")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}")


def run(options: Options, command: str) -> int:
    ensure_wrk()
    dsn = seed.admin_dsn(options.dsn_server, options.database)
    log(f"creating {options.database}, migrating and seeding {options.rows:,} todos")
    try:
        asyncio.run(seed.recreate_database(options.dsn_server, options.database))
        return run_on(options, dsn, command)
    finally:
        stop_all()  # no app may hold a connection to the database being dropped
        if options.keep:
            log(f"kept the database: BENCH_DSN={dsn}")
        else:
            asyncio.run(seed.drop_database(options.dsn_server, options.database))


def run_on(options: Options, dsn: str, command: str) -> int:
    logs = options.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    seed.migrate(dsn)
    dataset = asyncio.run(seed.seed(dsn, users=options.users, rows=options.rows))
    log(f"  seeded in {time.monotonic() - started:.1f} s")
    secret = seed.bench_secret()
    tokens = seed.mint_tokens(secret, dataset.users)
    env = app_env(options, dsn, secret)
    results: list[Result] = []
    for workers in options.workers:
        results += measure(options, dsn, env, tokens, dataset, workers, options.workloads, logs)
    plan = ""
    if options.scale_rows and "W2" in options.workloads:
        log(f"growing to {options.scale_rows:,} todos")
        grown = time.monotonic()
        asyncio.run(grow(dsn, dataset, options.scale_rows))
        log(f"  grown in {time.monotonic() - grown:.1f} s")
        results += measure(options, dsn, env, tokens, dataset, min(options.workers), ["W2"], logs)
    if "W2" in options.workloads:
        plan = asyncio.run(explain_w2(dsn, dataset))
    table = markdown(options, results, plan, command)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "latest.md").write_text(table + "\n")
    (options.out / "latest.json").write_text(
        json.dumps([asdict(r) for r in results], indent=1) + "\n"
    )
    if options.update_readme:
        update_readme(table)
    print(table)
    log(f"done in {time.monotonic() - started:.0f} s")
    failed = [r for r in results if r.errors or r.requests == 0]
    for r in failed:
        log(f"FAILED: {r.app} {r.workers}w {r.workload}: {r.requests} requests, {r.errors} errors")
    expected = len(options.apps) * len(options.workloads) * len(options.workers)
    if len([r for r in results if r.rows == options.rows]) != expected:
        log("FAILED: some measurements are missing")
        return 1
    return 1 if failed else 0


async def grow(dsn: str, dataset: Dataset, rows: int) -> None:
    import random

    connection = await asyncpg.connect(dsn)
    try:
        await seed.add_todos(connection, dataset, rows, random.Random(rows))
    finally:
        await connection.close()


def parse(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--dsn",
        default=os.environ.get("BENCH_SERVER_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server (the bench database is created beside it)",
    )
    parser.add_argument(
        "--database",
        default=f"todo_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}",
        help="created for this run and dropped after it (default: a name unique to the run)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (for bench/inprocess.py)"
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--scale-rows", type=int, default=1_000_000, help="then grow to this and rerun W2 (0: no)"
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per workload")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--pool", type=int, default=20, help="DB connections per worker")
    parser.add_argument(
        "--service-pool",
        default="",
        help="the service's pool as SIZE+OVERFLOW, or 'default' for its shipped settings "
        "(default: --pool, no overflow)",
    )
    parser.add_argument("--cap", type=int, default=200_000, help="most writes per wrk thread")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--update-readme", action="store_true", help="put the table there")
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke test: 10,000 todos, 2 s a workload, 1 worker"
    )
    args = parser.parse_args(argv)
    options = Options(
        dsn_server=args.dsn,
        database=args.database,
        rows=args.rows,
        scale_rows=args.scale_rows,
        users=args.users,
        workers=[int(w) for w in args.workers.split(",")],
        apps=[a for a in args.apps.split(",") if a],
        workloads=[w for w in args.workloads.split(",") if w],
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        pool=args.pool,
        service_pool=args.service_pool,
        cap=args.cap,
        quick=args.quick,
        out=args.out,
        update_readme=args.update_readme,
        keep=args.keep,
    )
    if args.quick:
        options.rows, options.scale_rows, options.workers = 10_000, 0, [1]
        options.duration, options.warmup = 2.0, 0.5
        options.out = Path(os.environ.get("TMPDIR", "/tmp")) / "todo-bench-quick"
    unknown = set(options.apps) - set(APPS) | set(options.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown app or workload: {', '.join(sorted(unknown))}")
    if options.service_pool not in ("", "default"):
        try:
            service_pool_of(options)
        except ValueError:
            parser.error("--service-pool is SIZE+OVERFLOW (such as 20+0) or 'default'")
    if options.scale_rows and options.scale_rows <= options.rows:
        options.scale_rows = 0
    return options


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    options = parse(arguments)
    command = " ".join(["uv run python bench/run.py", *arguments])

    def on_signal(signum: int, frame: object) -> None:
        stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return run(options, command)
    except HarnessError as error:
        log(f"bench: error: {error}")
        return 2
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
