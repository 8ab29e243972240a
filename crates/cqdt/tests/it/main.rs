//! The platform's integration tests in one binary. Each module drives a part of the platform
//! over real HTTP against its own instance (`helpers::Instance`: built in-process on a free
//! port over a fresh database, SQLite or PostgreSQL when CQDT_TEST_DATABASE_URL is set);
//! `e2e` runs the real `cqdt` binary; `browser` drives headless Chromium (skipped, saying so,
//! when Chromium, chromedriver or axe-core is missing, unless CQDT_BROWSER_TESTS=1); `upgrade`
//! migrates a database written by the release before sqlx migrations in place.

mod accounts;
mod browser;
mod calendar;
mod catalogs;
mod display;
mod dossier_life;
mod dossiers;
mod dossiers_input;
mod e2e;
mod helpers;
mod identity;
mod lgsp;
mod lgsp_bodies;
mod lgsp_exchange;
mod lgsp_federation;
mod lgsp_push;
mod lgsp_seals;
mod national;
mod national_legal;
mod national_portal;
mod navigation;
mod notifications;
mod oidc;
mod oidc_standards;
mod platform;
mod procedures;
mod procedures_xlsx;
mod processing;
mod proxies;
mod scopes;
mod security_events;
mod upgrade;
mod workflow;
