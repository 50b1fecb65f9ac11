"""OpenHotline: anonymous reporting and case work against online child sexual exploitation."""
