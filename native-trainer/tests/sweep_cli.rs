//! `lingbridge sweep` as users run it: a tiny α sweep (2 α × 2 seeds × 1 objective) of the shipped tiny XLM-R on
//! a generated cross-lingual task (a query and its passages share a made-up name in English, German and Russian
//! frames). Checks that sweep.json holds each run's own numbers, that sweep.md's cells follow from sweep.json,
//! that sweep.svg is well-formed with the expected series, and that re-running skips or resumes runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");
const METRICS: [&str; 4] = ["mo_map", "cr_map", "mul_map", "rank_distance"];

fn sweep(args: &[&str]) -> Output {
    Command::new(BIN).arg("sweep").args(args).output().unwrap()
}

fn stderr_of(o: &Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "lingbridge sweep failed: {stderr}");
    stderr
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// A made-up name per group: one syllable per decimal digit of `i`.
fn name(i: usize) -> String {
    const SYLLABLES: [&str; 10] = ["ka", "lo", "mi", "nu", "pe", "ri", "so", "tu", "ve", "zo"];
    let word: String = format!("{:03}", i).bytes().map(|d| SYLLABLES[(d - b'0') as usize]).collect();
    word[..1].to_uppercase() + &word[1..]
}

/// JSONL records: for every group, one record per language, all sharing the group's xling id and name.
fn task(groups: std::ops::Range<usize>) -> String {
    let frames = [("en", "who is", "the old house of"), ("de", "wer ist", "das alte Haus von"), ("ru", "кто такой", "старый дом")];
    groups
        .flat_map(|g| frames.iter().map(move |(lang, q, p)| json!({"xling_id": format!("g{g}"), "lang": lang, "query": format!("{q} {}", name(g)), "passage": format!("{p} {}", name(g))})))
        .map(|r| format!("{r}\n"))
        .collect()
}

/// Checks that `xml` is well-formed (balanced, quoted attributes, entities, one root); returns every element's
/// name and attributes in document order.
fn parse_xml(xml: &str) -> Vec<(String, BTreeMap<String, String>)> {
    fn check_text(t: &str) {
        assert!(!t.contains('<'), "stray < in {t:?}");
        for (i, _) in t.match_indices('&') {
            let rest = &t[i..];
            let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"].iter().any(|e| rest.starts_with(e)) && rest.contains(';');
            assert!(ok, "bad entity in {t:?}");
        }
    }
    let mut rest = xml.trim_start();
    if rest.starts_with("<?xml") {
        rest = &rest[rest.find("?>").expect("unterminated XML declaration") + 2..];
    }
    let (mut stack, mut elements, mut roots) = (Vec::<String>::new(), Vec::new(), 0);
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        assert!(!stack.is_empty() || rest[..open].trim().is_empty(), "text outside the root");
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").expect("unterminated comment") + 3..];
            continue;
        }
        let close = rest.find('>').expect("unterminated tag");
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "mismatched </{name}>");
            continue;
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = tag[..name_end].to_string();
        assert!(!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == ':' || c == '_'), "bad tag name {name:?}");
        let mut attrs = BTreeMap::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a.find('=').unwrap_or_else(|| panic!("attribute without value in <{tag}>"));
            let key = a[..eq].trim().to_string();
            let quoted = &a[eq + 1..];
            assert!(quoted.starts_with('"'), "unquoted attribute {key} in <{tag}>");
            let end = quoted[1..].find('"').expect("unterminated attribute") + 1;
            check_text(&quoted[1..end]);
            assert!(attrs.insert(key.clone(), quoted[1..end].to_string()).is_none(), "duplicate attribute {key}");
            a = quoted[end + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(name.clone());
        }
        elements.push((name, attrs));
    }
    check_text(rest);
    assert!(stack.is_empty() && rest.trim().is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "one root element");
    elements
}

fn mean_sd(v: &[f64]) -> (f64, Option<f64>) {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.len() > 1).then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt());
    (mean, sd)
}

#[test]
fn a_tiny_sweep_reports_each_runs_numbers_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("train.jsonl"), task(0..40)).unwrap();
    std::fs::write(dir.join("dev.jsonl"), task(500..512)).unwrap();
    let init = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/tiny-xlmr");
    let toml = dir.join("run.toml");
    std::fs::write(
        &toml,
        format!(
            "init = {:?}\ntrain = ['train.jsonl']\ndev = 'dev.jsonl'\nout = 'sweep'\nsteps = 6\nwarmup = 1\nlr = 2e-3\nbatch-size = 6\neval-every = 3\ntemperature = 0.1\nalpha = 0.3\n",
            init.to_str().unwrap()
        ),
    )
    .unwrap();
    let toml = toml.to_str().unwrap();
    let args = ["--config", toml, "--alphas", "0,1", "--objectives", "infonce", "--seeds", "1,2"];

    // Flags the sweep sets itself are refused rather than silently overridden.
    let o = sweep(&[&args[..], &["--alpha", "0.5"]].concat());
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--alphas"));

    let stderr = stderr_of(&sweep(&args));
    let out = dir.join("sweep");
    let report = read_json(&out.join("sweep.json"));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "2 α × 2 seeds: {stderr}");

    for run in runs {
        let (alpha, seed) = (run["alpha"].as_f64().unwrap(), run["seed"].as_u64().unwrap());
        let run_dir = out.join(run["dir"].as_str().unwrap());
        assert_eq!(run_dir, out.join(format!("infonce/alpha-{alpha}/seed-{seed}")));
        assert_eq!(&read_json(&run_dir.join("result.json")), run, "sweep.json holds the run's result.json");
        // The run trained with the sweep's settings…
        let best = read_json(&run_dir.join("best/state.json"));
        let s = &best["settings"];
        assert_eq!((s["sampling"].as_str(), s["alpha"].as_f64(), s["seed"].as_u64(), s["symmetric"].as_bool()), (Some("hybrid"), Some(alpha), Some(seed), Some(false)));
        assert_eq!(run["checkpoint"], "best");
        assert_eq!(run["checkpoint_step"], best["step"]);
        assert_eq!(run["best_step"], best["step"]);
        assert_eq!(run["best_dev_map"], best["best_dev_map"]);
        // …and the best checkpoint scored on the dev set gives exactly what training logged at that update.
        let metrics = std::fs::read_to_string(run_dir.join("metrics.jsonl")).unwrap();
        let logged: Vec<Value> = metrics.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let at_best = logged.iter().find(|l| l["step"] == best["step"] && l.get("dev").is_some()).expect("a dev line at the best update");
        assert_eq!(run["eval"], at_best["dev"], "{}", run_dir.display());
        assert_eq!(run["eval"]["mul_map"], best["best_dev_map"]);
        assert_eq!(logged.iter().filter(|l| l.get("loss").is_some()).count(), 6);
    }

    // sweep.md: one row per α, cells = mean ± sample sd of sweep.json's runs.
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    let rows: Vec<Vec<&str>> = md.lines().filter(|l| l.starts_with("| infonce")).map(|l| l.trim_matches('|').split('|').map(str::trim).collect()).collect();
    assert_eq!(rows.len(), 2, "{md}");
    let header: Vec<&str> = md.lines().find(|l| l.starts_with("| objective")).unwrap().trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(header, ["objective", "α", "Mo mAP", "Cr mAP", "Mul mAP", "rank distance", "n"]);
    let mut means = BTreeMap::new();
    for row in &rows {
        let alpha: f64 = row[1].parse().unwrap();
        let group: Vec<&Value> = runs.iter().filter(|r| r["alpha"].as_f64() == Some(alpha)).collect();
        assert_eq!(row[6], group.len().to_string());
        for (k, metric) in METRICS.iter().enumerate() {
            let values: Vec<f64> = group.iter().map(|r| r["eval"][metric].as_f64().unwrap()).collect();
            let (mean, sd) = mean_sd(&values);
            assert_eq!(row[2 + k], format!("{mean:.4} ± {:.4}", sd.unwrap()), "{metric} at α {alpha}");
            means.insert((metric.to_string(), alpha.to_string()), mean);
        }
    }

    // sweep.svg: well-formed, one series per metric (of the one objective), a point per α at the mean, error bars.
    let svg = std::fs::read_to_string(out.join("sweep.svg")).unwrap();
    let elements = parse_xml(&svg);
    assert_eq!(elements[0].0, "svg");
    assert!(svg.contains("LAReQA") && svg.contains("rank distance") && svg.contains("α (share of X-X-mono batches)"));
    let series: Vec<&BTreeMap<String, String>> = elements.iter().filter(|(_, a)| a.get("class").is_some_and(|c| c == "series")).map(|(_, a)| a).collect();
    let mut found: Vec<&str> = series.iter().map(|a| a["data-metric"].as_str()).collect();
    found.sort();
    assert_eq!(found, ["cr_map", "mo_map", "mul_map", "rank_distance"]);
    assert!(series.iter().all(|a| a["data-objective"] == "infonce"));
    let mut in_series = None;
    let mut points = BTreeMap::new();
    for (name, a) in &elements {
        if a.get("class").is_some_and(|c| c == "series") {
            in_series = Some(a["data-metric"].clone());
        } else if a.get("class").is_some_and(|c| c == "point") {
            let metric = in_series.clone().expect("a point inside a series");
            points.insert((metric, a["data-alpha"].clone()), a["data-mean"].parse::<f64>().unwrap());
        } else if name == "g" && a.get("class").is_some_and(|c| c == "legend") {
            in_series = None;
        }
    }
    // The test's own mean may sum in another order than the sweep's: equal to the last few ulps.
    assert_eq!(points.keys().collect::<Vec<_>>(), means.keys().collect::<Vec<_>>(), "plotted means are the table's");
    for (key, mean) in &means {
        assert!((points[key] - mean).abs() <= 1e-12 * mean.abs().max(1.0), "{key:?}: plotted {} vs table {mean}", points[key]);
    }
    assert_eq!(svg.matches(r#"class="error-bar""#).count(), 8, "seeds > 1: an error bar per point");

    // Re-running skips every finished run and rewrites the same report.
    let before: Vec<_> = runs.iter().map(|r| std::fs::metadata(out.join(r["dir"].as_str().unwrap()).join("metrics.jsonl")).unwrap().modified().unwrap()).collect();
    let again = stderr_of(&sweep(&args));
    assert_eq!(again.matches("skipped").count(), 4, "{again}");
    assert!(!again.contains("training"), "{again}");
    let after: Vec<_> = runs.iter().map(|r| std::fs::metadata(out.join(r["dir"].as_str().unwrap()).join("metrics.jsonl")).unwrap().modified().unwrap()).collect();
    assert_eq!(before, after, "no run was trained again");
    assert_eq!(read_json(&out.join("sweep.json")), report);

    // A run killed after training but before its result resumes from `last` and is scored the same.
    let victim = out.join(runs[3]["dir"].as_str().unwrap());
    std::fs::remove_file(victim.join("result.json")).unwrap();
    let resumed = stderr_of(&sweep(&args));
    assert_eq!(resumed.matches("skipped").count(), 3, "{resumed}");
    assert!(resumed.contains("continuing from its last checkpoint"), "{resumed}");
    assert_eq!(read_json(&out.join("sweep.json")), report);

    // Another eval set re-scores every run's best checkpoint without training again.
    let other = dir.join("other.jsonl");
    std::fs::write(&other, task(700..709)).unwrap();
    let rescored = stderr_of(&sweep(&[&args[..], &["--eval", other.to_str().unwrap()]].concat()));
    assert_eq!(rescored.matches("scoring again").count(), 4, "{rescored}");
    assert!(!rescored.contains("training"), "{rescored}");
    let report = read_json(&out.join("sweep.json"));
    assert_eq!(report["eval"].as_str(), other.to_str());
    for run in report["runs"].as_array().unwrap() {
        assert_eq!(run["eval_set"].as_str(), other.to_str());
        assert_eq!(run["checkpoint_step"], read_json(&out.join(run["dir"].as_str().unwrap()).join("best/state.json"))["step"]);
    }

    // Other training settings into the same folder do not silently reuse the old runs.
    let changed = dir.join("changed.toml");
    std::fs::write(&changed, std::fs::read_to_string(toml).unwrap().replace("steps = 6", "steps = 7")).unwrap();
    let o = sweep(&[&["--config", changed.to_str().unwrap()], &args[2..]].concat());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("other settings (steps)"), "{stderr}");
}
