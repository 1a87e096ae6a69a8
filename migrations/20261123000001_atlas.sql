-- Grid Atlas core schema: one table per layer (WGS84, SRID 4326), the data version and the audit log.
-- Columns mirror engine::schema::fields (checked by the store conformance tests).
-- Foreign keys are DEFERRABLE INITIALLY DEFERRED so an all-or-nothing change set may touch
-- several layers in any order; they are checked at COMMIT.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE atlas_meta (
    key   text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO atlas_meta (key, value) VALUES ('data_version', 0);

CREATE TABLE streets (
    id      bigint PRIMARY KEY CHECK (id > 0),
    version bigint NOT NULL CHECK (version > 0),
    code    text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{9}$'),
    name    text NOT NULL CHECK (name <> ''),
    geom    geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);

CREATE TABLE communities (
    id               bigint PRIMARY KEY CHECK (id > 0),
    version          bigint NOT NULL CHECK (version > 0),
    code             text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{12}$'),
    name             text NOT NULL CHECK (name <> ''),
    street_code      text NOT NULL REFERENCES streets (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    kind             text NOT NULL CHECK (kind IN ('urban', 'new_build', 'old', 'village_converted')),
    residents_groups bigint NOT NULL CHECK (residents_groups >= 0),
    geom             geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);

CREATE TABLE grids (
    id             bigint PRIMARY KEY CHECK (id > 0),
    version        bigint NOT NULL CHECK (version > 0),
    code           text NOT NULL UNIQUE CHECK (code <> ''),
    name           text NOT NULL CHECK (name <> ''),
    community_code text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    workers        bigint NOT NULL CHECK (workers >= 0),
    locked         boolean NOT NULL DEFAULT false,
    geom           geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);

CREATE TABLE compounds (
    id                  bigint PRIMARY KEY CHECK (id > 0),
    version             bigint NOT NULL CHECK (version > 0),
    name                text NOT NULL CHECK (name <> ''),
    community_code      text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    grid_code           text REFERENCES grids (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    households          bigint NOT NULL CHECK (households >= 0),
    population          bigint NOT NULL CHECK (population >= 0),
    elderly             bigint NOT NULL CHECK (elderly >= 0 AND elderly <= population),
    build_year          bigint CHECK (build_year BETWEEN 1800 AND 2100),
    class               text NOT NULL CHECK (class IN ('old', 'new', 'commodity', 'resettlement', 'unit_owned')),
    property_management text NOT NULL CHECK (property_management IN ('professional', 'community_hosted', 'joint', 'none')),
    owners_committee    boolean NOT NULL,
    competent_unit      boolean NOT NULL,
    geom                geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);

CREATE TABLE buildings (
    id             bigint PRIMARY KEY CHECK (id > 0),
    version        bigint NOT NULL CHECK (version > 0),
    name           text,
    community_code text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    compound_id    bigint REFERENCES compounds (id) DEFERRABLE INITIALLY DEFERRED,
    grid_code      text REFERENCES grids (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    households     bigint NOT NULL CHECK (households >= 0),
    floors         bigint CHECK (floors BETWEEN 1 AND 200),
    build_year     bigint CHECK (build_year BETWEEN 1800 AND 2100),
    geom           geometry(Geometry, 4326) NOT NULL
                   CHECK (GeometryType(geom) IN ('POINT', 'POLYGON') AND ST_IsValid(geom))
);

CREATE TABLE stations (
    id             bigint PRIMARY KEY CHECK (id > 0),
    version        bigint NOT NULL CHECK (version > 0),
    name           text NOT NULL CHECK (name <> ''),
    kind           text NOT NULL CHECK (kind IN ('party_mass_centre', 'social_work_station', 'grid_post', 'party_post',
                        'health_station', 'parcel_station', 'convenience_point', 'community_service_station', 'kindergarten')),
    community_code text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    level          text NOT NULL CHECK (level IN ('street', 'community', 'compound')),
    floor_area     double precision CHECK (floor_area >= 0),
    geom           geometry(Point, 4326) NOT NULL
);

CREATE TABLE service_spaces (
    id              bigint PRIMARY KEY CHECK (id > 0),
    version         bigint NOT NULL CHECK (version > 0),
    name            text NOT NULL CHECK (name <> ''),
    community_code  text NOT NULL REFERENCES communities (code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    services        text[] NOT NULL CHECK (cardinality(services) > 0 AND services <@ ARRAY['elderly_care', 'childcare',
                        'after_school', 'meal_help', 'housekeeping', 'health', 'fitness', 'culture', 'study', 'children_play']),
    floor_area      double precision NOT NULL CHECK (floor_area >= 0),
    operating_model text NOT NULL CHECK (operating_model IN ('public_benefit', 'low_cost', 'market')),
    level           text NOT NULL CHECK (level IN ('street', 'community', 'compound')),
    station_id      bigint REFERENCES stations (id) DEFERRABLE INITIALLY DEFERRED,
    capacity        bigint CHECK (capacity >= 0),
    opening_hours   text,
    geom            geometry(Geometry, 4326) NOT NULL
                    CHECK (GeometryType(geom) IN ('POINT', 'POLYGON') AND ST_IsValid(geom))
);

CREATE INDEX streets_geom_idx ON streets USING gist (geom);
CREATE INDEX communities_geom_idx ON communities USING gist (geom);
CREATE INDEX grids_geom_idx ON grids USING gist (geom);
CREATE INDEX compounds_geom_idx ON compounds USING gist (geom);
CREATE INDEX buildings_geom_idx ON buildings USING gist (geom);
CREATE INDEX stations_geom_idx ON stations USING gist (geom);
CREATE INDEX service_spaces_geom_idx ON service_spaces USING gist (geom);
CREATE INDEX communities_street_idx ON communities (street_code);
CREATE INDEX grids_community_idx ON grids (community_code);
CREATE INDEX compounds_community_idx ON compounds (community_code);
CREATE INDEX compounds_grid_idx ON compounds (grid_code);
CREATE INDEX buildings_compound_idx ON buildings (compound_id);
CREATE INDEX buildings_grid_idx ON buildings (grid_code);
CREATE INDEX stations_community_idx ON stations (community_code);
CREATE INDEX service_spaces_station_idx ON service_spaces (station_id);

-- Every change: who, when, which feature, before and after (JSON as GeoJSON properties + geometry).
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    operation    text NOT NULL,
    layer        text,
    feature_id   bigint,
    before       jsonb,
    after        jsonb,
    data_version bigint NOT NULL
);
CREATE INDEX audit_log_feature_idx ON audit_log (layer, feature_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);
