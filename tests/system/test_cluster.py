"""Every core of the host: WEB_CONCURRENCY web processes on one port, and the production layout behind nginx.

The clients count what each user was shown: every notification once, whichever process holds the socket.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest
import requests

from deploy import cluster
from tests.e2e.harness import ROOT, SECRETS, Recorder, wait_until
from tests.system.harness import children, delivery_figures, register_many, settle, sockets_held, start_nginx

pytestmark = pytest.mark.e2e

CLOSE_ERRORS = ("Socket error processing request", "Traceback")


def _connected_gauge(url: str) -> float:
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("novacart_connected_sockets "):
            return float(line.split()[1])
    return 0.0


def _held(pids: list[int], port: int, total: int) -> list[int] | None:
    """Sockets held by each process once they add up to `total`, else None."""
    held = [sockets_held(pid, port) for pid in pids]
    return held if sum(held) == total else None


def _per_web(system, total: int) -> list[float] | None:
    """Each web process's own count of its sockets (no PROMETHEUS_MULTIPROC_DIR), once they add up to `total`."""
    counts = [_connected_gauge(system.web_url(i)) for i in range(len(system.web_ports))]
    return counts if sum(counts) == total else None


def _notify_each(system, staff, users, title: str) -> None:
    for user in users:
        body = {"user_id": user["id"], "type": "back_in_stock", "title": title, "message": "m"}
        response = system.api("POST", "/api/notifications", staff["token"], json=body)
        assert response.status_code == 201, response.text


def _promote(system, staff, title: str) -> None:
    response = system.api("POST", "/api/promotions", staff["token"], json={"title": title, "message": "m"})
    assert response.status_code == 201, response.text


def test_web_concurrency_two_processes_on_one_port_deliver_every_notification_once(boot, fleet, tmp_path):
    # given one web of two gevent processes sharing a port, with metrics added up across processes
    booted = boot(extra_env={"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    system = booted.system
    port = system.web_ports[0]
    workers = wait_until(
        lambda: len(children(system.processes["web0"].popen.pid)) == 2 and children(system.processes["web0"].popen.pid),
        timeout=20,
        what="two gunicorn workers",
    )
    staff = system.employee("staff")
    users = register_many(system, 40)
    # when 40 customers connect over WebSocket
    clients = {u["id"]: c for u, c in zip(users, fleet.open(system.url, [u["token"] for u in users]), strict=True)}
    # then both processes hold some of the sockets, and /metrics counts them all once
    held = wait_until(lambda: _held(workers, port, 40), timeout=10, what="40 sockets held")
    assert min(held) > 0, f"one process holds every socket: {held}"
    assert wait_until(lambda: _connected_gauge(system.url) == 40, timeout=10, what="the gauge at 40")

    # when staff notify each customer through the API (served by either process), then promote to all
    note, promo = f"Note {uuid.uuid4().hex[:6]}", f"Promo {uuid.uuid4().hex[:6]}"
    _notify_each(system, staff, users, note)
    _promote(system, staff, promo)
    # then every customer is shown both, once
    expected = {u["id"]: {note, promo} for u in users}
    assert settle(clients, expected, 0, timeout=30) is not None, delivery_figures(clients, expected)
    figures = delivery_figures(clients, expected)
    assert figures["lost"] == 0 and figures["duplicates_shown"] == 0, figures

    # when one process dies, gunicorn starts another; its clients reconnect to either
    system_log = system.processes["web0"].log
    dead = workers[0]
    os.kill(dead, signal.SIGKILL)
    wait_until(
        lambda: len(kids := children(system.processes["web0"].popen.pid)) == 2 and dead not in kids,
        timeout=30,
        what="a replacement worker",
    )
    wait_until(lambda: fleet.connected() == 40, timeout=30, what="every client reconnected")
    # then the dead process's sockets are no longer counted
    assert wait_until(lambda: _connected_gauge(system.url) == 40, timeout=10, what="the gauge back at 40")
    after = f"After {uuid.uuid4().hex[:6]}"
    _promote(system, staff, after)
    expected = {u["id"]: {note, promo, after} for u in users}
    assert settle(clients, expected, 0, timeout=30) is not None, delivery_figures(clients, expected)

    # and a long-polling client is refused at once (its session could not survive two processes)
    poller = Recorder(system.url, users[0]["token"], transports=["polling"])
    assert not poller.try_connect(timeout=5)
    # and normal closes are not logged as errors
    fleet.close()
    wait_until(
        lambda: sum(sockets_held(pid, port) for pid in children(system.processes["web0"].popen.pid)) == 0,
        timeout=10,
        what="every socket closed",
    )
    log = system_log.read_text(errors="replace")
    assert not [marker for marker in CLOSE_ERRORS if marker in log], log[-3000:]


def test_eventlet_refuses_more_than_one_process_per_port():
    # given eventlet, whose server is one process, asked for two
    env = {**os.environ, **SECRETS, "NOVACART_CONFIG": "production", "ALLOW_SANDBOX_PAYMENTS": "true"}
    env.update({"ASYNC_MODE": "eventlet", "WEB_CONCURRENCY": "2", "PORT": "1"})
    # when the web process starts
    result = subprocess.run([sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    # then it refuses in one line, naming the setting
    assert result.returncode == 2, result.stderr
    assert "WEB_CONCURRENCY=1" in result.stderr and "Traceback" not in result.stderr


QUICK, SLOW = 20, 400


def require_nginx() -> None:
    """Debian's nginx (make setup WITH_NGINX=1): without it these tests skip locally and fail under CI."""
    try:
        cluster.nginx_binary()
    except FileNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))


def test_the_shipped_nginx_site_is_valid_as_is(tmp_path):
    require_nginx()
    # given deploy/nginx/novacart.conf unchanged (listen 80, ports 5001 and 5002), in a main configuration
    conf = tmp_path / "nginx.conf"
    conf.write_text(cluster.standalone_conf(tmp_path, cluster.SITE, workers=1))
    # when nginx checks it
    result = subprocess.run(
        [cluster.nginx_binary(), "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    # then it is accepted
    assert result.returncode == 0, result.stderr


SIZES = [pytest.param(QUICK, id="quick"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]


@pytest.mark.parametrize("size", SIZES)
def test_behind_nginx_polling_and_websocket_clients_on_every_web_process_get_a_promotion_once(
    boot, fleet, reliability, size
):
    row = reliability(
        "nginx in front of 2 web processes",
        "layout",
        f"deploy/nginx/novacart.conf as shipped; 2 web processes, 2 workers, beat, Redis and "
        f"{'PostgreSQL' if size == SLOW else 'the suite database'}; {size} WebSocket clients spread over both webs, "
        "2 long-polling clients (one upgrading to WebSocket), all through nginx; 3 promotions",
        "every client shows every promotion once; polling clients stay on their process",
        order=30,
        size=(size + 2) * 3,
    )
    require_nginx()
    # given the production layout: nginx in front of two web processes, two workers, beat
    booted = boot(
        web=2,
        postgres=size == SLOW,
        extra_env={"TRUSTED_PROXIES": "1", "DELIVERY_RESEND_AFTER_SECONDS": "120"},
    )
    system = booted.system
    system.start_worker("worker2")
    proxy = start_nginx(system)
    staff = system.employee("staff")
    users = register_many(system, size + 2)
    # when customers connect through nginx: WebSocket, long-polling, and polling that upgrades
    websocket = {
        u["id"]: c for u, c in zip(users[:size], fleet.open(proxy, [u["token"] for u in users[:size]]), strict=True)
    }
    polling = fleet.open(proxy, [users[size]["token"]], transports=["polling"])[0]
    upgrading = fleet.open(proxy, [users[size + 1]["token"]], transports=["polling", "websocket"])[0]
    clients = {**websocket, users[size]["id"]: polling, users[size + 1]["id"]: upgrading}
    # then WebSocket clients are held by every web process, and every client by exactly one
    per_web = wait_until(lambda: _per_web(system, size + 2), timeout=20, what="every socket counted by one web")
    assert min(per_web) > 0, f"one web process holds every socket: {per_web}"

    # when staff send three promotions through nginx
    titles = {f"Promo {k} {uuid.uuid4().hex[:6]}" for k in range(3)}
    for title in sorted(titles):
        response = system.api(
            "POST", "/api/promotions", staff["token"], base=proxy, json={"title": title, "message": "m"}
        )
        assert response.status_code == 201, response.text
    # then every client shows each once, and nothing came twice on the wire
    expected = {uid: set(titles) for uid in clients}
    recovery = settle(clients, expected, 0, timeout=60 if size == SLOW else 30)
    figures = delivery_figures(clients, expected)
    row.figures.update({**figures, "sockets per web": per_web})
    assert recovery is not None and figures["lost"] == 0, figures
    assert figures["duplicates_shown"] == 0 and figures["duplicates_on_wire"] == 0, figures
    assert polling.client.transport() == "polling"
    assert upgrading.client.transport() == "websocket"
