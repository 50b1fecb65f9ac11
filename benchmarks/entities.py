"""Entity benchmarks: extraction throughput (MB/s of mixed report text on one core).

Run: `.venv/bin/python benchmarks/entities.py extract [--mb 8]`
The text is generated: English, Khmer and mixed sentences, about one identifier per 300 bytes
(links, handles, phone numbers, wallets, payment accounts), plus digits, dates and prices that
must not be extracted. MB means 10^6 bytes of UTF-8.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from hotline.entities.extract import extract_entities

PROSE = [
    "He said he would send the photos to my family unless I paid him before Friday.",
    "I met this person online and after a few weeks he asked me for pictures.",
    "The account was created on 12/03/2024 and has about 1500 followers.",
    "They asked for $300 and then another 500 dollars the next day.",
    "ខ្ញុំត្រូវបានគេគំរាមថានឹងផ្សព្វផ្សាយរូបភាពរបស់ខ្ញុំ ប្រសិនបើខ្ញុំមិនបង់លុយ។",
    "គាត់បានផ្ញើសារមកខ្ញុំរៀងរាល់ថ្ងៃ ហើយទាមទារឱ្យខ្ញុំផ្ញើរូបថតបន្ថែម។",
    "កូនស្រីរបស់ខ្ញុំអាយុ ១៤ ឆ្នាំ ត្រូវបានគេបោកប្រាស់តាមអនឡាញ។",
    "Please help, I am scared. គាត់ថានឹងផ្ញើទៅឪពុកម្តាយខ្ញុំ.",
    "Version 2.5 of the app, order number 48213, room 301, floor 3.",
]
ENTITIES = [
    "https://t.me/{name}",
    "t.me/+{token}",
    "Telegram @{name}",
    "https://www.facebook.com/profile.php?id=1000{digits}",
    "my FB is {name}.{digits3}",
    "https://drive.google.com/drive/folders/1{token}{token}",
    "https://mega.nz/file/{mega}#{token}{token}",
    "០១២ ៣៤៥ ៦៧៨",
    "+855 97 {digits3} {digits4}",
    "Wing {phone}",
    "ABA: 000 {digits3} {digits3}",
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "{name}@gmail.com",
    "tiktok.com/@{name}",
]
_ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate(size_bytes: int, seed: int = 1) -> str:
    """Return mixed report text of roughly `size_bytes` UTF-8 bytes."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size_bytes:
        if rng.random() < 0.25:
            piece = rng.choice(ENTITIES).format(
                name="".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) + "_kh",
                token="".join(rng.choice(_ALNUM) for _ in range(11)),
                mega="".join(rng.choice(_ALNUM) for _ in range(8)),
                digits=str(rng.randrange(10**8, 10**9)),
                digits3=str(rng.randrange(100, 1000)),
                digits4=str(rng.randrange(1000, 10000)),
                phone="0"
                + rng.choice(["12", "15", "77", "89", "96"])
                + str(rng.randrange(10**5, 10**6)),
            )
        else:
            piece = rng.choice(PROSE)
        parts.append(piece)
        total += len(piece.encode()) + 1
    return " ".join(parts)


def bench_extract(megabytes: float) -> None:
    text = generate(int(megabytes * 1_000_000))
    size = len(text.encode())
    # Split into report-sized chunks as the background task sees them (and one whole run).
    chunks = [text[i : i + 4000] for i in range(0, len(text), 4000)]
    extract_entities(chunks[0])  # warm caches and imports
    # CPU time of this process (one core) is the figure; wall time is shown too because the
    # machine may be shared, which stretches wall time but not CPU time.
    best = {"chunks": (float("inf"), float("inf")), "whole": (float("inf"), float("inf"))}
    found = 0
    for _ in range(3):
        for name in ("chunks", "whole"):
            wall, cpu = time.perf_counter(), time.process_time()
            if name == "chunks":
                found = sum(len(extract_entities(chunk)) for chunk in chunks)
            else:
                extract_entities(text)
            elapsed = (time.process_time() - cpu, time.perf_counter() - wall)
            best[name] = min(best[name], elapsed)
    print(f"text: {size / 1e6:.2f} MB UTF-8, {len(text):,} characters, {found:,} entities")
    for name, label in (("chunks", "4 kB reports"), ("whole", "one document")):
        cpu, wall = best[name]
        print(
            f"{label}: {size / 1e6 / cpu:.2f} MB/s CPU time ({size / 1e6 / wall:.2f} MB/s wall), best of 3"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="bench", required=True)
    extract = sub.add_parser("extract", help="extraction throughput")
    extract.add_argument("--mb", type=float, default=8.0)
    args = parser.parse_args()
    if args.bench == "extract":
        bench_extract(args.mb)


if __name__ == "__main__":
    main()
