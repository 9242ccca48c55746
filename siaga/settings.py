"""Siaga settings: one file, every deployment-specific value read from the environment.

Development needs nothing set: SQLite in the project folder and DEBUG on.
Production sets at least DEBUG=False, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL
(see README.md, "Production settings").
"""

import datetime
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=False Siaga refuses to start without one: "
            "set SECRET_KEY in the environment to a long random string, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "siaga.apps.SiagaAdminConfig",  # django.contrib.admin with Siaga's home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "simple_history",
    "import_export",
    "accounts.apps.AccountsConfig",
    "participants.apps.ParticipantsConfig",
    "importer.apps.ImporterConfig",
    "django_tasks",
    "django_tasks_db",
    "enrollment.apps.EnrollmentConfig",
    "targeting.apps.TargetingConfig",
    "dedup.apps.DedupConfig",
    "dashboard.apps.DashboardConfig",
    "approvals.apps.ApprovalsConfig",
    "complaints.apps.ComplaintsConfig",
    "notifications.apps.NotificationsConfig",
    "proposals.apps.ProposalsConfig",
]
if env.str("DATABASE_URL", default="").startswith(("postgres", "pgsql")):
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Indonesian unless the user chose English (saved per user), never the browser's language.
    "accounts.language.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A constraint violation from a lost race: an Indonesian 409 page, not a 500.
    "siaga.concurrency.IntegrityErrorMiddleware",
    # Last, as django-axes requires: it turns lockouts into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "siaga.urls"

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
                "siaga.navigation.staff_nav",
            ],
        },
    },
]

WSGI_APPLICATION = "siaga.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several staff and the background worker at once:
    # - WAL lets readers go on while one writer writes;
    # - IMMEDIATE takes the write lock when a transaction begins, so a transaction that read
    #   first never fails at once with "database is locked" when it then writes (Django's
    #   default DEFERRED does);
    # - a writer that finds the lock taken waits up to SQLITE_TIMEOUT seconds for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"),
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=30),
        }
    )
# A PostgreSQL read replica for the officials' dashboard (docs/deploy.md, "Province size"):
# reads inside siaga.db_routing.reporting_reads() go there; everything else stays on default.
if env.str("DATABASE_REPLICA_URL", default=""):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs DATABASE_URL to point at PostgreSQL too."
        )
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests (and a replica that is the same server) read the default test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["siaga.db_routing.ReportingRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Indonesian first; English through the switch in every staff page's header (accounts/language.py).
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# The region's time zone (WIB/WITA/WIT from its province, participants/regions.py) unless set.
TIME_ZONE = env.str("TIME_ZONE", default="")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed files served by whitenoise; plain storage while developing so
    # runserver and the tests need no collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: production values follow DEBUG unless the environment says otherwise.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after inactivity (seconds); each request renews the window.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True

LOGIN_URL = "admin:login"

# Login throttling (django-axes): 5 failures for a username from one address lock it for 30 min.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address recorded for each attempt is the client's: behind the TLS proxy, the one the
# proxy appended to X-Forwarded-For (siaga/client_ip.py); AXES_PROXY_COUNT proxies in front.
SIAGA_TRUSTED_PROXY_COUNT = env.int(
    "AXES_PROXY_COUNT", default=1 if env.bool("BEHIND_TLS_PROXY", default=False) else 0
)
AXES_CLIENT_IP_CALLABLE = "siaga.client_ip.client_ip_address"
# Axes logs the username and IP of failed logins; a NIK is never a username here.
AXES_VERBOSE = False

# Content Security Policy (django-csp): only this origin; no CDN, no inline scripts.
# Inline *style attributes* stay allowed because Django's admin templates use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Audit trail (django-simple-history): who changed what, with old and new values.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request logging would print query strings that can hold NIKs.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING" if not DEBUG else "INFO"},
    },
}

# --- Siaga domain settings -------------------------------------------------------------------
# The deployment's kabupaten/kota (Kemendagri code, README "Region"): its kecamatan and
# desa/kelurahan are loaded from participants/data/wilayah.csv.gz by migrate and `load_region`;
# NIK warnings, the eligibility area rule, names and letterheads follow it. Changing it on a
# database that already has workers is refused (participants/checks.py).
SIAGA_REGION = env.str("SIAGA_REGION", default="35.77").strip()
if not TIME_ZONE:
    from participants.regions import time_zone

    TIME_ZONE = time_zone(SIAGA_REGION)
# Heirs' "school age" for the JKM scholarship: PP 82/2019 art. 25 pays it from kindergarten
# (TK) until the child turns 23. Kept as settings because the regulation can change.
SIAGA_SCHOOL_AGE_MIN = env.int("SIAGA_SCHOOL_AGE_MIN", default=4)
SIAGA_SCHOOL_AGE_MAX = env.int("SIAGA_SCHOOL_AGE_MAX", default=23)
# The JKM scholarship (PP 82/2019 art. 25, docs/enrollment.md "Scholarship follow-up"):
# rupiah per child per year and the most years paid, per school level; for at most two
# children; a JKM (non-work-accident) death needs 36 months of contributions, a JKK death none.
SIAGA_JKM_SCHOLARSHIP = {
    "tk": (1_500_000, 2),
    "sd": (1_500_000, 6),
    "smp": (2_000_000, 3),
    "sma": (3_000_000, 3),
    "pt": (12_000_000, 5),
}
SIAGA_JKM_SCHOLARSHIP_MAX_CHILDREN = 2
SIAGA_JKM_SCHOLARSHIP_MIN_MONTHS = 36
# Dashboard counts below this are shown as "<3" to users without personal-data access
# (dashboard/privacy.py, docs/dashboard.md); 0 or 1 turns suppression off.
SIAGA_DASHBOARD_MIN_CELL = env.int("SIAGA_DASHBOARD_MIN_CELL", default=3)
# Above this many rows the admin changelist shows PostgreSQL's row estimate instead of
# running COUNT(*) over an unfiltered table.
SIAGA_ESTIMATED_COUNT_THRESHOLD = env.int("SIAGA_ESTIMATED_COUNT_THRESHOLD", default=50_000)

# Spreadsheet imports (docs/import.md). Larger files are refused with a message; 20 MB holds
# well over 100,000 worker rows as xlsx.
SIAGA_IMPORT_MAX_BYTES = env.int("SIAGA_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# xlsx/ods are zip archives: refuse one that would unpack beyond this (a 100,000-row list
# unpacks to about 60 MB).
SIAGA_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "SIAGA_IMPORT_MAX_UNPACKED_BYTES", default=400 * 1024 * 1024
)
# Private folder for rows checked at preview time, deleted on confirm/cancel (personal data).
SIAGA_IMPORT_STAGING_DIR = env.path(
    "SIAGA_IMPORT_STAGING_DIR",
    default=str(Path(tempfile.gettempdir()) / "siaga-import-staging"),
)
# Files above this size are read and written by the background worker (progress bar) instead
# of inside the web request: ~1 MB of xlsx is about 10,000 rows.
SIAGA_IMPORT_BACKGROUND_BYTES = env.int("SIAGA_IMPORT_BACKGROUND_BYTES", default=1024 * 1024)

# Official documents and approvals (docs/approvals.md): how many distinct Kepala Bidang must
# approve a submission batch, and the letterhead printed on every document.
SIAGA_APPROVALS_REQUIRED = env.int("SIAGA_APPROVALS_REQUIRED", default=1)
# Empty = computed from the region's name (participants/regions.py): "Pemerintah Kota Madiun",
# "Dinas Tenaga Kerja Kota Madiun", "Disnaker Kota Madiun", place "Madiun".
SIAGA_LETTERHEAD_GOVERNMENT = env.str("SIAGA_LETTERHEAD_GOVERNMENT", default="")
SIAGA_OFFICE_NAME = env.str("SIAGA_OFFICE_NAME", default="")
SIAGA_OFFICE_SHORT_NAME = env.str("SIAGA_OFFICE_SHORT_NAME", default="")
SIAGA_HEAD_TITLE = env.str("SIAGA_HEAD_TITLE", default="")  # "Wali Kota Madiun" / "Bupati …"
SIAGA_OFFICE_ADDRESS = env.str(
    "SIAGA_OFFICE_ADDRESS",
    default="Jl. Pahlawan No. 37, Kota Madiun, Jawa Timur 63121"
    if SIAGA_REGION in ("35.77", "3577")
    else "",
)
SIAGA_OFFICE_LOGO = env.str("SIAGA_OFFICE_LOGO", default="")  # path to a PNG/JPEG, optional
SIAGA_OFFICE_CODE = env.str("SIAGA_OFFICE_CODE", default="DISNAKER")  # in document numbers
SIAGA_DOCUMENT_PLACE = env.str("SIAGA_DOCUMENT_PLACE", default="")
# Documents with more table rows than this are generated by the background worker, with a
# progress page (approvals/jobs.py); the file waits in the database this many hours.
SIAGA_DOCUMENT_BACKGROUND_ROWS = env.int("SIAGA_DOCUMENT_BACKGROUND_ROWS", default=5000)
SIAGA_DOCUMENT_JOB_KEEP_HOURS = env.int("SIAGA_DOCUMENT_JOB_KEEP_HOURS", default=24)

# Background tasks: django-tasks with its database backend, so no extra server is needed.
# `make run` starts `manage.py db_worker` beside the web server.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Complaints (docs/complaints.md): overdue complaints go to this user (a username); empty:
# the first active member of the Kepala Bidang group.
SIAGA_COMPLAINTS_ESCALATE_TO = env.str("SIAGA_COMPLAINTS_ESCALATE_TO", default="")

# Notifications outbox (docs/complaints.md): the class that delivers messages (dotted path):
# notifications.senders.FileSender (default: a daily JSON-lines file in SIAGA_NOTIFICATIONS_DIR,
# which holds phone and KPJ numbers: keep it private), .ConsoleSender, or .HttpGatewaySender
# with SIAGA_NOTIFICATIONS_GATEWAY_URL/_TOKEN/_TIMEOUT for an SMS/WhatsApp gateway.
SIAGA_NOTIFICATIONS_SENDER = env.str(
    "SIAGA_NOTIFICATIONS_SENDER", default="notifications.senders.FileSender"
)
SIAGA_NOTIFICATIONS_DIR = env.path(
    "SIAGA_NOTIFICATIONS_DIR", default=str(BASE_DIR / "var" / "notifications")
)
SIAGA_NOTIFICATIONS_GATEWAY_URL = env.str("SIAGA_NOTIFICATIONS_GATEWAY_URL", default="")
SIAGA_NOTIFICATIONS_GATEWAY_TOKEN = env.str("SIAGA_NOTIFICATIONS_GATEWAY_TOKEN", default="")
SIAGA_NOTIFICATIONS_GATEWAY_TIMEOUT = env.int("SIAGA_NOTIFICATIONS_GATEWAY_TIMEOUT", default=10)
# A failed delivery is retried after 5 min, 10, 20, … (at most a day apart), this many tries.
SIAGA_NOTIFICATIONS_RETRY_SECONDS = env.int("SIAGA_NOTIFICATIONS_RETRY_SECONDS", default=300)
SIAGA_NOTIFICATIONS_MAX_ATTEMPTS = env.int("SIAGA_NOTIFICATIONS_MAX_ATTEMPTS", default=6)
# A message "being sent" for longer than this was interrupted: failed, not resent blindly.
SIAGA_NOTIFICATIONS_LEASE_SECONDS = env.int("SIAGA_NOTIFICATIONS_LEASE_SECONDS", default=600)

# Bounded reading of imports (importer/bounds.py, issue 13): a sheet's declared and real
# extent is checked before the reader allocates anything (it allocates the whole used range
# at once). A worker list of 200,000 rows × 25 columns fits; an importer may lower them.
SIAGA_IMPORT_MAX_ROWS = env.int("SIAGA_IMPORT_MAX_ROWS", default=200_000)
SIAGA_IMPORT_MAX_COLUMNS = env.int("SIAGA_IMPORT_MAX_COLUMNS", default=100)
# Rows × columns of the used area (the reader keeps 32 bytes per cell: 6 million ≈ 190 MB).
SIAGA_IMPORT_MAX_CELLS = env.int("SIAGA_IMPORT_MAX_CELLS", default=6_000_000)
SIAGA_IMPORT_MAX_SHEETS = env.int("SIAGA_IMPORT_MAX_SHEETS", default=100)
SIAGA_IMPORT_MAX_ZIP_ENTRIES = env.int("SIAGA_IMPORT_MAX_ZIP_ENTRIES", default=1000)
# Invalid rows beyond this many are counted, not kept (preview, error file and job record).
SIAGA_IMPORT_MAX_KEPT_INVALID = env.int("SIAGA_IMPORT_MAX_KEPT_INVALID", default=1000)
# Import jobs: the process running one refreshes its heartbeat this often; a job whose
# heartbeat is older than the lease (and whose process is gone) is failed.
SIAGA_IMPORT_HEARTBEAT_SECONDS = env.int("SIAGA_IMPORT_HEARTBEAT_SECONDS", default=10)
SIAGA_IMPORT_LEASE_SECONDS = env.int("SIAGA_IMPORT_LEASE_SECONDS", default=120)
