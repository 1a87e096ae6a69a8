-- Ways 道路/步行路径: streets, lanes, footways, steps and compounds' internal paths, along which
-- walking distances are measured (engine::network). Columns mirror engine::schema::fields
-- (checked by the store conformance tests); `walkable` is derived (kind admits pedestrians and
-- not no_walking), so it is not stored. A way names its street when it lies in one (the scope of
-- who may change it), and its compound when it is an internal path.

CREATE TABLE ways (
    id          bigint PRIMARY KEY CHECK (id > 0),
    version     bigint NOT NULL CHECK (version > 0),
    name        text CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('footway', 'path', 'steps', 'pedestrian', 'corridor',
                    'cycleway', 'track', 'living_street', 'residential', 'service', 'unclassified',
                    'tertiary', 'secondary', 'primary', 'trunk', 'motorway')),
    no_walking  boolean NOT NULL DEFAULT false,
    bridge      boolean NOT NULL DEFAULT false,
    tunnel      boolean NOT NULL DEFAULT false,
    compound_id bigint REFERENCES compounds (id) DEFERRABLE INITIALLY DEFERRED,
    street_code text REFERENCES streets (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    osm_way     bigint CHECK (osm_way > 0),
    geom        geometry(MultiLineString, 4326) NOT NULL
);

CREATE INDEX ways_geom_idx ON ways USING gist (geom);
CREATE INDEX ways_compound_idx ON ways (compound_id);
CREATE INDEX ways_street_idx ON ways (street_code);
