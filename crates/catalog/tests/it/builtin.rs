//! The built-in catalogs on a fresh database: counts, the 2025 reorganisation of Sóc Trăng,
//! as-of lookups and successors.

use std::time::Instant;

use crate::common::{day, Env};
use chrono::NaiveDate;
use cqdt_catalog::{EntryFilter, Validity};

async fn total(env: &Env, catalog: &str, f: EntryFilter) -> i64 {
    env.svc.find(catalog, &f, 1, 1).await.expect("find").total
}

async fn codes(env: &Env, catalog: &str, f: EntryFilter) -> Vec<String> {
    env.svc
        .find(catalog, &f, 1, 5000)
        .await
        .expect("find")
        .entries
        .into_iter()
        .map(|e| e.entry.code)
        .collect()
}

/// The communes (level 3) below a unit, as of a day or in every period.
fn communes_of(ancestor: &str, as_of: Option<NaiveDate>) -> EntryFilter {
    EntryFilter { ancestor: Some(ancestor.into()), level: Some(3), as_of, ..EntryFilter::default() }
}

#[tokio::test]
// Prints the load time for whoever runs it; the time is a note, not a result.
#[allow(clippy::print_stderr)]
async fn the_built_in_catalogs_load_in_one_transaction_with_the_national_counts_and_load_only_once()
{
    let env = Env::empty().await;
    let started = Instant::now();
    let report = cqdt_catalog::load_builtin(&env.svc, true, "system").await.expect("load");
    let elapsed = started.elapsed();
    eprintln!(
        "built-in catalogs ({} rows) loaded on {:?} in {:.0} ms",
        report.iter().map(|(_, n)| n).sum::<usize>(),
        env.t.db.backend(),
        elapsed.as_secs_f64() * 1000.0
    );
    let n = |c: &str| report.iter().find(|(code, _)| code == c).map(|(_, n)| *n);
    assert_eq!(n("admin-units"), Some(10_806 + 44));
    assert_eq!(n("agencies"), Some(142));
    for (c, count) in [
        ("ethnic-groups", 54),
        ("religions", 17),
        ("nationalities", 249),
        ("genders", 3),
        ("marital-statuses", 6),
        ("document-types", 29),
        ("urgency-levels", 4),
    ] {
        assert_eq!(n(c), Some(count), "{c}");
        assert_eq!(total(&env, c, EntryFilter::default()).await, count as i64);
    }
    let march = Some(day("2025-03-01"));
    for (level, count) in [(1, 63), (2, 696), (3, 10_047)] {
        let f = EntryFilter { level: Some(level), as_of: march, ..EntryFilter::default() };
        assert_eq!(total(&env, "admin-units", f).await, count, "level {level}");
    }
    // From 2025-07-01: the 43 communes and wards of Cần Thơ that Sóc Trăng's went into
    // (the seed covers Sóc Trăng's reorganisation only, not the rest of Cần Thơ).
    let july = EntryFilter {
        as_of: Some(day("2025-07-01")),
        parent: Some("92".into()),
        level: Some(3),
        ..EntryFilter::default()
    };
    assert_eq!(total(&env, "admin-units", july).await, 43);
    assert_eq!(env.audits("catalog.seed").await.len(), 9);

    // Loading again skips what is there and writes nothing.
    let rows = env.entry_rows().await;
    let again = cqdt_catalog::load_builtin(&env.svc, true, "system").await.expect("again");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(env.entry_rows().await, rows);

    // The catalogs of the seed declare only their data fields (code and name are columns).
    let meta = env.svc.meta("ethnic-groups").await.expect("meta");
    assert!(meta.fields.iter().all(|f| f.name != "code" && f.name != "name"));
    assert!(meta.fields.iter().any(|f| f.name == "legacy_name"));
}

#[tokio::test]
async fn soc_trang_has_eleven_district_level_units_and_108_communes_as_of_march_2025() {
    let env = Env::seeded().await;
    let as_of = Some(day("2025-03-01"));
    let districts = codes(
        &env,
        "admin-units",
        EntryFilter { parent: Some("94".into()), as_of, ..EntryFilter::default() },
    )
    .await;
    let expected: Vec<String> = (941..=951).map(|c| c.to_string()).collect();
    assert_eq!(districts, expected);
    let communes = codes(&env, "admin-units", communes_of("94", as_of)).await;
    assert_eq!(communes.len(), 108);
    assert!(communes.iter().all(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())));
    assert!(communes.contains(&"31498".to_string()));
    // 31471 (Phường Thuận An) is in Hậu Giang's Long Mỹ (937), not in Sóc Trăng.
    assert!(!communes.contains(&"31471".to_string()));

    // Without a date every period comes back, each with where it stands today (2026).
    let all = env
        .svc
        .find(
            "admin-units",
            &EntryFilter { parent: Some("94".into()), ..EntryFilter::default() },
            1,
            100,
        )
        .await
        .expect("find");
    assert_eq!(all.total, 11);
    assert!(all
        .entries
        .iter()
        .all(|e| e.status == Validity::Retired && e.entry.valid_to == Some(day("2025-07-01"))));
}

#[tokio::test]
async fn after_july_2025_nothing_is_in_force_under_94_and_old_units_resolve_to_their_successors() {
    let env = Env::seeded().await;
    let august = Some(day("2025-08-01"));
    for f in [
        EntryFilter { parent: Some("94".into()), as_of: august, ..EntryFilter::default() },
        EntryFilter { ancestor: Some("94".into()), as_of: august, ..EntryFilter::default() },
    ] {
        assert_eq!(total(&env, "admin-units", f).await, 0);
    }

    // Every commune of 2025-03 resolves to the unit(s) that took it over, under Cần Thơ.
    let communes = codes(&env, "admin-units", communes_of("94", None)).await;
    assert_eq!(communes.len(), 108);
    for c in &communes {
        let resolved = env.svc.resolve("admin-units", c, august).await.expect("resolve");
        assert!(!resolved.is_empty(), "{c}");
        for r in &resolved {
            assert!(r.entry.valid_on(day("2025-08-01")), "{c}: {:?}", r.entry);
            assert_eq!(r.entry.parent.as_deref(), Some("92"), "{c}");
        }
    }
    // Xã Hưng Phú (huyện Mỹ Tú) went to Xã Long Hưng (NQ 1668, corrected in the seed).
    let resolved = env.svc.resolve("admin-units", "31588", august).await.expect("resolve");
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].entry.code, "31579");
    assert_eq!(resolved[0].entry.name, "Xã Long Hưng");
    let detail = env.svc.entry("admin-units", "31588", august).await.expect("entry");
    assert_eq!(detail.entry.status, Validity::Retired);
    assert_eq!(detail.entry.entry.valid_to, Some(day("2025-07-01")));
    assert!(!detail.successors.is_empty());
    assert_eq!(
        detail.resolved.iter().map(|e| &e.entry.code).collect::<Vec<_>>(),
        resolved.iter().map(|e| &e.entry.code).collect::<Vec<_>>()
    );
    // Before the date the commune is itself.
    let march =
        env.svc.resolve("admin-units", "31588", Some(day("2025-03-01"))).await.expect("resolve");
    assert_eq!(march.len(), 1);
    assert_eq!(march[0].entry.code, "31588");

    // A district resolves to the union of its communes' successors; the province to 92.
    let district = env.svc.resolve("admin-units", "941", None).await.expect("resolve");
    let mut got: Vec<&str> = district.iter().map(|e| e.entry.code.as_str()).collect();
    got.sort();
    assert_eq!(got, ["31507", "31510", "31684"]);
    let province = env.svc.resolve("admin-units", "94", None).await.expect("resolve");
    assert_eq!(province.len(), 1);
    assert_eq!(province[0].entry.code, "92");
    assert_eq!(province[0].entry.name, "Thành phố Cần Thơ");

    // One code, two units: 31507 was Phường 6 and is Phường Sóc Trăng from 2025-07-01.
    let before =
        env.svc.entry("admin-units", "31507", Some(day("2025-06-30"))).await.expect("before");
    assert_eq!(before.entry.entry.name, "Phường 6");
    assert_eq!(before.entry.entry.path, "94/941/31507");
    let after = env.svc.entry("admin-units", "31507", None).await.expect("after");
    assert_eq!(after.entry.entry.name, "Phường Sóc Trăng");
    assert_eq!(after.entry.entry.valid_from, Some(day("2025-07-01")));
    assert_eq!(after.entry.entry.level, 3);
    assert_eq!(after.other_periods.len(), 1);
    let phuong5 = env.svc.entry("admin-units", "31498", None).await.expect("31498");
    assert_eq!(phuong5.entry.status, Validity::Retired);
    assert_eq!(phuong5.resolved.len(), 1);
    assert_eq!(phuong5.resolved[0].entry.name, "Phường Sóc Trăng");

    // The new communes are level 3 although they sit directly under the city.
    let new_communes = total(&env, "admin-units", communes_of("92", august)).await;
    assert!(new_communes >= 43, "{new_communes}");
}

#[tokio::test]
async fn search_ignores_diacritics_and_matches_code_prefixes() {
    let env = Env::seeded().await;
    let found = codes(
        &env,
        "admin-units",
        EntryFilter { q: Some("soc trang".into()), level: Some(1), ..EntryFilter::default() },
    )
    .await;
    assert_eq!(found, ["94"]);
    let prefix = codes(
        &env,
        "admin-units",
        EntryFilter { q: Some("9410".into()), ..EntryFilter::default() },
    )
    .await;
    assert!(prefix.is_empty(), "{prefix:?}");
    let prefix = codes(
        &env,
        "admin-units",
        EntryFilter {
            q: Some("3147".into()),
            as_of: Some(day("2025-03-01")),
            ..EntryFilter::default()
        },
    )
    .await;
    assert!(!prefix.is_empty() && prefix.iter().all(|c| c.starts_with("3147")));
    let agencies = codes(
        &env,
        "agencies",
        EntryFilter { q: Some("SO TU PHAP".into()), ..EntryFilter::default() },
    )
    .await;
    assert_eq!(agencies, ["000.00.03.H51"]);
    let root =
        env.svc.lookup("agencies", "000.00.00.H51", None).await.expect("lookup").expect("in force");
    assert!(!root.sample);
    let sample =
        env.svc.lookup("agencies", "000.00.41.H51", None).await.expect("lookup").expect("in force");
    assert!(sample.sample);
}
