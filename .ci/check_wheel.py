"""The release as a new operator gets it: the wheel installed in a fresh virtual environment outside the
repository, then, from another directory, `jisr migrate` and `jisr serve` answering /healthz, the web app
at / and the API documentation at /docs with the assets it names (issue 13).

    python .ci/check_wheel.py dist/jisr-0.1.0-py3-none-any.whl

The environment has no access to the repository's packages (no --system-site-packages); pip installs
every dependency the wheel declares, from its cache when it has them. Only the standard library is used
here, so any Python 3.11+ runs it.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def same_origin_assets(html: str) -> list[str]:
    """The src/href of the page's scripts and style sheets; fails on any that is not of this origin."""
    refs = re.findall(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", html, re.IGNORECASE)
    for ref in refs:
        if re.match(r"^(?:[a-z]+:)?//", ref, re.IGNORECASE):
            raise AssertionError(f"the page loads {ref} from another origin")
    return refs


def main(wheel: Path) -> None:
    wheel = wheel.resolve()
    work = Path(tempfile.mkdtemp(prefix="jisr-wheel-"))
    server: subprocess.Popen[bytes] | None = None
    log = work / "server.log"
    try:
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        bin_ = venv / "bin"
        start = time.monotonic()
        subprocess.run([str(bin_ / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)], check=True)
        print(f"installed {wheel.name} in {time.monotonic() - start:.0f} s")
        run = work / "run"  # neither the repository nor the wheel's folder: the package must carry all it needs
        run.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JISR_", "PYTHON", "VIRTUAL_ENV"))}
        env.update({"JISR_VAR_DIR": str(run / "var"), "JISR_LOG_FORMAT": "text"})
        subprocess.run([str(bin_ / "jisr"), "migrate"], cwd=run, env=env, check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(bin_ / "jisr"), "serve", "--port", str(port)],
                cwd=run,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise AssertionError("the server exited")
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        print("/healthz 200")

        for page, marker in (("/", b'id="root"'), ("/docs", b"swagger-ui"), ("/redoc", b"<redoc")):
            status, headers, body = get(base + page)
            assert status == 200 and headers["content-type"].startswith("text/html"), (page, status)
            assert marker in body, f"{page} is not the expected page"
            assets = same_origin_assets(body.decode())
            assert assets, f"{page} names no script nor style sheet"
            for ref in assets:
                url = base + ref if ref.startswith("/") else f"{base}{page.rstrip('/')}/{ref}"
                status, _, _ = get(url)
                assert status == 200, f"{page} names {ref}, which answers {status}"
            print(f"{page} 200, its {len(assets)} assets served")
        status, headers, _ = get(base + "/openapi.json")
        assert status == 200 and headers["content-type"] == "application/json", status
        print("the wheel works outside the repository")
    except BaseException:
        if log.exists():
            sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
