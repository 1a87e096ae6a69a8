-- Compound gates 小区出入口 in the PostGIS tiles, mirroring the server (tiles/src/encode.rs,
-- tiles/src/layers.rs): layer `gates`, feature id = gate id, properties name, community_code,
-- compound_id, kind, version; points from z16. `tile_atlas` adds the layer after buildings, in the
-- server's layer order.

CREATE FUNCTION tile_gates(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'gates', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, compound_id, kind, version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM gates l, tile_frame(z, x, y) f
            WHERE z >= 16 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;

CREATE OR REPLACE FUNCTION tile_atlas(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tile_streets(z, x, y) || tile_communities(z, x, y) || tile_grids(z, x, y) || tile_compounds(z, x, y)
        || tile_buildings(z, x, y) || tile_gates(z, x, y) || tile_stations(z, x, y) || tile_service_spaces(z, x, y)
$$;
