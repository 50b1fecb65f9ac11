"""Khmer dates: "៣ ខែធ្នូ ឆ្នាំ២០២៦" once the digits are Khmer (month names in our catalog)."""

DATE_FORMAT = "j ខែF ឆ្នាំY"
DATETIME_FORMAT = "j ខែF ឆ្នាំY H:i"
