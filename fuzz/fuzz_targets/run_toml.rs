#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lingbridge_trainer::fuzzing::run_toml(data));
