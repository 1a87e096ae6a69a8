//! Files uploaded to the import page, kept until their import is committed or discarded: each
//! upload in a temporary folder of its own (removed with it), owned by the account that sent
//! it, gone after [`UPLOAD_TTL`] or when its owner has more than [`UPLOADS_PER_ACCOUNT`].
//!
//! File names are the user's, but never paths: only the last component is kept, and a `.zip`
//! (how Shapefiles travel) is unpacked flat, its folders ignored, bounded in size.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::commands::FileProblem;
use crate::io::Format;

/// Largest upload (all its files together, a zip's contents counted unpacked).
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;
/// How long an upload waits for its commit.
pub const UPLOAD_TTL: Duration = Duration::from_hours(2);
/// Uploads an account keeps at once; a new one drops its oldest.
pub const UPLOADS_PER_ACCOUNT: usize = 4;
/// Most files in one upload.
const MAX_FILES: usize = 200;

/// Extensions kept: the files the atlas reads and a Shapefile's companions.
const KEPT: &[&str] = &[
    "geojson", "json", "csv", "xlsx", "xlsm", "xls", "gpkg", "shp", "shx", "dbf", "prj", "cpg",
    "pbf",
];

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Refused(String),
    #[error("no upload {0}: it was committed, discarded or has expired; upload the files again")]
    Unknown(String),
    #[error("upload {0} belongs to another account")]
    NotYours(String),
    #[error("cannot store the upload: {0}")]
    Storage(String),
}

/// One upload: its files in a folder of their own.
#[derive(Debug)]
pub struct Upload {
    pub id: String,
    /// The account that sent it.
    pub owner: String,
    /// The files, by the names their user gave them.
    pub files: Vec<UploadedFile>,
    dir: tempfile::TempDir,
    at: Instant,
    /// The problems of its last check, for the spreadsheet download.
    problems: Mutex<Vec<FileProblem>>,
}

/// One file of an upload.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
}

impl Upload {
    /// The files an import reads (a Shapefile's `.shp`, not its companions).
    pub fn readable(&self) -> Vec<&UploadedFile> {
        self.files
            .iter()
            .filter(|f| Format::from_path(&f.path).is_some())
            .collect()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Keeps the problems of a check.
    pub fn set_problems(&self, problems: Vec<FileProblem>) {
        *self
            .problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = problems;
    }

    /// The problems of the last check.
    pub fn problems(&self) -> Vec<FileProblem> {
        self.problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// An upload being received: files are added one by one, then it is kept.
pub struct NewUpload {
    dir: tempfile::TempDir,
    files: Vec<UploadedFile>,
    bytes: u64,
}

impl NewUpload {
    pub fn new() -> Result<Self, UploadError> {
        let dir = tempfile::Builder::new()
            .prefix("gridatlas-upload-")
            .tempdir()
            .map_err(|e| UploadError::Storage(e.to_string()))?;
        Ok(NewUpload {
            dir,
            files: Vec::new(),
            bytes: 0,
        })
    }

    /// Adds a file as sent; a `.zip` adds the files inside it.
    pub fn add(&mut self, name: &str, content: &[u8]) -> Result<(), UploadError> {
        let name = base_name(name)?;
        if extension(&name).as_deref() == Some("zip") {
            return self.add_zip(&name, content);
        }
        self.keep(&name, content)
    }

    fn keep(&mut self, name: &str, content: &[u8]) -> Result<(), UploadError> {
        let ext = extension(name).unwrap_or_default();
        if !KEPT.contains(&ext.as_str()) {
            return Err(UploadError::Refused(format!(
                "{name}: not a file the atlas reads (.xlsx, .xls, .csv, .shp with .shx/.dbf/.prj/.cpg, .geojson, .gpkg, .osm.pbf, or a .zip of them)"
            )));
        }
        if self.files.iter().any(|f| f.name.eq_ignore_ascii_case(name)) {
            return Err(UploadError::Refused(format!("{name}: sent twice")));
        }
        if self.files.len() >= MAX_FILES {
            return Err(UploadError::Refused(format!(
                "more than {MAX_FILES} files in one upload"
            )));
        }
        self.count(content.len() as u64)?;
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).map_err(|e| UploadError::Storage(e.to_string()))?;
        self.files.push(UploadedFile {
            name: name.to_owned(),
            path,
            bytes: content.len() as u64,
        });
        Ok(())
    }

    fn count(&mut self, bytes: u64) -> Result<(), UploadError> {
        self.bytes += bytes;
        if self.bytes > MAX_UPLOAD_BYTES {
            return Err(UploadError::Refused(format!(
                "the upload is larger than {} MiB",
                MAX_UPLOAD_BYTES / 1024 / 1024
            )));
        }
        Ok(())
    }

    /// The files of a zip, flat: folders, hidden files, macOS resource forks and paths with `..`
    /// are ignored, and
    /// the unpacked size counts against the upload's limit as it is read (a zip bomb stops there).
    fn add_zip(&mut self, zip_name: &str, content: &[u8]) -> Result<(), UploadError> {
        let bad = |e: &dyn std::fmt::Display| {
            UploadError::Refused(format!("{zip_name}: not a readable zip file: {e}"))
        };
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(content)).map_err(|e| bad(&e))?;
        let before = self.files.len();
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(|e| bad(&e))?;
            if !entry.is_file() {
                continue;
            }
            let full = entry_name(entry.name_raw()).replace('\\', "/");
            if full
                .split('/')
                .any(|part| part == "__MACOSX" || part.starts_with('.'))
            {
                continue;
            }
            let Ok(name) = base_name(&full) else { continue };
            let Some(ext) = extension(&name) else {
                continue;
            };
            if !KEPT.contains(&ext.as_str()) {
                continue;
            }
            let room = MAX_UPLOAD_BYTES.saturating_sub(self.bytes) + 1;
            let mut data = Vec::new();
            entry
                .take(room)
                .read_to_end(&mut data)
                .map_err(|e| bad(&e))?;
            self.keep(&name, &data)?;
        }
        if self.files.len() == before {
            return Err(UploadError::Refused(format!(
                "{zip_name}: holds no file the atlas reads"
            )));
        }
        Ok(())
    }

    /// Whether nothing readable was sent.
    pub fn is_empty(&self) -> bool {
        !self
            .files
            .iter()
            .any(|f| Format::from_path(&f.path).is_some())
    }
}

/// A zip entry's name: UTF-8 when it is (zips made on macOS, Linux, or with the UTF-8 flag), else
/// GBK/GB18030 — what the Windows of a Chinese office writes.
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(name) => name.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

/// A file name without any folder, refused when nothing is left.
fn base_name(name: &str) -> Result<String, UploadError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last == "." || last == ".." {
        return Err(UploadError::Refused(format!(
            "\"{name}\" is not a file name"
        )));
    }
    Ok(last.to_owned())
}

fn extension(name: &str) -> Option<String> {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Every upload waiting for its commit.
#[derive(Debug, Default)]
pub struct Uploads {
    held: Mutex<HashMap<String, Arc<Upload>>>,
}

impl Uploads {
    /// Keeps a received upload for `owner`; drops expired ones and the owner's oldest beyond
    /// [`UPLOADS_PER_ACCOUNT`].
    pub fn keep(&self, owner: &str, new: NewUpload) -> Arc<Upload> {
        let id = format!("{:016x}", rand::random::<u64>());
        let upload = Arc::new(Upload {
            id: id.clone(),
            owner: owner.to_owned(),
            files: new.files,
            dir: new.dir,
            at: Instant::now(),
            problems: Mutex::default(),
        });
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|_, u| u.at.elapsed() < UPLOAD_TTL);
        let mut mine: Vec<(Instant, String)> = held
            .values()
            .filter(|u| u.owner == owner)
            .map(|u| (u.at, u.id.clone()))
            .collect();
        mine.sort();
        while mine.len() >= UPLOADS_PER_ACCOUNT {
            let (_, oldest) = mine.remove(0);
            held.remove(&oldest);
        }
        held.insert(id, Arc::clone(&upload));
        upload
    }

    /// The upload `id`, if `owner` sent it and it has not expired.
    pub fn get(&self, id: &str, owner: &str) -> Result<Arc<Upload>, UploadError> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match held.get(id) {
            Some(u) if u.at.elapsed() >= UPLOAD_TTL => Err(UploadError::Unknown(id.to_owned())),
            Some(u) if u.owner != owner => Err(UploadError::NotYours(id.to_owned())),
            Some(u) => Ok(Arc::clone(u)),
            None => Err(UploadError::Unknown(id.to_owned())),
        }
    }

    /// Forgets an upload (its folder goes when the last reader lets go).
    pub fn remove(&self, id: &str, owner: &str) -> Result<(), UploadError> {
        self.get(id, owner)?;
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            w.write_all(data).expect("data");
        }
        w.finish().expect("zip").into_inner()
    }

    #[test]
    fn a_zipped_shapefile_is_unpacked_flat_and_paths_never_leave_the_folder() {
        let mut up = NewUpload::new().expect("dir");
        let zip = zip_of(&[
            ("楼栋/楼栋.shp", b"shp"),
            ("楼栋/楼栋.dbf", b"dbf"),
            ("__MACOSX/楼栋/._楼栋.shp", b"fork"),
            ("../../etc/passwd.csv", b"a,b"),
            ("readme.txt", b"ignored"),
        ]);
        up.add("数据.zip", &zip).expect("zip read");
        let names: Vec<&str> = up.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["楼栋.shp", "楼栋.dbf"],
            "a path climbing out is not unpacked"
        );
        for f in &up.files {
            assert_eq!(f.path.parent(), Some(up.dir.path()));
        }
        assert!(up.add("../x.csv", b"1").is_ok(), "kept as x.csv");
        assert!(
            matches!(up.add("x.csv", b"1"), Err(UploadError::Refused(_))),
            "sent twice"
        );
        assert!(matches!(
            up.add("a.exe", b"1"),
            Err(UploadError::Refused(_))
        ));
        assert!(matches!(
            up.add("bad.zip", b"not a zip"),
            Err(UploadError::Refused(_))
        ));
    }

    #[test]
    fn a_zip_from_a_chinese_windows_keeps_its_gbk_file_names() {
        let (gbk, _, _) = encoding_rs::GBK.encode("小区台账.csv");
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(entry_name(&gbk), "小区台账.csv");
        assert_eq!(entry_name("楼栋.shp".as_bytes()), "楼栋.shp");
    }

    #[test]
    fn uploads_belong_to_their_owner_and_the_oldest_makes_room() {
        let uploads = Uploads::default();
        let ids: Vec<String> = (0..=UPLOADS_PER_ACCOUNT)
            .map(|_| {
                uploads
                    .keep("staff1", NewUpload::new().expect("dir"))
                    .id
                    .clone()
            })
            .collect();
        assert!(matches!(
            uploads.get(&ids[0], "staff1"),
            Err(UploadError::Unknown(_))
        ));
        let last = ids.last().expect("ids");
        assert!(uploads.get(last, "staff1").is_ok());
        assert!(matches!(
            uploads.get(last, "staff2"),
            Err(UploadError::NotYours(_))
        ));
        let dir = uploads.get(last, "staff1").expect("held").dir().to_owned();
        uploads.remove(last, "staff1").expect("removed");
        assert!(!dir.exists(), "the folder goes with the upload");
    }
}
