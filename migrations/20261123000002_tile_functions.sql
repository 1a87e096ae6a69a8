-- Vector tiles served by martin (or any client) straight from PostGIS: one function per layer with
-- the signature martin serves, `(z integer, x integer, y integer) RETURNS bytea`, STABLE, and the
-- composite `tile_atlas`. Layers, feature ids, properties and zoom rules mirror the server's tiles
-- (tiles/src/encode.rs, tiles/src/layers.rs): extent 4096, buffer 64, simplification of one tile
-- unit, buildings as cell points (64 × 64 units, `count` and `households`) at z12–14.

-- The tile's Web Mercator envelope, its buffered lon/lat box for the index, and one tile unit in metres.
CREATE FUNCTION tile_frame(z integer, x integer, y integer,
                           OUT env geometry, OUT query_box geometry, OUT unit double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_TileEnvelope(z, x, y),
           ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326),
           (2 * pi() * 6378137) / (2 ^ z) / 4096
$$;

CREATE FUNCTION tile_streets(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'streets', 4096, 'geom', 'id')
        FROM (
            SELECT id, code, name, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM streets l, tile_frame(z, x, y) f
            WHERE z >= 0 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE FUNCTION tile_communities(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'communities', 4096, 'geom', 'id')
        FROM (
            SELECT id, code, name, street_code, kind, residents_groups, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM communities l, tile_frame(z, x, y) f
            WHERE z >= 10 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE FUNCTION tile_grids(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'grids', 4096, 'geom', 'id')
        FROM (
            SELECT id, code, name, community_code, workers, locked, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM grids l, tile_frame(z, x, y) f
            WHERE z >= 12 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE FUNCTION tile_compounds(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'compounds', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, grid_code, households, population, elderly, build_year, class,
               property_management, owners_committee, competent_unit,
               (property_management = 'none' AND NOT owners_committee AND NOT competent_unit) AS three_no,
               ((property_management = 'none')::int + (NOT owners_committee)::int + (NOT competent_unit)::int) AS missing_flags,
               version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM compounds l, tile_frame(z, x, y) f
            WHERE z >= 13 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE FUNCTION tile_stations(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'stations', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, kind, community_code, level, floor_area, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM stations l, tile_frame(z, x, y) f
            WHERE z >= 12 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE FUNCTION tile_service_spaces(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'service_spaces', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, array_to_string(services, ',') AS services, floor_area, operating_model, level,
               station_id, capacity, opening_hours, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM service_spaces l, tile_frame(z, x, y) f
            WHERE z >= 12 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

-- Buildings one by one from z15; below, down to z12, one point per 64 × 64-unit cell holding
-- `count` buildings and their `households`, at the mean of their bounding-box centres. A building
-- belongs to the tile (and cell) holding its centre, so each is counted once per zoom.
CREATE FUNCTION tile_buildings(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
    WHEN z >= 15 THEN coalesce((
        SELECT ST_AsMVT(t, 'buildings', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, compound_id, grid_code, households, floors, build_year,
                   (compound_id IS NULL) AS scattered, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM buildings l, tile_frame(z, x, y) f
            WHERE l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
    WHEN z >= 12 THEN coalesce((
        SELECT ST_AsMVT(t, 'buildings', 4096, 'geom')
        FROM (
            SELECT count(*)::bigint AS count, sum(households)::bigint AS households,
                   ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(avg(c.lon), avg(c.lat)), 4326), 3857), c.env, 4096, 0, true) AS geom
            FROM (
                SELECT l.households, f.env,
                       (ST_XMin(l.geom) + ST_XMax(l.geom)) / 2 AS lon,
                       (ST_YMin(l.geom) + ST_YMax(l.geom)) / 2 AS lat,
                       ST_Transform(ST_SetSRID(ST_MakePoint((ST_XMin(l.geom) + ST_XMax(l.geom)) / 2,
                                                            (ST_YMin(l.geom) + ST_YMax(l.geom)) / 2), 4326), 3857) AS centre
                FROM buildings l, tile_frame(z, x, y) f
                WHERE l.geom && f.query_box
            ) c
            WHERE ST_X(c.centre) >= ST_XMin(c.env) AND ST_X(c.centre) < ST_XMax(c.env)
              AND ST_Y(c.centre) > ST_YMin(c.env) AND ST_Y(c.centre) <= ST_YMax(c.env)
            GROUP BY c.env,
                     least(63, floor((ST_X(c.centre) - ST_XMin(c.env)) / (ST_XMax(c.env) - ST_XMin(c.env)) * 64)::int),
                     least(63, floor((ST_YMax(c.env) - ST_Y(c.centre)) / (ST_YMax(c.env) - ST_YMin(c.env)) * 64)::int)
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
    ELSE ''::bytea
    END
$$;

-- Every layer in one tile (MVT layers concatenate).
CREATE FUNCTION tile_atlas(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tile_streets(z, x, y) || tile_communities(z, x, y) || tile_grids(z, x, y) || tile_compounds(z, x, y)
        || tile_buildings(z, x, y) || tile_stations(z, x, y) || tile_service_spaces(z, x, y)
$$;
