"""Alert tasks: take IDs, call services, safe to run twice."""

from __future__ import annotations

from hotline.alerts.services import alert_mail_send as _send


def alert_mail_send(alert_id: int) -> None:
    """Send one alert's e-mail (sent at most once after success; see the service)."""
    _send(alert_id=alert_id)
