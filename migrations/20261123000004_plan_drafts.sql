-- Grid-planning drafts 网格方案草案: one plan (JSON) per draft, versioned for optimistic writes.
-- A draft is published in the same transaction as the grid changes it makes.
CREATE TABLE plan_drafts (
    id                     bigserial PRIMARY KEY,
    community_code         text NOT NULL CHECK (community_code ~ '^[0-9]{12}$'),
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status                 text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    version                bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    author                 text NOT NULL,
    updated_by             text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    published_data_version bigint,
    body                   jsonb NOT NULL
);
CREATE INDEX plan_drafts_community ON plan_drafts (community_code, id DESC);
