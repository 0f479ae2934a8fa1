//! `lingbridge train` under faults: SIGKILL at 20 moments (half of them inside a checkpoint write) with a
//! resume after each, and a disk that refuses a checkpoint's bytes. The final model must equal an uninterrupted
//! run's bit for bit; a failed write must be a clear error that keeps the last good checkpoint.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

#[path = "common/train_fixture.rs"]
mod train_fixture;
use train_fixture::*;

const STEPS: &str = "30";

fn flags(f: &Fixture) -> Vec<&str> {
    vec!["--steps", STEPS, "--save-every", "2", "--lr", "1e-3", "--warmup", "3", "--symmetric", "--dev", &f.dev, "--eval-every", "10"]
}

fn bytes(run: &Path, file: &str) -> Vec<u8> {
    std::fs::read(run.join("last").join(file)).unwrap()
}

fn assert_same_run(whole: &Path, run: &Path) {
    assert_eq!(state(&run.join("last"))["step"], 30);
    assert!(bytes(whole, "model.safetensors") == bytes(run, "model.safetensors"), "{}: weights differ", run.display());
    assert!(bytes(whole, "optimizer.safetensors") == bytes(run, "optimizer.safetensors"), "{}: moments differ", run.display());
    assert_eq!(losses(&metrics(whole)), losses(&metrics(run)), "{}: loss curves differ", run.display());
}

/// A checkpoint being written: its hidden temporary folder exists.
fn writing_checkpoint(out: &Path) -> bool {
    std::fs::read_dir(out.join("checkpoints"))
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(".tmp-")))
        .unwrap_or(false)
}

#[test]
fn twenty_sigkills_then_resumes_give_the_uninterrupted_model_bit_for_bit() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let whole = f.dir.join("whole");
    ok(&lingbridge(&train_args(&f, &init, whole.to_str().unwrap(), &flags(&f))));

    let run = f.dir.join("killed");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let (mut kills, mut in_writes, mut finished_early) = (0, 0, 0);
    while kills < 20 {
        let mut args = train_args(&f, &init, run.to_str().unwrap(), &flags(&f));
        if run.join("last").exists() {
            args.push("--resume");
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .env("LINGBRIDGE_FAULT_CHECKPOINT_PAUSE_MS", "40")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Even lives die inside a checkpoint write, odd ones at a random moment.
        let (start, in_write) = (Instant::now(), kills % 2 == 0);
        let at = Duration::from_millis(rng.random_range(50..1500));
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if (in_write && writing_checkpoint(&run)) || (!in_write && start.elapsed() >= at) {
                child.kill().unwrap(); // SIGKILL
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(120), "a life of the run took two minutes");
            std::thread::sleep(Duration::from_millis(1));
        }
        let status = child.wait().unwrap();
        if status.success() {
            // The run reached its end before this kill: start it over so every kill lands on a live run.
            finished_early += 1;
            assert!(finished_early < 20, "the run keeps finishing before the kill");
            std::fs::remove_dir_all(&run).unwrap();
            continue;
        }
        kills += 1;
        in_writes += usize::from(in_write);
        // Whatever the moment, `last` (when there is one) names a whole checkpoint.
        if run.join("last").exists() {
            let last = run.join("last");
            for file in ["model.safetensors", "optimizer.safetensors", "state.json", "config.json", "tokenizer.json"] {
                assert!(last.join(file).is_file(), "after kill {kills}: {file} missing from last");
            }
        }
    }
    let mut args = train_args(&f, &init, run.to_str().unwrap(), &flags(&f));
    if run.join("last").exists() {
        args.push("--resume");
    }
    ok(&lingbridge(&args));
    eprintln!("{kills} SIGKILLs ({in_writes} inside a checkpoint write), {finished_early} restarts of a finished run");
    assert_same_run(&whole, &run);
}

#[test]
fn a_disk_that_refuses_a_checkpoint_is_a_clear_error_and_keeps_the_last_good_one() {
    let f = fixture();
    let init = root("tests/fixtures/tiny-xlmr");
    let whole = f.dir.join("whole");
    ok(&lingbridge(&train_args(&f, &init, whole.to_str().unwrap(), &flags(&f))));

    let run = f.dir.join("full");
    let mut args = train_args(&f, &init, run.to_str().unwrap(), &flags(&f));
    args.extend(["--stop-after", "3"]);
    assert!(!lingbridge(&args).status.success());
    let good = std::fs::canonicalize(run.join("last")).unwrap();
    let before = (bytes(&run, "model.safetensors"), bytes(&run, "optimizer.safetensors"), bytes(&run, "state.json"));

    // The next checkpoint's files hit a 64 KiB file-size limit (the model alone is ~600 KB): writes fail with
    // EFBIG as they would with ENOSPC on a full disk (SIGXFSZ ignored, so the write returns the error).
    args.truncate(args.len() - 2);
    args.push("--resume");
    let quoted: Vec<String> = std::iter::once(BIN).chain(args.iter().copied()).map(|a| format!("'{a}'")).collect();
    let out = Command::new("bash").args(["-c", &format!("trap '' XFSZ; ulimit -f 64; exec {}", quoted.join(" "))]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the write should fail: {stderr}");
    assert!(stderr.contains("writing checkpoint step-0000004 failed (is the disk full?)"), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(stderr.contains("the last good checkpoint is kept: checkpoints/step-0000002"), "{stderr}");
    assert_eq!(std::fs::canonicalize(run.join("last")).unwrap(), good);
    assert!(before == (bytes(&run, "model.safetensors"), bytes(&run, "optimizer.safetensors"), bytes(&run, "state.json")));
    assert!(!writing_checkpoint(&run), "the partial checkpoint was not removed");

    // With room again, the run resumes from the kept checkpoint and ends as the uninterrupted one.
    ok(&lingbridge(&args));
    assert_same_run(&whole, &run);
}
