-- Sessions and failed sign-ins, shared by every server over this database: a token issued by
-- one server is honoured by all, and the sign-in limit counts failures on all of them. Tokens
-- are kept only as their SHA-256; times are Unix milliseconds of the issuing server's clock.
CREATE TABLE sessions (
    token_sha256 text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    name         text NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    created_at   bigint NOT NULL,
    expires_at   bigint NOT NULL
);
CREATE INDEX sessions_name_idx ON sessions (name);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE login_failures (
    name text NOT NULL,
    at   bigint NOT NULL
);
CREATE INDEX login_failures_name_idx ON login_failures (name, at);
