//! Round trips, workbooks as other programs write them, and hostile containers.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

use super::read::cell_ref;
use super::zip::ZipWriter;
use super::*;

fn col(header: &str) -> Column {
    Column { header: header.into(), width: 20.0, ..Column::default() }
}

fn texts(rows: &[Row]) -> Vec<Vec<&str>> {
    rows.iter().map(|r| r.cells.iter().map(String::as_str).collect()).collect()
}

#[test]
fn a_written_workbook_reads_back_the_same() {
    let tricky = "Sở Tư pháp & \"UBND\" <cấp xã>\nDòng hai\r\n  _x0041_ \u{1}";
    let sheets = vec![
        Sheet {
            name: "Thủ tục".into(),
            columns: vec![col("Mã"), col("Tên"), col("Phí (đồng)")],
            rows: vec![
                vec!["1.001193".into(), tricky.into(), 200_000u32.into()],
                vec!["1.000656".into(), Cell::Empty, 0.1f64.into()],
            ],
        },
        Sheet {
            name: "Biểu mẫu điện tử".into(),
            columns: vec![Column {
                choices: vec!["Có".into(), "Không".into()],
                text: true,
                ..col("Bắt buộc")
            }],
            rows: vec![vec!["Có".into()]],
        },
    ];
    let bytes = write(&sheets).expect("write");
    let book = read(&bytes).expect("read");
    assert_eq!(book.sheets.len(), 2);
    let first = book.sheet("Thủ tục").expect("sheet");
    assert_eq!(
        texts(&first.rows),
        vec![
            vec!["Mã", "Tên", "Phí (đồng)"],
            vec!["1.001193", tricky, "200000"],
            vec!["1.000656", "", "0.1"],
        ]
    );
    assert_eq!(first.rows[2].number, 3);
    assert_eq!(book.sheet("biểu mẫu điện tử").map(|s| s.rows.len()), Some(2));
    assert_eq!(write(&sheets).expect("again"), bytes, "reproducible");
}

#[test]
fn sheet_names_excel_refuses_are_refused() {
    for name in ["", "a/b", "x".repeat(32).as_str()] {
        let s = Sheet { name: name.into(), ..Sheet::default() };
        assert!(matches!(write(&[s]), Err(XlsxError::Write(_))), "{name}");
    }
}

/// A workbook with one hand-written sheet, as other programs write them.
fn with_sheet(sheet_xml: &str, shared: Option<&str>) -> Vec<u8> {
    let mut z = ZipWriter::default();
    let rels = format!(
        r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#
    );
    let book = format!(
        r#"<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets><sheet name="Dữ liệu" sheetId="7" r:id="rId3"/></sheets></workbook>"#
    );
    let book_rels = format!(
        r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId3" Type="{NS_REL}/worksheet" Target="worksheets/../worksheets/data.xml"/><Relationship Id="rId4" Type="{NS_REL}/sharedStrings" Target="strings.xml"/></Relationships>"#
    );
    z.add("_rels/.rels", rels.as_bytes()).expect("zip");
    z.add("xl/workbook.xml", book.as_bytes()).expect("zip");
    z.add("xl/_rels/workbook.xml.rels", book_rels.as_bytes()).expect("zip");
    let sheet =
        format!(r#"<worksheet xmlns="{NS_MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>"#);
    z.add("xl/worksheets/data.xml", sheet.as_bytes()).expect("zip");
    if let Some(s) = shared {
        let sst = format!(r#"<sst xmlns="{NS_MAIN}">{s}</sst>"#);
        z.add("xl/strings.xml", sst.as_bytes()).expect("zip");
    }
    z.finish().expect("zip")
}

#[test]
fn shared_strings_booleans_formulas_and_gaps_are_read() {
    let bytes = with_sheet(
        concat!(
            r#"<row r="2"><c r="A2" t="s"><v>1</v></c><c r="C2" t="b"><v>1</v></c>"#,
            r#"<c r="E2" t="str"><f>A1</f><v>Nước &amp; "điện"</v></c></row>"#,
            r#"<row><c t="s"><v>0</v></c><c/><c><v>1.0011930000000001</v></c><c t="inlineStr"><is><r><t>Hộ </t></r><r><t>tịch</t></r></is></c></row>"#,
            r#"<row r="9"><c r="B9" s="3"/></row>"#
        ),
        Some(
            r#"<si><t>Cấp xã</t></si><si><r><t>Sóc</t></r><r><t xml:space="preserve"> Trăng</t></r><rPh><t>x</t></rPh></si>"#,
        ),
    );
    let book = read(&bytes).expect("read");
    let s = book.sheet("Dữ liệu").expect("sheet");
    assert_eq!(
        texts(&s.rows),
        vec![
            vec!["Sóc Trăng", "", "TRUE", "", "Nước & \"điện\""],
            vec!["Cấp xã", "", "1.001193", "Hộ tịch"],
        ]
    );
    assert_eq!((s.rows[0].number, s.rows[1].number), (2, 3));
}

#[test]
fn a_corrupted_file_is_refused() {
    let good = write(&[Sheet {
        name: "A".into(),
        columns: vec![col("x")],
        rows: vec![vec!["một dòng dữ liệu".into()]],
    }])
    .expect("write");
    assert!(matches!(read(b"not a zip at all"), Err(XlsxError::Zip(_))));
    assert!(matches!(read(&good[..good.len() / 2]), Err(XlsxError::Zip(_))));
    // Flip one byte inside the last part's compressed data.
    let mut bad = good;
    let at = bad.windows(4).rposition(|w| w == [0x50, 0x4b, 0x03, 0x04]).expect("local header")
        + 30
        + "xl/worksheets/sheet1.xml".len()
        + 5;
    bad[at] ^= 0xFF;
    assert!(matches!(read(&bad), Err(XlsxError::Corrupt(_))), "{:?}", read(&bad));
    let text = read(&bad).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("bị hỏng"), "{text}");
    let broken = with_sheet("<row><c><v>1</v></row>", None);
    assert!(matches!(read(&broken), Err(XlsxError::Xml { .. })));
}

#[test]
fn a_zip_bomb_is_refused() {
    // 60 MB of zeros deflate to about 60 KB; the entry claims to hold 1 KB.
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::fast());
    let chunk = vec![0u8; 1 << 20];
    let mut crc = Crc::new();
    for _ in 0..60 {
        enc.write_all(&chunk).expect("deflate");
        crc.update(&chunk);
    }
    let packed = enc.finish().expect("deflate");
    assert!(packed.len() < 1 << 20);
    let mut z = ZipWriter::default();
    z.add_raw("xl/workbook.xml", 8, crc.sum(), &packed, 1024).expect("zip");
    let bomb = z.finish().expect("zip");
    let e = read(&bomb).expect_err("bomb");
    assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
    // Honest about its size, it is refused before inflating anything.
    let mut z = ZipWriter::default();
    z.add_raw("xl/workbook.xml", 8, crc.sum(), &packed, 60 << 20).expect("zip");
    let e = read(&z.finish().expect("zip")).expect_err("bomb");
    assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
}

#[test]
fn too_many_entries_are_refused() {
    let mut z = ZipWriter::default();
    for i in 0..=MAX_ENTRIES {
        z.add_raw(&format!("p{i}"), 0, 0, &[], 0).expect("zip");
    }
    let e = read(&z.finish().expect("zip")).expect_err("entries");
    assert!(matches!(e, XlsxError::TooManyEntries), "{e:?}");
}

#[test]
fn column_names_follow_excel() {
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(25), "Z");
    assert_eq!(column_name(26), "AA");
    assert_eq!(column_name(16_383), "XFD");
    assert_eq!(cell_ref("XFD1048576"), Some((16_383, 1_048_576)));
    assert_eq!(cell_ref("AB7"), Some((27, 7)));
    assert_eq!(cell_ref("7"), None);
}
