-- Accounts: a role and a scope each; passwords only as argon2 hashes (PHC strings).
CREATE TABLE accounts (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    role          text NOT NULL CHECK (role IN ('admin', 'planner', 'staff', 'viewer')),
    scope         text NOT NULL CHECK (scope = 'district' OR scope ~ '^street:[0-9]{9}$' OR scope ~ '^community:[0-9]{12}$'),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
