"""Load benchmark of issue 9: ceiling, scenarios, integrity checks (`make bench`)."""
