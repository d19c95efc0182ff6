"""Everything that speaks a protocol (IMAP, LMTP, SMTP) or a format (RFC 5322/MIME)."""
