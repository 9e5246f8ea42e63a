"""A person's rights over their personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP):
see and download it, correct it, withdraw consent, ask for its deletion; and the log of who
looked at personal data."""
