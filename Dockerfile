# The same steps as `make run`, in a container: one image for web, worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app dmarc
USER dmarc
EXPOSE 8000
# --timeout 30: no request does heavy work (see the README's "Web server").
CMD ["gunicorn", "dmarcapp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--graceful-timeout", "30"]
