//! `sqlx::migrate!` embeds the files of `migrations/sqlite` and `migrations/postgres` at build
//! time; a file added there must rebuild this crate, which the macro alone cannot ask for.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
