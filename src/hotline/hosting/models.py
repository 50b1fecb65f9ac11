"""Who hosts an address: network ranges (from the operator's IP-to-ASN file) and cached traces."""

from __future__ import annotations

from django.db import models

# Addresses as 39-digit zero-padded decimals of their IPv6 form (IPv4 as ::ffff:a.b.c.d): they
# sort as text in the same order as numbers, on SQLite and PostgreSQL alike.
ADDRESS_KEY_LENGTH = 39


class NetworkRange(models.Model):
    """One range of addresses announced by one network (autonomous system) in one country."""

    start = models.CharField(max_length=ADDRESS_KEY_LENGTH, db_index=True)
    end = models.CharField(max_length=ADDRESS_KEY_LENGTH)
    asn = models.PositiveIntegerField()
    country = models.CharField(max_length=2, blank=True)
    owner = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="hosting_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"AS{self.asn} {self.owner} ({self.country})"


class HostTrace(models.Model):
    """The latest trace of one host name or address (kept and reused for a day)."""

    host = models.CharField(max_length=255, unique=True)
    traced_at = models.DateTimeField()
    addresses = models.JSONField(
        default=list
    )  # [{"address", "asn", "country", "owner", "cdn", "names"}]
    problem = models.CharField(max_length=300, blank=True)
    # The domain's registrar from RDAP (HOTLINE_RDAP_URL; off unless the operator sets it).
    registrar = models.CharField(max_length=200, blank=True)
    registrar_checked_at = models.DateTimeField(null=True, blank=True)
    registrar_problem = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"trace of {self.host}"

    @property
    def countries(self) -> list[str]:
        return sorted({a["country"] for a in self.addresses if a.get("country")})

    @property
    def behind_cdn(self) -> str:
        return next((a["cdn"] for a in self.addresses if a.get("cdn")), "")
