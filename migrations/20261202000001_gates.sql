-- Compound gates 小区出入口: where residents walk or drive in and out of a compound. Coverage
-- distances are measured from a compound's nearest gate when it has any. Columns mirror
-- engine::schema::fields (checked by the store conformance tests); a gate keeps its compound's
-- community code (the scope of who may change it). The engine refuses a gate more than 50 m from
-- its compound's polygon before the database sees it.

CREATE TABLE gates (
    id             bigint PRIMARY KEY CHECK (id > 0),
    version        bigint NOT NULL CHECK (version > 0),
    name           text CHECK (name <> ''),
    community_code text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    compound_id    bigint NOT NULL REFERENCES compounds (id) DEFERRABLE INITIALLY DEFERRED,
    kind           text NOT NULL CHECK (kind IN ('pedestrian', 'vehicle', 'mixed')),
    geom           geometry(Point, 4326) NOT NULL
);

CREATE INDEX gates_geom_idx ON gates USING gist (geom);
CREATE INDEX gates_compound_idx ON gates (compound_id);
CREATE INDEX gates_community_idx ON gates (community_code);
