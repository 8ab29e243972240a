//! Navigation by role (issue 15, item 8): the header names the person signed in, the menu
//! shows only what they may open, `/admin` is a landing page, a signed-in person is not shown
//! the login form.

use crate::helpers::{client, get_page, location, sign_in, Instance, DEMO_PASSWORD, DEMO_TOTP};

const CITIZEN: &str = "094085000123";

/// The links of the page's main menu, with whether each is marked current.
fn menu(page: &str) -> Vec<(String, bool)> {
    let start = page.find("aria-label=\"Điều hướng chính\"").expect("main menu");
    let nav = &page[start..start + page[start..].find("</nav>").expect("end of menu")];
    nav.split("<a href=\"")
        .skip(1)
        .map(|a| {
            let href = a[..a.find('"').expect("href")].to_string();
            let tag = &a[..a.find('>').expect("tag")];
            (href, tag.contains("aria-current=\"page\""))
        })
        .collect()
}

/// The header's text (who is signed in, their agency, signing out).
fn header(page: &str) -> &str {
    let start = page.find("<header").expect("header");
    &page[start..start + page[start..].find("</header>").expect("end of header")]
}

#[tokio::test]
async fn each_person_sees_their_name_and_agency_and_only_menu_links_that_open_for_them() {
    let app = Instance::start().await;
    let people = [
        (sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await, None, "/ho-so-cua-toi", "/mot-cua"),
        (
            sign_in(&app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await,
            Some(("Võ Thị Ngọc Hân", "Sở Tư pháp")),
            "/mot-cua",
            "/admin",
        ),
        (
            sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await,
            Some(("Trần Minh Quân", "")),
            "/admin",
            "/mot-cua",
        ),
    ];
    for (cookie, named, has, lacks) in &people {
        let (status, home) = get_page(&app, cookie, "/").await;
        assert_eq!(status, 200);
        let head = header(&home);
        assert!(head.contains("action=\"/dang-xuat\"") && head.contains("Đăng xuất"), "{head}");
        assert!(!head.contains("href=\"/dang-nhap\""), "a signed-in person is offered to sign in");
        if let Some((name, agency)) = named {
            assert!(head.contains(name) && head.contains(agency), "{head}");
        }
        let links = menu(&home);
        let hrefs: Vec<&str> = links.iter().map(|(h, _)| h.as_str()).collect();
        assert!(hrefs.contains(has) && !hrefs.contains(lacks), "{hrefs:?}");
        for (href, _) in &links {
            let (status, page) = get_page(&app, cookie, href).await;
            assert_eq!(status, 200, "{href} in the menu answers {status}");
            // The page's own tab is the current one, and only it.
            let current: Vec<String> =
                menu(&page).into_iter().filter(|(_, c)| *c).map(|(h, _)| h).collect();
            assert_eq!(current, std::slice::from_ref(href), "current tab on {href}");
        }
    }
    // The citizen's name is in the header too.
    let (_, home) = get_page(&app, &people[0].0, "/").await;
    let (_, account) = get_page(&app, &people[0].0, "/tai-khoan").await;
    let name = account.split("<dd>").nth(1).and_then(|d| d.split('<').next()).unwrap_or("");
    assert!(!name.is_empty() && header(&home).contains(name), "{name:?}");

    // Nobody signed in: a sign-in link, and no link that would ask them to sign in.
    let (_, home) = get_page(&app, "", "/").await;
    assert!(header(&home).contains("href=\"/dang-nhap\""));
    for (href, _) in menu(&home) {
        let status = client().get(app.url(&href)).send().await.expect("get").status();
        assert_eq!(status, 200, "{href} in the anonymous menu answers {status}");
    }
}

#[tokio::test]
async fn the_admin_landing_page_lists_the_sections_and_is_refused_to_others() {
    let app = Instance::start().await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (status, page) = get_page(&app, &admin, "/admin").await;
    assert_eq!(status, 200);
    for section in ["/admin/accounts", "/admin/procedures", "/admin/catalogs", "/admin/audit"] {
        assert!(page.contains(&format!("href=\"{section}\"")), "{section} missing");
        let (status, _) = get_page(&app, &admin, section).await;
        assert_eq!(status, 200, "{section}");
    }
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let (status, _) = get_page(&app, &citizen, "/admin").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_signed_in_person_visiting_the_login_page_is_sent_on_instead_of_shown_the_form() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let to = |path: &str| client().get(app.url(path)).header("cookie", &cookie).send();
    let res = to("/dang-nhap").await.expect("get");
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/".to_string()));
    let res = to("/dang-nhap?next=/ho-so-cua-toi").await.expect("get");
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/ho-so-cua-toi".to_string()));
    // Off-site return addresses are not followed.
    let res = to("/dang-nhap?next=//evil.example/").await.expect("get");
    assert!(location(&res).starts_with('/') && !location(&res).starts_with("//"));
    // Nobody signed in: the form.
    let res = client().get(app.url("/dang-nhap")).send().await.expect("get");
    assert_eq!(res.status(), 200);
    // Signing out: the confirmation no longer names the person.
    let res = client()
        .post(app.url("/dang-xuat"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    let page = res.text().await.expect("text");
    assert!(header(&page).contains("href=\"/dang-nhap\""), "{}", header(&page));
}
