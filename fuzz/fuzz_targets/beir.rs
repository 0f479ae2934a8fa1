#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lingbridge::fuzzing::beir_files(data));
