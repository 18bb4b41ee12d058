"""Settings shared by every environment.

Configuration comes from the environment. A feature switches on when its
configuration is present: no DATABASE_URL gives SQLite, no REDIS_URL gives a
local-memory cache and Celery tasks that run eagerly in the calling process.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)

PLATFORM_DOMAIN = os.environ.get("PLATFORM_DOMAIN", "localhost").lower()
PLATFORM_PORT = int(os.environ.get("PLATFORM_PORT", "80"))
PLATFORM_SCHEME = os.environ.get("PLATFORM_SCHEME", "http")
# Other host names that serve the platform home and admin (e.g. 127.0.0.1 in development).
PLATFORM_HOST_ALIASES = [h.strip().lower() for h in os.environ.get("PLATFORM_HOST_ALIASES", "").split(",") if h.strip()]
PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "Lingua Sites")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h] or ["*"]

INSTALLED_APPS = [
    "site_platform",
    "booking",
    "landing",
    "integrations",
    "integrations.payments",
    "integrations.webhooks",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Anonymous landing pages straight from the cache, before sessions and the rest.
    "landing.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language is chosen before the tenant, so the tenant middleware's own
    # pages ("Site not found", "Temporarily unavailable") speak it too.
    "django.middleware.locale.LocaleMiddleware",
    "site_platform.middleware.TenantMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "site_platform.admin_scoping.CurrentTenantMiddleware",
    "site_platform.observability.RequestContextMiddleware",
    "site_platform.security.RateLimitMiddleware",
    "site_platform.security.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "site_platform.urls"
TENANT_URLCONF = "site_platform.urls_tenant"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "site_platform.context_processors.platform",
            ],
        },
    },
]

WSGI_APPLICATION = "site_platform.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE transactions take the write lock at BEGIN, so two
            # bookings cannot both read "free" and then both write.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "platform"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "platform"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # a signed-in request reads the cache, not the table

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Queues, so that a slow integration never holds up a checkout or an email:
# run a worker per queue (or one worker on all of them: see Procfile).
CELERY_QUEUE_NAMES = ["celery", "checkout", "emails", "integrations"]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "booking.tasks.*": {"queue": "checkout"},
    "integrations.payments.*": {"queue": "checkout"},
    "booking.notifications.*": {"queue": "emails"},
    "site_platform.tasks.*": {"queue": "emails"},
    "integrations.immersio.*": {"queue": "integrations"},
    "integrations.webhooks.*": {"queue": "integrations"},
    "integrations.tasks.*": {"queue": "integrations"},
}
CELERY_BEAT_SCHEDULE = {
    "refresh-calendar-feeds": {
        "task": "integrations.tasks.refresh_all_calendar_feeds",
        "schedule": 60.0 * int(os.environ.get("CALENDAR_FEED_REFRESH_MINUTES", "15")),
    },
    "booking-send-reminders": {"task": "booking.notifications.tasks.send_due_reminders", "schedule": 900.0},
    "booking-expire-holds": {"task": "booking.tasks.expire_holds", "schedule": 60.0},
    "booking-expire-waitlist-offers": {"task": "booking.tasks.expire_waitlist_offers", "schedule": 300.0},
    "booking-check-seat-drift": {"task": "booking.tasks.check_seat_drift", "schedule": 3600.0},
    "immersio-enqueue-due-syncs": {"task": "integrations.immersio.tasks.enqueue_due_syncs", "schedule": 60.0},
    "immersio-sweep-push-outbox": {"task": "integrations.immersio.tasks.sweep_push_outbox", "schedule": 60.0},
    "webhooks-sweep-deliveries": {"task": "integrations.webhooks.tasks.sweep_deliveries", "schedule": 5.0},
    "payments-reconcile-nightly": {"task": "integrations.payments.tasks.reconcile_payments",
                                   "schedule": crontab(hour=3, minute=15)},
    "payments-close-stale-checkouts": {"task": "integrations.payments.tasks.close_stale_checkouts",
                                       "schedule": 300.0},
    "payments-retry-refunds": {"task": "integrations.payments.tasks.retry_failed_refunds", "schedule": 600.0},
    "platform-delete-cancelled-tenants": {"task": "site_platform.tasks.delete_cancelled_tenants",
                                          "schedule": crontab(hour=2, minute=30)},
    "api-purge-idempotency-records": {"task": "booking.api.tasks.purge_idempotency_records", "schedule": 3600.0},
    "teachers-daily-agenda": {"task": "booking.notifications.teacher_messages.send_daily_agendas", "schedule": 3600.0},
}
# booking.api is no app of its own, so task autodiscovery does not find its tasks.
CELERY_IMPORTS = ["booking.api.tasks", "booking.notifications.teacher_messages"]
# Days a cancelled tenant's data is kept (and it can be reactivated) before the daily task deletes it.
TENANT_DELETION_GRACE_DAYS = int(os.environ.get("TENANT_DELETION_GRACE_DAYS", "30"))

AUTH_USER_MODEL = "site_platform.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "site_platform.account_adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("vi", _("Vietnamese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(BASE_DIR / "static_collected")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Lingua Sites <no-reply@localhost>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent_emails"))

# Fernet keys, comma separated, newest first. The first one encrypts; all of
# them decrypt, so a key can be rotated in without re-encrypting at once.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

WAGTAIL_SITE_NAME = PLATFORM_NAME
WAGTAILADMIN_BASE_URL = os.environ.get(
    "WAGTAILADMIN_BASE_URL",
    f"{PLATFORM_SCHEME}://{PLATFORM_DOMAIN}" + ("" if PLATFORM_PORT in (80, 443) else f":{PLATFORM_PORT}"),
)
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lingua Sites API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["site_platform.api_schema.only_public_api"],
}

# Subdomains a tenant may not take: they name platform services.
RESERVED_SUBDOMAINS = {
    "www", "admin", "api", "static", "media", "mail", "smtp", "app", "assets",
    "cdn", "help", "support", "status", "docs", "blog", "platform", "dashboard",
    "login", "auth", "sso", "billing", "stripe", "immersio", "webhooks", "test",
}

CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY", "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self' https://www.google.com https://maps.google.com https://www.youtube-nocookie.com",
    "frame-ancestors 'self'",
    "form-action 'self' https://checkout.stripe.com https://connect.stripe.com",
    "base-uri 'self'",
    "object-src 'none'",
]))
# (name, path prefix, rate) for POSTs, per signed-in user or client address.
# Sign-in attempts are limited by allauth itself (ACCOUNT_RATE_LIMITS).
RATE_LIMITS = [
    ("booking", "/book/", os.environ.get("BOOKING_RATE_LIMIT", "30/m")),
    ("booking-manage", "/bookings/", os.environ.get("BOOKING_RATE_LIMIT", "30/m")),
    ("waitlist", "/waitlist/", os.environ.get("BOOKING_RATE_LIMIT", "30/m")),
]
# The API limits itself, per key and per client address, with JSON answers.
API_KEY_RATE_LIMIT = os.environ.get("API_KEY_RATE_LIMIT", "600/m")
API_ADDRESS_RATE_LIMIT = os.environ.get("API_ADDRESS_RATE_LIMIT", "300/m")
RATE_LIMIT_TRUST_FORWARDED_FOR = env_bool("RATE_LIMIT_TRUST_FORWARDED_FOR", False)
# Stripe (integrations.payments): the platform's secret key makes direct charges on
# connected accounts; STRIPE_CLIENT_ID enables "Connect with Stripe" (OAuth).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_CLIENT_ID = os.environ.get("STRIPE_CLIENT_ID", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_CONNECT_BASE = os.environ.get("STRIPE_CONNECT_BASE", "https://connect.stripe.com")
STRIPE_ALLOW_ACCOUNT_KEYS = env_bool("STRIPE_ALLOW_ACCOUNT_KEYS", False)
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
STRIPE_MAX_RETRIES = int(os.environ.get("STRIPE_MAX_RETRIES", "2"))
STRIPE_RETRY_BASE_DELAY = float(os.environ.get("STRIPE_RETRY_BASE_DELAY", "0.5"))

METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json" in production
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "site_platform.observability.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(tenant)s %(user)s] %(message)s"},
        "json": {"()": "site_platform.observability.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # httpx logs every URL at INFO; calendar feed URLs are secrets.
        "httpx": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
    },
}

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0,
                    environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))
