-- A building placed where it probably is, not surveyed 位置待核实: one a ledger named that the map
-- lacked, put at its compound's interior point until someone draws it (engine::ledger). Mirrors
-- engine::schema::fields (checked by the store conformance tests); building tiles carry it, in the
-- same place as the server's (tiles::encode, compared by the tile agreement tests).

ALTER TABLE buildings ADD COLUMN location_approximate boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION tile_buildings(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
    WHEN z >= 15 THEN coalesce((
        SELECT ST_AsMVT(t, 'buildings', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, compound_id, grid_code, households, floors, build_year,
                   location_approximate, (compound_id IS NULL) AS scattered, version,
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
