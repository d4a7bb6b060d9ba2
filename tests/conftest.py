"""PostgreSQL fixtures: tests get empty, throwaway databases on a real server.

* ``pg_url`` (session) and ``pg_db_url`` (one per test) are SQLAlchemy URLs,
  ``postgresql+psycopg://...``, of databases created for the caller and dropped afterwards.
* ``pg_server`` (session) is the server itself, for tests that manage databases.

The server is the one in ``RECTIFY_TEST_PG`` when that is set (a URL such as
``postgresql://user:password@127.0.0.1:5432/postgres``, whose user may CREATE DATABASE);
otherwise a temporary cluster that this module initialises and starts on 127.0.0.1 from the
PostgreSQL binaries in ``RECTIFY_PG_BINDIR``, ``PATH`` or ``/usr/lib/postgresql/*/bin``, and
stops and deletes at the end of the session. initdb and postgres refuse to run as root, so as
root the cluster runs as the ``postgres`` system user (or ``nobody``).

Without binaries, the tests that use these fixtures are skipped, or fail when ``CI`` is true.
They carry the ``postgres`` marker: ``pytest -m "not postgres"`` leaves them out.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url

INSTALL_HINT = (
    "install them with `sudo apt-get install -y postgresql` (or run `scripts/setup.sh --with-postgres`), "
    "or set RECTIFY_TEST_PG=postgresql://USER:PASSWORD@HOST:5432/postgres to use a running server"
)
CLUSTER_PREFIX = "rectify-pg-"
PG_FIXTURES = frozenset({"pg_server", "pg_url", "pg_db_url"})


def pytest_configure(config: pytest.Config) -> None:
    # confidential values encrypted in every test, as a site with a key keeps them
    # (tests/test_secrets.py covers running without one)
    if not os.environ.get("RECTIFY_KEY_FILE"):
        import base64
        import tempfile

        fd, key_file = tempfile.mkstemp(prefix="rectify-test-key-")
        os.write(fd, base64.b64encode(os.urandom(32)))
        os.close(fd)
        os.environ["RECTIFY_KEY_FILE"] = key_file
    declared = {line.split(":")[0].strip() for line in config.getini("markers")}
    if "postgres" not in declared:
        config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (RECTIFY_TEST_PG)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server reached through ``admin``, the URL of a database we may connect to."""

    admin: URL

    def url(self, database: str) -> str:
        """The SQLAlchemy URL (``postgresql+psycopg``) of ``database`` on this server."""
        url = self.admin.set(drivername="postgresql+psycopg", database=database)
        return url.render_as_string(hide_password=False)

    def connect(self) -> psycopg.Connection:
        """An autocommit connection to the admin database, for CREATE/DROP DATABASE."""
        u = self.admin
        params = {k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()}
        conninfo = make_conninfo(
            host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database, **params
        )
        return psycopg.connect(conninfo, autocommit=True)

    def create_database(self, prefix: str = "rectify_test") -> str:
        """Create an empty UTF-8 database with a unique name; return the name."""
        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
        with self.connect() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
                .format(sql.Identifier(name))
            )
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending any sessions still connected to it."""
        with self.connect() as conn:
            if conn.info.server_version >= 130000:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            else:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
                )
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get("RECTIFY_TEST_PG")
    if external:
        url = make_url(external).set(drivername="postgresql")
        yield PgServer(url if url.database else url.set(database="postgres"))
        return
    bindir = find_pg_bindir()
    if bindir is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found in RECTIFY_PG_BINDIR, PATH or "
            f"/usr/lib/postgresql/*/bin; {INSTALL_HINT}"
        )
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with temporary_cluster(bindir) as server:
        yield server


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A database shared by the whole session (empty at its start)."""
    name = pg_server.create_database("rectify_session")
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_db_url(pg_server: PgServer) -> Iterator[str]:
    """A database of this test's own, empty at its start and dropped after it."""
    name = pg_server.create_database("rectify_test")
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


# --- a temporary cluster -------------------------------------------------------------------------


def find_pg_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest version first."""
    candidates: list[Path] = []
    if os.environ.get("RECTIFY_PG_BINDIR"):
        candidates.append(Path(os.environ["RECTIFY_PG_BINDIR"]))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


@dataclass(frozen=True)
class _Owner:
    """Who runs initdb and the server: None for ourselves, else (uid, gid) of another user."""

    ids: tuple[int, int] | None

    @classmethod
    def choose(cls) -> _Owner:
        if os.geteuid() != 0:
            return cls(None)
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls((entry.pw_uid, entry.pw_gid))
        raise RuntimeError(
            "running as root, and neither a 'postgres' nor a 'nobody' user exists to run the test "
            "server as (initdb refuses root): create one with `useradd --system postgres`"
        )

    def give(self, path: Path) -> None:
        if self.ids is not None:
            os.chown(path, *self.ids)

    def run(self, *args: object, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        extra = {}
        if self.ids is not None:
            extra = {"user": self.ids[0], "group": self.ids[1], "extra_groups": []}
        result = subprocess.run(
            [str(a) for a in args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, **extra,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{result.stdout}{result.stderr}")
        return result


def _cluster_parent(owner: _Owner) -> Path:
    """Where the cluster directory goes. /dev/shm when it has room: in memory, CREATE DATABASE
    takes ~20 ms instead of ~250 ms on disk. Else the temp dir, if the server's user can reach it
    and the socket path stays under the ~107-byte limit of unix sockets; else /tmp."""

    def usable(parent: Path, free: int = 0) -> bool:
        try:
            if not (parent.is_dir() and os.access(parent, os.W_OK | os.X_OK) and len(str(parent)) < 60):
                return False
            chain = (parent, *parent.parents)
            if owner.ids is not None and not all(p.stat().st_mode & stat.S_IXOTH for p in chain):
                return False
            st = os.statvfs(parent)
            return st.f_bavail * st.f_frsize >= free
        except OSError:
            return False

    if usable(Path("/dev/shm"), free=1 << 30):
        return Path("/dev/shm")
    parent = Path(tempfile.gettempdir()).resolve()
    return parent if usable(parent) else Path("/tmp")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reap_stale_clusters(parent: Path, bindir: Path) -> None:
    """Stop and delete clusters left behind by test sessions that were killed."""
    for base in parent.glob(CLUSTER_PREFIX + "*"):
        try:
            pid = int((base / "owner.pid").read_text())
            os.kill(pid, 0)
            continue  # its session is still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge
        data = base / "data"
        if (data / "postmaster.pid").exists():
            st = data.stat()
            owner = _Owner((st.st_uid, st.st_gid) if os.geteuid() == 0 else None)
            owner.run(bindir / "pg_ctl", "stop", "-D", data, "-m", "immediate", cwd=base, check=False)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def temporary_cluster(bindir: Path) -> Iterator[PgServer]:
    """initdb a cluster in a temp dir, start it on 127.0.0.1:<free port>, stop and delete it after."""
    owner = _Owner.choose()
    parent = _cluster_parent(owner)
    _reap_stale_clusters(parent, bindir)
    base = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX, dir=parent))
    data = base / "data"
    try:
        (base / "owner.pid").write_text(str(os.getpid()))
        password = secrets.token_urlsafe(18)
        pwfile = base / "pwfile"
        pwfile.write_text(password + "\n")
        for path in (base, pwfile):
            owner.give(path)
        owner.run(
            bindir / "initdb", "-D", data, "-U", "postgres", f"--pwfile={pwfile}", "--auth=scram-sha-256",
            "--encoding=UTF8", "--locale=C", "--no-sync", cwd=base,
        )
        pwfile.unlink()
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# rectify test server: throwaway, loopback only, no durability\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{base}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        log = base / "server.log"
        for _attempt in range(3):  # a free port can be taken before the server binds it
            port = _free_port()
            started = owner.run(
                bindir / "pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", log, "-o", f"-p {port}",
                cwd=base, check=False,
            )
            if started.returncode == 0:
                break
        else:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"could not start the test PostgreSQL server:\n{started.stderr}{tail}")
        yield PgServer(
            URL.create(
                "postgresql", username="postgres", password=password,
                host="127.0.0.1", port=port, database="postgres",
            )
        )
    finally:
        if (data / "postmaster.pid").exists():
            pg_ctl = bindir / "pg_ctl"
            stopped = owner.run(pg_ctl, "stop", "-D", data, "-m", "fast", "-w", cwd=base, check=False)
            if stopped.returncode != 0:
                owner.run(pg_ctl, "stop", "-D", data, "-m", "immediate", cwd=base, check=False)
        shutil.rmtree(base, ignore_errors=True)
