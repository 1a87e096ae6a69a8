//! Which layers a tile holds: layer sets and the per-layer zoom rules.

use std::fmt;

use engine::{Layer, Way, WayKind};

/// Zoom from which buildings are individual features; below it (down to
/// [`BUILDING_CELLS_MINZOOM`]) they are aggregated into cell points.
pub const BUILDING_DETAIL_MINZOOM: u8 = 15;
/// Lowest zoom with building cell points.
pub const BUILDING_CELLS_MINZOOM: u8 = 12;

/// Lowest zoom with compound gates 小区出入口 (small markers on the compounds' edges).
pub const GATES_MINZOOM: u8 = 16;

/// Zoom from which every way is in the tiles; below it, down to [`WAYS_MAJOR_MINZOOM`], only the
/// major ones ([`major_way`]).
pub const WAYS_DETAIL_MINZOOM: u8 = 14;
/// Lowest zoom with ways (major roads and bridges).
pub const WAYS_MAJOR_MINZOOM: u8 = 11;
/// The kinds of way shown below [`WAYS_DETAIL_MINZOOM`], with every bridge: 支路 and above.
pub const MAJOR_WAY_KINDS: [WayKind; 5] = [
    WayKind::Tertiary,
    WayKind::Secondary,
    WayKind::Primary,
    WayKind::Trunk,
    WayKind::Motorway,
];

/// Zooms at which a layer's features are encoded one by one, inclusive.
///
/// Streets 0–22, communities 10–22, grids 12–22, compounds 13–22, buildings 15–22,
/// compound gates 16–22, stations and service spaces 12–22, ways 14–22 (and their major ones
/// from 11: [`generalized_zoom_range`]).
pub fn zoom_range(layer: Layer) -> (u8, u8) {
    let min = match layer {
        Layer::Streets => 0,
        Layer::Communities => 10,
        Layer::Grids | Layer::Stations | Layer::ServiceSpaces => 12,
        Layer::Compounds => 13,
        Layer::Buildings => BUILDING_DETAIL_MINZOOM,
        Layer::Gates => GATES_MINZOOM,
        Layer::Ways => WAYS_DETAIL_MINZOOM,
    };
    (min, crate::MAX_ZOOM)
}

/// Zooms at which a layer is aggregated instead, inclusive: buildings 12–14 as one point per
/// cell of 64 × 64 tile units with `count` and `households`.
pub fn aggregate_zoom_range(layer: Layer) -> Option<(u8, u8)> {
    (layer == Layer::Buildings).then_some((BUILDING_CELLS_MINZOOM, BUILDING_DETAIL_MINZOOM - 1))
}

/// Zooms at which a layer holds only its major features, inclusive: ways 11–13, the major kinds
/// ([`MAJOR_WAY_KINDS`]) and every bridge, one by one with the same properties and simplified by
/// about a unit at each zoom like everything else.
pub fn generalized_zoom_range(layer: Layer) -> Option<(u8, u8)> {
    (layer == Layer::Ways).then_some((WAYS_MAJOR_MINZOOM, WAYS_DETAIL_MINZOOM - 1))
}

/// Whether a way is in the tiles below [`WAYS_DETAIL_MINZOOM`]: a major kind or a bridge.
pub fn major_way(way: &Way) -> bool {
    way.bridge || MAJOR_WAY_KINDS.contains(&way.kind)
}

/// Every zoom at which a layer has features, aggregated, generalized or not.
pub fn visible_zoom_range(layer: Layer) -> (u8, u8) {
    let (min, max) = zoom_range(layer);
    [aggregate_zoom_range(layer), generalized_zoom_range(layer)]
        .into_iter()
        .flatten()
        .fold((min, max), |(min, max), (a, b)| (min.min(a), max.max(b)))
}

/// A set of atlas layers, as a bit mask in [`Layer::ALL`] order; cheap to copy, hash and compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LayerSet(u16);

impl LayerSet {
    /// Every layer: the composite tile.
    pub const ALL: LayerSet = LayerSet((1 << Layer::ALL.len()) - 1);

    /// The set of the given layers (order and repeats do not matter).
    pub fn of(layers: &[Layer]) -> LayerSet {
        LayerSet(layers.iter().fold(0, |m, l| m | bit(*l)))
    }

    /// A set of one layer.
    pub fn single(layer: Layer) -> LayerSet {
        LayerSet(bit(layer))
    }

    pub fn contains(self, layer: Layer) -> bool {
        self.0 & bit(layer) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The layers in drawing order ([`Layer::ALL`] order), which is also their order in tiles.
    pub fn layers(self) -> impl Iterator<Item = Layer> {
        Layer::ALL.into_iter().filter(move |l| self.contains(*l))
    }
}

impl From<Layer> for LayerSet {
    fn from(layer: Layer) -> Self {
        LayerSet::single(layer)
    }
}

impl fmt::Display for LayerSet {
    /// Layer names joined by commas.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.layers().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(l.name())?;
        }
        Ok(())
    }
}

fn bit(layer: Layer) -> u16 {
    let i = Layer::ALL.iter().position(|l| *l == layer).unwrap_or(0);
    1 << i
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn layer_sets_keep_drawing_order() {
        let s = LayerSet::of(&[Layer::Stations, Layer::Streets, Layer::Stations]);
        assert_eq!(
            s.layers().collect::<Vec<_>>(),
            vec![Layer::Streets, Layer::Stations]
        );
        assert_eq!(s.to_string(), "streets,stations");
        assert_eq!(LayerSet::of(&Layer::ALL), LayerSet::ALL);
        assert!(LayerSet::of(&[]).is_empty());
    }

    #[test]
    fn zoom_rules() {
        assert_eq!(zoom_range(Layer::Buildings), (15, 22));
        assert_eq!(visible_zoom_range(Layer::Buildings), (12, 22));
        assert_eq!(zoom_range(Layer::Compounds), (13, 22));
        assert_eq!(aggregate_zoom_range(Layer::Grids), None);
        assert_eq!(zoom_range(Layer::Ways), (14, 22));
        assert_eq!(generalized_zoom_range(Layer::Ways), Some((11, 13)));
        assert_eq!(visible_zoom_range(Layer::Ways), (11, 22));
        assert_eq!(generalized_zoom_range(Layer::Buildings), None);
        for layer in Layer::ALL {
            let (min, max) = zoom_range(layer);
            for (a, b) in [aggregate_zoom_range(layer), generalized_zoom_range(layer)]
                .into_iter()
                .flatten()
            {
                assert_eq!(
                    b + 1,
                    min,
                    "{layer}: the lower zooms end where detail begins"
                );
                assert!(a <= b && max == crate::MAX_ZOOM);
            }
        }
    }
}
