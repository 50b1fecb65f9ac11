"""English dates: "3 December 2026", as read in Cambodia and most of the world."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
