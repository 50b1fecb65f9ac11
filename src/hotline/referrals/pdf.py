"""The package's report.pdf: the report.json content laid out for a reader, English or Khmer.

Headings come from LABELS in the language the liaison picked; the reporter's own words stay in
the language they wrote them, marked with `lang` so Khmer gets the Khmer font and shaping
(hotline.core.pdf.render_pdf: WeasyPrint, HarfBuzz, the committed Noto Sans Khmer).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from hotline.core.pdf import render_pdf

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Police referral",
        "case": "Case reference",
        "package": "Package",
        "created": "Produced",
        "received": "Report received",
        "state": "Case state",
        "reporter_role": "Who reported",
        "victim_age": "Victim age",
        "categories": "Categories",
        "platforms": "Platforms",
        "money": "Money",
        "in_danger": "Someone in danger now",
        "yes": "yes",
        "no": "no",
        "account": "The reporter's account (their own words, as written)",
        "started": "When it started",
        "links": "Links",
        "usernames": "Usernames",
        "phones": "Phone numbers",
        "payment_accounts": "Payment accounts",
        "assessment": "Assessment",
        "not_assessed": "Not assessed yet.",
        "identifiers": "Identifiers",
        "none": "None.",
        "evidence": "Evidence (hashes of the files as received)",
        "file": "File in this package",
        "not_included": "not included",
        "hashes_only": "Hashes sent without files",
        "timeline": "Timeline",
        "custody": "Chain of custody (audit log)",
        "custody_summary": "events about this report; audit chain at export",
        "reporter": "Reporter",
        "verify": "Check this package with `hotline verify-package FILE`; manifest.json lists "
        "every file's SHA-256, manifest.sig is the hotline's Ed25519 signature of it.",
    },
    "km": {
        "title": "ការបញ្ជូនទៅប៉ូលិស",
        "case": "លេខយោងករណី",
        "package": "កញ្ចប់",
        "created": "បង្កើតនៅ",
        "received": "ថ្ងៃទទួលរបាយការណ៍",
        "state": "ស្ថានភាពករណី",
        "reporter_role": "អ្នករាយការណ៍",
        "victim_age": "អាយុជនរងគ្រោះ",
        "categories": "ប្រភេទ",
        "platforms": "វេទិកា",
        "money": "ប្រាក់",
        "in_danger": "មានមនុស្សកំពុងមានគ្រោះថ្នាក់",
        "yes": "បាទ/ចាស",
        "no": "ទេ",
        "account": "សេចក្តីរាយការណ៍ (ពាក្យផ្ទាល់របស់អ្នករាយការណ៍)",
        "started": "ចាប់ផ្តើមនៅពេល",
        "links": "តំណភ្ជាប់",
        "usernames": "ឈ្មោះអ្នកប្រើ",
        "phones": "លេខទូរស័ព្ទ",
        "payment_accounts": "គណនីទូទាត់ប្រាក់",
        "assessment": "ការវាយតម្លៃ",
        "not_assessed": "មិនទាន់បានវាយតម្លៃ។",
        "identifiers": "អត្តសញ្ញាណសម្គាល់",
        "none": "គ្មាន។",
        "evidence": "ភស្តុតាង (តម្លៃហាសនៃឯកសារដែលបានទទួល)",
        "file": "ឯកសារក្នុងកញ្ចប់នេះ",
        "not_included": "មិនបានដាក់បញ្ចូល",
        "hashes_only": "តម្លៃហាសដែលផ្ញើដោយគ្មានឯកសារ",
        "timeline": "កាលប្បវត្តិ",
        "custody": "ខ្សែសង្វាក់នៃការរក្សាភស្តុតាង (កំណត់ហេតុសវនកម្ម)",
        "custody_summary": "ព្រឹត្តិការណ៍អំពីរបាយការណ៍នេះ; ខ្សែសង្វាក់សវនកម្មនៅពេលនាំចេញ",
        "reporter": "អ្នករាយការណ៍",
        "verify": "ពិនិត្យកញ្ចប់នេះដោយ `hotline verify-package FILE`; manifest.json "
        "មានតម្លៃ SHA-256 នៃឯកសារនីមួយៗ ហើយ manifest.sig ជាហត្ថលេខា Ed25519 របស់ខ្សែទូរស័ព្ទជំនួយ។",
    },
}

NO_IDENTITY_KM = (
    "អត្តសញ្ញាណ និងព័ត៌មានទំនាក់ទំនងរបស់អ្នករាយការណ៍មិនត្រូវបានដាក់បញ្ចូលទេ៖ អ្នករាយការណ៍មិនបានយល់ព្រមចែករំលែកវាជាមួយប៉ូលិសទេ។"
)

# Lists as blocks, not tables: WeasyPrint lays out a long table across pages several times
# over (50 evidence rows in tables took 3.9 CPU-seconds, as blocks 1.0: benchmarks/README.md).
EXTRA_CSS = """
.narrative { white-space: pre-wrap; border-left: 2pt solid #999; padding-left: 6pt; }
.small { font-size: 8pt; color: #333; }
.item { margin: 0 0 5pt; padding-bottom: 3pt; border-bottom: 0.5pt solid #ccc; }
.line { font-size: 8.5pt; }
"""


def referral_pdf(content: dict[str, Any]) -> bytes:
    """Render report.json's content (case_content) as the package's PDF."""
    language = content["language"]
    report = content["report"]
    custody = content["chain_of_custody"]
    context = {
        "t": LABELS[language],
        "lang": language,
        "c": content,
        "r": report,
        "lists": [
            (key, report[key]) for key in ("links", "usernames", "phones", "payment_accounts")
        ],
        "custody_events": len(custody.get("events", [])),
        "no_identity": (NO_IDENTITY_KM if language == "km" else content["reporter"]["why"])
        if not content["reporter"]["identity_included"]
        else "",
    }
    html = render_to_string("referrals/report_pdf.html", context)
    return render_pdf(html, extra_css=EXTRA_CSS, title=f"Referral {content['case_reference']}")
