"""Start the web portal and one Celery worker together (the embedded default)."""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from operation.management.commands.seed_demo import DEMO_LOGINS


class Command(BaseCommand):
    help = "Run the portal (runserver) and a Celery worker in one process group."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app=operation",
                "worker",
                "--loglevel=INFO",
                "--queues=celery,sandbox",
                "--concurrency=2",
                "--beat",
                f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
            ]
        )
        self.stdout.write(f"\nPortal: http://{addrport}/   API docs: http://{addrport}/api/docs/")
        self.stdout.write(f"Logins (password {settings.DEMO_PASSWORD!r}):")
        for username, what in DEMO_LOGINS:
            self.stdout.write(f"  {username:<14} {what}")
        self.stdout.write("")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
