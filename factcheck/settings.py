"""factcheck settings: every value comes from the environment, with defaults that run.

The README's configuration table lists every variable read here.
"""

from pathlib import Path

import dj_database_url
import pghistory

from factcheck.embedded import embedded_database, filesystem_broker
from factcheck.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # No key configured: make one per data folder, so sessions survive restarts of a local
    # install. Production sets SECRET_KEY (or SECRET_KEY_FILE); docs/operations.md says so.
    from django.core.management.utils import get_random_secret_key

    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public address of the site, used in ClaimReview `url`, feeds and webhooks.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
PUBLISHER_NAME = env_str("PUBLISHER_NAME", "factcheck")
# Whether public pages and the API name the reviewer who wrote a verdict.
PUBLIC_SHOW_REVIEWER_NAMES = env_bool("PUBLIC_SHOW_REVIEWER_NAMES", False)
SEEDS_DIR = Path(env_str("SEEDS_DIR", str(BASE_DIR.parent / "shared" / "seeds")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "sources",
    "claims",
    "ops",
    "axes",
    "drf_spectacular_sidecar",
    "newsroom",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
]

MIDDLEWARE = [
    "ops.request_id.RequestIdMiddleware",
    "ops.db.PublicReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks a session verified by a one-time code (request.user.is_verified()); then sends
    # editors without a device to enrolment when EDITOR_2FA_REQUIRED is on.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Puts the acting user and the URL into the audit context of every write a request makes.
    "pghistory.middleware.HistoryMiddleware",
    # Last, as django-axes asks: turns a locked-out login into a readable 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"
ASGI_APPLICATION = "factcheck.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
else:
    DATABASES = {"default": embedded_database(DATA_DIR)}
# Behind PgBouncer in transaction pooling mode, server-side cursors cannot outlive a
# statement: turn them off (exports then page by key instead, see newsroom).
DATABASE_POOLER = env_choice("DATABASE_POOLER", "none", ("none", "transaction"))
# Public pages and the API read from a replica when one is configured (ops.db.ReplicaRouter).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _db in DATABASES.values():
    _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    _db["CONN_HEALTH_CHECKS"] = True
    _db["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLER == "transaction"
    if DATABASE_POOLER == "none":
        # Every pgtrigger trigger (the audit trail's included) reads this setting and, when
        # it is undefined, catches the error: a subtransaction per row per trigger. Defining it
        # (as "ignore nothing") makes bulk writes about six times faster (bench/README.md).
        # PgBouncer in transaction mode drops startup options, hence the condition.
        _options = _db.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c pgtrigger.ignore={{}}".strip()
DATABASE_ROUTERS = ["ops.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker(DATA_DIR)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Separate queues so that each kind of work can get its own workers when it grows (a slow
# export never holds up a webhook); one local worker consumes them all (CELERY_QUEUES_ALL).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "sources.tasks.*": {"queue": "ingest"},
    "newsroom.tasks.deliver_*": {"queue": "webhooks"},
    "newsroom.tasks.*export*": {"queue": "export"},
}
CELERY_QUEUES_ALL = "default,ingest,export,webhooks"
# Workers record a heartbeat this often; /healthz/ready wants one younger than the max age.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60, minimum=2)
CELERY_BEAT_SCHEDULE: dict = {
    # Re-check every source URL once a day (status, final URL, changed content).
    "sources-check-links": {"task": "sources.tasks.check_links", "schedule": 24 * 60 * 60.0},
    # Jobs whose worker died (or whose message was lost) are put back in the queue.
    "sources-requeue-stalled-jobs": {"task": "sources.tasks.requeue_stalled_jobs", "schedule": 5 * 60.0},
}

# --- Ingestion: fetching, uploads, re-anchoring, jobs (sources/) ------------------------------
# Tests turn this on for their 127.0.0.1 fixture server; production leaves it off so that a
# fetched URL can never reach the machine's own or its network's private services.
FETCH_ALLOW_PRIVATE_ADDRESSES = env_bool("FETCH_ALLOW_PRIVATE_ADDRESSES", False)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
FETCH_CONNECT_TIMEOUT = env_int("FETCH_CONNECT_TIMEOUT", 10, minimum=1)
FETCH_READ_TIMEOUT = env_int("FETCH_READ_TIMEOUT", 30, minimum=1)
# A whole download, however slowly the server drips its bytes.
FETCH_TOTAL_TIMEOUT = env_int("FETCH_TOTAL_TIMEOUT", 120, minimum=1)
FETCH_MAX_REDIRECTS = env_int("FETCH_MAX_REDIRECTS", 5, minimum=0)
FETCH_USER_AGENT = env_str("FETCH_USER_AGENT", "factcheck/1.0 (fact-check source archiver)")
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Similarity (0-100) a changed quote must reach to be re-anchored by fuzzy matching.
ANCHOR_FUZZY_THRESHOLD = env_int("ANCHOR_FUZZY_THRESHOLD", 85, minimum=50)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 4, minimum=1)
# Transient failures are retried after BACKOFF, 2×, 4×… seconds.
JOB_RETRY_BACKOFF_SECONDS = env_int("JOB_RETRY_BACKOFF_SECONDS", 30, minimum=0)
# A running job silent this long (queued: four times this long) is considered lost.
JOB_STALL_SECONDS = env_int("JOB_STALL_SECONDS", 15 * 60, minimum=1)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one address, that pair is locked out for AXES_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Two-factor authentication (accounts/): anyone on staff may enrol an authenticator app; when
# this is on, Editors and Administrators must, before they can use the admin.
EDITOR_2FA_REQUIRED = env_bool("EDITOR_2FA_REQUIRED", False)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
HTTPS = env_bool("HTTPS", False)  # set when served behind TLS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Audit history (django-pghistory) -------------------------------------------------------
# Every tracked table records inserts, updates and deletes; event tables get triggers that
# reject UPDATE and DELETE, so nobody (the admin included) can rewrite history.
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_APPEND_ONLY = True
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)

# --- REST framework -------------------------------------------------------------------------
# Newsroom clients authenticate with an API key (newsroom.authentication); each client's rate
# is set in the admin. API_ANONYMOUS_RATE lets requests without a key in at that rate
# (e.g. "60/hour"); empty means anonymous access is off.
API_ANONYMOUS_RATE = env_str("API_ANONYMOUS_RATE", "")
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 500, minimum=1)
# Webhook delivery: attempts in all, and the first retry delay (doubled on every retry).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The newsroom API's views (claims/api) set their own authentication, permission and
    # throttle classes, so that other DRF views of the project are not bound by them.
}
SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": "Published fact-checks for newsrooms: claims, verdicts, evidence, sources; "
    "incremental sync, bulk export and ClaimReview. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the drf-spectacular-sidecar package's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
# JSON lines in production (for log shippers), readable text when developing.
LOG_FORMAT = env_choice("LOG_FORMAT", "text" if DEBUG else "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # pgserver narrates every start and stop of the embedded PostgreSQL, axes its start, at INFO.
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
