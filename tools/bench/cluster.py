"""`make bench`, second part: a cluster's topologies and the cost of a converge as it grows.

1. start four lab containers on their own docker network (nothing published): a balancer
   and two app hosts (the cluster), and a host of its own (solo), which also runs the load;
2. converge the cluster with site.yml: the sample app twice, `sample` behind the app
   hosts' nginx (topology http, two tiers) and `direct` reached by the balancer over uwsgi
   at its TCP socket (topology uwsgi); converge solo with the same two apps;
3. wrk on solo against the balancer, each topology in turn at 32 and 128 connections
   (the JSON endpoint) and at 32 (the static file): requests/s, p99, errors, and the CPU
   seconds the balancer and the app hosts used (their containers' cgroups);
4. no-change converges side by side, alternating, over SSH (a key pair of the run): the
   cluster against solo (two apps) and against its two app hosts alone (--limit), then solo
   with 1 app against solo with 10; and the cluster against solo over the docker
   connection; each with the CPU seconds the controller and the containers used;
5. a rolling deploy of `sample` to a new version over both app hosts: seconds per host;
6. save docs/cluster-performance.json and write docs/cluster-performance.md.

    python -m tools.bench.cluster            # the full run
    python -m tools.bench.cluster --smoke    # 1 s runs, one round, into build/bench-smoke/
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from tools.bench import lab
from tools.bench.lab import LabError, run, say

NETWORK = "flaskstack-bench"
SUBNET = "172.31.252.0/24"
HOSTS = {
    "flaskstack-bench-lb": "172.31.252.10",
    "flaskstack-bench-app1": "172.31.252.11",
    "flaskstack-bench-app2": "172.31.252.12",
    "flaskstack-bench-solo": "172.31.252.20",
}
BALANCER, APP1, APP2, SOLO = HOSTS
WRK_SCRIPT = lab.ROOT / "tools" / "bench" / "files" / "wrk-json.lua"
TOPOLOGIES = {"http": "sample.test", "uwsgi": "direct.test"}
FULL = {"seconds": 5.0, "warmup": 1.0, "rounds": 3}
SMOKE = {"seconds": 1.0, "warmup": 0.0, "rounds": 1}


def app(name: str, server_name: str, source: Path, protocol: str = "http") -> dict[str, Any]:
    return {
        "name": name,
        "balancer_protocol": protocol,
        "source": {"type": "dir", "path": str(source)},
        "module": "flaskstack_sample.wsgi:application",
        "pythonpath": "src",
        "server_names": [server_name],
        "static": [{"url": "/static/", "path": "src/flaskstack_sample/static"}],
    }


def inventories(directory: Path, source: Path) -> dict[str, Path]:
    """The cluster's inventory, and solo's with 1, 2 and 10 apps."""
    connection = {
        "ansible_connection": "community.docker.docker",
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    two = [app("sample", "sample.test", source), app("direct", "direct.test", source, "uwsgi")]
    cluster = {
        "all": {
            "children": {
                "balancers": {"hosts": {BALANCER: None}},
                "app": {
                    "hosts": {name: {"flaskapp_balancer_address": HOSTS[name]} for name in (APP1, APP2)},
                    "vars": {"nginx_listen": ["80", "8080"]},
                },
                "web": {"children": {"app": None}},
            },
            "vars": {
                **connection,
                "flaskapp_apps": two,
                # wrk on solo is one client at thousands of requests/s: not rate-limited.
                "nginx_rate_limit_exempt": ["127.0.0.0/8", "::1", HOSTS[SOLO]],
            },
        }
    }
    paths = {"cluster": directory / "cluster.yml"}
    paths["cluster"].write_text(yaml.safe_dump(cluster), encoding="utf-8")
    for key, apps in (
        ("solo-1", two[:1]),
        ("solo-2", two),
        ("solo-10", two[:1] + [app(f"sample{n}", f"sample{n}.test", source) for n in range(1, 10)]),
    ):
        solo = {
            "all": {
                "children": {"web": {"hosts": {SOLO: None}}, "app": {"hosts": {SOLO: None}}},
                "vars": {**connection, "flaskapp_apps": apps},
            }
        }
        paths[key] = directory / f"{key}.yml"
        paths[key].write_text(yaml.safe_dump(solo), encoding="utf-8")
    return paths


def ssh_inventories(paths: dict[str, Path], directory: Path) -> dict[str, Path]:
    """The same inventories over SSH (as users run Ansible): root at each container's address,
    with a key pair made for this run, each host key put in a known_hosts file of the run
    through `docker exec` (StrictHostKeyChecking=yes; ~/.ssh is not touched). Pipelining and
    ControlPersist are ansible.cfg's and Ansible's defaults."""
    key = directory / "id_ed25519"
    for path in (key, directory / "id_ed25519.pub"):
        path.unlink(missing_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "flaskstack cluster bench", "-f", str(key)])
    public_key = (directory / "id_ed25519.pub").read_text(encoding="utf-8")
    known_hosts = directory / "known_hosts"
    lines = []
    for name, address in HOSTS.items():
        install = "install -d -m 0700 /root/.ssh && install -m 0600 /dev/stdin /root/.ssh/authorized_keys"
        run(["docker", "exec", "-i", name, "bash", "-c", install], stdin=public_key)
        host_key = docker_exec(name, "cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2]
        lines.append(f"{address} {' '.join(host_key)}\n")
    known_hosts.write_text("".join(lines), encoding="utf-8")
    connection = {
        "ansible_connection": "ansible.builtin.ssh",
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts}"
        " -o IdentitiesOnly=yes",
    }
    ssh_paths = {}
    for key_name, path in paths.items():
        inventory = yaml.safe_load(path.read_text(encoding="utf-8"))
        inventory["all"]["vars"].update(connection)

        def address_hosts(node: Any) -> None:
            if isinstance(node, dict):
                for name, value in node.items():
                    if name in HOSTS:
                        node[name] = {**(value or {}), "ansible_host": HOSTS[name]}
                    else:
                        address_hosts(value)

        address_hosts(inventory)
        ssh_paths[key_name] = directory / f"{key_name}-ssh.yml"
        ssh_paths[key_name].write_text(yaml.safe_dump(inventory), encoding="utf-8")
    for name, address in HOSTS.items():
        probe = ["ssh", "-i", str(key), *connection["ansible_ssh_common_args"].split(), "-o", "BatchMode=yes"]
        probe += ["-o", "ConnectTimeout=5", f"root@{address}", "true"]
        for _ in range(20):
            if run(probe, check=False).returncode == 0:
                break
            time.sleep(1)
        else:
            raise LabError(f"ssh root@{address} ({name}) did not answer with the run's key")
    say(f"ssh: the four containers answer with the run's key ({directory / 'known_hosts'})")
    return ssh_paths


def docker_exec(name: str, script: str, timeout: float = 120) -> str:
    return run(["docker", "exec", name, "bash", "-c", script], timeout=timeout).stdout


def remove_all() -> None:
    for name in HOSTS:
        run(["docker", "rm", "-f", name], check=False)
    run(["docker", "network", "rm", NETWORK], check=False)


def start_all() -> str:
    image = lab.lab_image()
    remove_all()
    run(["docker", "network", "create", "--subnet", SUBNET, NETWORK])
    for name, address in HOSTS.items():
        say(f"starting container {name} ({address}) from {image}")
        run(
            ["docker", "run", "-d", "--name", name, "--hostname", name, *lab.DOCKER_RUN_FLAGS,
             "--network", NETWORK, "--ip", address, image]
        )  # fmt: skip
    for name in HOSTS:
        for _ in range(60):
            state = run(
                ["docker", "exec", name, "systemctl", "is-system-running"], check=False
            ).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        else:
            raise LabError(f"systemd in {name} did not come up; see: docker logs {name}")
    return image


def playbook(playbook_path: str, inventory: Path, label: str, logs: Path, *extra: str) -> float:
    """Run a playbook from the checkout; its wall seconds (LabError if it failed)."""
    return playbook_cpu(playbook_path, inventory, label, logs, *extra)["seconds"]


def controller_cpu_seconds() -> float:
    """CPU seconds of this process's finished children and theirs: ansible-playbook, its
    workers and their ssh clients (the ControlPersist masters run detached: not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook_cpu(
    playbook_path: str, inventory: Path, label: str, logs: Path, *extra: str
) -> dict[str, float]:
    """Run a playbook from the checkout (LabError if it failed): its wall seconds, and the CPU
    seconds the controller and the four containers used meanwhile."""
    argv = ["ansible-playbook", "-i", str(inventory), playbook_path, *extra]
    hosts_before = sum(cpu_seconds(name) for name in HOSTS)
    controller_before = controller_cpu_seconds()
    started = time.monotonic()
    result = subprocess.run(
        argv, cwd=lab.ROOT, env={**lab.ansible_env(), "ANSIBLE_NOCOLOR": "1"}, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    controller = controller_cpu_seconds() - controller_before
    hosts = sum(cpu_seconds(name) for name in HOSTS) - hosts_before
    log = logs / f"{label.replace(' ', '-')}.log"
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise LabError(f"{label}: ansible-playbook exited {result.returncode}; end of {log}:\n{tail}")
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", result.stdout))
    say(f"{label}: {seconds:.1f} s, changed={changed}, CPU s: controller {controller:.1f}, hosts {hosts:.1f}")
    return {
        "seconds": round(seconds, 2),
        "controller_cpu": round(controller, 2),
        "hosts_cpu": round(hosts, 2),
    }


def cpu_seconds(name: str) -> float:
    """CPU seconds the container used so far (its cgroup, v1 or v2)."""
    container = run(["docker", "inspect", "-f", "{{.Id}}", name]).stdout.strip()
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container}/cpuacct.usage")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    for v2 in (Path(f"/sys/fs/cgroup/system.slice/docker-{container}.scope/cpu.stat"),
               Path(f"/sys/fs/cgroup/docker/{container}/cpu.stat")):  # fmt: skip
        if v2.exists():
            usage = dict(line.split() for line in v2.read_text().splitlines())
            return int(usage["usage_usec"]) / 1e6
    raise LabError(f"no CPU accounting found for container {name}")


def wrk(host_name: str, path: str, connections: int, seconds: float) -> dict[str, Any]:
    command = (
        f'ulimit -n "$(ulimit -Hn)" && wrk --threads 2 --connections {connections} --duration {seconds:g}s'
        f" --timeout 2s --latency --script /etc/bench/wrk-json.lua --header 'Host: {host_name}'"
        f" http://{HOSTS[BALANCER]}{path}"
    )
    output = docker_exec(SOLO, command, timeout=seconds + 60)
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise LabError(f"wrk printed no BENCH_JSON line:\n{output}")


def measure(topology: str, endpoint: str, connections: int, seconds: float, warmup: float) -> dict[str, Any]:
    path = "/" if endpoint == "json" else "/static/style.css"
    if warmup:
        wrk(TOPOLOGIES[topology], path, connections, warmup)
    before = {name: cpu_seconds(name) for name in (BALANCER, APP1, APP2)}
    raw = wrk(TOPOLOGIES[topology], path, connections, seconds)
    after = {name: cpu_seconds(name) for name in (BALANCER, APP1, APP2)}
    elapsed = raw["duration_us"] / 1e6
    requests = max(raw["requests"], 1)
    point = {
        "topology": topology,
        "endpoint": endpoint,
        "connections": connections,
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / elapsed, 1),
        "p50_ms": round(raw["latency_p50_us"] / 1000, 2),
        "p99_ms": round(raw["latency_p99_us"] / 1000, 2),
        "errors": raw["status_errors"]
        + raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"],
        # CPU milliseconds per request: the balancer's container, and both app hosts'.
        "cpu_ms_per_request": {
            "balancer": round(1000 * (after[BALANCER] - before[BALANCER]) / requests, 3),
            "app_hosts": round(1000 * sum(after[n] - before[n] for n in (APP1, APP2)) / requests, 3),
        },
    }
    say(
        f"{topology:5} {endpoint:6} c={connections:<4} {point['requests_per_second']:>8.0f} req/s"
        f"  p99 {point['p99_ms']:7.2f} ms  errors {point['errors']}  cpu/req {point['cpu_ms_per_request']}"
    )
    return point


def alternate(
    runs: dict[str, tuple[str, Path, tuple[str, ...]]], rounds: int, logs: Path
) -> dict[str, list[dict[str, float]]]:
    """No-change converges of each inventory in turn, ROUNDS times: each run's wall and CPU
    seconds (playbook_cpu)."""
    measured: dict[str, list[dict[str, float]]] = {key: [] for key in runs}
    for number in range(1, rounds + 1):
        for key, (playbook_path, inventory, extra) in runs.items():
            measured[key].append(
                playbook_cpu(playbook_path, inventory, f"no-change {key} {number}", logs, *extra)
            )
    return measured


def report(results: dict[str, Any]) -> str:
    points = results["throughput"]

    def point(topology: str, endpoint: str, connections: int) -> dict[str, Any]:
        return next(
            p
            for p in points
            if (p["topology"], p["endpoint"], p["connections"]) == (topology, endpoint, connections)
        )

    lines = [
        "# Cluster performance",
        "",
        f"Written by `make bench` (`tools/bench/cluster.py`) at {results['commit']} on"
        f" {results['measured_at']}; the raw numbers are in `cluster-performance.json`.",
        "A balancer and two app hosts (Debian 12 containers on one docker network of this 2-core machine),",
        "the sample app twice: `sample` in topology `http` (the balancer proxies HTTP/1.1 kept alive to",
        "nginx on the app hosts) and `direct` in topology `uwsgi` (the balancer's nginx passes requests",
        "in the uwsgi protocol to the app's TCP socket on each app host). wrk runs on a fourth container.",
        f"{results['seconds']:g} s per point after {results['warmup']:g} s of warm-up. CPU: milliseconds per",
        "request of the balancer's container and of both app hosts' together (cgroup accounting).",
        "",
        "## Topologies side by side",
        "",
        "| endpoint | connections | http req/s | uwsgi req/s | uwsgi / http | http p99 ms | uwsgi p99 ms"
        " | http CPU ms/req (balancer + apps) | uwsgi CPU ms/req (balancer + apps) | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for endpoint, connections in (("json", 32), ("json", 128), ("static", 32)):
        http, direct = point("http", endpoint, connections), point("uwsgi", endpoint, connections)
        ratio = (
            direct["requests_per_second"] / http["requests_per_second"] if http["requests_per_second"] else 0
        )
        lines.append(
            f"| {endpoint} | {connections} | {http['requests_per_second']:,.0f}"
            f" | {direct['requests_per_second']:,.0f}"
            f" | {ratio:.2f}x | {http['p99_ms']} | {direct['p99_ms']}"
            f" | {http['cpu_ms_per_request']['balancer']} + {http['cpu_ms_per_request']['app_hosts']}"
            f" | {direct['cpu_ms_per_request']['balancer']} + {direct['cpu_ms_per_request']['app_hosts']}"
            f" | {http['errors'] + direct['errors']} |"
        )
    converge = results["converge"]
    rolling = results["rolling"]

    def median(key: str) -> float:
        return statistics.median(converge[key])

    lines += [
        "",
        "The static file goes over HTTP to the app hosts' nginx in both topologies.",
        "",
        "## The no-change converge as the work grows",
        "",
        "Each group run alternately, the median of its rounds (seconds). Over SSH, as users run Ansible"
        " (ControlPersist, pipelining), and over the docker connection, which the Molecule scenarios use"
        " (a `docker exec` per command):",
        "",
        "| compared | seconds | ratio | target |",
        "| --- | --- | --- | --- |",
        f"| one host, 2 apps (SSH) | {median('solo-2'):.1f} | 1.00 | |",
        f"| the cluster (a balancer, 2 app hosts), 2 apps (SSH) | {median('cluster'):.1f}"
        f" | {median('cluster') / median('solo-2'):.2f} | ≤ 1.3 |",
        f"| one host, 2 apps (docker) | {median('solo-2 docker'):.1f} | 1.00 | |",
        f"| the cluster, 2 apps (docker) | {median('cluster docker'):.1f}"
        f" | {median('cluster docker') / median('solo-2 docker'):.2f} | |",
        f"| one host, 1 app (SSH) | {median('solo-1'):.1f} | 1.00 | |",
        f"| one host, 10 apps (SSH) | {median('solo-10'):.1f} | {median('solo-10') / median('solo-1'):.2f}"
        f" | each extra app < 0.5 s: {(median('solo-10') - median('solo-1')) / 9:.2f} s |",
        "",
    ]
    lines += converge_cpu_lines(results)
    lines += [
        "## A rolling deploy",
        "",
        f"`deploy.yml -e app=sample` to a new version over {rolling['hosts']} app hosts, one at a time:"
        f" {rolling['seconds']:.1f} s, {rolling['seconds'] / rolling['hosts']:.1f} s per host"
        " (drain, requests in flight finished, build, checks, switch, health, back in).",
        "",
    ]
    return "\n".join(lines)


def converge_cpu_lines(results: dict[str, Any]) -> list[str]:
    """Where the SSH converges' time went: wall and CPU seconds (medians of the rounds), and
    the cores they kept busy, with the cluster's two app hosts by themselves beside them."""
    cpu = results.get("converge_cpu", {})
    if not all(key in cpu for key in ("solo-2", "cluster", "app hosts")):
        return []

    def median(key: str, field: str) -> float:
        return statistics.median(run[field] for run in cpu[key])

    solo = median("solo-2", "seconds")
    lines = [
        "What the SSH converges used (medians; CPU seconds of the controller, i.e. ansible-playbook,",
        "its workers and their ssh clients, and of the four containers, from their cgroups). All of it",
        "runs on this machine's 2 cores, so hosts that Ansible drives in parallel share them:",
        "",
        "| converge | hosts | wall s | ratio | controller CPU s | hosts CPU s | cores busy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, title, hosts in (
        ("solo-2", "one host, 2 apps", 1),
        ("app hosts", "the cluster's 2 app hosts alone (`--limit`, no balancer)", 2),
        ("cluster", "the cluster (a balancer, 2 app hosts)", 3),
    ):
        wall, controller, on_hosts = (
            median(key, field) for field in ("seconds", "controller_cpu", "hosts_cpu")
        )
        lines.append(
            f"| {title} | {hosts} | {wall:.1f} | {wall / solo:.2f} | {controller:.1f} | {on_hosts:.1f}"
            f" | {(controller + on_hosts) / wall:.2f} |"
        )
    apps, cluster = median("app hosts", "seconds"), median("cluster", "seconds")
    controller_growth = median("cluster", "controller_cpu") / median("solo-2", "controller_cpu")
    lines += [
        "",
        f"The two app hosts alone do one host's work twice and take {apps / solo:.2f}x its time, with no"
        f" balancer in it; the balancer, an nginx host of its own, adds {cluster - apps:.1f} s. Ansible's own"
        f" work grows with the hosts (the controller used {controller_growth:.1f}x"
        " one host's CPU for the cluster), and here it shares the two cores with the hosts' work.",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 s runs, one round, into build/bench-smoke/")
    parser.add_argument("--keep", action="store_true", help="leave the containers running at the end")
    arguments = parser.parse_args(argv)
    settings = SMOKE if arguments.smoke else FULL
    out = lab.ROOT / ("build/bench-smoke" if arguments.smoke else "docs")
    logs = lab.ROOT / ("build/bench-smoke/cluster" if arguments.smoke else "build/bench/cluster")
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    out.mkdir(parents=True, exist_ok=True)
    source = logs / "sample"
    shutil.copytree(
        lab.ROOT / "app", source, ignore=shutil.ignore_patterns("tests", "*.egg-info", "__pycache__")
    )
    paths = inventories(logs, source)
    try:
        start_all()
        run(["docker", "cp", str(WRK_SCRIPT), f"{SOLO}:/tmp/wrk-json.lua"])
        docker_exec(
            SOLO,
            "apt-get install -qq -y wrk >/dev/null"
            " && install -D -m 0644 /tmp/wrk-json.lua /etc/bench/wrk-json.lua",
            300,
        )
        playbook("site.yml", paths["cluster"], "first converge cluster", logs)
        for key in ("solo-1", "solo-2", "solo-10"):
            playbook("site.yml", paths[key], f"first converge {key}", logs)
        throughput = [
            measure(topology, endpoint, connections, settings["seconds"], settings["warmup"])
            for endpoint, connections in (("json", 32), ("json", 128), ("static", 32))
            for topology in TOPOLOGIES
        ]
        ssh = ssh_inventories(paths, logs)
        # The first SSH run of each inventory opens its ControlPersist connections: not timed.
        for key in ("cluster", "solo-2", "solo-1", "solo-10"):
            playbook("site.yml", ssh[key], f"first ssh converge {key}", logs)
        # "app hosts": the cluster's two app hosts by themselves (--limit, the balancer left
        # out): the same work as solo twice, so what sharing this machine's cores costs.
        converge_cpu = alternate(
            {
                "cluster": ("site.yml", ssh["cluster"], ()),
                "solo-2": ("site.yml", ssh["solo-2"], ()),
                "app hosts": ("site.yml", ssh["cluster"], ("--limit", f"{APP1},{APP2}")),
            },
            settings["rounds"],
            logs,
        )
        converge_cpu |= alternate(
            {"solo-1": ("site.yml", ssh["solo-1"], ()), "solo-10": ("site.yml", ssh["solo-10"], ())},
            settings["rounds"],
            logs,
        )
        converge_cpu |= alternate(
            {
                "cluster docker": ("site.yml", paths["cluster"], ()),
                "solo-2 docker": ("site.yml", paths["solo-2"], ()),
            },
            settings["rounds"],
            logs,
        )
        converge = {key: [run["seconds"] for run in runs] for key, runs in converge_cpu.items()}
        (source / "src" / "flaskstack_sample" / "static" / "bench-v2.css").write_text("/* v2 */\n")
        rolling = playbook(
            "playbooks/deploy.yml",
            paths["cluster"],
            "rolling deploy",
            logs,
            "-e",
            "app=sample",
            "-e",
            f"version={source}",
        )
    finally:
        if not arguments.keep:
            remove_all()
    results = {
        "commit": run(["git", "-C", str(lab.ROOT), "describe", "--always", "--dirty"]).stdout.strip(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M %Z"),
        "seconds": settings["seconds"],
        "warmup": settings["warmup"],
        "throughput": throughput,
        "converge": converge,
        "converge_cpu": converge_cpu,
        "rolling": {"seconds": rolling, "hosts": 2},
    }
    (out / "cluster-performance.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "cluster-performance.md").write_text(report(results), encoding="utf-8")
    say(f"wrote {out / 'cluster-performance.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
