//! The `nuskybgd` command; all work is in the library.
fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(nuskybgd::cli::main_with(&argv));
}
