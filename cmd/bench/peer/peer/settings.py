"""Settings of the benchmark's peer: a JSON vote API on PostgreSQL, nothing more."""
import os

SECRET_KEY = "benchmark-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "peer.urls"
INSTALLED_APPS = ["peer"]
# A JSON API needs neither sessions nor CSRF tokens; the security middleware
# stays, as it would in production.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["PEER_DB_HOST"],
        "PORT": os.environ["PEER_DB_PORT"],
        "NAME": os.environ["PEER_DB_NAME"],
        "USER": os.environ["PEER_DB_USER"],
        "CONN_MAX_AGE": None,  # one connection per worker, kept
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
