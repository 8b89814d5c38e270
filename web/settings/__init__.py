"""Settings of the partner portal. `web.settings.local` (the default: `make serve` on
127.0.0.1 over plain HTTP), `web.settings.production` (behind a TLS reverse proxy,
everything from the environment) and `web.settings.test`."""
