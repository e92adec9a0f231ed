FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=optrading.settings.base
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home optrading && mkdir -p var && chown -R optrading var
USER optrading
# HTTP on gunicorn's sync workers (8000); docker-compose runs the websocket server (uvicorn, 8001) from the same image.
EXPOSE 8000 8001
CMD ["gunicorn", "optrading.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--forwarded-allow-ips", "*"]
