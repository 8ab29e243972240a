//! Backup and restore of a whole instance (database rows and stored files) as one archive.
//!
//! The archive is a gzip-compressed tar: `manifest.json`, then `tables/<name>.jsonl` (one JSON
//! array of column values per row), then `files/<aa>/<bb>/<sha256>`. Rows are carried in a
//! backend-neutral form, so a backup taken on SQLite restores into PostgreSQL and back.
//! The archive is written encrypted as a whole under the key-encryption key ([`sealed`]);
//! restore also takes the plain archives of releases before that.

pub mod sealed;

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::PlatformError;
use crate::migrations;
use crate::sealing::Sealer;
use crate::store::{self, ColumnKind};

const FORMAT: &str = "cqdt-backup/1";

/// What an archive holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Archive format.
    pub format: String,
    /// Version of cqdt that wrote it.
    pub cqdt_version: String,
    /// When it was written.
    pub created_at: String,
    /// Backend it was taken from.
    pub source_backend: String,
    /// Newest migration applied at the source.
    pub schema_version: i64,
    /// Tables in restore order.
    pub tables: Vec<TableManifest>,
    /// Number of stored files.
    pub files: usize,
}

/// One table in the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableManifest {
    /// Table name.
    pub name: String,
    /// Columns and how values are carried.
    pub columns: Vec<(String, ColumnKind)>,
    /// Row count.
    pub rows: usize,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PlatformError {
    let context = context.into();
    move |e| PlatformError::io(context, e)
}

fn append(
    builder: &mut tar::Builder<impl Write>,
    path: &str,
    bytes: &[u8],
) -> Result<(), PlatformError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    builder
        .append_data(&mut header, path, bytes)
        .map_err(io(format!("writing {path} to the archive")))
}

fn stored_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(level1) = std::fs::read_dir(root) else {
        return out;
    };
    for a in level1.flatten() {
        let Ok(level2) = std::fs::read_dir(a.path()) else {
            continue;
        };
        for b in level2.flatten() {
            let Ok(files) = std::fs::read_dir(b.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().to_string();
                if is_sha256(&name) {
                    out.push((name, f.path()));
                }
            }
        }
    }
    out.sort();
    out
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Writes a backup of the instance to `out`, sealed under the current key-encryption key
/// (atomically: a temporary file renamed at the end).
pub async fn backup(
    db: &Db,
    files_root: &Path,
    out: &Path,
    now: &str,
    sealer: &Sealer,
) -> Result<Manifest, PlatformError> {
    let mut tables = Vec::new();
    let mut data = Vec::new();
    for name in store::list_tables(db).await? {
        let columns = store::table_columns(db, &name).await?;
        let rows = store::dump_table(db, &name, &columns).await?;
        tables.push(TableManifest { name: name.clone(), columns, rows: rows.len() });
        data.push((name, rows));
    }
    let files = stored_files(files_root);
    let manifest = Manifest {
        format: FORMAT.into(),
        cqdt_version: env!("CARGO_PKG_VERSION").into(),
        created_at: now.into(),
        source_backend: format!("{:?}", db.backend()).to_lowercase(),
        schema_version: db.schema_version().await?,
        tables,
        files: files.len(),
    };
    let tmp = out.with_extension(format!("partial-{}", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(io(format!("creating {}", tmp.display())))?;
    let file = sealed::SealedWriter::new(file, sealer).map_err(io("sealing the archive"))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| PlatformError::Rejected(format!("manifest: {e}")))?;
    append(&mut builder, "manifest.json", &manifest_json)?;
    for (name, rows) in &data {
        let mut buf = Vec::new();
        for row in rows {
            serde_json::to_writer(&mut buf, row)
                .map_err(|e| PlatformError::Rejected(format!("row of {name}: {e}")))?;
            buf.push(b'\n');
        }
        append(&mut builder, &format!("tables/{name}.jsonl"), &buf)?;
    }
    for (sha, path) in &files {
        let bytes = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
        append(&mut builder, &format!("files/{}/{}/{}", &sha[..2], &sha[2..4], sha), &bytes)?;
    }
    let gz = builder.into_inner().map_err(io("finishing the archive"))?;
    let file = gz.finish().map_err(io("compressing the archive"))?;
    let file = file.finish().map_err(io("sealing the archive"))?;
    file.sync_all().map_err(io("syncing the archive"))?;
    std::fs::rename(&tmp, out).map_err(io(format!("writing {}", out.display())))?;
    Ok(manifest)
}

struct Archive {
    manifest: Manifest,
    tables: HashMap<String, Vec<Vec<serde_json::Value>>>,
    files: Vec<(String, Vec<u8>)>,
}

fn read_archive(path: &Path, sealer: &Sealer) -> Result<Archive, PlatformError> {
    let bad = |m: String| PlatformError::Rejected(format!("Tệp sao lưu không hợp lệ: {m}"));
    let bytes = std::fs::read(path).map_err(io(format!("opening {}", path.display())))?;
    // A sealed archive is opened whole (restore holds the archive in memory anyway); a plain
    // one is an archive of a release before backups were sealed.
    let compressed = if bytes.starts_with(sealed::MAGIC) {
        sealed::open(&bytes, sealer).map_err(|e| match e {
            sealed::Unsealed::Key(e) => {
                PlatformError::Rejected(format!("Không mở được bản sao lưu: {e}"))
            }
            damaged => bad(damaged.to_string()),
        })?
    } else {
        bytes
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(compressed.as_slice()));
    let mut manifest: Option<Manifest> = None;
    let mut tables = HashMap::new();
    let mut files = Vec::new();
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let name = entry.path().map_err(|e| bad(e.to_string()))?.to_string_lossy().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| bad(format!("{name}: {e}")))?;
        if name == "manifest.json" {
            let m: Manifest =
                serde_json::from_slice(&bytes).map_err(|e| bad(format!("manifest: {e}")))?;
            if m.format != FORMAT {
                return Err(bad(format!("định dạng {} không được hỗ trợ", m.format)));
            }
            manifest = Some(m);
        } else if let Some(table) =
            name.strip_prefix("tables/").and_then(|n| n.strip_suffix(".jsonl"))
        {
            let mut rows = Vec::new();
            for line in bytes.lines() {
                let line = line.map_err(|e| bad(format!("{name}: {e}")))?;
                if line.is_empty() {
                    continue;
                }
                rows.push(serde_json::from_str(&line).map_err(|e| bad(format!("{name}: {e}")))?);
            }
            tables.insert(table.to_string(), rows);
        } else if let Some(rest) = name.strip_prefix("files/") {
            let sha = rest.rsplit('/').next().unwrap_or("");
            // Only content-addressed names are accepted, and the content must match its name.
            if !is_sha256(sha) || rest != format!("{}/{}/{}", &sha[..2], &sha[2..4], sha) {
                return Err(bad(format!("tên tệp lạ trong bản sao lưu: {name}")));
            }
            if hex::encode(Sha256::digest(&bytes)) != sha {
                return Err(bad(format!("tệp {sha} không khớp mã băm")));
            }
            files.push((sha.to_string(), bytes));
        } else {
            return Err(bad(format!("mục lạ trong bản sao lưu: {name}")));
        }
    }
    let manifest = manifest.ok_or_else(|| bad("thiếu manifest.json".into()))?;
    Ok(Archive { manifest, tables, files })
}

/// Restores an archive into `db` and `files_root`; refuses a non-empty target unless `force`.
/// A sealed archive opens with any configured key-encryption key.
pub async fn restore(
    db: &Db,
    files_root: &Path,
    archive: &Path,
    force: bool,
    sealer: &Sealer,
) -> Result<Manifest, PlatformError> {
    let path = archive.to_path_buf();
    let sealer = sealer.clone();
    let archive = tokio::task::spawn_blocking(move || read_archive(&path, &sealer))
        .await
        .map_err(|e| PlatformError::Rejected(format!("reading archive: {e}")))??;
    let known = migrations::newest_version(db.backend());
    if archive.manifest.schema_version > known {
        return Err(PlatformError::Rejected(format!(
            "Bản sao lưu có lược đồ phiên bản {} mới hơn phiên bản cqdt này hỗ trợ ({known}).",
            archive.manifest.schema_version
        )));
    }
    db.migrate().await?;
    let target_tables = store::list_tables(db).await?;
    let mut non_empty = Vec::new();
    for t in &target_tables {
        let n = store::count_rows(db, t).await?;
        if n > 0 {
            non_empty.push(format!("{t} ({n})"));
        }
    }
    if !non_empty.is_empty() && !force {
        return Err(PlatformError::Rejected(format!(
            "Nơi khôi phục không trống (bảng có dữ liệu: {}). Dùng --force để xoá và ghi đè.",
            non_empty.join(", ")
        )));
    }
    for t in &archive.manifest.tables {
        if !target_tables.contains(&t.name) {
            return Err(PlatformError::Rejected(format!(
                "Bảng {} trong bản sao lưu không có ở nơi khôi phục.",
                t.name
            )));
        }
    }
    let mut tx = db.begin().await?;
    if force {
        store::clear_tables(&mut tx, &target_tables).await?;
    }
    for t in &archive.manifest.tables {
        let rows = archive.tables.get(&t.name).map(Vec::as_slice).unwrap_or(&[]);
        if rows.len() != t.rows {
            return Err(PlatformError::Rejected(format!(
                "Bảng {}: manifest ghi {} dòng nhưng tệp có {}.",
                t.name,
                t.rows,
                rows.len()
            )));
        }
        for row in rows {
            store::insert_row(&mut tx, &t.name, &t.columns, row).await?;
        }
    }
    store::reset_sequences(&mut tx, db.backend(), &target_tables).await?;
    tx.commit().await?;
    for (sha, bytes) in &archive.files {
        let dir = files_root.join(&sha[..2]).join(&sha[2..4]);
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let path = dir.join(sha);
        let mut f =
            std::fs::File::create(&path).map_err(io(format!("writing {}", path.display())))?;
        f.write_all(bytes).map_err(io(format!("writing {}", path.display())))?;
        f.sync_all().map_err(io("syncing restored file"))?;
    }
    Ok(archive.manifest)
}
