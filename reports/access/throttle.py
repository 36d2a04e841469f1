"""The address a sign-in comes from, for django-axes' lock per username and address."""

from django.conf import settings


def client_address(request) -> str:
    # Behind the TLS proxy every request comes from the proxy: the client is the
    # address it appended last to X-Forwarded-For (earlier entries are the client's to forge).
    if settings.DMARC_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
