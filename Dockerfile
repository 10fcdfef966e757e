# Production image for Klasteris: PostgreSQL-ready, non-root, migrates on start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KLASTERIS_ENVIRONMENT=production \
    KLASTERIS_VAR_DIR=/app/var \
    KLASTERIS_WORKERS=2

WORKDIR /app
COPY pyproject.toml README.md alembic.ini babel.cfg ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY content ./content
RUN pip install -e . \
 && pybabel compile -d app/locale -D messages \
 && useradd --system --uid 10001 --home-dir /app klasteris \
 && mkdir -p /app/var \
 && chown -R klasteris /app/var

USER klasteris
EXPOSE 8000
CMD ["sh", "-c", "klasteris migrate && klasteris seed-organisations && exec uvicorn app.main:app_factory --factory --host 0.0.0.0 --port 8000 --workers ${KLASTERIS_WORKERS} --proxy-headers --forwarded-allow-ips '*'"]
