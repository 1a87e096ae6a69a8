//! The CJK font every page is set in: Noto Sans CJK SC from Debian's `fonts-noto-cjk` (regular
//! and bold), else WenQuanYi Micro Hei (`fonts-wqy-microhei`), else the file `GRIDATLAS_CJK_FONT`
//! names. Only these files are loaded, never the system's other fonts, so a page comes out the
//! same wherever it is printed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use usvg::fontdb::{Database, Family, Query, Weight, ID};

use crate::PrintError;

/// Where Debian installs the fonts, in order of preference.
const CANDIDATES: &[(&str, &str)] = &[
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "Noto Sans CJK SC",
    ),
    (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "WenQuanYi Micro Hei",
    ),
];

/// The loaded font faces and how wide text set in them is.
pub struct Fonts {
    db: Arc<Database>,
    family: String,
    regular: ID,
    bold: ID,
}

impl Fonts {
    /// The first available font: `GRIDATLAS_CJK_FONT`, then Noto Sans CJK SC, then WenQuanYi.
    pub fn load() -> Result<Fonts, PrintError> {
        if let Some(path) = std::env::var_os("GRIDATLAS_CJK_FONT") {
            return Fonts::from_file(Path::new(&path), None);
        }
        for (path, family) in CANDIDATES {
            let p = Path::new(path);
            if p.exists() {
                return Fonts::from_file(p, Some(family));
            }
        }
        Err(PrintError::NoFont)
    }

    /// The faces of one font file (and its bold sibling `…-Bold.…` when there is one); `family`
    /// picks one family of a collection, else its first.
    pub fn from_file(path: &Path, family: Option<&str>) -> Result<Fonts, PrintError> {
        // The files are read into memory once: measuring text then costs no file mapping.
        let mut db = Database::new();
        let data = std::fs::read(path)
            .map_err(|e| PrintError::Font(format!("{}: {e}", path.display())))?;
        db.load_font_data(data);
        if db.is_empty() {
            return Err(PrintError::Font(format!(
                "{}: not a font file",
                path.display()
            )));
        }
        if let Some(bold) = bold_sibling(path).and_then(|b| std::fs::read(b).ok()) {
            // A missing or unreadable bold file only means bold is drawn regular.
            db.load_font_data(bold);
        }
        let family = match family {
            Some(f) => f.to_owned(),
            None => db
                .faces()
                .next()
                .and_then(|f| f.families.first())
                .map(|(name, _)| name.clone())
                .ok_or_else(|| PrintError::Font(format!("{}: no font face", path.display())))?,
        };
        let families = [Family::Name(&family)];
        let query = |weight| Query {
            families: &families,
            weight,
            ..Query::default()
        };
        let regular = db
            .query(&query(Weight::NORMAL))
            .ok_or_else(|| PrintError::Font(format!("{}: no face of {family}", path.display())))?;
        let bold = db.query(&query(Weight::BOLD)).unwrap_or(regular);
        Ok(Fonts {
            db: Arc::new(db),
            family,
            regular,
            bold,
        })
    }

    /// The font family name pages are set in.
    pub fn family(&self) -> &str {
        &self.family
    }

    pub(crate) fn database(&self) -> Arc<Database> {
        Arc::clone(&self.db)
    }

    /// Width of `text` at `size` points, from the face's advances.
    pub fn measure(&self, text: &str, size: f32, bold: bool) -> f32 {
        let id = if bold { self.bold } else { self.regular };
        self.db
            .with_face_data(id, |data, index| {
                let face = ttf_parser::Face::parse(data, index).ok()?;
                let per_em = f32::from(face.units_per_em());
                let units: f32 = text
                    .chars()
                    .map(|c| {
                        face.glyph_index(c)
                            .and_then(|g| face.glyph_hor_advance(g))
                            .map_or(per_em * 0.6, f32::from)
                    })
                    .sum();
                Some(units / per_em * size)
            })
            .flatten()
            .unwrap_or(text.chars().count() as f32 * size)
    }
}

fn bold_sibling(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let bold = name.replace("-Regular.", "-Bold.");
    (bold != name).then(|| path.with_file_name(bold))
}
