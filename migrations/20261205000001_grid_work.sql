-- Grid work 网格工作: grid workers, organisations, visits and errands, needs, building heads,
-- residents' groups, joint-management units, resources, service projects. One versioned table;
-- the body (JSON) is typed and checked by the engine, where a record lies (community, grid) and a
-- need's status are columns for lists and scope checks. A record sent from a phone carries its
-- client id, kept once.
CREATE TABLE grid_work (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('grid_workers', 'organisations', 'visits', 'needs', 'building_heads', 'residents_groups', 'joint_units', 'resources', 'projects')),
    version        bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    community_code text NOT NULL CHECK (community_code ~ '^[0-9]{12}$'),
    grid_code      text,
    status         text,
    client_id      text,
    body           jsonb NOT NULL,
    created_by     text NOT NULL,
    updated_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grid_work_kind_idx ON grid_work (kind, community_code, id);
CREATE UNIQUE INDEX grid_work_client_idx ON grid_work (kind, client_id) WHERE client_id IS NOT NULL;

-- Accounts of organisations, and accounts scoped to grids (a grid worker's: `grid:<code>[,<code>…]`).
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('admin', 'planner', 'staff', 'viewer', 'organisation'));
ALTER TABLE accounts DROP CONSTRAINT accounts_scope_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_scope_check
    CHECK (scope = 'district' OR scope ~ '^street:[0-9]{9}$' OR scope ~ '^community:[0-9]{12}$'
           OR scope ~ '^grid:[^\s,:]{1,40}(,[^\s,:]{1,40})*$');
