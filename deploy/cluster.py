"""The production layout on one machine: deploy/nginx/novacart.conf in front of N web processes.

`render_site` fills the shipped site file with real ports (nothing else changes, so what the tests run is
what production installs); `standalone_conf` wraps it in a main configuration an unprivileged nginx can
run from a private directory. `python -m deploy.cluster nginx --listen 8111 --webs 5001,5002 --dir DIR`
writes both and prints the command (`make run-cluster` uses it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path

SITE = Path(__file__).resolve().parent / "nginx" / "novacart.conf"
_UPSTREAM_SERVERS = re.compile(r"(?:^[ \t]*server [^;\n]+;\n)+", re.MULTILINE)


def render_site(listen: str, webs: list[str], text: str | None = None) -> str:
    """The site file with nginx listening on `listen` (e.g. 127.0.0.1:8111) in front of `webs` (host:port)."""
    text = SITE.read_text() if text is None else text
    servers = "".join(f"    server {web};\n" for web in webs)
    text, upstreams = _UPSTREAM_SERVERS.subn(servers, text)
    if upstreams != 2:
        raise ValueError(f"expected two upstreams' server lists in {SITE}, found {upstreams}")
    text = re.sub(r"^[ \t]*listen \[::\]:80;\n", "", text, flags=re.MULTILINE)
    text, listens = re.subn(r"^([ \t]*)listen 80;", rf"\g<1>listen {listen};", text, flags=re.MULTILINE)
    if listens != 1:
        raise ValueError(f"expected one `listen 80;` in {SITE}")
    return text


def standalone_conf(directory: Path, site: Path, *, workers: int | str = "auto", connections: int = 8192) -> str:
    """A main nginx.conf keeping its pid, logs and temporary files under `directory` (no root needed)."""
    temp = directory / "tmp"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / name).mkdir(parents=True, exist_ok=True)
        (temp / name).chmod(0o777)  # nginx's workers may run as another user when started by root
    return f"""worker_processes {workers};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
worker_rlimit_nofile {connections * 2 + 64};
events {{
    worker_connections {connections};
}}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""


def write(directory: Path, listen: str, webs: list[str], **kwargs) -> list[str]:
    """Write the site and the main configuration under `directory`; return the command that runs nginx."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    site = directory / "novacart.conf"
    site.write_text(render_site(listen, webs))
    conf = directory / "nginx.conf"
    conf.write_text(standalone_conf(directory, site, **kwargs))
    return [
        nginx_binary(),
        "-e",
        str(directory / "error.log"),
        "-p",
        str(directory),
        "-c",
        str(conf),
        "-g",
        "daemon off;",
    ]


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        raise FileNotFoundError("nginx is not installed (make setup WITH_NGINX=1, or apt-get install nginx)")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    nginx = sub.add_parser("nginx", help="write the configuration and print the command that runs nginx")
    nginx.add_argument("--listen", required=True, help="address:port or port")
    nginx.add_argument("--webs", required=True, help="comma-separated web ports or host:port")
    nginx.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    webs = [w if ":" in w else f"127.0.0.1:{w}" for w in args.webs.split(",") if w]
    print(" ".join(f"'{part}'" if " " in part else part for part in write(args.dir, args.listen, webs)))


if __name__ == "__main__":
    main()
