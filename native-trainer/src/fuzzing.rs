//! Fuzz targets for the trainer's parsers of outside input, beside the core's (`lingbridge::fuzzing`): a
//! training JSONL file and a run.toml. `make fuzz` runs them under libFuzzer; on stable, `data::tests` and
//! `train::settings::tests` mutate valid files for two seconds each in `make test`.

/// Training records (JSONL): records or an error naming the line.
pub fn training_jsonl(data: &[u8]) {
    let _ = crate::data::parse_jsonl("fuzz.jsonl", data);
}

/// A run.toml, then the checks `lingbridge train` applies to its values.
pub fn run_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(args) = crate::train::settings::TrainArgs::from_toml(text) {
        let _ = args.resolve();
    }
}
