//! Registrations that are never verified (issue 13, item 4): they stop holding a personal ID
//! after a day, and re-sending the code is limited per account and per contact.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use cqdt_identity::account::Registration;
use cqdt_identity::login::Client;
use cqdt_identity::IdentityError;
use cqdt_platform::{ManualClock, PersonalId};

use crate::common::start_with;

fn registration(pid: &str, phone: &str) -> Registration {
    Registration {
        personal_id: PersonalId::parse(pid).expect("personal id"),
        full_name: "Người Đăng Ký".into(),
        birth_date: NaiveDate::from_ymd_opt(1990, 1, 2).expect("date"),
        phone: phone.into(),
        email: None,
        password: "Mot cau rat kho doan 2026".into(),
    }
}

fn client() -> Client {
    Client { ip: "198.51.100.4".into(), user_agent: "test".into(), request_id: "r".into() }
}

#[tokio::test]
async fn an_unverified_registration_stops_holding_the_personal_id_after_a_day() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
    let s = start_with(clock.clone(), |c| c).await;
    let squatter = s
        .identity
        .register_citizen(&registration("094190001111", "+84911000001"), &client())
        .await
        .expect("first registration");
    clock.advance(chrono::Duration::hours(2));
    let second = registration("094190001111", "+84911000002");
    let again = s.identity.register_citizen(&second, &client()).await;
    assert!(matches!(again, Err(IdentityError::Fields(_))), "held while fresh");
    clock.advance(chrono::Duration::hours(23));
    let owner = s
        .identity
        .register_citizen(&registration("094190001111", "+84911000002"), &client())
        .await
        .expect("the owner registers the next day");
    assert_ne!(owner.id, squatter.id);
    assert!(s.identity.account(&squatter.id).await.expect("read").is_none(), "expired");
}

#[tokio::test]
async fn the_verification_code_is_sent_a_few_times_an_hour_whoever_asks() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
    let s = start_with(clock.clone(), |c| c).await;
    let a = s
        .identity
        .register_citizen(&registration("094190002222", "+84911000003"), &client())
        .await
        .expect("registration");
    let mut sent = 1;
    for _ in 0..8 {
        match s.identity.resend_code(&a.id).await {
            Ok(()) => sent += 1,
            Err(IdentityError::Fields(f)) => assert!(f[0].message.contains("quá nhiều lần")),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(sent, cqdt_identity::login::MAX_CODE_SENDS, "8 asks sent only a few codes");
    clock.advance(chrono::Duration::minutes(61));
    s.identity.resend_code(&a.id).await.expect("an hour later, again");
}
