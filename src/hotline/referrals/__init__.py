"""Police referral packages: a signed ZIP of one case for law enforcement, and its verifier."""
