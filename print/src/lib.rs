//! Print layouts of Grid Atlas: a grid's notice board 网格公示牌 (A4 or A3) and a street's or
//! community's coverage report (A4, several pages), as vector PDF with the text kept as text
//! (so it can be searched and copied) and as PNG.
//!
//! Pages are laid out as SVG in points ([`svg::Page`]), parsed by usvg with only the atlas's CJK
//! font loaded ([`fonts::Fonts`]), written to PDF by krilla and rendered to PNG by resvg. Nothing
//! depends on the clock or the machine: the same data and options give the same bytes.

pub mod board;
pub mod fonts;
pub mod map;
pub mod report;
pub mod svg;
mod table;

use std::sync::Arc;

use krilla::geom::Size;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};
use krilla_svg::{SurfaceExt, SvgSettings};

pub use board::BoardOptions;
pub use fonts::Fonts;
pub use report::ReportOptions;

/// Why a print could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrintError {
    #[error("no CJK font: install Debian's fonts-noto-cjk (or fonts-wqy-microhei), or name a font file in GRIDATLAS_CJK_FONT")]
    NoFont,
    #[error("font {0}")]
    Font(String),
    #[error("page {page}: {reason}")]
    Layout { page: usize, reason: String },
    #[error("writing the PDF: {0}")]
    Pdf(String),
    #[error("rendering the PNG: {0}")]
    Png(String),
    #[error("there is no page {0}: the document is shorter")]
    NoPage(usize),
}

/// Paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    A3,
}

impl Paper {
    /// Width × height in points, portrait.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::A3 => (841.89, 1190.55),
        }
    }

    pub fn from_name(s: &str) -> Option<Paper> {
        match s.to_ascii_uppercase().as_str() {
            "A4" => Some(Paper::A4),
            "A3" => Some(Paper::A3),
            _ => None,
        }
    }
}

/// Lays out pages: holds the font once for every print of a process.
pub struct Printer {
    fonts: Fonts,
}

impl Printer {
    /// A printer with the first CJK font found ([`Fonts::load`]).
    pub fn new() -> Result<Printer, PrintError> {
        Ok(Printer {
            fonts: Fonts::load()?,
        })
    }

    pub fn with_fonts(fonts: Fonts) -> Printer {
        Printer { fonts }
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// Parses laid-out pages into a printable document of `paper` size, titled `title`.
    pub(crate) fn document(
        &self,
        pages: Vec<String>,
        paper: Paper,
        title: &str,
    ) -> Result<Printed, PrintError> {
        let options = usvg::Options {
            fontdb: self.fonts.database(),
            font_family: self.fonts.family().to_owned(),
            ..usvg::Options::default()
        };
        // Parsing sets every text (shaping, glyph outlines): the pages are parsed on every core.
        let parse = |(i, svg): (usize, &String)| {
            usvg::Tree::from_str(svg, &options).map_err(|e| PrintError::Layout {
                page: i + 1,
                reason: e.to_string(),
            })
        };
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let chunk = pages.len().div_ceil(threads).max(1);
        let trees = std::thread::scope(|scope| {
            let parts: Vec<_> = pages
                .chunks(chunk)
                .enumerate()
                .map(|(k, part)| {
                    let parse = &parse;
                    scope.spawn(move || {
                        part.iter()
                            .enumerate()
                            .map(|(j, svg)| parse((k * chunk + j, svg)))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut trees = Vec::with_capacity(pages.len());
            for p in parts {
                trees.extend(p.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?);
            }
            Ok::<_, PrintError>(trees)
        })?;
        Ok(Printed {
            pages: trees.into_iter().map(Arc::new).collect(),
            paper,
            title: title.to_owned(),
        })
    }
}

/// A laid-out document: its pages, paper and title.
pub struct Printed {
    pages: Vec<Arc<usvg::Tree>>,
    paper: Paper,
    title: String,
}

impl Printed {
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    /// The document as PDF: vector drawing, the font subset and embedded, text searchable, no
    /// dates or random ids (the same document gives the same bytes).
    pub fn pdf(&self) -> Result<Vec<u8>, PrintError> {
        let settings = SerializeSettings {
            xmp_metadata: false,
            ..SerializeSettings::default()
        };
        let mut doc = Document::new_with(settings);
        doc.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .creator("Grid Atlas 社区网格与服务设施一张图".into())
                .language("zh-CN".into()),
        );
        let (w, h) = self.paper.size();
        for tree in &self.pages {
            let settings =
                PageSettings::from_wh(w, h).ok_or(PrintError::Pdf("paper size".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            let size = Size::from_wh(w, h).ok_or(PrintError::Pdf("paper size".into()))?;
            surface
                .draw_svg(tree, size, SvgSettings::default())
                .ok_or(PrintError::Pdf("a page could not be drawn".into()))?;
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
    }

    /// Page `page` (0-based) as PNG at `dpi` dots per inch.
    pub fn png(&self, page: usize, dpi: f32) -> Result<Vec<u8>, PrintError> {
        let tree = self.pages.get(page).ok_or(PrintError::NoPage(page + 1))?;
        let (w, h) = self.paper.size();
        let zoom = dpi / 72.0;
        let mut pixmap =
            resvg::tiny_skia::Pixmap::new((w * zoom).round() as u32, (h * zoom).round() as u32)
                .ok_or(PrintError::Png("page size".into()))?;
        let fit = zoom * w / tree.size().width();
        resvg::render(
            tree,
            resvg::tiny_skia::Transform::from_scale(fit, fit),
            &mut pixmap.as_mut(),
        );
        pixmap
            .encode_png()
            .map_err(|e| PrintError::Png(e.to_string()))
    }
}
