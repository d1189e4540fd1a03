"""Sending a task by name: the first sends of a fresh web process, made by many request
threads at once, all find the task (the tasks' modules are imported once, the others wait)."""

import os
import subprocess
import sys

from django.conf import settings

FIRST_SENDS = """
import os, threading
import django
django.setup()
from core.queueing import task_named
barrier = threading.Barrier(16)
found, failed = [], []
def first_send():
    barrier.wait()
    try:
        found.append(task_named("scenarios.tasks.job_run").name)
    except Exception as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=first_send) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(found), failed[:1])
"""


def test_concurrent_first_sends_of_a_fresh_process_all_find_the_task():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEMO": "1"}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_SENDS],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "16", done.stdout
