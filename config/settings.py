"""Settings for the sandbox platform, read from the environment in one place.

Defaults are the embedded ones (SQLite and a Redis on a unix socket under ``var/``); see the
README for every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

from config.env import (
    SettingError,
    env_bool,
    env_broker_url,
    env_database,
    env_int,
    env_list,
    env_secret_key,
    env_str,
    redis_client_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Debugging is an explicit opt-in for development (DEBUG=1): its error pages print settings.
DEBUG = env_bool("DEBUG", default=False)
# The embedded demo (`make demo` sets DEMO=1; the tests run with it): without SECRET_KEY, a
# key is generated once into VAR_DIR/secret_key, and cookies are not Secure (plain HTTP).
DEMO = env_bool("DEMO", default=False)
SECRET_KEY = env_secret_key(
    "SECRET_KEY", generate=DEBUG or DEMO, fallback_file=VAR_DIR / "secret_key"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

DATA_ROOT = Path(env_str("DATA_ROOT", str(VAR_DIR / "data")))

# The audit trail's HMAC keys never enter the database: AUDIT_KEY (comma-separated, the
# first signs, the others only verify after a rotation), else AUDIT_KEY_FILE, generated
# once (also with DEBUG off: VAR_DIR is outside the database; keep a copy elsewhere).
# Signed checkpoints go to DATA_ROOT/audit/checkpoints.jsonl (and syslog if asked).
AUDIT_KEY = env_list("AUDIT_KEY", default=[])
if any(len(key) < 32 for key in AUDIT_KEY):
    raise SettingError("AUDIT_KEY: every key must be at least 32 characters long")
AUDIT_KEY_FILE = VAR_DIR / "audit_key"
AUDIT_CHECKPOINT_EVENTS = env_int("AUDIT_CHECKPOINT_EVENTS", default=100, minimum=1)
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", default=10, minimum=1)
AUDIT_SYSLOG = env_bool("AUDIT_SYSLOG", default=False)
AUDIT_SYSLOG_ADDRESS = env_str("AUDIT_SYSLOG_ADDRESS", "/dev/log")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "guardian",
    "axes",
    "core",
    "tenants",
    "operation",
    "scenarios",
    "demands",
    "assets",
    "transparency",
    "demo",
]

MIDDLEWARE = [
    "core.middleware.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.errors.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.context_processors.portal",
                "config.context_processors.sandbox_mode",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env_database("DATABASE_URL", default=_default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write concurrently: WAL, a busy timeout, and
    # IMMEDIATE transactions so that a reader never fails upgrading to a writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (threads of live-server and worker tests share it), one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lock-out after repeated failed logins (portal and API token endpoint alike), and of the
# password change after as many wrong current passwords (tenants/services/tokens.py).
# An API token authenticates for this many days after it is issued; then a new one is.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", default=30, minimum=1)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Only behind a proxy that adds the client's address to X-Forwarded-For (nginx:
# $proxy_add_x_forwarded_for): failures are counted by that address, not the proxy's one
# (which would lock an account out for every client at once).
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", default=False)
AXES_CLIENT_IP_CALLABLE = "tenants.authentication.client_ip"

# Cookies and transport: secure by default whenever DEBUG is off.
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): scripts and styles only from the site's own static
# files, no inline script, style attribute or javascript: URL anywhere in the portal. The API
# docs (Swagger UI) widen style-src and img-src for their own view only (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
# Only behind a proxy that sets (and strips clients') X-Forwarded-Proto.
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"  # collectstatic fills it; whitenoise serves it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@sandbox.local")
# The portal's address as people reach it: e-mails link to it (a notification's object).
PORTAL_URL = env_str("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery. The embedded default is a Redis of its own on a unix socket under VAR_DIR (no
# TCP port), which `manage.py rundemo` starts and stops (core/localredis.py).
EMBEDDED_REDIS_FOLDER = VAR_DIR / "redis"
CELERY_BROKER_URL = env_broker_url(
    "CELERY_BROKER_URL", default=f"redis+socket://{EMBEDDED_REDIS_FOLDER / 'redis.sock'}"
)
# Messages are acknowledged when their task ends (acks_late), one at a time per worker
# process (prefetch 1), and given back when a worker process dies. Redis hands an
# unacknowledged message to another worker after the visibility timeout, set (below, with
# the sandbox's limits) above the longest job: a job is never run twice at once, and one
# whose worker died is requeued by beat's reaper long before that.
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A short broker outage must not kill running jobs: they go on, and what a lost
# acknowledgement leaves behind is a no-op when delivered again (the database decides).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A queued job's message may be lost (a broker outage at submission, a deleted or expired
# message): the database is the truth, and beat's reconciler sends a queued job's message
# again once the last one is this old. Running jobs beat; one silent for
# SANDBOX_REAP_AFTER_SECONDS is requeued once, then failed.
JOBS_REAP_INTERVAL_SECONDS = env_int("JOBS_REAP_INTERVAL_SECONDS", default=10, minimum=1)
JOBS_REDISPATCH_AFTER_SECONDS = env_int("JOBS_REDISPATCH_AFTER_SECONDS", default=30, minimum=1)
# Every worker's main process records that it is alive this often; a queue none of whose
# workers was seen within WORKER_DOWN_AFTER_SECONDS is down (/healthz, the job pages).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", default=5, minimum=1)
WORKER_DOWN_AFTER_SECONDS = env_int("WORKER_DOWN_AFTER_SECONDS", default=30, minimum=2)
# Beat moves the data services' call log from Redis into the database this often.
SERVICES_LOG_DRAIN_SECONDS = env_int("SERVICES_LOG_DRAIN_SECONDS", default=2, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "expire-scenarios": {"task": "scenarios.tasks.scenarios_expire_due", "schedule": 3600.0},
    "reap-jobs": {
        "task": "scenarios.tasks.jobs_reap_due",
        "schedule": float(JOBS_REAP_INTERVAL_SECONDS),
        # A late run is useless: the next one comes soon.
        "options": {"expires": float(JOBS_REAP_INTERVAL_SECONDS)},
    },
    "drain-service-calls": {
        "task": "scenarios.tasks.service_calls_drain",
        "schedule": float(SERVICES_LOG_DRAIN_SECONDS),
        "options": {"expires": float(SERVICES_LOG_DRAIN_SECONDS)},
    },
    "resend-emails": {
        "task": "core.tasks.notification_emails_due",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "audit-checkpoint": {
        "task": "core.tasks.audit_checkpoint",
        "schedule": AUDIT_CHECKPOINT_MINUTES * 60.0,
        "options": {"expires": AUDIT_CHECKPOINT_MINUTES * 60.0},
    },
}
# Jobs run on their own queue, so sandbox workers can be scaled (and placed) apart.
JOBS_QUEUE = "sandbox"
CELERY_TASK_ROUTES = {"scenarios.tasks.job_run": {"queue": JOBS_QUEUE}}
# Every worker also consumes a queue of its own (<hostname>.dq2): a job whose scenario has
# a warm sandbox waiting on an idle sandbox worker is sent there (scenarios/queue.py).
CELERY_WORKER_DIRECT = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation's error answers documented from how it is reached (config/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    # Bounded in size and depth, NUL refused (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Public-data operation sandbox API",
    "DESCRIPTION": "Admission, catalogs, scenarios, sandboxed jobs and data services.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get components of their own: uploads are binary files, not URIs.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_security_schemes",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AdmissionStatusEnum": "tenants.models.admission.AdmissionStatus",
        "CatalogStatusEnum": "operation.models.catalog.CatalogStatus",
        "ScenarioTypeStatusEnum": "scenarios.models.scenario_type.ScenarioTypeStatus",
        "ScenarioStatusEnum": "scenarios.models.scenario.ScenarioStatus",
        "JobStatusEnum": "scenarios.models.job.JobStatus",
        "CheckStatusEnum": "scenarios.models.job.CheckStatus",
        "ReleaseStatusEnum": "scenarios.models.release.ReleaseStatus",
        "ReleaseDecisionEnum": "scenarios.models.release.ReleaseDecision",
        "DemandStatusEnum": "demands.models.demand.DemandStatus",
        "RightKindEnum": "assets.models.RightKind",
        "AssetStatusEnum": "assets.models.AssetStatus",
        "AssetApplicationStatusEnum": "assets.models.ApplicationStatus",
        "AssetApplicationActionEnum": "assets.models.ApplicationAction",
        "FeeBasisEnum": "scenarios.models.pricing.FeeBasis",
        "ReportStatusEnum": "transparency.models.report.ReportStatus",
    },
}

# Qualification files for admission: content-checked PDF, PNG or JPEG, size-limited.
QUALIFICATION_MAX_BYTES = env_int("QUALIFICATION_MAX_BYTES", default=10 * 1024 * 1024, minimum=1)
QUALIFICATION_MAX_FILES = env_int("QUALIFICATION_MAX_FILES", default=10, minimum=1)
# Ingestion of provider files into managed Parquet under DATA_ROOT.
IMPORT_ROOT = Path(env_str("IMPORT_ROOT", str(DATA_ROOT / "import")))
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", default=50 * 1024**3, minimum=1)
INGEST_MAX_UNCOMPRESSED_BYTES = env_int(
    "INGEST_MAX_UNCOMPRESSED_BYTES", default=200 * 1024**3, minimum=1
)
INGEST_MEMORY_LIMIT = env_str("INGEST_MEMORY_LIMIT", "1GB")
# No statistic over fewer rows than this is shown in a catalog preview.
CATALOG_PREVIEW_MIN_COUNT = env_int("CATALOG_PREVIEW_MIN_COUNT", default=10, minimum=2)
CATALOG_EXPORT_TITLE = env_str("CATALOG_EXPORT_TITLE", "公共数据授权运营开发数据目录")

# Scenario review and disclosure: a type may be stricter than these, never looser.
SCENARIO_APPROVALS_REQUIRED = env_int("SCENARIO_APPROVALS_REQUIRED", default=2, minimum=1)
DISCLOSURE_DEFAULTS = {
    "min_cell_count": env_int("DISCLOSURE_MIN_CELL_COUNT", default=10, minimum=2),
    "dominance_n": 2,
    "dominance_k": 0.9,
    "p_percent": 0.1,
    "min_dof": 10,
}

# Data services. Quota and rate counters and cached results are shared by every web
# worker: in Redis, the broker's by default (the embedded default's too: its unix socket).
SERVICES_REDIS_URL = env_str("SERVICES_REDIS_URL", redis_client_url(CELERY_BROKER_URL))
SERVICES_KEY_PREFIX = env_str("SERVICES_KEY_PREFIX", "svc:")
SERVICES_DAILY_QUOTA = env_int("SERVICES_DAILY_QUOTA", default=1000, minimum=1)
SERVICES_RATE_PER_MINUTE = env_int("SERVICES_RATE_PER_MINUTE", default=60, minimum=1)
# Live keys a scenario may have at once (each has its own rate: more keys, more calls a
# minute; the organization's daily quota bounds them all).
SERVICES_KEYS_PER_SCENARIO = env_int("SERVICES_KEYS_PER_SCENARIO", default=10, minimum=1)
SERVICES_CACHE_SECONDS = env_int("SERVICES_CACHE_SECONDS", default=600, minimum=1)
SERVICES_MAX_ROWS = env_int("SERVICES_MAX_ROWS", default=10000, minimum=1)
SERVICES_TIMEOUT_SECONDS = env_int("SERVICES_TIMEOUT_SECONDS", default=10, minimum=1)
SERVICES_MEMORY_LIMIT = env_str("SERVICES_MEMORY_LIMIT", "512MB")
# Each web worker holds the workspace tables its services read in memory, up to this many
# MB in all (read once, not decoded from Parquet at every call); larger ones are read from
# their Parquet files. 0: none held.
SERVICES_HOLD_MB = env_int("SERVICES_HOLD_MB", default=128, minimum=0)
# Each web worker remembers a key, its scenario and its services' definitions, workspace
# and quota this long (a revoked key is refused by every worker within it).
SERVICES_LOOKUP_MS = env_int("SERVICES_LOOKUP_MS", default=500, minimum=0)
# The call log's stream in Redis is drained into the database by a call that finds this
# many calls waiting, and by beat every SERVICES_LOG_DRAIN_SECONDS (above).
SERVICES_LOG_BATCH = env_int("SERVICES_LOG_BATCH", default=200, minimum=1)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sandboxed jobs: bubblewrap on the worker; per-job limits (a scenario type may set its
# own within the maxima).
SANDBOX_INSECURE_DEV = env_bool("SANDBOX_INSECURE_DEV", default=False)
SANDBOX_PYTHON = env_str("SANDBOX_PYTHON", str(BASE_DIR / ".sandbox-venv" / "bin" / "python"))
SANDBOX_UID = env_int("SANDBOX_UID", default=65534, minimum=1)  # when the worker is root
# A control group per job limits its memory and processes as a whole: "auto" where the
# worker can make one (root on cgroup v1, or SANDBOX_CGROUP_ROOT on v2), "required" refuses
# jobs otherwise, "off" keeps per-process limits only.
SANDBOX_CGROUPS = env_str("SANDBOX_CGROUPS", "auto")
if SANDBOX_CGROUPS not in ("auto", "required", "off"):
    raise SettingError("SANDBOX_CGROUPS must be auto, required or off")
SANDBOX_CGROUP_ROOT = env_str("SANDBOX_CGROUP_ROOT", "")
SANDBOX_MIN_MEMORY_MB = 1536
SANDBOX_LIMITS = {
    "cpu_seconds": env_int("SANDBOX_CPU_SECONDS", default=300, minimum=1),
    "wall_seconds": env_int("SANDBOX_WALL_SECONDS", default=600, minimum=1),
    # Python with DuckDB and pandas needs about 1 GB of address space before any work.
    "memory_mb": env_int("SANDBOX_MEMORY_MB", default=4096, minimum=SANDBOX_MIN_MEMORY_MB),
    "processes": env_int("SANDBOX_PROCESSES", default=64, minimum=8),
    "file_size_mb": env_int("SANDBOX_FILE_SIZE_MB", default=256, minimum=1),
    "open_files": env_int("SANDBOX_OPEN_FILES", default=256, minimum=32),
    "tmp_mb": env_int("SANDBOX_TMP_MB", default=256, minimum=16),
}
SANDBOX_MAX_LIMITS = {
    "cpu_seconds": 4 * 3600,
    "wall_seconds": 6 * 3600,
    "memory_mb": 32768,
    "processes": 256,
    "file_size_mb": 4096,
    "open_files": 4096,
    "tmp_mb": 8192,
}
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = SANDBOX_MAX_LIMITS["wall_seconds"] + 1800
SANDBOX_DRY_RUN_ROWS = env_int("SANDBOX_DRY_RUN_ROWS", default=1000, minimum=10)
SANDBOX_MAX_CODE_BYTES = 200_000
# Jobs one organization may have queued or running at once (the queue is shared).
SANDBOX_MAX_ACTIVE_JOBS = env_int("SANDBOX_MAX_ACTIVE_JOBS", default=10, minimum=1)
SANDBOX_MAX_OUTPUT_FILES = env_int("SANDBOX_MAX_OUTPUT_FILES", default=20, minimum=1)
SANDBOX_MAX_OUTPUT_BYTES = env_int("SANDBOX_MAX_OUTPUT_BYTES", default=512 * 1024**2, minimum=1)
# A running job's worker beats this often; the reaper acts on a job silent for longer.
SANDBOX_HEARTBEAT_SECONDS = env_int("SANDBOX_HEARTBEAT_SECONDS", default=5, minimum=1)
SANDBOX_REAP_AFTER_SECONDS = env_int("SANDBOX_REAP_AFTER_SECONDS", default=30, minimum=3)
# Warm sandboxes (scenarios/worker/warm.py): started ahead for the next job of the workspace
# a job just used, per worker process (0: every job starts cold), discarded unused after
# SANDBOX_WARM_IDLE_SECONDS, or when their scenario or workspace changes (looked at every
# SANDBOX_WARM_CHECK_SECONDS).
SANDBOX_WARM_SANDBOXES = env_int("SANDBOX_WARM_SANDBOXES", default=1, minimum=0)
SANDBOX_WARM_IDLE_SECONDS = env_int("SANDBOX_WARM_IDLE_SECONDS", default=300, minimum=1)
SANDBOX_WARM_CHECK_SECONDS = 2

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-pass-2025")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
