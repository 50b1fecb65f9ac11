"""PDQ match index: a typed interface, a brute-force reference and the multi-index-hashing index."""

from hotline.hashing.index.base import (
    DEFAULT_THRESHOLD,
    BruteForceIndex,
    InvalidPdqError,
    PdqIndex,
    PdqMatch,
    pdq_to_bytes,
)
from hotline.hashing.index.mih import IndexFormatError, MihIndex

__all__ = [
    "DEFAULT_THRESHOLD",
    "BruteForceIndex",
    "IndexFormatError",
    "InvalidPdqError",
    "MihIndex",
    "PdqIndex",
    "PdqMatch",
    "pdq_to_bytes",
]
