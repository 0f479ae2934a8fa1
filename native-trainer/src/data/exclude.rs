//! Zero-shot discipline: an article that an evaluation set also holds never reaches training. Wikipedia-built
//! sets share articles (XQuAD and MLQA both have "Harvard University"; ARCD and MLQA-R both have Arabic
//! "World War II"), so converters drop every article whose title appears in a named evaluation set, in any of
//! its languages. Titles compare after folding `_` to a space, case and runs of whitespace.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Default)]
pub struct ExcludedArticles {
    titles: BTreeSet<String>,
}

#[derive(Deserialize)]
struct Titles {
    data: Vec<Title>,
}
#[derive(Deserialize)]
struct Title {
    #[serde(default)]
    title: String,
}

pub fn fold_title(title: &str) -> String {
    title.replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl ExcludedArticles {
    /// The titles of every `*.json` (SQuAD layout: `data[].title`) in each folder.
    pub fn from_datasets(dirs: &[PathBuf]) -> anyhow::Result<Self> {
        let mut titles = BTreeSet::new();
        for dir in dirs {
            let mut files = 0;
            for entry in std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "json") {
                    titles.extend(read_titles(&path)?);
                    files += 1;
                }
            }
            anyhow::ensure!(files > 0, "{}: no .json files to take article titles from", dir.display());
        }
        Ok(ExcludedArticles { titles })
    }

    pub fn contains(&self, title: &str) -> bool {
        !self.titles.is_empty() && self.titles.contains(&fold_title(title))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.titles.len()
    }
}

fn read_titles(path: &Path) -> anyhow::Result<impl Iterator<Item = String>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let file: Titles = serde_json::from_slice(&bytes).with_context(|| format!("{}: not SQuAD-format JSON", path.display()))?;
    Ok(file.data.into_iter().map(|t| fold_title(&t.title)).filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_match_across_spelling_and_case_and_every_file_counts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("en.json"), r#"{"data":[{"title":"Harvard University","paragraphs":[]}]}"#).unwrap();
        std::fs::write(dir.path().join("ar.json"), r#"{"data":[{"title":"الحرب العالمية الثانية","paragraphs":[]}]}"#).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a dataset").unwrap();
        let ex = ExcludedArticles::from_datasets(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(ex.len(), 2);
        assert!(ex.contains("Harvard_University") && ex.contains("harvard  university") && ex.contains("الحرب_العالمية_الثانية"));
        assert!(!ex.contains("Harvard") && !ExcludedArticles::default().contains(""));
        let empty = tempfile::tempdir().unwrap();
        let err = ExcludedArticles::from_datasets(&[empty.path().to_path_buf()]).unwrap_err().to_string();
        assert!(err.contains("no .json files"), "{err}");
    }
}
