-- A login ends the key's oldest tokens beyond MAX_TOKENS_PER_KEY: find them by key without a scan.
CREATE INDEX auth_tokens_by_key ON auth_tokens (public_key, expires_at);
