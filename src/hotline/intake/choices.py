"""The closed lists a reporter chooses from (stored as codes, shown translated)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReporterRole(models.TextChoices):
    MYSELF = "myself", _("About myself")
    MY_CHILD = "my_child", _("About my child")
    SOMEONE_I_KNOW = "someone_i_know", _("About someone I know")
    SAW_ONLINE = "saw_online", _("Something I saw online")


class AgeRange(models.TextChoices):
    UNKNOWN = "", _("I don't know / prefer not to say")
    UNDER_13 = "under_13", _("Under 13")
    AGE_13_15 = "13_15", _("13 to 15")
    AGE_16_17 = "16_17", _("16 or 17")
    ADULT = "adult", _("18 or older")


class VictimGender(models.TextChoices):
    """The person harmed's gender, if the reporter chose to say (coarse: counted, not shown to
    the public; docs/decisions/public-statistics.md)."""

    UNKNOWN = "", _("I don't know / prefer not to say")
    FEMALE = "female", _("Girl or woman")
    MALE = "male", _("Boy or man")
    ANOTHER = "another", _("Another gender")


class Province(models.TextChoices):
    """Where the person harmed lives: Cambodia's capital and 24 provinces, or abroad.

    Only the province, never a place within it: too coarse to point to one person, and staff
    see it to pick the right provincial police or partner. Not published (rare combinations).
    """

    UNKNOWN = "", _("I don't know / prefer not to say")
    PHNOM_PENH = "phnom_penh", _("Phnom Penh")
    BANTEAY_MEANCHEY = "banteay_meanchey", _("Banteay Meanchey")
    BATTAMBANG = "battambang", _("Battambang")
    KAMPONG_CHAM = "kampong_cham", _("Kampong Cham")
    KAMPONG_CHHNANG = "kampong_chhnang", _("Kampong Chhnang")
    KAMPONG_SPEU = "kampong_speu", _("Kampong Speu")
    KAMPONG_THOM = "kampong_thom", _("Kampong Thom")
    KAMPOT = "kampot", _("Kampot")
    KANDAL = "kandal", _("Kandal")
    KEP = "kep", _("Kep")
    KOH_KONG = "koh_kong", _("Koh Kong")
    KRATIE = "kratie", _("Kratié")
    MONDULKIRI = "mondulkiri", _("Mondulkiri")
    ODDAR_MEANCHEY = "oddar_meanchey", _("Oddar Meanchey")
    PAILIN = "pailin", _("Pailin")
    PREAH_SIHANOUK = "preah_sihanouk", _("Preah Sihanouk")
    PREAH_VIHEAR = "preah_vihear", _("Preah Vihear")
    PURSAT = "pursat", _("Pursat")
    PREY_VENG = "prey_veng", _("Prey Veng")
    RATANAKIRI = "ratanakiri", _("Ratanakiri")
    SIEM_REAP = "siem_reap", _("Siem Reap")
    STUNG_TRENG = "stung_treng", _("Stung Treng")
    SVAY_RIENG = "svay_rieng", _("Svay Rieng")
    TAKEO = "takeo", _("Takéo")
    TBONG_KHMUM = "tbong_khmum", _("Tbong Khmum")
    OUTSIDE = "outside", _("Outside Cambodia")


class Category(models.TextChoices):
    SEXTORTION = (
        "sextortion",
        _(
            "Someone threatens to share photos or videos of me or my child "
            "unless we pay or send more"
        ),
    )
    GROOMING = "grooming", _("An adult is asking me or my child for photos, or to meet")
    CHILD_IMAGES = "child_images", _("I saw sexual images or videos of a child online")
    SELLING_GROUP = (
        "selling_group",
        _("A group or channel is selling or sharing sexual images of children"),
    )
    NONCONSENSUAL = (
        "nonconsensual",
        _("Someone shared intimate photos or videos of me or my child without permission"),
    )
    LIVE_ABUSE = "live_abuse", _("A child is being abused live, on a live stream or video call")
    OTHER = "other", _("Something else")


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    MESSENGER = "messenger", "Messenger"
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    GOOGLE_DRIVE = "google_drive", "Google Drive"
    DROPBOX = "dropbox", "Dropbox"
    WEBSITE = "website", _("A website")
    OTHER = "other", _("Other")


class PaymentMethod(models.TextChoices):
    WING = "wing", "Wing"
    ABA = "aba", "ABA"
    ACLEDA = "acleda", "ACLEDA"
    WESTERN_UNION = "western_union", "Western Union"
    CRYPTO = "crypto", _("Crypto (Bitcoin, USDT…)")
    OTHER = "other", _("Other")


class MoneyStatus(models.TextChoices):
    NONE = "none", _("No money was asked")
    DEMANDED = "demanded", _("Money was demanded, not paid")
    PAID = "paid", _("Money was paid")


class HelpWanted(models.TextChoices):
    COUNSELLOR = "counsellor", _("Talk to a counsellor")
    LEGAL = "legal", _("Legal help")
    REPORT_ONLY = "report_only", _("Only report")


class ReportStatus(models.TextChoices):
    """The coarse status partners read in the API (hotline.cases.workflow.public_status)."""

    RECEIVED = "received", _("We have received your report.")
    IN_REVIEW = "in_review", _("A member of our team is looking at your report.")
    ACTION_TAKEN = "action_taken", _("We have taken action on your report.")
    CLOSED = "closed", _("Your report is closed. You can still send us a message.")


class CaseState(models.TextChoices):
    """Where a report stands in the analysts' workflow (Report.status).

    Staff labels, in English like the rest of the staff pages; a reporter never sees these
    (hotline.intake.reporter_status words each state for them). Allowed moves between states:
    hotline.cases.workflow.TRANSITIONS.
    """

    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In assessment"
    ASSESSED = "assessed", "Assessed: action needed"
    NOTICE_SENT = "notice_sent", "Action taken: removal notice sent"
    REFERRED_POLICE = "referred_police", "Action taken: referred to police"
    SENT_TO_PARTNER = "sent_to_partner", "Action taken: forwarded to a partner"
    CLOSED = "closed", "Closed: action completed"
    NO_ACTION = "no_action", "Closed: not actionable"
    OUT_OF_SCOPE = "out_of_scope", "Closed: out of scope"
    DUPLICATE = "duplicate", "Closed: duplicate"


class Source(models.TextChoices):
    """How a report reached us (Report.source): the public form, the partner API, or a
    member of staff who entered it for someone (hotline.intake.services.report_take)."""

    WEB = "web", "web form"
    API = "api", "partner API"
    PHONE = "phone", "phone call"
    WALK_IN = "walk_in", "walk-in"
    EMAIL = "email", "e-mail"
    PARTNER = "partner", "partner organisation"


# The channels a member of staff can record when entering a report for someone.
STAFF_CHANNELS: tuple[Source, ...] = (Source.PHONE, Source.WALK_IN, Source.EMAIL, Source.PARTNER)
