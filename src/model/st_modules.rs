//! sentence-transformers' `modules.json`: the modules of a model in order (Transformer, Pooling, Dense, Normalize …)
//! and their folders. Read here once for the pooling reader (`pooling.rs`), the head (`head.rs`) and the directory
//! reader (`files.rs`), so none of those depends on another for it.

use serde::Deserialize;

use crate::error::Result;
use crate::model::files::{self, ModelFiles};

/// What a modules.json entry is. Types are matched by their last component under `sentence_transformers.`, so
/// both `sentence_transformers.models.Dense` and newer paths (`sentence_transformers.base.modules.dense.Dense`) read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleKind {
    Transformer,
    Pooling,
    Dense,
    Normalize,
    Other(String),
}

/// One modules.json entry.
#[derive(Debug, Clone)]
pub struct StModule {
    pub path: String,
    pub kind: ModuleKind,
}

#[derive(Deserialize)]
struct RawModule {
    #[serde(default)]
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

pub(crate) fn kind_of(type_name: &str) -> ModuleKind {
    let last = type_name.rsplit('.').next().unwrap_or_default();
    match (type_name.starts_with("sentence_transformers."), last) {
        (true, "Transformer") => ModuleKind::Transformer,
        (true, "Pooling") => ModuleKind::Pooling,
        (true, "Dense") => ModuleKind::Dense,
        (true, "Normalize") => ModuleKind::Normalize,
        _ => ModuleKind::Other(type_name.to_string()),
    }
}

/// modules.json in order, or `None` when the model has none (a bare transformers checkpoint).
pub fn st_modules(files: &ModelFiles) -> Result<Option<Vec<StModule>>> {
    let Some(raw) = files.json_opt::<Vec<RawModule>>(files::ST_MODULES)? else { return Ok(None) };
    Ok(Some(raw.into_iter().map(|m| StModule { kind: kind_of(&m.kind), path: m.path.trim_end_matches('/').to_string() }).collect()))
}

/// Folders of the sentence-transformers modules that modules.json lists (`1_Pooling`, `2_Dense`, …): the model
/// directory reader loads their files.
pub fn module_folders(files: &ModelFiles) -> Result<Vec<String>> {
    Ok(st_modules(files)?.unwrap_or_default().into_iter().map(|m| m.path).filter(|p| !p.is_empty()).collect())
}
