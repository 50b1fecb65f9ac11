"""Write labelled.jsonl: synthetic report texts with the identifiers they contain.

Run `python tests/entities/data/make_labelled.py` to regenerate (seeded, deterministic). No real
data: names, numbers and links are random; wallet addresses are random keys hashed into valid
checksums; phone numbers are random but valid-format Cambodian, Thai and Vietnamese numbers.

Each record: {"id", "lang" (km, en, mixed), "text", "entities": [[type, canonical value], ...]}.
Labels are written here from the construction of each text (what was inserted and how its
canonical form is defined), never by running the extractor. Distractors (dates, prices, ages,
order numbers, file names, display names, wallets with a broken checksum, random digit runs) are
mixed in and carry no label.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

import phonenumbers

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))

# Encoders only (the extractor uses the decoders; both are checked against BIP/EIP vectors).
from hotline.entities.extract.crypto import b58check_encode, eip55, segwit_encode

OUT = Path(__file__).with_name("labelled.jsonl")
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + LOWER.upper() + "0123456789"
KH_PREFIXES = ["10", "11", "12", "15", "16", "17", "61", "69", "70", "76", "77", "78", "81",
               "85", "86", "87", "89", "92", "93", "95", "96", "97", "98", "99", "31", "60",
               "66", "67", "68", "88", "90", "71", "38"]  # fmt: skip
FIRST_NAMES = ["sok", "dara", "srey", "vanna", "bopha", "rith", "chan", "nita", "pisey", "visal",
               "kanha", "mony", "lina", "tola", "rachana", "boy", "girl", "kh", "pp", "hot"]  # fmt: skip


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def word(self, n: int = 0) -> str:
        return "".join(self.r.choice(LOWER) for _ in range(n or self.r.randint(3, 6)))

    def username(self, sep: str = "_", min_len: int = 5) -> str:
        r = self.r
        while True:
            name = (
                r.choice(FIRST_NAMES) + r.choice(["", sep]) + r.choice(FIRST_NAMES + [self.word()])
            )
            if r.random() < 0.6:
                name += str(r.randint(1, 2024))
            if len(name) >= min_len and name[0].isalpha():
                return name

    def mixed_case(self, name: str) -> str:
        return "".join(c.upper() if self.r.random() < 0.3 else c for c in name)

    def token(self, n: int) -> str:
        return "".join(self.r.choice(ALNUM) for _ in range(n))

    def kh_phone(self) -> tuple[str, str]:
        """Return (national digits with leading 0, E.164) of a valid Cambodian mobile number."""
        while True:
            prefix = self.r.choice(KH_PREFIXES)
            rest = "".join(self.r.choice("0123456789") for _ in range(self.r.choice([6, 7])))
            national = "0" + prefix + rest
            number = phonenumbers.parse(national, "KH")
            if phonenumbers.is_valid_number(number):
                return national, phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )

    def foreign_phone(self) -> tuple[str, str]:
        while True:
            cc, length = self.r.choice([("66", 9), ("84", 9), ("86", 11), ("1", 10)])
            body = "".join(self.r.choice("0123456789") for _ in range(length))
            number = phonenumbers.parse("+" + cc + body, None)
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                pretty = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                )
                return pretty, e164


def group_digits(national: str, r: random.Random) -> str:
    sep = r.choice([" ", " ", "-", ".", ""])
    if len(national) == 9:
        return sep.join([national[:3], national[3:6], national[6:]])
    return sep.join([national[:3], national[3:6], national[6:]])


# --- entity makers: each returns (surface text, [(type, canonical), ...]) -------------------------


def telegram_account(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    name = g.username()
    shown = g.mixed_case(name)
    canonical = "https://t.me/" + name.lower()
    surface = g.r.choice([
        f"https://t.me/{shown}", f"t.me/{shown}", f"https://telegram.me/{shown}", f"telegram.dog/{shown}",
        f"Telegram @{shown}", f"តេឡេក្រាម @{shown}", f"TG: @{shown}", f"@{shown} on Telegram",
        f"https://t.me/s/{shown}", f"telegram: {shown}", f"t.me/{shown}?start=abc",
    ])  # fmt: skip
    return surface, [("handle", canonical)]


def telegram_invite(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    token = g.token(g.r.choice([16, 22]))
    surface = g.r.choice(
        [f"https://t.me/joinchat/{token}", f"t.me/+{token}", f"https://telegram.me/+{token}"]
    )
    return surface, [("url", "https://t.me/+" + token)]


def telegram_message(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    name = g.username()
    post = g.r.randint(2, 99999)
    surface = f"https://t.me/{g.mixed_case(name)}/{post}" + g.r.choice(
        ["", "?single", "?comment=3"]
    )
    return surface, [
        ("url", f"https://t.me/{name.lower()}/{post}"),
        ("handle", f"https://t.me/{name.lower()}"),
    ]


def facebook(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    kind = r.random()
    if kind < 0.35:
        pid = str(r.randint(100000000000000, 100099999999999))
        host = r.choice(["https://www.facebook.com", "https://m.facebook.com", "facebook.com", "fb.com",
                         "https://web.facebook.com", "mbasic.facebook.com"])  # fmt: skip
        extra = r.choice(["", "&mibextid=ZbWKwL", "&ref=share"])
        return f"{host}/profile.php?id={pid}{extra}", [
            ("handle", "https://www.facebook.com/profile.php?id=" + pid)
        ]
    if kind < 0.7:
        name = g.username(sep=".")
        host = r.choice(["https://www.facebook.com", "https://m.facebook.com", "facebook.com", "fb.com",
                         "https://web.facebook.com"])  # fmt: skip
        extra = r.choice(["", "?mibextid=LQQJ4d", "/"])
        return f"{host}/{g.mixed_case(name)}{extra}", [
            ("handle", "https://www.facebook.com/" + name.lower())
        ]
    if kind < 0.85:
        name = g.username(sep=".") + str(r.randint(1, 99))
        cue = r.choice(["my FB is", "his facebook is", "FB:", "Facebook account:", "ហ្វេសប៊ុក៖"])
        return f"{cue} {name}", [("handle", "https://www.facebook.com/" + name.lower())]
    slug = g.word(5) + str(r.randint(10, 999))
    return f"https://www.facebook.com/groups/{slug}/", [
        ("url", "https://www.facebook.com/groups/" + slug)
    ]


def instagram(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    if r.random() < 0.3:
        code = g.token(11)
        return f"https://www.instagram.com/p/{code}/?igsh=" + g.token(10), [
            ("url", "https://www.instagram.com/p/" + code)
        ]
    name = g.username(sep=".")
    surface = r.choice([f"instagram.com/{name}", f"https://www.instagram.com/{name}/", f"IG @{name}",
                        f"Instagram: @{name}", f"អ៊ីនស្តាក្រាម @{name}"])  # fmt: skip
    return surface, [("handle", "https://www.instagram.com/" + name.lower())]


def tiktok(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    name = g.username(sep=".")
    account = "https://www.tiktok.com/@" + name.lower()
    kind = r.random()
    if kind < 0.3:
        video = str(r.randint(7000000000000000000, 7399999999999999999))
        return f"https://www.tiktok.com/@{name}/video/{video}?is_from_webapp=1", [
            ("url", f"{account}/video/{video}"),
            ("handle", account),
        ]
    if kind < 0.45:
        code = g.token(9)
        return f"https://vm.tiktok.com/{code}/", [("url", "https://vm.tiktok.com/" + code)]
    return r.choice([f"tiktok.com/@{name}", f"TikTok @{name}", f"ធីកតុក @{name}"]), [
        ("handle", account)
    ]


def whatsapp(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    national, e164 = g.kh_phone()
    return g.r.choice([f"wa.me/{e164[1:]}", f"https://wa.me/{e164[1:]}", f"https://api.whatsapp.com/send?phone={e164[1:]}"]), [
        ("phone", e164)
    ]  # fmt: skip


def drive(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    item = "1" + g.token(32)
    kind = r.random()
    if kind < 0.35:
        return f"https://drive.google.com/file/d/{item}/view?usp=sharing", [
            ("url", "https://drive.google.com/file/d/" + item)
        ]
    if kind < 0.7:
        return f"https://drive.google.com/drive/{r.choice(['', 'u/0/', 'mobile/'])}folders/{item}?usp=drive_link", [
            ("url", "https://drive.google.com/drive/folders/" + item)
        ]  # fmt: skip
    doc = r.choice(["document", "spreadsheets", "presentation"])
    return f"https://docs.google.com/{doc}/d/{item}/edit?usp=sharing", [
        ("url", f"https://docs.google.com/{doc}/d/{item}")
    ]


def dropbox(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    fname = g.word() + r.choice([".mp4", ".zip", ".jpg"])
    kind = r.random()
    if kind < 0.4:
        key = g.token(15).lower()
        return f"https://www.dropbox.com/s/{key}/{fname}?dl=0", [
            ("url", f"https://www.dropbox.com/s/{key}/{fname}")
        ]
    key = g.token(21).lower()
    part = "fi" if kind < 0.7 else "fo"
    tail = fname if part == "fi" else g.token(10).lower()
    rlkey = g.token(25).lower()  # the link's access key: kept (the link does not open without it)
    return f"https://www.dropbox.com/scl/{part}/{key}/{tail}?rlkey={rlkey}&dl=0", [
        ("url", f"https://www.dropbox.com/scl/{part}/{key}/{tail}?rlkey={rlkey}")
    ]


def mega(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    node = g.token(8)
    key = g.token(43)
    kind = g.r.choice(["file", "folder"])
    surface = g.r.choice([f"https://mega.nz/{kind}/{node}#{key}", f"mega.nz/{kind}/{node}#{key}"])
    return surface, [("url", f"https://mega.nz/{kind}/{node}")]


def generic_url(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    host = (
        g.word(r.randint(5, 9))
        + r.choice(["", "-" + g.word(3)])
        + "."
        + r.choice(["com", "xyz", "site", "net", "top", "online", "vip"])
    )
    path = "/" + "/".join(g.word() for _ in range(r.randint(1, 3)))
    keep = r.random() < 0.4
    query = f"?id={r.randint(1, 9999)}" if keep else ""
    tracking = r.choice(["", "utm_source=telegram&utm_medium=share", "fbclid=" + g.token(20)])
    sep = "&" if query else "?"
    surface = (
        r.choice(["https://", "http://", "https://www.", ""])
        + host
        + path
        + (query + (sep + tracking if tracking else ""))
    )
    if not surface.startswith("http") and not surface.startswith("www"):
        surface = "www." + surface if r.random() < 0.5 else surface
    return surface, [("url", "https://" + host + path + query)]  # fmt: skip


def phone(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    if r.random() < 0.15:
        pretty, e164 = g.foreign_phone()
        return pretty, [("phone", e164)]
    national, e164 = g.kh_phone()
    style = r.random()
    if style < 0.35:
        surface = group_digits(national, r)
    elif style < 0.55:
        surface = "+855 " + national[1:3] + " " + national[3:6] + " " + national[6:]
    elif style < 0.65:
        surface = "(+855) " + national[1:]
    elif style < 0.75:
        surface = "855" + national[1:]
    else:
        surface = group_digits(national, r).translate(KHMER_DIGITS)
    return surface, [("phone", e164)]


def email(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    local = g.username(sep=g.r.choice([".", "_"]))
    domain = g.r.choice(
        ["gmail.com", "yahoo.com", "outlook.com", "protonmail.com", "mail.ru", "hotmail.co.uk"]
    )
    surface = g.mixed_case(local) + "@" + g.r.choice([domain, domain.upper()])
    return surface, [("email", (local + "@" + domain).lower())]


def btc(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    body = hashlib.sha256(g.token(20).encode()).digest()
    kind = r.random()
    if kind < 0.4:
        address = b58check_encode(bytes([r.choice([0, 5])]) + body[:20])
        return address, [("btc", address)]
    if kind < 0.75:
        address = segwit_encode(0, body[: r.choice([20, 32])])
    else:
        address = segwit_encode(1, body)
    return (address.upper() if r.random() < 0.1 else address), [("btc", address)]


def eth(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    raw = hashlib.sha256(g.token(20).encode()).hexdigest()[:40]
    canonical = eip55(raw)
    return g.r.choice([canonical, "0x" + raw]), [("eth", canonical)]


def tron(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    address = b58check_encode(b"\x41" + hashlib.sha256(g.token(20).encode()).digest()[:20])
    return g.r.choice([address, "USDT TRC20 " + address]), [("tron", address)]


def payment(g: Gen) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    kind = r.random()
    if kind < 0.3:
        national, e164 = g.kh_phone()
        label = r.choice(["Wing", "WING", "វីង", "wing account"])
        return f"{label} {group_digits(national, r)}", [
            ("payment_account", "wing:" + national),
            ("phone", e164),
        ]
    if kind < 0.55:
        digits = "".join(r.choice("0123456789") for _ in range(9))
        shown = r.choice([digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}"])
        label = r.choice(["ABA", "ABA account", "ABA:", "គណនី ABA", "អេប៊ីអេ"])
        return f"{label} {shown}", [("payment_account", "aba:" + digits)]
    if kind < 0.75:
        digits = "".join(r.choice("0123456789") for _ in range(r.choice([10, 13, 16])))
        label = r.choice(["ACLEDA", "Acleda acc", "ACLEDA Bank:", "អេស៊ីលីដា"])
        return f"{label} {digits}", [("payment_account", "acleda:" + digits)]
    digits = "".join(r.choice("0123456789") for _ in range(10))
    label = r.choice(["MTCN", "MTCN:", "Western Union MTCN", "western union code"])
    return f"{label} {digits}", [("payment_account", "western_union:" + digits)]


MAKERS = [telegram_account, telegram_account, telegram_invite, telegram_message, facebook, facebook,
          instagram, tiktok, whatsapp, drive, dropbox, mega, generic_url, phone, phone, phone, email,
          btc, eth, tron, tron, payment, payment]  # fmt: skip


def distractor(g: Gen) -> str:
    r = g.r
    broken_tron = b58check_encode(b"\x41" + hashlib.sha256(g.token(8).encode()).digest()[:20])
    broken_tron = broken_tron[:-1] + ("z" if broken_tron[-1] != "z" else "y")
    broken_eth = eip55(hashlib.sha256(g.token(8).encode()).hexdigest()[:40])
    broken_eth = (
        broken_eth[:-6] + broken_eth[-6:].swapcase()
        if any(c.isalpha() for c in broken_eth[-6:])
        else "0xabc"
    )
    return r.choice([
        f"on {r.randint(1, 28)}/{r.randint(1, 12)}/2024", f"since 2024-0{r.randint(1, 9)}-1{r.randint(0, 9)}",
        f"${r.randint(50, 3000)}", f"{r.randint(100, 900)} ដុល្លារ", f"at {r.randint(1, 12)}:{r.randint(10, 59)}pm",
        f"អាយុ {str(r.randint(12, 17)).translate(KHMER_DIGITS)} ឆ្នាំ", f"order #{r.randint(10000, 99999)}",
        f"reference {r.randint(1000000000, 9999999999)}", f"the file {g.word()}.jpg", "notes.md",
        "his FB name is Sok Dara", "version 2.5.1", f"{r.randint(2, 40)} photos", f"room {r.randint(100, 999)}",
        f"tx {broken_tron}", f"wallet {broken_eth}", "IP 192.168.1.20", f"{r.randint(1, 9)}.{r.randint(10, 99)} BTC",
        "user@localhost", "@ 5pm", f"code {r.randint(100000, 999999)}",
    ])  # fmt: skip


EN = [
    "He told me to join {e} or he would post my photos.", "Please check {e}, they are selling videos there.",
    "The man who threatens me uses {e}.", "He asked me to send money to {e} before tonight.",
    "I found my pictures on {e}.", "Contact was {e} and he said he was 17.",
    "They said pay or they share everything: {e}", "My daughter was added to {e} by a stranger.",
    "Link: {e}", "({e})", "He gave me {e} and then blocked me.", "{e} is the account.",
    "He sent this: {e}.", "\"{e}\"", "[{e}]", "It was {e}, then nothing.", "{e}!!!",
]  # fmt: skip
KM = [
    "គាត់ប្រើ {e} ដើម្បីផ្ញើសារមកខ្ញុំ។", "សូមជួយផង គេទាមទារលុយតាម {e}", "ខ្ញុំបានឃើញរូបភាពរបស់ខ្ញុំនៅក្នុង {e} ។",
    "គេគំរាមថានឹងបង្ហោះរូបភាព ប្រសិនបើខ្ញុំមិនផ្ញើលុយទៅ {e}", "គណនីរបស់គាត់៖ {e}",
    "កូនស្រីរបស់ខ្ញុំត្រូវបានគេបញ្ចូលទៅក្នុង {e} ដោយមនុស្សមិនស្គាល់។", "ទំនាក់ទំនង {e} ហើយគាត់បានបិទខ្ញុំ។",
    "{e} នេះជាអ្នកដែលគំរាមខ្ញុំ", "ខ្ញុំខ្លាចណាស់ {e}",
    "ទំនាក់ទំនង{e}ហើយគាត់បានបិទខ្ញុំ", "គាត់ផ្ញើ{e}មកខ្ញុំ។", "តាមរយៈ៖{e}",
]  # fmt: skip
FILLER_EN = ["I am scared.", "Please help me.", "This started last month.", "I did not pay yet.",
             "He said he is a model agent.", "I deleted the chat but kept screenshots."]  # fmt: skip
FILLER_KM = ["ខ្ញុំខ្លាចណាស់។", "សូមជួយខ្ញុំផង។", "រឿងនេះចាប់ផ្តើមកាលពីខែមុន។", "ខ្ញុំមិនទាន់បង់លុយទេ។"]


def make_text(g: Gen, lang: str) -> tuple[str, list[tuple[str, str]]]:
    r = g.r
    labels: list[tuple[str, str]] = []
    parts: list[str] = []
    for _ in range(r.randint(1, 4)):
        templates = EN if lang == "en" else KM if lang == "km" else r.choice([EN, KM])
        filler = (
            FILLER_EN
            if lang == "en"
            else FILLER_KM
            if lang == "km"
            else r.choice([FILLER_EN, FILLER_KM])
        )
        roll = r.random()
        if roll < 0.6:
            surface, found = r.choice(MAKERS)(g)
            if r.random() < 0.05 and surface.startswith("http"):
                cut = r.randint(9, len(surface) - 1)
                surface = surface[:cut] + "\u200b" + surface[cut:]  # pasted from a chat app
            parts.append(r.choice(templates).format(e=surface))
            labels += found
        elif roll < 0.85:
            parts.append(r.choice(templates).format(e=distractor(g)))
        else:
            parts.append(r.choice(filler))
    if not labels and r.random() < 0.4:
        surface, found = r.choice(MAKERS)(g)
        parts.append(r.choice(templates).format(e=surface))
        labels += found
    return r.choice([" ", "\n", " "]).join(parts), labels


# Hand-written cases: tricky forms the generator does not produce.
HAND = [
    ("en", "Join ｔ．ｍｅ／ｈｏｔｇｉｒｌｓｋｈ now", [("handle", "https://t.me/hotgirlskh")]),
    ("km", "លេខ ០៨៩ ៧៧៧ ៨៨៨ ហើយ Telegram @sreyleak_pp", [("phone", "+85589777888"), ("handle", "https://t.me/sreyleak_pp")]),
    ("en", "link https://l.facebook.com/l.php?u=https%3A%2F%2Ft.me%2Fsecretvids_kh&h=AT3x", [("handle", "https://t.me/secretvids_kh")]),
    ("en", "google said https://www.google.com/url?q=https://mega.nz/folder/Ab12Cd34%23keykeykey&sa=D", [("url", "https://mega.nz/folder/Ab12Cd34")]),
    ("en", "fake site tеlegram.me/freevideo (cyrillic e)", [("url", "https://xn--tlegram-7gg.me/freevideo")]),
    ("en", "old mega link https://mega.nz/#!Qw3rTy12!abcdefKEY and folder https://mega.nz/#F!Zx9Yw8Vu!KEY2", [("url", "https://mega.nz/file/Qw3rTy12"), ("url", "https://mega.nz/folder/Zx9Yw8Vu")]),
    ("en", "tg://resolve?domain=darkroom_kh opens the bot", [("handle", "https://t.me/darkroom_kh")]),
    ("en", "he wrote from +855 (0)12 345 678 and later again", [("phone", "+85512345678")]),
    ("en", "Random number 4829301756 is not a phone and neither is 1234567890.", []),
    ("en", "my FB name is Sok Dara and he is on facebook too", []),
    ("en", "Send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 not 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", [("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")]),
    ("en", "ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed but 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD is wrong", [("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]),
    ("en", "taproot bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0.", [("btc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")]),
    ("mixed", "គាត់ឱ្យខ្ញុំផ្ញើលុយតាម Wing ០១២៣៤៥៦៧៨ ឬ ABA ០០០ ១២៣ ៤៥៦", [("payment_account", "wing:012345678"), ("phone", "+85512345678"), ("payment_account", "aba:000123456")]),
    ("en", "see https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share and youtu.be/dQw4w9WgXcQ", [("url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"), ("url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")]),
    ("en", "Drive https://drive.google.com/open?id=1AbCdEfGhIjKlMnOp and https://drive.google.com/uc?id=1ZyXwVuTsRqPoNmLk&export=download", [("url", "https://drive.google.com/open?id=1AbCdEfGhIjKlMnOp"), ("url", "https://drive.google.com/file/d/1ZyXwVuTsRqPoNmLk")]),
    ("en", "write to Bad.Actor@Example.ORG.", [("email", "bad.actor@example.org")]),
    ("en", "percent-encoded https://t.me/%64arkzone_kh and HTTPS://T.ME/DarkZone_KH", [("handle", "https://t.me/darkzone_kh"), ("handle", "https://t.me/darkzone_kh")]),
    ("km", "ហ្វេសប៊ុក៖ https://www.facebook.com/people/Sok-Dara/100087654321098/", [("handle", "https://www.facebook.com/profile.php?id=100087654321098")]),
    ("en", "messenger m.me/sokha.vip99 and fb.watch/abcDEF123/", [("handle", "https://www.facebook.com/sokha.vip99"), ("url", "https://fb.watch/abcDEF123")]),
    ("en", "files: the photo.jpg, notes.md and archive.zip are on my phone", []),
    ("en", "x.com/bad_guy_kh/status/1790000000000000000", [("url", "https://x.com/bad_guy_kh/status/1790000000000000000"), ("handle", "https://x.com/bad_guy_kh")]),
    ("en", "He paid $1,500.00 on 15.03.2024 at 10:30 (order 00123)", []),
    # Labelled numbers of an unexpected digit count stay accounts (flagged "unusual length").
    ("en", "ABA account 037 519 6640", [("payment_account", "aba:0375196640")]),
    ("en", "ACLEDA 788 369 075", [("payment_account", "acleda:788369075")]),
    ("en", "Western Union MTCN 176 941 212", [("payment_account", "western_union:176941212")]),
    ("en", "ACLEDA 098 059 400", [("payment_account", "acleda:098059400"), ("phone", "+85598059400")]),
    ("mixed", "គាត់ទាមទារ Wing 100 000 រៀល នៅថ្ងៃ 2024-03-12", []),
]  # fmt: skip


def main() -> None:
    g = Gen(20260501)
    records = []
    for i, (lang, text, labels) in enumerate(HAND):
        records.append(
            {
                "id": f"hand-{i:03d}",
                "lang": lang,
                "text": text,
                "entities": [list(x) for x in labels],
            }
        )
    langs = ["en"] * 130 + ["km"] * 130 + ["mixed"] * 120
    for i, lang in enumerate(langs):
        text, labels = make_text(g, lang)
        records.append(
            {
                "id": f"gen-{i:04d}",
                "lang": lang,
                "text": text,
                "entities": [list(x) for x in labels],
            }
        )
    with OUT.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} records to {OUT}")


if __name__ == "__main__":
    main()
