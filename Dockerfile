# The image behind web, worker and beat in docker-compose.yml.
# Build: docker compose build   (or: docker build -t hatecrime .)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    DATA_DIR=/app/data \
    PATH="/app/.venv/bin:$PATH"

# The same uv version as the Makefile, so the lock file means the same thing.
RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev

# Static files are collected into the image (DATA_DIR/static, served by
# WhiteNoise). Settings need keys to import: these build-only placeholders
# exist only for this command and are never used at run time, where
# SECRET_KEY, FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY come from .env.
RUN SECRET_KEY=collectstatic-only \
    FIELD_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    BLIND_INDEX_KEY=collectstatic-only \
    python manage.py collectstatic --no-input -v 0 \
 && rm -rf /app/data/broker /app/data/cache

# Run as an unprivileged user that owns DATA_DIR: docker-compose.yml mounts
# a volume on DATA_DIR/static (refreshed by the migrate service, served by
# nginx); DATA_DIR/private holds files only when S3_BUCKET is unset.
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/data/private \
 && chown -R app:app /app/data
USER app

EXPOSE 8000
CMD ["gunicorn", "hatecrime.wsgi", "--bind", "0.0.0.0:8000"]
