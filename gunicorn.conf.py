"""gunicorn settings for production: no access log, and error lines without client details.

G4: an access log line holds the client address, user agent and time of the request, so
none is written. Error logging uses the app's own format (level, logger, message).
"""

bind = "127.0.0.1:8000"  # behind the load balancer / TLS terminator
workers = 2
accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
forwarded_allow_ips = "127.0.0.1"
