//! Where evaluation data lives on this machine (native only: the page gets its files from the user).
//!
//! Data is never committed. A dataset folder (`xquad-r`, `beir-scifact`, …) is looked up in these roots, and
//! the first root that holds it wins:
//! 1. `$LINGBRIDGE_DATA`;
//! 2. `./data/` and `../shared/data/`, relative to the current directory;
//! 3. the same two relative to the workspace root (this crate's directory, fixed at compile time), so tests
//!    find the data whatever directory cargo runs them from.
//!
//! Test policy ([`require_or_skip`]): a test that needs a dataset skips when it is absent, except in CI
//! (`CI=true`), where missing data is a failure: a green CI run must mean the real-data checks ran.

use std::path::{Path, PathBuf};

/// Environment variable naming a data root, searched first.
pub const DATA_ENV: &str = "LINGBRIDGE_DATA";

/// The roots searched, in order, whether or not they exist (duplicates removed).
pub fn data_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(dir));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bases = std::env::current_dir().ok().into_iter().chain([workspace.to_path_buf()]);
    for base in bases {
        for relative in ["data", "../shared/data"] {
            let root = base.join(relative);
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    roots
}

/// The folder of a dataset (`"xquad-r"`), from the first root that has it.
pub fn dataset_dir(name: &str) -> Option<PathBuf> {
    data_roots().into_iter().map(|root| root.join(name)).find(|dir| dir.is_dir())
}

/// Whether this run is CI, where tests must not skip for missing data.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// For tests: the dataset's folder, or `None` (with a note on stderr) when it is absent.
///
/// # Panics
/// When the dataset is absent and `CI=true`: in CI, data-dependent tests must fail rather than skip.
pub fn require_or_skip(name: &str) -> Option<PathBuf> {
    if let Some(dir) = dataset_dir(name) {
        return Some(dir);
    }
    let looked: Vec<String> = data_roots().iter().map(|r| r.join(name).display().to_string()).collect();
    if in_ci() {
        panic!(
            "dataset {name} not found and CI=true: tests that need data must not skip in CI. \
             Set {DATA_ENV} or run scripts/fetch-data.sh. Looked in: {}",
            looked.join(", ")
        );
    }
    eprintln!("skipping: data not found: {name} (looked in {})", looked.join(", "));
    None
}
