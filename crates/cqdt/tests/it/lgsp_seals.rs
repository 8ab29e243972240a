//! Seals over the message log (issue 16): `cqdt lgsp seal` closes the records not sealed yet
//! under the platform's signature and an RFC 3161 time-stamp from the sandbox authority;
//! `cqdt lgsp verify-log` checks them, and catches a rewrite of the log that recomputed every
//! hash of the chain (which the chain alone cannot). OpenSSL checks the stored token.

use std::sync::Arc;
use std::time::Duration;

use crate::helpers::{cli_with_env, client, sign_in, text, Instance, DEMO_PASSWORD, DEMO_TOTP};
use crate::lgsp::{call, grant, provider, registry, JUSTICE};

/// The sandbox authority on a loopback port: its URL and the CA file to trust.
async fn authority(dir: &std::path::Path) -> (String, String) {
    let authority =
        cqdt_timestamp::Authority::open(dir, "cqdt TSA sandbox", chrono::Utc::now()).expect("TSA");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = cqdt_timestamp::sandbox::router(Arc::new(authority), Arc::new(chrono::Utc::now));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    (format!("http://{addr}/"), dir.join("ca-cert.pem").display().to_string())
}

async fn logged(app: &Instance, n: i64) {
    for _ in 0..50 {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lgsp_log")
            .fetch_one(app.db.db.pool())
            .await
            .expect("count");
        if rows >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the recorder did not write {n} records");
}

fn record(n: i64) -> String {
    format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/{n}")
}

/// An instance with the test registry and three calls logged; the consumer's token.
async fn three_calls() -> (Instance, String) {
    let app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, bearer) = registry(&app, &base, serde_json::json!({})).await;
    grant(&app, &service, &["traCuuKhaiSinh"]).await;
    for n in 1..=3 {
        assert_eq!(call(&app, reqwest::Method::GET, &record(n), &bearer).await.0, 200);
    }
    logged(&app, 3).await;
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lgsp_bodies")
        .fetch_one(app.db.db.pool())
        .await
        .expect("count");
    assert_eq!(kept, 0, "a service that keeps no bodies has only their digests logged");
    (app, bearer)
}

#[tokio::test]
async fn seals_are_signed_and_time_stamped_and_a_rewrite_that_recomputed_the_chain_is_caught() {
    let dir = tempfile::tempdir().expect("dir");
    let (tsa_url, ca) = authority(dir.path()).await;
    let (mut app, _) = three_calls().await;
    app.stop().await;
    let (db, data) = (app.db.url.clone(), app.data_dir.clone());
    let run = |args: &'static [&'static str], url: String| {
        let (db, data, ca) = (db.clone(), data.clone(), ca.clone());
        async move {
            let env = [("CQDT_TSA_URL", url.as_str()), ("CQDT_TSA_CA_FILE", ca.as_str())];
            cli_with_env(&db, &data, args, &env).await
        }
    };

    // The authority is down: the seal is made and signed all the same, the stamp waits.
    let down = format!("http://127.0.0.1:{}/", crate::helpers::free_port());
    let first = run(&["lgsp", "seal"], down).await;
    let out = text(&first);
    assert!(!first.status.success(), "a failed stamp is a failed round: {out}");
    assert!(out.contains("sealed records 1–3") && out.contains("unreachable"), "{out}");
    let second = run(&["lgsp", "seal"], tsa_url.clone()).await;
    let out = text(&second);
    assert!(second.status.success() && out.contains("1 seals time-stamped"), "{out}");
    assert!(!out.contains("sealed records"), "nothing new to seal: {out}");

    let (signature, stamp): (String, Vec<u8>) =
        sqlx::query_as("SELECT signature, stamp FROM lgsp_log_seals WHERE last_seq = 3")
            .fetch_one(app.db.db.pool())
            .await
            .expect("the seal");
    openssl_verifies(dir.path(), &signature, &stamp, &ca);

    let ok = run(&["lgsp", "verify-log"], tsa_url.clone()).await;
    let out = text(&ok);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("seals OK: 1 seals cover records 1–3"), "{out}");
    assert!(out.contains("1 time-stamps verified") && out.contains("cqdt TSA sandbox"), "{out}");

    // The overview says how far the log is sealed and by whom it is stamped, in local time.
    app.restart().await;
    let cookie = sign_in(&app, "qt.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let page = client().get(app.url("/admin/lgsp")).header("cookie", &cookie).send().await;
    let html = page.expect("page").text().await.expect("html");
    assert!(html.contains("Nhật ký ghi 3 lượt trao đổi"), "{html}");
    assert!(html.contains("Đã niêm phong đến lượt 3 lúc "), "{html}");
    assert!(
        html.contains("và dấu thời gian lúc ") && html.contains("của cqdt TSA sandbox"),
        "{html}"
    );
    assert!(!html.contains("T0") && !html.contains("Z."), "no UTC timestamps on the page");
    app.stop().await;

    // Someone with the database rewrites record 2 and recomputes the chain after it: the
    // chain checks out, the seal does not.
    rewrite_record_2(&app).await;
    let bad = run(&["lgsp", "verify-log"], tsa_url).await;
    let out = text(&bad);
    assert_eq!(bad.status.code(), Some(3), "{out}");
    assert!(out.contains("message log OK: 3 records"), "the chain alone is fooled: {out}");
    assert!(
        out.contains("BROKEN at the seal ending at record 3") && out.contains("rewritten"),
        "{out}"
    );
}

async fn rewrite_record_2(app: &Instance) {
    use cqdt_lgsp::log::{chain_hash, Row, GENESIS};
    let pool = app.db.db.pool();
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, request_id, consumer, service, operation_id, method, path, status, \
         failed_side, request_bytes, response_bytes, request_digest, response_digest, \
         prev_hash, hash FROM lgsp_log ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .expect("rows");
    let mut prev = GENESIS.to_string();
    for mut r in rows {
        if r.seq == 2 {
            r.entry.status = 404;
        }
        let hash = chain_hash(&prev, r.seq, &r.entry);
        sqlx::query("UPDATE lgsp_log SET status = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(r.entry.status)
            .bind(&prev)
            .bind(&hash)
            .bind(r.seq)
            .execute(pool)
            .await
            .expect("rewrite");
        prev = hash;
    }
}

/// `openssl ts -verify`: the token is over the seal's signature and chains to the CA.
fn openssl_verifies(dir: &std::path::Path, signature: &str, stamp: &[u8], ca: &str) {
    let present = std::process::Command::new("openssl").arg("version").output().is_ok();
    let what = "the openssl command is missing (apt-get install openssl)";
    if !cqdt_testing::prerequisite(present, "openssl ts -verify", what, "CQDT_REQUIRE_OPENSSL") {
        return;
    }
    std::fs::write(dir.join("seal.jwt"), signature).expect("write");
    std::fs::write(dir.join("seal.tsr"), stamp).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in", "seal.tsr", "-data", "seal.jwt", "-CAfile", ca])
        .current_dir(dir)
        .output()
        .expect("openssl");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("Verification: OK"), "{said}");
}

#[tokio::test]
async fn archived_records_leave_the_database_and_their_archive_is_checked_from_itself_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let (tsa_url, ca) = authority(dir.path()).await;
    let (mut app, bearer) = three_calls().await;
    // Sealing and archiving run beside traffic: the server stays up.
    let (db, data) = (app.db.url.clone(), app.data_dir.clone());
    let env = [("CQDT_TSA_URL", tsa_url.as_str()), ("CQDT_TSA_CA_FILE", ca.as_str())];
    let out_dir = dir.path().join("archives").display().to_string();
    let sealed = cli_with_env(&db, &data, &["lgsp", "seal"], &env).await;
    assert!(sealed.status.success(), "{}", text(&sealed));
    let archived =
        cli_with_env(&db, &data, &["lgsp", "archive", "--out", &out_dir, "--keep-days", "0"], &env)
            .await;
    let out = text(&archived);
    assert!(archived.status.success() && out.contains("archived records 1–3 (3 records)"), "{out}");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lgsp_log")
        .fetch_one(app.db.db.pool())
        .await
        .expect("count");
    assert_eq!(left, 0, "the archived records left the database");

    // The log goes on after the archive: record 4 links to the archived seal's root.
    assert_eq!(call(&app, reqwest::Method::GET, &record(4), &bearer).await.0, 200);
    logged(&app, 1).await;
    app.stop().await;
    let ok = cli_with_env(&db, &data, &["lgsp", "verify-log"], &env).await;
    let out = text(&ok);
    assert!(ok.status.success() && out.contains("message log OK: 1 records; anchor 4:"), "{out}");
    assert!(out.contains("seals OK: 1 seals cover records 1–3"), "{out}");

    let file = std::path::Path::new(&out_dir).join("lgsp-log-000000000001-000000000003.tar.gz");
    let file = file.display().to_string();
    let checked = cli_with_env(&db, &data, &["lgsp", "verify-archive", &file], &env).await;
    let out = text(&checked);
    assert!(checked.status.success(), "{out}");
    assert!(
        out.contains("archive OK: records 1–3 (3), 1 seals")
            && out.contains("1 time-stamps verified"),
        "{out}"
    );

    // The archive rewritten (record 2 changed, the chain recomputed): the seal no longer holds.
    rewrite_archive(&file);
    let bad = cli_with_env(&db, &data, &["lgsp", "verify-archive", &file], &env).await;
    let out = text(&bad);
    assert_eq!(bad.status.code(), Some(3), "{out}");
    assert!(out.contains("record 3 is not what the seal ending there signed"), "{out}");
}

/// Rewrites record 2 of an archive with another status and recomputes the chain after it.
fn rewrite_archive(path: &str) {
    use std::io::Read;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let file = std::fs::File::open(path).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for e in tar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("name").display().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).expect("read");
        entries.push((name, bytes));
    }
    let records = entries.iter_mut().find(|(n, _)| n == "records.jsonl").expect("records");
    let mut prev: Option<String> = None;
    let mut out = Vec::new();
    for line in String::from_utf8(records.1.clone()).expect("utf-8").lines() {
        let mut r: cqdt_lgsp::log::Row = serde_json::from_str(line).expect("row");
        if r.seq == 2 {
            r.entry.status = 404;
        }
        let p = prev.take().unwrap_or_else(|| r.prev_hash.clone());
        r.prev_hash = p.clone();
        r.hash = cqdt_lgsp::log::chain_hash(&p, r.seq, &r.entry);
        prev = Some(r.hash.clone());
        out.extend(serde_json::to_vec(&r).expect("json"));
        out.push(b'\n');
    }
    records.1 = out;
    let file = std::fs::File::create(path).expect("rewrite");
    let mut tar =
        tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    for (name, bytes) in &entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, bytes.as_slice()).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip");
}
