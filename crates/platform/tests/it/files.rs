//! The file store on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL).

use std::sync::Arc;

use cqdt_platform::{FileStore, ManualClock, MediaType, SharedClock};
use cqdt_testing::TestDb;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

#[tokio::test]
async fn a_document_stored_again_keeps_its_record_and_one_left_without_it_gets_it_back() {
    let t = TestDb::new().await;
    let clock: SharedClock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let files = FileStore::new(t.dir.join("files"), 1 << 20, t.db.clone(), clock);
    let first = files.put(PDF, Some("to-khai.pdf")).await.expect("stored");
    assert_eq!(first.media_type, MediaType::Pdf);
    let again = files.put(PDF, Some("ban-sao.pdf")).await.expect("stored again");
    assert_eq!(again.sha256, first.sha256);
    let known = cqdt_platform::store::get_file(&t.db, &first.sha256).await.expect("read");
    assert_eq!(known.map(|f| f.size), Some(PDF.len() as i64));
    // As after a crash between writing the file and recording it: the file is on disk, its
    // record is not. Storing it again records it.
    sqlx::query("DELETE FROM stored_files").execute(t.db.pool()).await.expect("delete");
    files.put(PDF, None).await.expect("stored once more");
    let (meta, bytes) = files.get(&first.sha256).await.expect("read back");
    assert_eq!((meta.media_type, bytes.as_slice()), (MediaType::Pdf, PDF));
}
