-- Ways 道路/步行路径 in the PostGIS tiles, mirroring the server (tiles/src/encode.rs,
-- tiles/src/layers.rs): layer `ways`, feature id = way id, properties name, kind, walkable,
-- bridge, tunnel, compound_id, street_code, version (`walkable` derived as engine::Way::walkable;
-- no_walking and osm_way stay out); lines clipped to the 64-unit buffer and simplified by one tile
-- unit, a way under half a unit both ways left out. Every way from z14; at z11–13 only the major
-- kinds (tiles::MAJOR_WAY_KINDS: tertiary and above) and every bridge. `tile_atlas` adds the
-- layer last, in the server's layer order.

CREATE FUNCTION tile_ways(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'ways', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, kind, (kind <> 'motorway' AND NOT no_walking) AS walkable, bridge, tunnel,
                   compound_id, street_code, version,
                   ST_AsMVTGeom(s.geom, f.env, 4096, 64, true) AS geom
            FROM ways l, tile_frame(z, x, y) f,
                 LATERAL (SELECT ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true) AS geom) s
            WHERE l.geom && f.query_box
              AND (z >= 14
                   OR (z >= 11 AND (bridge OR kind IN ('tertiary', 'secondary', 'primary', 'trunk', 'motorway'))))
              -- Under half a unit both ways once simplified: left out, as by the server. The exact
              -- bounds, not ST_AsMVTGeom's shortcut, which reads the stored single-precision box.
              AND (ST_XMax(s.geom) - ST_XMin(s.geom) >= f.unit / 2 OR ST_YMax(s.geom) - ST_YMin(s.geom) >= f.unit / 2)
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE OR REPLACE FUNCTION tile_atlas(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tile_streets(z, x, y) || tile_communities(z, x, y) || tile_grids(z, x, y) || tile_compounds(z, x, y)
        || tile_buildings(z, x, y) || tile_gates(z, x, y) || tile_stations(z, x, y) || tile_service_spaces(z, x, y)
        || tile_ways(z, x, y)
$$;
