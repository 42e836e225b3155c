"""Settings shared by every deployment; values that vary come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

# platform/config/settings/base.py -> the repository root is three folders up.
BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("REEL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable `name` read as a boolean."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Return the comma-separated environment variable `name` as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# The reverse proxies (IPs or CIDR networks) whose X-Forwarded-For is believed when rate
# limits look for the client's address (config.network.client_address); empty: nobody's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts.apps.AccountsConfig",
    "moderation.apps.ModerationConfig",
    "cameo.apps.CameoConfig",
    "generation.apps.GenerationConfig",
    "feed.apps.FeedConfig",
]

MIDDLEWARE = [
    "config.bodies.body_limit_middleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.WriteThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.csp.csp",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A connection that died with its server is replaced instead of failing a request:
        # the site recovers by itself when PostgreSQL comes back.
        conn_health_checks=True,
    )
}
# PostgreSQL: a pool of connections per process (psycopg_pool), on unless DATABASE_POOL=false.
# Under ASGI every request runs its sync code in a thread of its own, and Django keeps one
# connection per thread: with persistent connections (CONN_MAX_AGE) each thread kept its own
# until PostgreSQL ran out of them, and opening one per request instead cost most of the
# time of a request. A pool bounds a process to DATABASE_POOL_MAX connections, lends one to
# a request and takes it back when the request ends (CONN_MAX_AGE must then be 0: closing
# returns the connection). A request that waits DATABASE_POOL_TIMEOUT seconds for one gets
# the 503 of config.outages. Size PostgreSQL's max_connections for every process's pool:
# see docs/deploy.md.
DATABASE_POOL = env_bool("DATABASE_POOL", True)
DATABASE_POOL_MIN = int(os.environ.get("DATABASE_POOL_MIN", "2"))
DATABASE_POOL_MAX = int(os.environ.get("DATABASE_POOL_MAX", "10"))
DATABASE_POOL_TIMEOUT = float(os.environ.get("DATABASE_POOL_TIMEOUT", "3"))
# Seconds to wait for PostgreSQL to accept a connection: an unreachable host fails fast.
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_POOL:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        _options["pool"] = {
            "min_size": DATABASE_POOL_MIN,
            "max_size": max(DATABASE_POOL_MAX, DATABASE_POOL_MIN, 1),
            "timeout": DATABASE_POOL_TIMEOUT,
            # A connection is replaced after this long, so none outlives a failover for ever.
            "max_lifetime": float(os.environ.get("DATABASE_POOL_MAX_LIFETIME", "1800")),
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer and Celery broker when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
# After Redis failed, the cache answers misses without asking it for this many seconds.
REDIS_RETRY_INTERVAL = float(os.environ.get("REDIS_RETRY_INTERVAL", "1"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "reel"),
            # A cache that is down or stuck answers as a miss within this many seconds
            # (config.cache): pages wait for the database, not for Redis.
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "1")),
                "socket_timeout": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "1")),
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layers.RedisChannelLayer",
            # No read timeout: the layer waits on Redis for as long as nothing happens.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Sessions live in the database and are cached: while Redis is down they are read from the
# table (the cache answers a miss), so nobody is signed out by a cache outage.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# What a request is told while PostgreSQL, Redis or the broker is down: 503 and Retry-After
# (config.outages), the API's JSON error or the "back in a moment" page.
UNAVAILABLE_RETRY_AFTER = int(os.environ.get("UNAVAILABLE_RETRY_AFTER", "10"))

# --- Auth
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.auth_backends.HandleBackend"]
# Failed log-ins allowed per window of LOGIN_LOCK_SECONDS (see accounts/auth_backends.py):
# from one address on one handle, from one address on any handles, and on one handle from
# everywhere; past the last, only the addresses that already failed on it are stopped.
LOGIN_FAILURES_PER_IP_AND_HANDLE = int(os.environ.get("LOGIN_FAILURES_PER_IP_AND_HANDLE", 10))
LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", 50))
LOGIN_FAILURES_PER_HANDLE = int(os.environ.get("LOGIN_FAILURES_PER_HANDLE", 100))
LOGIN_LOCK_SECONDS = int(os.environ.get("LOGIN_LOCK_SECONDS", 15 * 60))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "feed:for_you"
LOGOUT_REDIRECT_URL = "feed:for_you"

# --- Languages: English and French, chosen from the browser or the switch.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media files
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Behind nginx: the internal location that serves MEDIA_ROOT (e.g. "/_protected/"). Django
# still decides who may read a private file (config.media.private_file_response) and hands
# it over with X-Accel-Redirect; nginx sends the bytes and answers ranges. Empty: Django
# streams private files itself.
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "")
# Whether Django answers /media/ for the public folders of local storage; off by default
# once a proxy is in front (it serves them from the same folder, see deploy/nginx.conf).
MEDIA_SERVE_PUBLIC = env_bool("MEDIA_SERVE_PUBLIC", not MEDIA_ACCEL_REDIRECT_PREFIX)

# Local filesystem by default; S3-compatible object storage when S3_BUCKET is set.
if os.environ.get("S3_BUCKET"):
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["S3_BUCKET"],
                "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("S3_REGION") or None,
                "querystring_auth": env_bool("S3_SIGNED_URLS", True),
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# --- Content-Security-Policy (config.csp): origins a deployment adds to what the site derives
# itself (its own origin, its websockets, the S3 or MEDIA_URL origin of media).
CSP_EXTRA_MEDIA_ORIGINS = env_list("CSP_EXTRA_MEDIA_ORIGINS")
CSP_EXTRA_CONNECT_ORIGINS = env_list("CSP_EXTRA_CONNECT_ORIGINS")

# Uploads: refuse anything bigger before it reaches a view.
# The largest request body any server of the site reads (a cameo's five photos, a clip):
# larger ones are refused with 413 before they are read (config.bodies).
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", 64 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
AVATAR_MAX_BYTES = int(os.environ.get("AVATAR_MAX_BYTES", 5 * 1024 * 1024))
AVATAR_MAX_PIXELS = int(os.environ.get("AVATAR_MAX_PIXELS", 40_000_000))
AVATAR_SIZE = 512

# --- REST API
REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated request 401 with a WWW-Authenticate header
    # only when the first class names a scheme (session authentication has none, so it was
    # 403). A request without a token header still falls through to the session, whose CSRF
    # check is unchanged.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "600/minute"),
        "writes": os.environ.get("API_THROTTLE_WRITES", "120/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reel API",
    "DESCRIPTION": "Feeds, posts, likes, comments, people, follows and blocks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery: Redis when REDIS_URL is set, else a filesystem broker that needs no server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process killed mid-task is declared lost (its task given back) after this many
# seconds, not Celery's 10: the wait is for a result it may have sent, and none is kept.
CELERY_WORKER_LOST_WAIT = 2.0
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Celery beat's record of when each periodic task last ran (`celery beat`, or a worker's -B).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False

# --- The feed
FEED_PAGE_SIZE = 10
FEED_MAX_PAGE_SIZE = 50
FEED_FOLLOW_BOOST = 2.0  # in units of the hot score: a followed author counts as ~25 h fresher
COMMENT_MAX_LENGTH = 1000
CAPTION_MAX_LENGTH = 500
MINIMUM_AGE = 13

# --- Generation: the video backend and what a creator may ask of it.
GENERATION_BACKEND = os.environ.get("GENERATION_BACKEND", "generation.backends.wan.WanBackend")
# A checkpoint directory laid out as the backend's save_pretrained() writes it; unset, the
# backend builds the model's architecture at toy size in code (random weights, CPU, seconds).
GENERATION_MODEL_DIR = os.environ.get("GENERATION_MODEL_DIR") or None
GENERATION_DEVICE = os.environ.get("GENERATION_DEVICE", "auto")
GENERATION_DTYPE = os.environ.get("GENERATION_DTYPE", "auto")
GENERATION_CPU_THREADS = int(os.environ.get("GENERATION_CPU_THREADS", "1"))
# Speed options for GPU workers: a diffusers attention backend ("flash", "_native_cudnn",
# "sage"), "regional" torch.compile of the repeated blocks, "first_block" step caching.
GENERATION_ATTENTION_BACKEND = os.environ.get("GENERATION_ATTENTION_BACKEND", "")
GENERATION_COMPILE = os.environ.get("GENERATION_COMPILE", "none")
GENERATION_CACHE = os.environ.get("GENERATION_CACHE", "none")
GENERATION_CACHE_THRESHOLD = float(os.environ.get("GENERATION_CACHE_THRESHOLD", "0.05"))
# The Celery queue the GPU workers consume.
GENERATION_QUEUE = os.environ.get("GENERATION_QUEUE", "gpu")
# Checks of uploads too heavy for a request (a verification clip's frames and faces).
CHECKS_QUEUE = os.environ.get("CHECKS_QUEUE", "celery")
# The sweep of generation jobs (below): any queue but the render queue, so it never waits behind a render.
GENERATION_SWEEP_QUEUE = os.environ.get("GENERATION_SWEEP_QUEUE", "celery")
CELERY_TASK_ROUTES = {
    "generation.jobs_sweep": {"queue": GENERATION_SWEEP_QUEUE},
    "generation.*": {"queue": GENERATION_QUEUE},
    "cameo.*": {"queue": CHECKS_QUEUE},
}
GENERATION_FPS = 16
GENERATION_STEPS = int(os.environ.get("GENERATION_STEPS", "30" if GENERATION_MODEL_DIR else "4"))
# Short side in pixels of each resolution tier; the long side follows the aspect ratio.
GENERATION_TIERS = (
    {"low": 320, "standard": 480, "high": 720}
    if GENERATION_MODEL_DIR
    else {"low": 64, "standard": 96, "high": 128}
)
# The longest clip one denoising pass makes; longer videos continue segment by segment.
GENERATION_SEGMENT_FRAMES = 81
GENERATION_MAX_DURATION = 20.0
GENERATION_MAX_TOTAL_DURATION = 60.0  # a chain of extensions
GENERATION_PROMPT_MAX_LENGTH = 1000
GENERATION_MAX_SHOTS = 6
GENERATION_DAILY_QUOTA = int(os.environ.get("GENERATION_DAILY_QUOTA", "20"))
GENERATION_SOURCE_IMAGE_MAX_BYTES = 10 * 1024 * 1024
GENERATION_SOURCE_IMAGE_MAX_PIXELS = 40_000_000
# A worker renews its lease on a job every GENERATION_HEARTBEAT_SECONDS while it works; the
# sweep (generation.sweep, every GENERATION_SWEEP_SECONDS, run by Celery beat on
# GENERATION_SWEEP_QUEUE, never the render queue) puts back in the queue a job whose lease is
# older than GENERATION_LEASE_SECONDS, so a dead worker's job starts again within about
# lease + sweep seconds; it sends again a queued job whose message was never sent, or one
# waiting for GENERATION_REQUEUE_SECONDS when the queue holds fewer messages than jobs. A
# job is tried at most GENERATION_MAX_ATTEMPTS times, then fails (and costs nothing).
GENERATION_LEASE_SECONDS = float(os.environ.get("GENERATION_LEASE_SECONDS", "20"))
GENERATION_HEARTBEAT_SECONDS = float(os.environ.get("GENERATION_HEARTBEAT_SECONDS", "5"))
GENERATION_SWEEP_SECONDS = float(os.environ.get("GENERATION_SWEEP_SECONDS", "5"))
GENERATION_REQUEUE_SECONDS = float(os.environ.get("GENERATION_REQUEUE_SECONDS", "60"))
GENERATION_MAX_ATTEMPTS = int(os.environ.get("GENERATION_MAX_ATTEMPTS", "3"))
# A try interrupted by an outage (database, storage) is retried after 1, 2, 4... seconds, at most this.
GENERATION_RETRY_MAX_SECONDS = float(os.environ.get("GENERATION_RETRY_MAX_SECONDS", "30"))
CELERY_BEAT_SCHEDULE = {
    "generation-jobs-sweep": {
        "task": "generation.jobs_sweep",
        "schedule": GENERATION_SWEEP_SECONDS,
        # A sweep that waited longer than two periods is dropped: a newer one follows.
        "options": {"queue": GENERATION_SWEEP_QUEUE, "expires": 2 * GENERATION_SWEEP_SECONDS},
    },
}
GENERATION_TIME_LIMIT = int(os.environ.get("GENERATION_TIME_LIMIT", "1800"))
# Progress is written to the job row (and pushed to the browser) at most this often.
GENERATION_PROGRESS_INTERVAL = float(os.environ.get("GENERATION_PROGRESS_INTERVAL", "0.25"))
# Where the platform's signing key and certificates for content credentials live.
GENERATION_SIGNING_DIR = Path(os.environ.get("GENERATION_SIGNING_DIR", VAR_DIR / "signing"))
GENERATION_PLATFORM_MARK = "reel"

# --- Cameos: likenesses are adults' only, checked, and private.
CAMEO_MINIMUM_AGE = 18
CAMEO_MAX_PHOTOS = 5
CAMEO_PHOTO_MAX_BYTES = 10 * 1024 * 1024
CAMEO_PHOTO_MAX_PIXELS = 40_000_000
# The long side of a likeness photo as decoded and kept: enough for the face detector.
CAMEO_PHOTO_MAX_SIDE = 2048
CAMEO_CLIP_MAX_BYTES = 30 * 1024 * 1024
CAMEO_CLIP_MAX_SECONDS = 20.0
CAMEO_CLIP_MAX_PIXELS = 2560 * 1440
# Decoding a clip to check it stops after this many seconds of work: a refusal, not a wait.
CAMEO_CLIP_DECODE_SECONDS = float(os.environ.get("CAMEO_CLIP_DECODE_SECONDS", "20"))
# The worker's whole check of a clip (decoding, faces, the media policy) stops after this.
CAMEO_CHECK_TIME_LIMIT = int(os.environ.get("CAMEO_CHECK_TIME_LIMIT", "120"))
# Check clips in the request instead of on the worker: for the unit tests, never a server.
CAMEO_CLIP_CHECK_INLINE = env_bool("CAMEO_CLIP_CHECK_INLINE", False)
# How long a verification challenge stays valid.
CAMEO_CHALLENGE_MINUTES = 15
# Two faces are the same person when their dlib descriptors are closer than this.
CAMEO_MATCH_DISTANCE = float(os.environ.get("CAMEO_MATCH_DISTANCE", "0.6"))

# --- Moderation: media checks, by dotted path or {"NAME": path, "OPTIONS": {...}}.
# A check that is missing or fails sends the item to review: moderation fails closed.
MODERATION_MEDIA_CHECKS = [
    "moderation.media.checks.FaceDetection",
    "moderation.media.checks.ProtectedMediaMatch",
    "moderation.media.checks.FaceBankMatch",
    "moderation.media.checks.AgeEstimate",
    "moderation.media.checks.NudityDetection",
]
MODERATION_MEDIA_SAMPLE_FPS = float(os.environ.get("MODERATION_MEDIA_SAMPLE_FPS", "1.0"))
MODERATION_MEDIA_MAX_FRAMES = int(os.environ.get("MODERATION_MEDIA_MAX_FRAMES", "48"))
MODERATION_MEDIA_BANK_FPS = 1.0
MODERATION_MEDIA_BANK_MAX_FRAMES = 300
# Hold a new account's first N posts for review whatever their verdict (0: none).
MODERATION_HOLD_FIRST_POSTS = int(os.environ.get("MODERATION_HOLD_FIRST_POSTS", "0"))
# How long a moderator's claim on a case lasts before someone else may take it over.
MODERATION_CLAIM_MINUTES = int(os.environ.get("MODERATION_CLAIM_MINUTES", "15"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
