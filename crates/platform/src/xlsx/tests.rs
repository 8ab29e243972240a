//! Round trips, workbooks as other programs write them, and hostile containers.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::*;

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

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
    let twice = vec![Sheet { name: "A".into(), ..Sheet::default() }; 2];
    assert!(matches!(write(&twice), Err(XlsxError::Write(_))));
}

/// A ZIP archive of these parts, deflated, as the zip crate writes it.
fn archive(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in parts {
        z.start_file(*name, options).expect("zip");
        z.write_all(data).expect("zip");
    }
    z.finish().expect("zip").into_inner()
}

/// A workbook with one hand-written sheet, as other programs write them.
fn with_sheet(sheet_xml: &str, shared: Option<&str>) -> Vec<u8> {
    let rels = format!(
        r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#
    );
    let book = format!(
        r#"<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets><sheet name="Dữ liệu" sheetId="7" r:id="rId3"/></sheets></workbook>"#
    );
    let book_rels = format!(
        r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId3" Type="{NS_REL}/worksheet" Target="worksheets/data.xml"/><Relationship Id="rId4" Type="{NS_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let sheet =
        format!(r#"<worksheet xmlns="{NS_MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>"#);
    let sst = shared.map(|s| format!(r#"<sst xmlns="{NS_MAIN}">{s}</sst>"#));
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", book.as_bytes()),
        ("xl/_rels/workbook.xml.rels", book_rels.as_bytes()),
        ("xl/worksheets/data.xml", sheet.as_bytes()),
    ];
    if let Some(s) = &sst {
        parts.push(("xl/sharedStrings.xml", s.as_bytes()));
    }
    archive(&parts)
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
fn two_cells_far_apart_read_without_the_range_between() {
    // A reader that builds the whole A1:XFD1048576 range would need 17 billion cells.
    let bytes = with_sheet(
        r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
        None,
    );
    let book = read(&bytes).expect("read");
    let rows = &book.sheets[0].rows;
    assert_eq!((rows[0].number, rows[1].number), (1, 1_048_576));
    assert_eq!((rows[1].cells.len(), rows[1].get(16_383)), (16_384, "2"));
}

#[test]
fn a_hostile_cell_reference_is_refused_not_a_crash() {
    for r in ["A99999999999", "ZZZZZZZZ1", "A0"] {
        let bytes = with_sheet(&format!(r#"<row><c r="{r}"><v>1</v></c></row>"#), None);
        let e = read(&bytes).expect_err(r);
        assert!(matches!(e, XlsxError::Xml { .. }), "{r}: {e:?}");
    }
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
    // Flip one byte inside the sheet's compressed data.
    let at = zip::ZipArchive::new(Cursor::new(&good[..]))
        .and_then(|mut z| Ok(z.by_name("xl/worksheets/sheet1.xml")?.data_start()))
        .expect("sheet part")
        .expect("data offset") as usize
        + 5;
    let mut bad = good;
    bad[at] ^= 0xFF;
    let e = read(&bad).expect_err("corrupt");
    assert!(matches!(e, XlsxError::Corrupt(_)), "{e:?}");
    assert!(e.to_string().contains("bị hỏng"), "{e}");
    let broken = with_sheet("<row><c><v>1</v></row>", None);
    assert!(matches!(read(&broken), Err(XlsxError::Xml { .. })));
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused() {
    let docx = archive(&[("word/document.xml", b"<w:document/>"), ("hello.txt", b"xin chao")]);
    let e = read(&docx).expect_err("not a workbook");
    assert!(matches!(e, XlsxError::NotAWorkbook), "{e:?}");
    assert!(e.to_string().contains("không phải bảng tính"), "{e}");
    let e = read(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").expect_err("pdf");
    assert!(matches!(e, XlsxError::Zip(_)), "{e:?}");
    assert!(e.to_string().contains("không phải bảng tính"), "{e}");
}

/// Sets the uncompressed size the local and central headers of `name` declare.
fn declare_size(bytes: &mut [u8], name: &str, size: u32) {
    let (local, central) = zip::ZipArchive::new(Cursor::new(&bytes[..]))
        .and_then(|mut z| {
            let f = z.by_name(name)?;
            Ok((f.header_start() as usize, f.central_header_start() as usize))
        })
        .expect("entry");
    bytes[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn a_zip_bomb_is_refused() {
    // 60 MB of zeros deflate to about 60 KB: a part that inflates past the cap.
    let zeros = vec![0u8; 60 << 20];
    let honest =
        archive(&[("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &zeros)]);
    assert!(honest.len() < 1 << 20, "{}", honest.len());
    drop(zeros);
    // Honest about its size, it is refused before inflating anything.
    let e = read(&honest).expect_err("bomb");
    assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
    assert!(e.to_string().contains("quá lớn"), "{e}");
    // Lying about its size (1 KB), it is refused once inflation passes what it declared.
    let mut liar = honest;
    declare_size(&mut liar, "xl/worksheets/sheet1.xml", 1024);
    let e = read(&liar).expect_err("bomb");
    assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
    // Many parts, each below the cap, together above it.
    let ten = vec![b' '; 10 << 20];
    let mut parts: Vec<(String, &[u8])> = vec![("xl/workbook.xml".into(), b"<workbook/>")];
    parts.extend((0..6).map(|i| (format!("xl/media/p{i}.xml"), &ten[..])));
    let named: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let e = read(&archive(&named)).expect_err("bomb");
    assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("p{i}")).collect();
    let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let e = read(&archive(&parts)).expect_err("entries");
    assert!(matches!(e, XlsxError::TooManyEntries), "{e:?}");
}

#[test]
fn column_names_follow_excel() {
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(25), "Z");
    assert_eq!(column_name(26), "AA");
    assert_eq!(column_name(16_383), "XFD");
}
