//! Build script: tracks the migration trees that `embed_migrations!` reads.
// Embedded migrations are read at compile time; rebuild when they change (diesel issue #3119).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
