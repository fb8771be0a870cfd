"""Deployment: a real Scrapyd on loopback, started with the shipped configuration, HTTP basic auth
on; the egg built and uploaded by the real `scrapyd-deploy` from a clean copy of the project; a
job scheduled through schedule.json against the fixture site; results read back through the API,
the job log and the export."""

from __future__ import annotations

import configparser
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from scrapy.utils.test import get_crawler

from devsite.fixture_site import FixtureSite, Route
from icmpd_news.extensions.scrapyd_paths import ScrapydPathsCheck
from icmpd_news.spiders.feed import FeedSpider
from tests.crawling import PROJECT_ROOT, CrawlResult, validate

USERNAME = "icmpd-test"
PASSWORD = "not-a-real-secret"
AUTH = (USERNAME, PASSWORD)
# The same files are copied into a "clean clone": nothing built or cached in the worktree.
CLONE_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                      ".pytest_cache", "output", "eggs", "logs", "dbs")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Scrapyd:
    """A running Scrapyd: its base URL and the folder it runs in (its jobs' working directory)."""

    base: str
    folder: Path
    process: subprocess.Popen

    def get(self, endpoint: str, **params: str) -> dict:
        response = requests.get(f"{self.base}/{endpoint}", params=params, auth=AUTH, timeout=30)
        response.raise_for_status()
        return response.json()

    def post(self, endpoint: str, data: list[tuple[str, str]]) -> dict:
        response = requests.post(f"{self.base}/{endpoint}", data=data, auth=AUTH, timeout=60)
        response.raise_for_status()
        return response.json()

    def wait_finished(self, job: str, project: str = "icmpd_news", deadline: float = 120) -> dict:
        """Poll listjobs.json until the job is finished; return its entry."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            finished = {entry["id"]: entry for entry in self.get("listjobs.json", project=project)["finished"]}
            if job in finished:
                return finished[job]
            time.sleep(0.3)
        raise AssertionError(f"job {job} did not finish; Scrapyd says {self.get('listjobs.json', project=project)}")

    def job_log(self, job: str) -> str:
        return (self.folder / "logs" / "icmpd_news" / "icmpd_news" / f"{job}.log").read_text(encoding="utf-8")


def start_scrapyd(folder: Path, config_dir: Path, env: dict[str, str]) -> Scrapyd:
    """Start `scrapyd` in `folder` with the configuration files of `config_dir` (poll interval
    shortened for the tests; everything else as shipped), credentials and port from the
    environment, the way the README runs it."""
    folder.mkdir(parents=True)
    for source in config_dir.iterdir():
        if source.name == "scrapyd.conf":
            config = configparser.ConfigParser(interpolation=None)
            config.read(source)
            config.set("scrapyd", "poll_interval", "0.2")
            with (folder / "scrapyd.conf").open("w") as handle:
                config.write(handle)
        elif source.is_file():
            shutil.copy(source, folder / source.name)
    port = free_port()
    env = env | {"SCRAPYD_USERNAME": USERNAME, "SCRAPYD_PASSWORD": PASSWORD, "SCRAPYD_HTTP_PORT": str(port)}
    with (folder / "scrapyd.out").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=folder, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Scrapyd(f"http://127.0.0.1:{port}", folder, process)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"scrapyd exited: {(folder / 'scrapyd.out').read_text()}")
        try:
            requests.get(f"{server.base}/daemonstatus.json", timeout=2)
            return server
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError(f"scrapyd did not start: {(folder / 'scrapyd.out').read_text()}")


def stop_scrapyd(server: Scrapyd) -> None:
    server.process.terminate()
    server.process.wait(timeout=30)


def base_env() -> dict[str, str]:
    """The environment without anything that would put the project on Python's path."""
    return {key: value for key, value in os.environ.items() if key not in (
        "PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "SCRAPYD_USERNAME", "SCRAPYD_PASSWORD")}


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    """Scrapyd as shipped (deploy/scrapyd.conf), in its own folder, the project NOT importable
    there: it can only run what is deployed to it."""
    server = start_scrapyd(tmp_path / "scrapyd", PROJECT_ROOT / "deploy", base_env())
    yield server
    stop_scrapyd(server)


def stats_of(log: str) -> CrawlResult:
    """Read a job log's final stats dump with the helper the crawl tests use."""
    return CrawlResult(0, log, Path())


def test_scrapyd_deploy_schedule_and_monitor(scrapyd: Scrapyd, site: FixtureSite, tmp_path: Path) -> None:
    # Without credentials every endpoint is refused, uploading code first of all.
    assert requests.get(f"{scrapyd.base}/daemonstatus.json", timeout=10).status_code == 401
    assert requests.post(f"{scrapyd.base}/addversion.json", data={"project": "x", "version": "1"},
                         files={"egg": ("x.egg", b"PK\x05\x06" + b"\x00" * 18)}, timeout=10).status_code == 401
    assert requests.post(f"{scrapyd.base}/schedule.json", data={"project": "icmpd_news", "spider": "icmpd_news"},
                         timeout=10).status_code == 401
    assert requests.get(f"{scrapyd.base}/daemonstatus.json", auth=(USERNAME, "wrong"), timeout=10).status_code == 401
    assert scrapyd.get("listprojects.json")["projects"] == []

    # `scrapyd-deploy` from a clean copy of the project: the shipped [deploy] target (project,
    # credentials from the environment), its URL pointed at this Scrapyd by a user-level
    # scrapy.cfg, as a user deploying to another port would do.
    clone = tmp_path / "clone"
    shutil.copytree(PROJECT_ROOT, clone, ignore=CLONE_IGNORE)
    user_config = tmp_path / "xdg"
    user_config.mkdir()
    (user_config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {scrapyd.base}/\n", encoding="utf-8")
    deploy_env = base_env() | {"XDG_CONFIG_HOME": str(user_config),
                               "SCRAPYD_USERNAME": USERNAME, "SCRAPYD_PASSWORD": PASSWORD}
    deployed = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", "test"], cwd=clone, env=deploy_env,
                              capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    assert '"status": "ok"' in deployed.stdout and '"spiders": 3' in deployed.stdout
    assert scrapyd.get("listprojects.json")["projects"] == ["icmpd_news"]
    assert scrapyd.get("listspiders.json", project="icmpd_news")["spiders"] == ["icmpd_news", "icmpd_news_archive", "icmpd_news_reextract"]

    # Schedule with the README's cron/systemd script (curl, credentials from a netrc file), with a
    # spider argument and a setting on top of its ICMPD_OUTPUT_DIR.
    output = tmp_path / "dataset"
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USERNAME} password {PASSWORD}\n", encoding="utf-8")
    netrc.chmod(0o600)
    script = [str(PROJECT_ROOT / "deploy" / "schedule-crawl.sh"),
              "-d", f"feed_url={site.base}/feed.xml", "-d", "setting=AUTOTHROTTLE_ENABLED=False"]
    script_env = base_env() | {"SCRAPYD_URL": scrapyd.base, "SCRAPYD_NETRC": str(netrc)}
    relative = subprocess.run(script, env=script_env | {"ICMPD_OUTPUT_DIR": "output"},
                              capture_output=True, text=True, timeout=60)
    assert relative.returncode == 2 and "ICMPD_OUTPUT_DIR must be an absolute path" in relative.stderr
    # --wait: the script waits for the job and exits with the run's own status.
    scheduled = subprocess.run([script[0], "--wait", *script[1:]], env=script_env | {"ICMPD_OUTPUT_DIR": str(output)},
                               capture_output=True, text=True, timeout=120)
    assert scheduled.returncode == 0, scheduled.stderr
    job = json.loads(scheduled.stdout.splitlines()[0])["jobid"]
    assert scheduled.stdout.splitlines()[1].startswith(f"job {job}: OK (exit status 0); summary: {output}/runs/")
    finished = scrapyd.wait_finished(job)

    # The export is in ICMPD_OUTPUT_DIR, complete and valid; Scrapyd kept no copy of the items.
    records = CrawlResult(0, "", output).records()
    assert len(records) == 10
    for record in records:
        validate(record)
    assert finished["items_url"] is None
    assert not (scrapyd.folder / "items").exists()
    assert not (scrapyd.folder / "output").exists()

    # The job log (also served over the API) ends with the run summary, which names the
    # summary file holding the stats.
    log = scrapyd.job_log(job)
    served = requests.get(f"{scrapyd.base}{finished['log_url']}", auth=AUTH, timeout=10)
    assert served.status_code == 200 and served.text == log
    assert "] SUMMARY: run " in log.splitlines()[-1] and " OK (exit status 0); " in log.splitlines()[-1]
    stats = stats_of(log)
    assert stats.stat("finish_reason") == "finished"
    assert stats.stat("item_scraped_count") == 10
    assert stats.stat("icmpd/export/records") == 10
    assert stats.stat("icmpd/scrapyd/job") == job
    assert stats.stat("icmpd/scrapyd/relative_paths") is None
    assert stats.stat("icmpd/monitors/failed") == 0
    assert stats.stat("icmpd/monitors/skipped") == 0
    assert stats.stat("spidermon/validation/items") == 10

    # A failed run: Scrapyd lists it like a good one; the run's summary file and the script's
    # exit status say it failed.
    site.routes["/feed.xml"] = Route(status=404, body=b"<html><body>Not found</body></html>")
    failing = subprocess.run([script[0], "--wait", *script[1:]], env=script_env | {"ICMPD_OUTPUT_DIR": str(output)},
                             capture_output=True, text=True, timeout=120)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    failed_job = json.loads(failing.stdout)["jobid"]
    assert set(scrapyd.wait_finished(failed_job)) == set(finished)
    assert failing.stderr.startswith(f"job {failed_job}: FAILED (exit status 1): feed {site.base}/feed.xml "
                                     "could not be fetched: answered HTTP 404; summary: ")
    summary = stats_of(scrapyd.job_log(failed_job)).summary()
    assert (summary["scrapyd_job"], summary["outcome"], summary["exit_status"]) == (failed_job, "failed", 1)
    assert " FAILED (exit status 1): feed " in scrapyd.job_log(failed_job).splitlines()[-1]
    assert len(CrawlResult(0, "", output).records()) == 10  # the dataset is untouched


@pytest.fixture
def locked_down(tmp_path: Path) -> Iterator[Scrapyd]:
    """The locked-down variant (deploy/locked-down): the project installed, not uploaded. Here
    PYTHONPATH stands in for `pip install .` at build time."""
    server = start_scrapyd(tmp_path / "scrapyd", PROJECT_ROOT / "deploy" / "locked-down",
                           base_env() | {"PYTHONPATH": str(PROJECT_ROOT)})
    yield server
    stop_scrapyd(server)


def test_locked_down_scrapyd_runs_installed_project_and_accepts_no_code(
    locked_down: Scrapyd, site: FixtureSite, tmp_path: Path
) -> None:
    # No endpoint accepts code, not even with the right credentials.
    for endpoint in ("addversion.json", "delproject.json", "delversion.json"):
        assert requests.post(f"{locked_down.base}/{endpoint}", data={"project": "icmpd_news", "version": "1"},
                             auth=AUTH, timeout=10).status_code == 404
    assert requests.get(f"{locked_down.base}/listprojects.json", timeout=10).status_code == 401
    assert locked_down.get("listprojects.json")["projects"] == ["icmpd_news"]
    assert locked_down.get("listspiders.json", project="icmpd_news")["spiders"] == ["icmpd_news", "icmpd_news_archive", "icmpd_news_reextract"]

    # A relative ICMPD_OUTPUT_DIR is resolved against Scrapyd's folder, not the project: the run works
    # and says so in its log and stats.
    job = locked_down.post("schedule.json", [
        ("project", "icmpd_news"), ("spider", "icmpd_news"), ("feed_url", f"{site.base}/feed.xml"),
        ("setting", "ICMPD_OUTPUT_DIR=relative-output"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
    ])["jobid"]
    locked_down.wait_finished(job)
    log = locked_down.job_log(job)
    assert len(CrawlResult(0, log, locked_down.folder / "relative-output").records()) == 10
    assert stats_of(log).stat("icmpd/scrapyd/relative_paths") == 1
    assert (f"ICMPD_OUTPUT_DIR='relative-output' is relative and this crawl runs under Scrapyd (job {job}): "
            f"it resolves to {locked_down.folder / 'relative-output'}") in log
    assert stats_of(log).stat("icmpd/monitors/failed") == 0


def test_paths_check_warns_only_under_scrapyd(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    settings = {"ICMPD_OUTPUT_DIR": "output", "FILES_STORE": "s3://bucket/files", "IMAGES_STORE": str(tmp_path),
                "FEEDS": {f"file://{tmp_path}/items/job.jl": {"format": "jsonlines"}}}
    outside = get_crawler(FeedSpider, settings_dict=settings)
    outside.stats.open_spider()
    ScrapydPathsCheck(outside).spider_opened(FeedSpider(feed_url="http://127.0.0.1:1/feed.xml"))
    assert outside.stats.get_stats() == {}

    under = get_crawler(FeedSpider, settings_dict=settings)
    under.stats.open_spider()
    with caplog.at_level(logging.WARNING):
        ScrapydPathsCheck(under).spider_opened(FeedSpider(feed_url="http://127.0.0.1:1/feed.xml", _job="j1"))
    assert under.stats.get_value("icmpd/scrapyd/job") == "j1"
    assert under.stats.get_value("icmpd/scrapyd/relative_paths") == 1
    assert under.stats.get_value("icmpd/scrapyd/feeds") == 1
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("ICMPD_OUTPUT_DIR='output' is relative and this crawl runs under Scrapyd (job j1)")
    assert messages[1].startswith(f"FEEDS is set (file://{tmp_path}/items/job.jl): Scrapyd's items_dir is probably set")
