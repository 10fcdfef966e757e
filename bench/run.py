"""Load benchmark: seed a demo database, serve it with uvicorn, and measure each page against a bare endpoint.

    .venv/bin/python bench/run.py [--learners 5000] [--workers 1] [--duration 10] [--concurrency 16] [--reuse-db]

See bench/README.md for what the figures mean. Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `python bench/run.py` puts bench/ first on sys.path, where bench/app.py would shadow the `app` package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != PROJECT_ROOT / "bench"]
sys.path.insert(0, str(PROJECT_ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from app.accounts.service import SESSION_COOKIE  # noqa: E402
from app.core.csrf import CSRF_FIELD  # noqa: E402
from app.core.db import make_engine, make_sessionmaker  # noqa: E402
from app.core.middleware import CSRF_COOKIE  # noqa: E402
from app.demo.seed import count_demo_users, demo_email  # noqa: E402
from bench.app import HELLO_PATH  # noqa: E402

LOOPBACK = "127.0.0.1"
BENCH_DIR = PROJECT_ROOT / "var" / "bench"
DEFAULT_SQLITE = BENCH_DIR / "bench.db"
SERVER_LOG = BENCH_DIR / "server.log"
STARTUP_TIMEOUT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 600.0
WARMUP_REQUESTS = 20
DEMO_LEARNER = demo_email("learner", 1)
_CSRF_INPUT = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
_PASSWORD_LINE = re.compile(r"Password of every demo account: (\S+)")

# Wide enough for the table when the output goes to a file or a pipe (rich would assume 80 columns).
console = Console(width=shutil.get_terminal_size((150, 40)).columns)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    signed_in: bool = False


# The one table to extend: later issues add the learner dashboard, course, lesson, quiz and export paths here.
# The first row is the baseline every other row is compared with.
# The demo learner is enrolled in every course, so these pages show real progress.
BENCH_COURSE = "SC1"
BENCH_LESSON = "what-is-a-social-cluster"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("bare hello (ceiling)", HELLO_PATH),
    Scenario("home, anonymous", "/"),
    Scenario("home, signed in", "/", signed_in=True),
    Scenario("profile, signed in", "/profile", signed_in=True),
    Scenario("login page, anonymous", "/login"),
    Scenario("catalogue, signed in", "/courses", signed_in=True),
    Scenario("course page, signed in", f"/courses/{BENCH_COURSE}", signed_in=True),
    Scenario("lesson page, signed in", f"/courses/{BENCH_COURSE}/lessons/{BENCH_LESSON}", signed_in=True),
    Scenario("search, signed in", "/courses?q=partneryst%C4%97", signed_in=True),
)


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_seconds / self.requests if self.requests else 0.0


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --- database ----------------------------------------------------------------------------------


def _klasteris(*arguments: str, env: dict[str, str]) -> str:
    script = Path(sys.executable).with_name("klasteris")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]
    completed = subprocess.run(
        [*command, *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"klasteris {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def _password_file(database_url: str) -> Path:
    # One file per database, so --reuse-db never pairs a database with another one's password.
    return BENCH_DIR / f"demo-password-{hashlib.sha256(database_url.encode()).hexdigest()[:12]}"


def _demo_user_count(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return count_demo_users(session)
    finally:
        engine.dispose()


def prepare_database(args: argparse.Namespace, database_url: str, env: dict[str, str]) -> tuple[str, int]:
    """Migrate and seed (or reuse) the database; returns the demo accounts' password and how many there are."""
    password_file = _password_file(database_url)
    if not args.reuse_db and args.database_url is None:
        for suffix in ("", "-wal", "-shm"):
            DEFAULT_SQLITE.with_name(DEFAULT_SQLITE.name + suffix).unlink(missing_ok=True)
    _klasteris("migrate", env=env)
    _klasteris("seed-organisations", env=env)
    _klasteris("content", "sync", env=env)
    existing = _demo_user_count(database_url)
    if args.reuse_db and existing and password_file.exists():
        console.print(f"Reusing the database: {existing} demo accounts.")
        return password_file.read_text().strip(), existing
    started = time.perf_counter()
    output = _klasteris(
        "seed-demo", "--learners", str(args.learners), "--trainers", str(args.trainers), "--replace", env=env
    )
    console.print(
        f"Seeded {args.learners} learners and {args.trainers} trainers in {time.perf_counter() - started:.1f} s."
    )
    match = _PASSWORD_LINE.search(output)
    if match is None:
        raise BenchError(f"seed-demo printed no password:\n{output}")
    password_file.write_text(match.group(1))
    password_file.chmod(0o600)
    return match.group(1), _demo_user_count(database_url)


# --- server ------------------------------------------------------------------------------------


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def start_server(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "bench.app:make_bench_app", "--factory",
        "--host", LOOPBACK, "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with SERVER_LOG.open("wb") as log:
        # A session of its own: Ctrl-C reaches only this script, which then stops the server's whole group.
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except ProcessLookupError:
        pass


def _log_tail() -> str:
    lines = SERVER_LOG.read_text(errors="replace").splitlines() if SERVER_LOG.exists() else []
    return "\n".join(lines[-20:])


def wait_until_answering(base_url: str, server: subprocess.Popen[bytes], *, workers: int) -> None:
    """Until /healthz answers and, with several workers, every worker process exists."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the server stopped during start-up (exit code {server.returncode}):\n{_log_tail()}")
        try:
            answering = httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            answering = False
        # With --workers > 1 uvicorn runs a supervisor plus one process per worker.
        if answering and (workers == 1 or len(process_tree(server.pid)) > workers):
            return
        time.sleep(0.1)
    raise BenchError(f"the server did not answer within {STARTUP_TIMEOUT_SECONDS:.0f} s:\n{_log_tail()}")


def sign_in(base_url: str, *, email: str, password: str) -> dict[str, str]:
    """Sign in through the real form, as a browser would; returns the cookies a signed-in browser sends."""
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False) as browser:
        page = browser.get("/login")
        token = _CSRF_INPUT.search(page.text)
        if page.status_code != 200 or token is None:
            raise BenchError(f"GET /login answered {page.status_code} without a CSRF token")
        answer = browser.post("/login", data={CSRF_FIELD: token.group(1), "email": email, "password": password})
        if answer.status_code != 303 or SESSION_COOKIE not in answer.cookies:
            raise BenchError(
                f"signing in as {email} failed (HTTP {answer.status_code}); "
                "with --reuse-db the stored password may be stale: run once without --reuse-db"
            )
        return {CSRF_COOKIE: page.cookies[CSRF_COOKIE], SESSION_COOKIE: answer.cookies[SESSION_COOKIE]}


# --- server processes: CPU time and memory -------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """The server process and all its descendants (uvicorn's supervisor, workers, helpers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    role: str
    peak_kib: int  # VmHWM: the most it ever held
    current_kib: int  # VmRSS: what it holds now


def peak_memory(pids: list[int]) -> list[ProcessMemory]:
    found: list[ProcessMemory] = []
    for index, pid in enumerate(pids):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        peak = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        current = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if peak is None or current is None:
            continue
        if index == 0:
            role = "uvicorn" if len(pids) == 1 else "uvicorn supervisor"
        else:
            role = "resource tracker" if "resource_tracker" in cmdline else "worker"
        found.append(ProcessMemory(pid=pid, role=role, peak_kib=int(peak.group(1)), current_kib=int(current.group(1))))
    return found


# --- load generators -------------------------------------------------------------------------------

_WRK_SCRIPT = """
-- Counts non-2xx answers (wrk itself counts 3xx as success) and prints the summary in a parseable form.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do non2xx_total = non2xx_total + thread:get("non2xx") end
  local errors = summary.errors
  io.write(string.format("BENCH requests %d\\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\\n", summary.duration))
  io.write(string.format("BENCH p50_us %d\\n", latency:percentile(50)))
  io.write(string.format("BENCH p99_us %d\\n", latency:percentile(99)))
  io.write(string.format("BENCH errors %d\\n",
    non2xx_total + errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def measure_with_wrk(wrk: str, url: str, headers: dict[str, str], *, concurrency: int, duration: float) -> Measurement:
    script = BENCH_DIR / "count_non2xx.lua"
    script.write_text(_WRK_SCRIPT)
    command = [
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{duration:g}s",
        f"--timeout={REQUEST_TIMEOUT_SECONDS:g}s",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + REQUEST_TIMEOUT_SECONDS + 15, check=False
    )
    figures = dict(re.findall(r"^BENCH (\w+) (\d+)$", completed.stdout, re.MULTILINE))
    if completed.returncode != 0 or "requests" not in figures:
        raise BenchError(f"wrk failed:\n{completed.stdout}{completed.stderr}")
    return Measurement(
        requests=int(figures["requests"]),
        seconds=int(figures["duration_us"]) / 1e6,
        p50_ms=int(figures["p50_us"]) / 1000,
        p99_ms=int(figures["p99_us"]) / 1000,
        errors=int(figures["errors"]),
    )


def _percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def _drive(
    base_url: str, path: str, headers: dict[str, str], *, concurrency: int, duration: float
) -> Measurement:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False
    ) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def visitor() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    failed = not 200 <= (await client.get(path)).status_code < 300
                except httpx.HTTPError:
                    failed = True
                latencies.append(time.perf_counter() - sent)
                errors += failed

        await asyncio.gather(*(visitor() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Measurement(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=1000 * _percentile(latencies, 50),
        p99_ms=1000 * _percentile(latencies, 99),
        errors=errors,
    )


def measure_with_python(
    base_url: str, path: str, headers: dict[str, str], *, concurrency: int, duration: float
) -> Measurement:
    # Each request times out, so the run ends at most one timeout after the deadline; wait_for is the backstop.
    limit = duration + REQUEST_TIMEOUT_SECONDS + 5
    return asyncio.run(
        asyncio.wait_for(_drive(base_url, path, headers, concurrency=concurrency, duration=duration), timeout=limit)
    )


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    scenario: Scenario,
    base_url: str,
    cookies: dict[str, str],
    server_pids: list[int],
    args: argparse.Namespace,
    wrk: str | None,
) -> Measurement:
    # Anonymous visitors send the CSRF cookie too, as a browser does after its first page; only the session differs.
    sent_cookies = cookies if scenario.signed_in else {CSRF_COOKIE: cookies[CSRF_COOKIE]}
    headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in sent_cookies.items())}
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS) as warmup:
        statuses = {warmup.get(scenario.path).status_code for _ in range(WARMUP_REQUESTS)}
    if statuses != {200}:
        console.print(f"[yellow]{scenario.name}: warm-up answered {sorted(statuses)}, expected 200[/yellow]")

    server_before, client_before = cpu_seconds(server_pids), time.process_time() + _children_cpu_seconds()
    if wrk:
        result = measure_with_wrk(
            wrk, base_url + scenario.path, headers, concurrency=args.concurrency, duration=args.duration
        )
    else:
        result = measure_with_python(
            base_url, scenario.path, headers, concurrency=args.concurrency, duration=args.duration
        )
    return Measurement(
        requests=result.requests,
        seconds=result.seconds,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        server_cpu_seconds=cpu_seconds(server_pids) - server_before,
        client_cpu_seconds=time.process_time() + _children_cpu_seconds() - client_before,
    )


# --- report ---------------------------------------------------------------------------------------


def server_stack() -> str:
    """What uvicorn's "auto" settings pick in this environment (the server runs with the same interpreter)."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {http} + {loop}"


def print_report(
    results: list[tuple[Scenario, Measurement]],
    memory: list[ProcessMemory],
    *,
    generator: str,
    demo_accounts: int,
    args: argparse.Namespace,
) -> None:
    baseline = results[0][1].per_second
    table = Table(
        title=(
            f"Klasteris load benchmark: {demo_accounts} demo accounts, {args.workers} worker(s), "
            f"{args.concurrency} connections × {args.duration:g} s per scenario, {server_stack()}, "
            f"load by {generator}, {os.cpu_count()} CPUs"
        ),
        title_justify="left",
    )
    for column in (
        "scenario",
        "path",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "vs hello",
        "server CPU ms/req",
        "client CPU",
    ):
        table.add_column(column, justify="left" if column in ("scenario", "path") else "right")
    for scenario, result in results:
        table.add_row(
            scenario.name,
            scenario.path,
            f"{result.per_second:,.0f}",
            f"{result.p50_ms:.1f}",
            f"{result.p99_ms:.1f}",
            f"[red]{result.errors}[/red]" if result.errors else "0",
            f"{result.per_second / baseline:.0%}" if baseline else "-",
            f"{result.server_cpu_ms_per_request:.2f}",
            f"{result.client_cpu_seconds / result.seconds:.0%}" if result.seconds else "-",
        )
    console.print(table)
    total = sum(process.peak_kib for process in memory)
    console.print(f"Peak RSS (VmHWM) of the server processes: {total / 1024:.0f} MiB in all")
    for process in memory:
        console.print(
            f"  {process.role} (pid {process.pid}): peak {process.peak_kib / 1024:.0f} MiB, "
            f"at the end {process.current_kib / 1024:.0f} MiB"
        )
    console.print(
        "errors = non-2xx answers plus connection errors and timeouts; client CPU = load generator, of one core."
    )


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=5000, help="demo learners to seed (default 5000)")
    parser.add_argument("--trainers", type=int, default=20, help="demo trainers to seed (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="open connections (default 16)")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep the database and skip seeding if demo data exists"
    )
    parser.add_argument(
        "--database-url", help="use this database (e.g. PostgreSQL) instead of a fresh var/bench/bench.db"
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (default: wrk if installed)",
    )
    args = parser.parse_args(argv)
    if (
        args.learners < 1
        or args.trainers < 0
        or args.workers < 1
        or args.concurrency < 1
        or not 0 < args.duration <= 600
    ):
        parser.error("--learners, --workers and --concurrency must be positive, --duration between 0 and 600 s")
    return args


def run(args: argparse.Namespace) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    wrk = shutil.which("wrk") if args.generator != "python" else None
    if args.generator == "wrk" and wrk is None:
        raise BenchError("wrk is not installed; use --generator python")
    database_url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
    port = free_loopback_port()
    base_url = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "KLASTERIS_ENVIRONMENT": "development",
        "KLASTERIS_DATABASE_URL": database_url,
        "KLASTERIS_VAR_DIR": str(BENCH_DIR / "var"),
        "KLASTERIS_BASE_URL": base_url,
        # Set explicitly: workers generating var/secret_key at the same moment could each pick a different one.
        "KLASTERIS_SECRET_KEY": secrets.token_urlsafe(48),
        "COLUMNS": "200",
    }
    password, demo_accounts = prepare_database(args, database_url, env)

    server = start_server(env, port=port, workers=args.workers)
    try:
        wait_until_answering(base_url, server, workers=args.workers)
        cookies = sign_in(base_url, email=DEMO_LEARNER, password=password)
        results: list[tuple[Scenario, Measurement]] = []
        for scenario in SCENARIOS:
            console.print(f"Measuring {scenario.name} ({scenario.path}) …")
            results.append((scenario, measure(scenario, base_url, cookies, process_tree(server.pid), args, wrk)))
        memory = peak_memory(process_tree(server.pid))
    finally:
        stop_server(server)
    generator = "wrk" if wrk else "Python httpx client"
    print_report(results, memory, generator=generator, demo_accounts=demo_accounts, args=args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except BenchError as error:
        console.print(f"[red]Benchmark stopped: {error}[/red]", highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted; the server was stopped.[/yellow]")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
