"""Writes crs_vectors.csv: WGS84 points across China with their GCJ-02 and BD-09 images,
computed by the independent peer implementation `prcoords` 1.0.2 (PyPI, public domain).

    pip install prcoords==1.0.2 && python3 crs_vectors.py > crs_vectors.csv
"""
import random

import prcoords

rng = random.Random(20260101)
points = [(105.4420, 28.9010), (105.4313, 28.9124), (116.3975, 39.9087), (121.4737, 31.2304),
          (113.2644, 23.1291), (104.0665, 30.5723), (87.6168, 43.8256), (126.5350, 45.8038)]
points += [(rng.uniform(98.0, 122.0), rng.uniform(21.0, 42.0)) for _ in range(24)]
print("wgs_lon,wgs_lat,gcj_lon,gcj_lat,bd_lon,bd_lat")
for lon, lat in points:
    w = prcoords.Coords(lat, lon)
    g = prcoords.wgs_gcj(w, False)
    b = prcoords.gcj_bd(g)
    print(f"{lon:.10f},{lat:.10f},{g.lon:.10f},{g.lat:.10f},{b.lon:.10f},{b.lat:.10f}")
