#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lingbridge::fuzzing::miracl_topics(data));
