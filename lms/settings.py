"""Settings for the civil-service e-academy, read from environment variables only.

Embedded default (no variables set): SQLite under var/, Celery eager, local-memory cache,
console e-mail. Production: DATABASE_URL (PostgreSQL), CELERY_BROKER_URL and REDIS_URL
(Redis), SECRET_KEY, ALLOWED_HOSTS. docs/configuration.md lists every variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from lms import config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(config.raw("LMS_VAR_DIR") or BASE_DIR / "var")

# A developer's .env (written by `make run`) fills in what the real environment leaves unset;
# DOTENV_FILE= (empty) turns it off, as the test targets do.
DOTENV_FILE = config.raw("DOTENV_FILE", str(BASE_DIR / ".env"))
if DOTENV_FILE and Path(DOTENV_FILE).is_file():
    environ.Env.read_env(DOTENV_FILE, overwrite=False)

DEBUG = config.boolean("DEBUG", False)

SECRET_KEY = config.raw("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise config.ConfigError(
            "SECRET_KEY is not set; production mode (DEBUG off) needs a long random "
            "SECRET_KEY in the environment."
        )
    SECRET_KEY = "insecure-development-key-only-for-DEBUG-mode-never-in-production"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise config.ConfigError(
        "SECRET_KEY is shorter than 50 characters; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )

ALLOWED_HOSTS = config.word_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise config.ConfigError(
        "ALLOWED_HOSTS is not set; production mode needs the portal's host names, comma-separated."
    )
CSRF_TRUSTED_ORIGINS = config.word_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Our apps first so their templates and translations win over the libraries'.
    "lms",
    "audit",
    "org",
    "courses",
    "exams",
    "certificates",
    "dashboards",
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # django.contrib.admin, with a site that is a 404 to everybody but administrators.
    "org.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lms.input_guard.NulCharacterGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above XFrameOptionsMiddleware, so that it sees the X-Frame-Options a view chose.
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets audit_record find the request's user and client address (audit/middleware.py).
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lms.middleware.AbsoluteSessionLifetimeMiddleware",
    "lms.middleware.PrivateCacheControlMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "lms.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": config.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lms.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let runserver, the eager tasks and a shell share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = config.integer("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results ----------------------------------------
REDIS_URL = config.service_url("REDIS_URL", config.REDIS_SCHEMES, "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = config.service_url(
    "CELERY_BROKER_URL", config.BROKER_SCHEMES, "redis://127.0.0.1:6379/1"
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": config.raw("CACHE_KEY_PREFIX", "lms"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without a broker every task runs in the caller's process, synchronously (embedded mode).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = config.service_url(
    "CELERY_RESULT_BACKEND", config.REDIS_SCHEMES, "redis://127.0.0.1:6379/2"
) or (REDIS_URL or None)
CELERY_RESULT_EXPIRES = timedelta(hours=6)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker process that has grown past this after a task is replaced by a fresh one: the
# dashboards' refresh of a province of 300,000 people peaks at about 625 MB, and without
# this its process would keep that memory until the worker restarts.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = (
    config.integer("CELERY_WORKER_MAX_MEMORY_MB", 400, minimum=100, maximum=65_536) * 1024
)
# A task a worker took but never acknowledged (the worker died) goes back to the queue after
# this many seconds; it must exceed the longest task (a large ZIP of certificates).
_visibility_timeout = config.integer(
    "CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600, minimum=2, maximum=86_400
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # Workers look for such messages every tenth of the timeout (at most a minute). Kombu
    # 5.7's default, a Redis scan only on every 10th sweep of 10 s, would leave a dead
    # worker's task in limbo for up to 100 s past its timeout.
    "unacked_restore_interval": max(1, min(60, _visibility_timeout // 10)),
    "unacked_restore_throttle": 1,
}
# --- Dashboards (培训统计) ----------------------------------------------------------------
# Pre-aggregated figures are recomputed this often by beat and never shown older than
# DASHBOARD_MAX_AGE_MINUTES (a page asks for a recomputation when they are).
DASHBOARD_REFRESH_MINUTES = config.integer("DASHBOARD_REFRESH_MINUTES", 5, minimum=1, maximum=60)
DASHBOARD_MAX_AGE_MINUTES = config.integer(
    "DASHBOARD_MAX_AGE_MINUTES", 10, minimum=DASHBOARD_REFRESH_MINUTES, maximum=120
)
# Units whose 学时达标率 is below this percentage are marked 需关注 in the drill-down.
DASHBOARD_ALERT_PERCENT = config.integer("DASHBOARD_ALERT_PERCENT", 60, minimum=0, maximum=100)
# Exported files are deleted this many days after they were written.
DASHBOARD_EXPORT_DAYS = config.integer("DASHBOARD_EXPORT_DAYS", 7, minimum=1, maximum=90)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "training-plans-reconcile": {
        "task": "courses.training_plans_reconcile",
        "schedule": timedelta(hours=24),
    },
    "exam-attempts-finalise-expired": {
        "task": "exams.attempts_finalise_expired",
        "schedule": timedelta(minutes=1),
    },
    "certificate-zips-expire": {
        "task": "certificates.bulk_zips_expire",
        "schedule": timedelta(hours=24),
    },
    "question-imports-expire": {
        "task": "exams.question_imports_expire",
        "schedule": timedelta(hours=1),
    },
    "audit-prune": {
        "task": "audit.prune",
        "schedule": timedelta(hours=24),
    },
    "dashboards-refresh": {
        "task": "dashboards.refresh",
        "schedule": timedelta(minutes=DASHBOARD_REFRESH_MINUTES),
    },
    "dashboards-verify": {
        "task": "dashboards.verify",
        "schedule": crontab(hour=2, minute=30),
    },
    "dashboards-exports-expire": {
        "task": "dashboards.exports_expire",
        "schedule": timedelta(hours=24),
    },
}

# --- Learning ------------------------------------------------------------------------
# How often an open lesson page sends a heartbeat; the server credits at most twice this.
LESSON_HEARTBEAT_SECONDS = config.integer("LESSON_HEARTBEAT_SECONDS", 15, minimum=2, maximum=60)

# --- Certificates ----------------------------------------------------------------------
# Pre-subset Noto CJK faces written by `manage.py certificate_fonts` from the system's
# fonts-noto-cjk; without them certificates still render, about 4 times slower and larger.
CERTIFICATE_FONT_DIR = Path(config.raw("CERTIFICATE_FONT_DIR") or VAR_DIR / "fonts")
# PAdES signing is on when both are set: a PKCS#12 file (key and certificate) and its password.
CERTIFICATE_SIGNING_P12 = config.existing_file("CERTIFICATE_SIGNING_P12")
CERTIFICATE_SIGNING_PASSWORD = config.raw("CERTIFICATE_SIGNING_PASSWORD")
if bool(CERTIFICATE_SIGNING_P12) != bool(CERTIFICATE_SIGNING_PASSWORD):
    raise config.ConfigError(
        "CERTIFICATE_SIGNING_P12 and CERTIFICATE_SIGNING_PASSWORD go together: set both to "
        "sign certificates, or neither."
    )
# Who issues certificates and how their serial numbers start, unless a template says otherwise.
CERTIFICATE_ISSUER = config.text("CERTIFICATE_ISSUER", "浙江省公务员网络学院", max_length=120)
CERTIFICATE_SERIAL_PREFIX = config.matching(
    "CERTIFICATE_SERIAL_PREFIX", "ZJ", r"[A-Z]{1,8}", "one to eight capital letters (e.g. ZJ)"
)

# --- Authentication, sessions, lockout -----------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes must come first so a locked-out user never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},  # ASVS 2.1.1
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: every request renews the session, so it ends after this many idle minutes.
SESSION_COOKIE_AGE = config.integer("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Absolute lifetime: however active, a session ends this many hours after its sign-in
# (lms.middleware.AbsoluteSessionLifetimeMiddleware), and the sign-in page says why.
SESSION_ABSOLUTE_HOURS = config.integer("SESSION_ABSOLUTE_HOURS", 12, minimum=1, maximum=720)
# Sessions are read from the cache (Redis in production) and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = config.integer("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=config.integer("LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
# Each entry is counted on its own and any one reaching the limit locks (axes.helpers.
# get_client_parameters, AxesDatabaseHandler.get_failures): the address alone, so one
# address guessing many accounts (password spraying) is locked for every account; and the
# account together with the address, so guessing one account locks the guesser's address
# for that account only, and its owner still signs in from anywhere else. Username alone is
# deliberately absent: it let anybody lock anybody out (a denial of service).
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Off: axes would delete the address's failures against every account on one success.
# lms.receivers clears only the signed-in account's failures from that address.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "org.security.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
# The security log must say which account and which address were locked out; passwords
# are always masked by django-axes.
AXES_SENSITIVE_PARAMETERS: list[str] = []
TRUSTED_PROXY_COUNT = config.integer("TRUSTED_PROXY_COUNT", 0, maximum=5)
# Audit records are kept this many days, then pruned by the daily audit.prune task. The
# Cybersecurity Law (art. 21) asks for network logs kept at least six months: 180 is a floor.
AUDIT_RETENTION_DAYS = config.integer("AUDIT_RETENTION_DAYS", 180, minimum=180)
# API tokens (POST /api/v1/auth/tokens/) stop working this many days after they are issued.
API_TOKEN_DAYS = config.integer("API_TOKEN_DAYS", 30, minimum=1, maximum=366)

# --- Content-Security-Policy (django-csp) -------------------------------------------
# Strict for every page; lms.middleware.ContentSecurityPolicyMiddleware sets frame-ancestors
# from X-Frame-Options ('none', or 'self' for Wagtail's previews) and adds the Wagtail admin's
# exceptions. tests/lms/test_browser_csp.py opens the portal, the admin and Swagger UI under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        # data: for the SVG icons inside Wagtail's and Swagger UI's stylesheets, blob: for
        # images an editor picks before uploading (Wagtail's image chooser preview).
        "img-src": ["'self'", "data:", "blob:"],
        # Lesson videos may be embeds from approved platforms (courses.blocks.VideoBlock):
        # their origins, and only theirs, may be framed.
        "frame-src": ["'self'", *config.word_list("CSP_FRAME_ORIGINS", [])],
    },
}

# --- Security (production) ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail lifts it to SAMEORIGIN on its own preview views.
if not DEBUG:
    SECURE_SSL_REDIRECT = config.boolean("SECURE_SSL_REDIRECT", True)
    # The load balancer probes /healthz/ over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = config.integer("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = config.boolean("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "lms" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(config.raw("STATIC_ROOT") or VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(config.raw("MEDIA_ROOT") or VAR_DIR / "media")
# Private files (certificate PDFs, bulk ZIPs, question-import uploads, exports) live apart
# from MEDIA_ROOT, which holds only what anybody may fetch (course images, documents):
# nothing serves PRIVATE_ROOT by URL; views that check the owner or the scope stream its
# files (or hand them to the reverse proxy, PRIVATE_FILES_SERVER). docs/security.md.
PRIVATE_ROOT = Path(config.raw("PRIVATE_ROOT") or VAR_DIR / "private")
# Who sends a private file once a view has allowed it: "django" streams it (the embedded
# default), "nginx" answers X-Accel-Redirect to PRIVATE_FILES_INTERNAL_URL (an `internal`
# location aliased to PRIVATE_ROOT), "sendfile" answers X-Sendfile (Apache, lighttpd).
PRIVATE_FILES_SERVER = config.choice(
    "PRIVATE_FILES_SERVER", "django", ("django", "nginx", "sendfile")
)
PRIVATE_FILES_INTERNAL_URL = config.raw("PRIVATE_FILES_INTERNAL_URL", "/private-files/")
if not PRIVATE_FILES_INTERNAL_URL.startswith("/") or not PRIVATE_FILES_INTERNAL_URL.endswith("/"):
    raise config.ConfigError(
        "PRIVATE_FILES_INTERNAL_URL must start and end with a slash, e.g. /private-files/."
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "org.files.PrivateFileStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development whitenoise serves straight from the apps' static folders; in production
# from STATIC_ROOT, filled by collectstatic at deploy time.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail -------------------------------------------------------------------------
_email = config.email("EMAIL_URL", "consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = config.raw("DEFAULT_FROM_EMAIL", "e-academy@localhost")

# --- Wagtail -------------------------------------------------------------------------
WAGTAIL_SITE_NAME = _("Civil-service e-academy")
# The portal's public address: the QR code and URL printed on every certificate, and links
# in e-mails. `make run` passes the address it serves on.
SITE_URL = config.base_url(
    "LMS_SITE_URL", config.raw("WAGTAILADMIN_BASE_URL") or "http://127.0.0.1:8000"
)
WAGTAILADMIN_BASE_URL = config.raw("WAGTAILADMIN_BASE_URL") or SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Form bodies other than files (Wagtail's page editor posts the largest); a larger body is a
# 400 before anything reads it. Files are streamed to disk above FILE_UPLOAD_MAX_MEMORY_SIZE;
# a question file may be 5 MB (exams/importing.py), so it is read from a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# JSON bodies of the API (lms/parsers.py): size and nesting are checked before decoding.
API_MAX_BODY_BYTES = config.integer("API_MAX_BODY_KB", 64, minimum=1, maximum=2048) * 1024
API_MAX_JSON_DEPTH = 20

# --- REST framework ------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF names the first class's scheme in WWW-Authenticate, and without one
    # it answers 403 instead of 401 to a missing, expired or revoked token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lms.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "lms.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "lms.api_schema.AutoSchema",
    # Every error body is {"detail": ..., "errors": {...}} (org/api_errors.py).
    "EXCEPTION_HANDLER": "org.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Civil-service e-academy API",
    "DESCRIPTION": (
        "Catalogue, enrolments, lesson heartbeats and credit hours (学时), exams, certificates, "
        "and the training statistics (培训统计) HR officers read for their part of the tree."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # org.converters.IdConverter: a bounded integer.
    "PATH_CONVERTER_OVERRIDE": {"id": int},
    # Only our API: Wagtail's admin API is internal to the admin.
    "PREPROCESSING_HOOKS": ["lms.api_schema.public_endpoints_only"],
}

# --- Logging -------------------------------------------------------------------------
LOG_LEVEL = config.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Lockouts and failed logins are security events: always recorded.
        "axes": {"level": "INFO"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner on every command
        # A line per search-index update and per task run drowns everything else.
        "django_tasks": {"level": "WARNING"},
        # WeasyPrint logs seven steps of every certificate it prints.
        "weasyprint.progress": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "org.security": {"level": "INFO"},
    },
}
