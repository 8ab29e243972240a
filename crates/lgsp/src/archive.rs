//! Archives of the message log: the records of whole seals, once stamped and older than the
//! retention period, go to a `.tar.gz` file with their seals, the keys that verify the seals'
//! signatures and a manifest; then they leave the database. An archive is checked offline from
//! itself and the time-stamping CA alone ([`check`]): the chain from the manifest's `prev_hash`
//! must reach each seal's signed root, each signature and time-stamp must hold.
//!
//! Entries, in this order: `manifest.json`, `seals.jsonl`, `keys.json` (a JWKS), `README.txt`,
//! `records.jsonl` (one [`Row`] a line, streamed: an archive is never read whole).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use cqdt_platform::{Db, DbError, DbResultExt};
use cqdt_timestamp::{Anchors, Verified};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::log::{chain_hash, Row, GENESIS};
use crate::seal::{stamp_digest, Seal, Statement};

/// The format an archive's manifest names.
pub const FORMAT: &str = "cqdt-lgsp-log-archive/1";
/// Most seals one archive takes.
const MAX_SEALS: i64 = 200;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What an archive holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The platform whose signatures the seals carry (their `iss`).
    pub issuer: String,
    /// First record.
    pub first: i64,
    /// Last record.
    pub last: i64,
    /// The chain's hash before the first record (the previous archive's last root).
    pub prev_hash: String,
    /// Records in it.
    pub records: i64,
    /// When it was written (RFC 3339).
    pub created_at: String,
}

/// A seal as an archive keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealLine {
    /// What it states.
    #[serde(flatten)]
    pub statement: Statement,
    /// The platform's signature (JWT).
    pub signature: String,
    /// The RFC 3161 token, base64.
    pub stamp: String,
}

/// An archive written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
    /// Its SHA-256, hex (kept with the seals).
    pub sha256: String,
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The file.
    #[error("writing the archive: {0}")]
    Io(String),
}

fn io(e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Io(e.to_string())
}

/// Archives into `dir` the oldest seals not archived yet that are time-stamped and whose
/// records are all before `before` (RFC 3339), then deletes their records; `None` when no seal
/// qualifies. Traffic goes on meanwhile: only archived records are deleted.
pub async fn archive(
    db: &Db,
    dir: &Path,
    before: &str,
    issuer: &str,
    jwks: &str,
    now: &str,
) -> Result<Option<Written>, ArchiveError> {
    let candidates: Vec<Seal> = sqlx::query_as(&format!(
        "SELECT {} FROM lgsp_log_seals WHERE archive IS NULL ORDER BY last_seq LIMIT {MAX_SEALS}",
        crate::seal::COLS
    ))
    .fetch_all(db.pool())
    .await
    .ctx("reading the seals to archive")?;
    let mut seals = Vec::new();
    for seal in candidates {
        let at: Option<String> = sqlx::query_scalar("SELECT at FROM lgsp_log WHERE seq = $1")
            .bind(seal.last_seq)
            .fetch_optional(db.pool())
            .await
            .ctx("reading the message log")?;
        if seal.stamp.is_none() || at.is_none_or(|at| at.as_str() >= before) {
            break;
        }
        seals.push(seal);
    }
    let (Some(first), Some(last)) = (seals.first(), seals.last()) else { return Ok(None) };
    let (first, last) = (first.first_seq, last.last_seq);
    let prev_hash: String = sqlx::query_scalar("SELECT prev_hash FROM lgsp_log WHERE seq = $1")
        .bind(first)
        .fetch_optional(db.pool())
        .await
        .ctx("reading the message log")?
        .unwrap_or_else(|| GENESIS.to_string());

    std::fs::create_dir_all(dir).map_err(io)?;
    let name = format!("lgsp-log-{first:012}-{last:012}.tar.gz");
    let records_tmp = dir.join(format!(".{name}.records"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&records_tmp).map_err(io)?);
    let mut count = 0i64;
    let mut after = first - 1;
    loop {
        let page: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {} FROM lgsp_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 5000",
            crate::log::COLS
        ))
        .bind(after)
        .bind(last)
        .fetch_all(db.pool())
        .await
        .ctx("reading the records to archive")?;
        let Some(end) = page.last().map(|r| r.seq) else { break };
        for r in &page {
            serde_json::to_writer(&mut out, r).map_err(io)?;
            out.write_all(b"\n").map_err(io)?;
        }
        count += page.len() as i64;
        after = end;
    }
    out.flush().map_err(io)?;
    drop(out);
    let manifest = Manifest {
        format: FORMAT.into(),
        issuer: issuer.into(),
        first,
        last,
        prev_hash,
        records: count,
        created_at: now.into(),
    };
    let lines: Vec<SealLine> = seals
        .iter()
        .map(|s| SealLine {
            statement: Statement {
                first: s.first_seq,
                last: s.last_seq,
                root: s.root.clone(),
                sealed_at: s.sealed_at.clone(),
            },
            signature: s.signature.clone(),
            stamp: B64.encode(s.stamp.as_deref().unwrap_or_default()),
        })
        .collect();
    let (path, tmp) = (dir.join(&name), dir.join(format!(".{name}.tmp")));
    let (m, jwks) = (manifest.clone(), jwks.to_string());
    let written = tokio::task::spawn_blocking(move || {
        let result = write_tar(&tmp, &m, &lines, &jwks, &records_tmp);
        let _ = std::fs::remove_file(&records_tmp);
        result
    })
    .await
    .map_err(io)??;
    std::fs::rename(dir.join(format!(".{name}.tmp")), &path).map_err(io)?;

    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE lgsp_log_seals SET archive = $1, archive_sha256 = $2 \
         WHERE last_seq >= $3 AND last_seq <= $4",
    )
    .bind(&name)
    .bind(&written)
    .bind(first)
    .bind(last)
    .execute(&mut *tx)
    .await
    .ctx("marking the seals archived")?;
    crate::bodies::remove(&mut tx, first, last).await?;
    sqlx::query("DELETE FROM lgsp_log WHERE seq >= $1 AND seq <= $2")
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await
        .ctx("removing the archived records")?;
    tx.commit().await?;
    Ok(Some(Written { path, manifest, sha256: written }))
}

/// Writes the archive to `tmp` (synced); returns its SHA-256.
fn write_tar(
    tmp: &Path,
    manifest: &Manifest,
    seals: &[SealLine],
    jwks: &str,
    records: &Path,
) -> Result<String, ArchiveError> {
    let file = std::fs::File::create(tmp).map_err(io)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        tar.append_data(&mut h, name, bytes).map_err(io)
    };
    add("manifest.json", &serde_json::to_vec_pretty(manifest).map_err(io)?)?;
    let mut lines = Vec::new();
    for s in seals {
        serde_json::to_writer(&mut lines, s).map_err(io)?;
        lines.push(b'\n');
    }
    add("seals.jsonl", &lines)?;
    add("keys.json", jwks.as_bytes())?;
    add("README.txt", README.as_bytes())?;
    tar.append_path_with_name(records, "records.jsonl").map_err(io)?;
    let file = tar.into_inner().map_err(io)?.finish().map_err(io)?;
    file.sync_all().map_err(io)?;
    let mut digest = Sha256::new();
    std::io::copy(&mut std::fs::File::open(tmp).map_err(io)?, &mut digest).map_err(io)?;
    Ok(hex::encode(digest.finalize()))
}

const README: &str = "Nhật ký thông điệp của trục LGSP (cqdt), bản lưu trữ.
Message log of the cqdt integration platform (LGSP), archived.

manifest.json  the records it holds, and the chain's hash before the first (prev_hash)
seals.jsonl    each seal: a range of records, the chain's hash at its end (root), the
               platform's signature (a JWT, typ lgsp-seal+jwt) and an RFC 3161 time-stamp
               token (base64) over SHA-256 of that signature
keys.json      the platform's public keys (JWKS) that verify the signatures
records.jsonl  the records; hash = SHA-256(prev_hash \\n seq \\n the record's fields as JSON)

Check it with: cqdt lgsp verify-archive FILE (with CQDT_TSA_CA_FILE, the authority's CA).
Each time-stamp alone: openssl ts -verify -data SIGNATURE_FILE -in TOKEN -token_in -CAfile CA.
";

/// What a check of an archive found.
#[derive(Debug, Clone)]
pub struct ArchiveReport {
    /// Its manifest.
    pub manifest: Manifest,
    /// Seals checked.
    pub seals: usize,
    /// Time-stamps verified (none without anchors).
    pub stamped: usize,
    /// The newest verified time-stamp.
    pub last_stamp: Option<Verified>,
}

/// Checks a seal's signature: the claims it signs, given the token, the issuer and the JWKS.
pub type SignatureCheck<'a> =
    &'a dyn Fn(
        &str,
        &str,
        &serde_json::Value,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String>;

/// Checks the archive at `path` from itself alone (and `anchors` for the time-stamps): the
/// records follow each other from `prev_hash` and each hashes as the chain says, each seal's
/// root is the hash of its last record, its signature holds and states the same, its
/// time-stamp is over that signature. The first problem is the error.
pub fn check(
    path: &Path,
    anchors: Option<&Anchors>,
    signature: SignatureCheck<'_>,
) -> Result<ArchiveReport, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut entries = tar.entries().map_err(|e| format!("not a tar.gz archive: {e}"))?;
    let mut next = |want: &str| -> Result<tar::Entry<'_, _>, String> {
        let entry = entries
            .next()
            .ok_or_else(|| format!("{want} is missing"))?
            .map_err(|e| format!("reading {want}: {e}"))?;
        let name = entry.path().map_err(|e| e.to_string())?.to_string_lossy().to_string();
        if name != want {
            return Err(format!("{want} expected, found {name}"));
        }
        Ok(entry)
    };
    let read_all = |mut e: tar::Entry<'_, _>| -> Result<Vec<u8>, String> {
        let mut v = Vec::new();
        e.read_to_end(&mut v).map_err(|e| e.to_string())?;
        Ok(v)
    };
    let manifest: Manifest = serde_json::from_slice(&read_all(next("manifest.json")?)?)
        .map_err(|e| format!("manifest.json: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!("format {:?} is not {FORMAT}", manifest.format));
    }
    let seals: Vec<SealLine> = read_all(next("seals.jsonl")?)?
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).map_err(|e| format!("seals.jsonl: {e}")))
        .collect::<Result<_, _>>()?;
    let keys: serde_json::Value = serde_json::from_slice(&read_all(next("keys.json")?)?)
        .map_err(|e| format!("keys.json: {e}"))?;
    next("README.txt")?;
    let mut report =
        ArchiveReport { manifest: manifest.clone(), seals: 0, stamped: 0, last_stamp: None };
    let mut expected_first = manifest.first;
    for s in &seals {
        let st = &s.statement;
        if st.first != expected_first || st.last < st.first || st.last > manifest.last {
            return Err(format!(
                "the seal {}–{} does not follow on from {}",
                st.first,
                st.last,
                expected_first - 1
            ));
        }
        let claims = signature(&s.signature, &manifest.issuer, &keys)
            .map_err(|e| format!("the seal ending at {}: its signature: {e}", st.last))?;
        let signed: Option<Statement> = serde_json::from_value(claims.into()).ok();
        if signed.as_ref() != Some(st) {
            return Err(format!("the seal ending at {}: the signed statement differs", st.last));
        }
        if let Some(anchors) = anchors {
            let token = B64.decode(&s.stamp).map_err(|e| format!("stamp: {e}"))?;
            let v = cqdt_timestamp::verify(&token, &stamp_digest(&s.signature), anchors)
                .map_err(|e| format!("the seal ending at {}: its time-stamp: {e}", st.last))?;
            report.stamped += 1;
            report.last_stamp = Some(v);
        }
        expected_first = st.last + 1;
        report.seals += 1;
    }
    if expected_first != manifest.last + 1 {
        return Err(format!(
            "the seals end at {}, the manifest at {}",
            expected_first - 1,
            manifest.last
        ));
    }
    let records = BufReader::new(next("records.jsonl")?);
    let (mut prev, mut seq) = (manifest.prev_hash.clone(), manifest.first - 1);
    let mut roots = seals.iter().map(|s| (s.statement.last, s.statement.root.as_str())).peekable();
    for line in records.lines() {
        let line = line.map_err(|e| format!("records.jsonl: {e}"))?;
        let r: Row = serde_json::from_str(&line).map_err(|e| format!("records.jsonl: {e}"))?;
        seq += 1;
        if r.seq != seq {
            return Err(format!(
                "record {seq} expected, found {} (records removed or reordered)",
                r.seq
            ));
        }
        if r.prev_hash != prev || chain_hash(&prev, r.seq, &r.entry) != r.hash {
            return Err(format!("record {} is altered or its link is broken", r.seq));
        }
        if let Some((_, root)) = roots.next_if(|(last, _)| *last == r.seq) {
            if root != r.hash {
                return Err(format!("record {} is not what the seal ending there signed", r.seq));
            }
        }
        prev = r.hash;
    }
    if seq != manifest.last {
        return Err(format!("the records end at {seq}, the manifest at {}", manifest.last));
    }
    Ok(report)
}
