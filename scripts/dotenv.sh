#!/usr/bin/env bash
# Writes a developer's .env on first use: DEBUG on and a random SECRET_KEY. Never run in
# production, where the real environment carries the settings (README, "Production").
set -euo pipefail
[ -f .env ] && exit 0
key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')
cat > .env <<ENV
# Written by make run for local development; production reads the real environment.
DEBUG=true
SECRET_KEY=$key
ENV
echo "Wrote .env (DEBUG=true, a random SECRET_KEY)."
