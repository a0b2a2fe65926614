"""The one settings module. Every value that differs between machines is an environment variable,
listed with a safe development value in `.env.example`.

Two run modes (DESIGN §8):
- development (the default, what `make run` uses): SQLite under var/, a generated secret key kept in
  var/, DEBUG on, Celery on kombu's filesystem transport unless REDIS_URL is set;
- production (COUNTERCLAIM_ENV=production): SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL are required
  and start-up fails loudly without them.
"""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COUNTERCLAIM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when COUNTERCLAIM_ENV=production")
    return value


ENVIRONMENT = os.environ.get("COUNTERCLAIM_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("COUNTERCLAIM_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"


def _development_secret_key() -> str:
    """Return a random key kept in var/, so sessions survive restarts of `make run`."""
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when COUNTERCLAIM_ENV=production")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
    DEBUG = env_bool("DEBUG", True)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public name and address of this tracker: ClaimReview's author, feeds, absolute links.
SITE_NAME = os.environ.get("SITE_NAME", "Counterclaim")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "articles",
    "disputes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.PublicPagesDoNotVaryOnCookie",  # above sessions, to undo their Vary: Cookie
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
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
                "config.context_processors.site",
                "disputes.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://… or sqlite:///…); the embedded default is SQLite under var/.
_default_sqlite = f"sqlite:///{VAR_DIR / 'counterclaim.sqlite3'}"
if PRODUCTION:
    DATABASE_URL = env_required("DATABASE_URL")
else:
    DATABASE_URL = os.environ.get("DATABASE_URL") or _default_sqlite
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web app read while the worker writes; IMMEDIATE avoids "database is locked"
    # upgrades from read to write transactions; busy_timeout waits for the other writer.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes): five wrong passwords for one user name from one address lock that
# pair out for 30 minutes. Locking by the pair, not the address alone, keeps one typo-prone
# colleague from locking out a whole newsroom behind one NAT. The client address is REMOTE_ADDR
# only: X-Forwarded-For is ignored unless AXES_IPWARE_* settings are added for a trusted proxy.
# rules answers object permissions (may *this* person decide on *this* dispute: disputes/rules.py);
# ModelBackend answers the plain ones from the editors/reviewers groups.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "disputes:index"
LOGOUT_REDIRECT_URL = "disputes:index"

LANGUAGE_CODE = "en-gb"
# The newsroom's zone: times are stored in UTC and shown in this zone, which pages name.
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production serves the collected, hashed files (`manage.py collectstatic`); development and tests
# serve straight from static/ through the finders, so there is nothing to collect.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security. Cookies are only ever set for signed-in staff; public pages set none.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10  # a working day, with some slack
CSRF_COOKIE_HTTPONLY = True  # htmx reads the token from the page, never from the cookie
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # Django's page has inline style; htmx gets a fragment
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: 'self' only. No inline script or style anywhere, so no nonce, so public
# pages stay cacheable (reference/reliability-performance.md B.3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Email: the notification digests (disputes/notifications.py). Development prints mails to the
# console; production sends them through an SMTP relay, with TLS (STARTTLS on 587) by default.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)  # seconds; a stuck relay must not hold a worker
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How often the digest of unread news is mailed; each person gets at most one email per run.
NOTIFICATION_DIGEST_MINUTES = env_int("NOTIFICATION_DIGEST_MINUTES", 15)
# Where the hourly export writes the open-data files served at /data/ (docs/open-data.md).
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR") or VAR_DIR / "exports")

# Celery. PostgreSQL is the truth; the broker is only transport (DESIGN §2). Without REDIS_URL the
# worker uses kombu's filesystem transport under var/, so `make run` needs no Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when COUNTERCLAIM_ENV=production")
# Visibility timeout: a message not acknowledged in this time is delivered again. It must exceed the
# hard time limit plus the longest retry countdown (CHECK_RETRY_MAX_SECONDS), reference §A.1.
CELERY_VISIBILITY_TIMEOUT = 60 * 60
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    _queue_dir = VAR_DIR / "celery"  # config/celery.py creates the folders
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
# The cache holds short-lived, shared state such as one-time form tokens (no double submits), so
# every web process must see the same one: Redis when there is one, else this process's memory
# (enough for `make run`'s single web process). CACHE_URL lets production keep it off the broker.
CACHE_URL = os.environ.get("CACHE_URL", "") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "counterclaim-cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # safe because every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# After a lost broker connection, stop the orphaned copy of a late-acked task instead of running it twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = 500  # memory hygiene for HTML parsing
# Liveness (articles/workers.py): tasks waiting in the queue while no worker has finished one for this
# long means the workers have stopped consuming. Keep it well above the hard time limit (90 s).
WORKER_STALL_SECONDS = env_int("WORKER_STALL_SECONDS", 300)
# How often beat runs the dispatcher (articles.checking.dispatch_due).
DISPATCH_EVERY_SECONDS = 60
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Every minute, queue a check for each source whose next_check_at has passed. Due-ness lives in
    # the database, so if the broker loses messages the next tick queues them again.
    "enqueue-due-sources": {"task": "articles.tasks.enqueue_due_sources", "schedule": float(DISPATCH_EVERY_SECONDS)},
    # Mail each person one digest of their new notifications. What was mailed is marked in the
    # database, so a run that is missed or overlaps another sends nothing twice.
    "send-notification-digests": {
        "task": "disputes.tasks.send_notification_digests",
        "schedule": NOTIFICATION_DIGEST_MINUTES * 60.0,
    },
    # Hourly, rewrite the open-data files (/data/disputes.jsonl and .csv). Each is swapped in whole,
    # so a missed or overlapping run leaves the previous complete file in place.
    "export-published-disputes": {"task": "disputes.tasks.export_published_disputes", "schedule": 60 * 60.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Fetching other websites (articles/fetching.py, DESIGN §5.4). Private and loopback networks are
# refused unless listed here (tests and local demos only); a system check forbids that in production.
FETCH_ALLOWED_NETWORKS = env_list("FETCH_ALLOWED_NETWORKS", [])
FETCH_ALLOW_PRIVATE_IN_PRODUCTION = env_bool("FETCH_ALLOW_PRIVATE_IN_PRODUCTION", False)
FETCH_ALLOWED_PORTS = [int(port) for port in env_list("FETCH_ALLOWED_PORTS", ["80", "443"])]
FETCH_CONTACT_URL = os.environ.get("FETCH_CONTACT_URL", SITE_URL + "/")
FETCH_USER_AGENT = f"CounterclaimBot/0.1 (+{FETCH_CONTACT_URL}; checks pages cited in published disputes)"
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5 * 1024 * 1024)
FETCH_CONNECT_TIMEOUT = env_int("FETCH_CONNECT_TIMEOUT", 5)
FETCH_READ_TIMEOUT = env_int("FETCH_READ_TIMEOUT", 10)
FETCH_TOTAL_TIMEOUT = env_int("FETCH_TOTAL_TIMEOUT", 30)
FETCH_MAX_REDIRECTS = 5
# Politeness per registrable domain (DESIGN §5.3): at most one request in flight, and this gap.
FETCH_MIN_GAP_SECONDS = env_int("FETCH_MIN_GAP_SECONDS", 5)
# Re-check pipeline (DESIGN §5): a lease outlives the task's hard time limit.
CHECK_LEASE_SECONDS = env_int("CHECK_LEASE_SECONDS", 300)
CHECK_MAX_ATTEMPTS = env_int("CHECK_MAX_ATTEMPTS", 5)
# Transient failures (5xx, timeouts) are retried this many times within a slot, after a jittered
# exponential countdown starting at the base and capped at the max, before they are recorded.
CHECK_TRANSIENT_RETRIES = env_int("CHECK_TRANSIENT_RETRIES", 3)
CHECK_RETRY_BASE_SECONDS = env_int("CHECK_RETRY_BASE_SECONDS", 30)
CHECK_RETRY_MAX_SECONDS = env_int("CHECK_RETRY_MAX_SECONDS", 600)
# A worker sleeps this long at most for a busy site's turn, then hands the task back with a countdown.
CHECK_POLITENESS_BLOCK_SECONDS = env_int("CHECK_POLITENESS_BLOCK_SECONDS", 2)
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 200)
# At most this many checks of one site are queued per dispatcher run; the rest stay due for the next
# run. 0 means as many as the site's politeness gap lets through between two runs (12 at 5 s), so a
# burst of due pages on one site waits in the database rather than bouncing in the queue.
DISPATCH_PER_SITE = env_int("DISPATCH_PER_SITE", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
