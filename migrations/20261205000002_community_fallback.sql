-- A community that takes responsibility for a compound without property management (社区兜底)
-- is recorded as such; the compound stays three-no (三无), as in the engine's Compound::three_no.
ALTER TABLE compounds DROP CONSTRAINT compounds_property_management_check;
ALTER TABLE compounds ADD CONSTRAINT compounds_property_management_check
    CHECK (property_management IN ('professional', 'community_hosted', 'joint', 'community_fallback', 'none'));

CREATE OR REPLACE FUNCTION tile_compounds(z integer, x integer, y integer) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT ST_AsMVT(t, 'compounds', 4096, 'geom', 'id')
        FROM (
            SELECT id, name, community_code, grid_code, households, population, elderly, build_year, class,
               property_management, owners_committee, competent_unit,
               (property_management IN ('none', 'community_fallback') AND NOT owners_committee AND NOT competent_unit) AS three_no,
               ((property_management IN ('none', 'community_fallback'))::int + (NOT owners_committee)::int + (NOT competent_unit)::int) AS missing_flags,
               version,
                   ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), f.unit, true), f.env, 4096, 64, true) AS geom
            FROM compounds l, tile_frame(z, x, y) f
            WHERE z >= 13 AND l.geom && f.query_box
        ) t
        WHERE t.geom IS NOT NULL), ''::bytea)
$$;
