# Two images from one file, both installed at the versions of requirements/test.lock:
#   target `coach`  the service and its command line (the default target)
#   target `chroma` a Chroma server of the same chromadb version as the service's client
FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CONSTRAINT=/opt/coach/test.lock \
    ANONYMIZED_TELEMETRY=False
COPY requirements/test.lock /opt/coach/test.lock

FROM base AS chroma
RUN pip install chromadb
VOLUME /data
EXPOSE 8000
CMD ["chroma", "run", "--path", "/data", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS coach
COPY . /opt/coach/src
RUN pip install "/opt/coach/src[postgres]" && rm -rf /opt/coach/src \
    && useradd --system --create-home --home-dir /var/lib/coach coach
USER coach
WORKDIR /var/lib/coach
# With COACH_DATABASE_URL and COACH_CHROMA_URL set nothing else is kept here.
ENV COACH_HOME=/var/lib/coach
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["coach", "serve", "--host", "0.0.0.0", "--workers", "2"]
