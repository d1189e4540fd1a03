"""Run the embedded default: its Redis, the portal, a Celery worker and beat, supervised."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.celery import WORKER_WITHOUT
from core.localredis import LocalRedis, LocalRedisError, answers
from core.supervisor import Program, Supervisor
from demo.management.commands.seed_demo import DEMO_LOGINS


class Command(BaseCommand):
    help = (
        "Run the portal, a general and a sandbox Celery worker and beat (and, for the embedded "
        "default, its own Redis) as separate processes; restart workers, beat and Redis when "
        "they exit; stop everything on Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--loglevel", default="INFO", help="worker's and beat's log level")
        parser.add_argument(
            "--grace", type=float, default=10.0, help="seconds between TERM and KILL"
        )

    def _web_environment(self, addrport: str) -> dict[str, str] | None:
        """The portal runs with DEBUG off, so it answers only ALLOWED_HOSTS: the demo's own
        address is added to them (a wildcard address needs ALLOWED_HOSTS set)."""
        host = addrport.rpartition(":")[0].strip("[]") if ":" in addrport else "127.0.0.1"
        if host in ("0", "0.0.0.0", "::"):  # noqa: S104 (compared, not bound)
            if not settings.DEBUG:
                self.stdout.write(
                    "Listening on every address: set ALLOWED_HOSTS to the names the portal "
                    f"is reached by (now {','.join(settings.ALLOWED_HOSTS)})."
                )
            return None
        if host in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
            return None
        return {**os.environ, "ALLOWED_HOSTS": ",".join([*settings.ALLOWED_HOSTS, host])}

    def handle(self, *args, addrport: str, loglevel: str, grace: float, **options):
        host = addrport.rpartition(":")[0] if ":" in addrport else ""
        if "PORTAL_URL" not in os.environ and host not in ("", "0", "0.0.0.0", "[::]"):  # noqa: S104
            # The links in its e-mails (web and workers alike) lead to this demo's address.
            os.environ["PORTAL_URL"] = f"http://{addrport}"
        programs = []
        redis = LocalRedis(settings.EMBEDDED_REDIS_FOLDER)
        if redis.broker_url == settings.CELERY_BROKER_URL:
            try:
                redis.prepare()
                argv = redis.command()
            except LocalRedisError as exc:
                raise CommandError(str(exc)) from None
            programs.append(Program("redis", argv, ready=lambda: answers(redis.socket)))
        celery = [sys.executable, "-m", "celery", "--app=config"]
        programs += [
            # As deployed (deploy/systemd): the general worker runs beat's reaper, output
            # checks, workspaces and e-mail, never waiting behind jobs that fill the
            # sandbox worker's slots.
            Program(
                "worker",
                [
                    *celery,
                    "worker",
                    f"--loglevel={loglevel}",
                    "--queues=celery",
                    "--concurrency=1",
                    "--hostname=worker@%h",
                    *WORKER_WITHOUT,
                ],
            ),
            # Two sandbox workers of one job each (as deploy/systemd's sandbox-jobs@): a
            # job is sent to the one whose warm sandbox waits for its scenario.
            *(
                Program(
                    f"jobs{slot}",
                    [
                        *celery,
                        "worker",
                        f"--loglevel={loglevel}",
                        "--queues=sandbox",
                        "--concurrency=1",
                        f"--hostname=jobs{slot}@%h",
                        *WORKER_WITHOUT,
                    ],
                )
                for slot in (1, 2)
            ),
            Program(
                "beat",
                [
                    *celery,
                    "beat",
                    f"--loglevel={loglevel}",
                    f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
                ],
            ),
            Program(
                "web",
                [
                    sys.executable,
                    str(settings.BASE_DIR / "manage.py"),
                    "runserver",
                    "--noreload",
                    addrport,
                ],
                restart=False,
                env=self._web_environment(addrport),
            ),
        ]
        self.stdout.write(f"\nPortal: http://{addrport}/   API docs: http://{addrport}/api/docs/")
        self.stdout.write(f"Logins (password {settings.DEMO_PASSWORD!r}):")
        for username, what in DEMO_LOGINS:
            self.stdout.write(f"  {username:<14} {what}")
        self.stdout.write("")
        self.stdout.flush()
        code = Supervisor(programs, grace=grace, out=self.stdout).run()
        if code:
            raise CommandError(
                "the demo stopped (see the [supervisor] lines above)", returncode=code
            )
